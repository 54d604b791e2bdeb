import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config, Service } from '../../../config/model.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';
import { parseConfigText } from '../../../config/load.js';
import { formatConflict, loadMerge, loadMergeResult, loadOverride, mergeConfigs, writtenOf } from '../../../config/merge.js';

function svc(name: string, port: number, backends: Array<[string, number, number?]> = [['10.0.0.1', 8080]]): Service {
  return {
    ...defaultService(name, 'tcp'),
    vip: '192.0.2.10',
    ports: [port],
    backends: backends.map(([a, p, w]) => ({ ...defaultBackend(a), port: p, ...(w !== undefined ? { weight: w } : {}) })),
  };
}
function cfg(...services: Service[]): Config {
  const c = defaultConfig();
  c.services = services;
  return c;
}
const edit = (c: Config, f: (c: Config) => void): Config => {
  const copy = structuredClone(c);
  f(copy);
  return copy;
};
const names = (c: Config) => c.services.map((s) => s.name);

const base = cfg(svc('web', 80, [['10.0.0.1', 8080], ['10.0.0.2', 8080]]), svc('api', 443));

test('changes to different services and fields merge without conflict', () => {
  const mine = edit(base, (c) => (c.services[0].scheduler = 'rr'));
  const theirs = edit(base, (c) => {
    c.services[1].ports = [8443];
    c.daemon.reconcile_interval_ms = 1000;
  });
  const { merged, conflicts } = mergeConfigs(base, mine, theirs);
  assert.deepEqual(conflicts, []);
  const expected = edit(base, (c) => {
    c.services[0].scheduler = 'rr';
    c.services[1].ports = [8443];
    c.daemon.reconcile_interval_ms = 1000;
  });
  assert.deepEqual(merged, expected);
});

test('the same field changed differently is a conflict; mine is kept and all three values reported', () => {
  const mine = edit(base, (c) => (c.services[0].scheduler = 'rr'));
  const theirs = edit(base, (c) => (c.services[0].scheduler = 'lc'));
  const { merged, conflicts } = mergeConfigs(base, mine, theirs);
  assert.deepEqual(conflicts, [{ path: ['services', 'web', 'scheduler'], text: 'services web scheduler', base: 'wlc', mine: 'rr', theirs: 'lc' }]);
  assert.equal(merged.services[0].scheduler, 'rr');
  assert.equal(formatConflict(conflicts[0]), 'services web scheduler: base wlc, mine rr, theirs lc');
});

test('the same change on both sides is no conflict', () => {
  const mine = edit(base, (c) => (c.services[0].scheduler = 'rr'));
  const { merged, conflicts } = mergeConfigs(base, mine, structuredClone(mine));
  assert.deepEqual(conflicts, []);
  assert.deepEqual(merged, mine);
});

test('backends are matched by address and port: different backends of one service merge', () => {
  const mine = edit(base, (c) => (c.services[0].backends[0].weight = 5));
  const theirs = edit(base, (c) => {
    c.services[0].backends[1].weight = 7;
    c.services[0].backends.push({ ...defaultBackend('10.0.0.3'), port: 8080 });
  });
  const { merged, conflicts } = mergeConfigs(base, mine, theirs);
  assert.deepEqual(conflicts, []);
  assert.deepEqual(
    merged.services[0].backends.map((b) => [b.address, b.port, b.weight]),
    [['10.0.0.1', 8080, 5], ['10.0.0.2', 8080, 7], ['10.0.0.3', 8080, 1]],
  );
  // The same backend's weight on both sides conflicts, named by address:port.
  const theirs2 = edit(base, (c) => (c.services[0].backends[0].weight = 9));
  const r2 = mergeConfigs(base, mine, theirs2);
  assert.deepEqual(r2.conflicts.map((c) => [c.text, c.base, c.mine, c.theirs]), [['services web backends 10.0.0.1:8080 weight', 1, 5, 9]]);
});

test('services added on both sides are both kept: mine in place, theirs appended', () => {
  const mine = edit(base, (c) => c.services.push(svc('dns', 53)));
  const theirs = edit(base, (c) => c.services.splice(1, 0, svc('mail', 25)));
  const { merged, conflicts } = mergeConfigs(base, mine, theirs);
  assert.deepEqual(conflicts, []);
  assert.deepEqual(names(merged), ['web', 'api', 'dns', 'mail']);
});

test('a service deleted on one side merges when the other did not touch it; deleted vs modified conflicts', () => {
  const mine = edit(base, (c) => c.services.splice(1, 1));
  const theirs = edit(base, (c) => (c.services[0].description = 'front'));
  const clean = mergeConfigs(base, mine, theirs);
  assert.deepEqual(clean.conflicts, []);
  assert.deepEqual(names(clean.merged), ['web']);
  assert.equal(clean.merged.services[0].description, 'front');

  const theirs2 = edit(base, (c) => (c.services[1].scheduler = 'sh'));
  const r = mergeConfigs(base, mine, theirs2);
  assert.equal(r.conflicts.length, 1);
  assert.equal(r.conflicts[0].text, 'services api');
  assert.equal(r.conflicts[0].mine, undefined);
  assert.equal((r.conflicts[0].theirs as Service).scheduler, 'sh');
  assert.deepEqual(names(r.merged), ['web'], 'mine (the deletion) is kept');
  assert.equal(formatConflict(r.conflicts[0]).startsWith('services api: base {'), true);
  assert.ok(formatConflict(r.conflicts[0]).includes(', mine (none), theirs {'));
});

test('a service added with the same name on both sides, differently, conflicts field by field', () => {
  const mine = edit(base, (c) => c.services.push(svc('dns', 53)));
  const theirs = edit(base, (c) => c.services.push(svc('dns', 5353)));
  const { merged, conflicts } = mergeConfigs(base, mine, theirs);
  assert.deepEqual(conflicts.map((c) => [c.text, c.base, c.mine, c.theirs]), [['services dns ports', undefined, [53], [5353]]]);
  assert.deepEqual(merged.services[2].ports, [53]);
});

test('non-keyed lists (ports) are one value', () => {
  const mine = edit(base, (c) => (c.services[0].ports = [80, 81]));
  const theirs = edit(base, (c) => (c.services[0].ports = [80, 82]));
  const { conflicts } = mergeConfigs(base, mine, theirs);
  assert.deepEqual(conflicts.map((c) => [c.text, c.mine, c.theirs]), [['services web ports', [80, 81], [80, 82]]]);
});

test('loadMerge: same-named services replaced in place, new ones added, only written globals overridden', () => {
  const candidate = edit(base, (c) => {
    c.node.name = 'lb1';
    c.daemon.revisions_kept = 80;
    c.daemon.reconcile_interval_ms = 7000;
  });
  const load = parseConfigText(
    [
      'daemon:',
      '  reconcile_interval_ms: 2000',
      'services:',
      '  - name: api',
      '    vip: 192.0.2.20',
      '    protocol: tcp',
      '    ports: [8443]',
      '    backends: [{address: 10.0.9.9, port: 9000}]',
      '  - name: dns',
      '    vip: 192.0.2.20',
      '    protocol: udp',
      '    ports: [53]',
      '    backends: [{address: 10.0.9.8}]',
      '',
    ].join('\n'),
    'merge.yaml',
  );
  assert.deepEqual(load.errors, []);
  assert.deepEqual(writtenOf(load).daemon, { reconcile_interval_ms: 2000 });
  const merged = loadMergeResult(candidate, load)!;
  assert.deepEqual(names(merged), ['web', 'api', 'dns']);
  assert.deepEqual(merged.services[0], candidate.services[0], 'web untouched');
  assert.deepEqual(merged.services[1], load.config!.services[0], 'api replaced whole');
  assert.deepEqual(merged.services[2], load.config!.services[1]);
  assert.equal(merged.daemon.reconcile_interval_ms, 2000, 'written global overridden');
  assert.equal(merged.daemon.revisions_kept, 80, 'unwritten global kept');
  assert.equal(merged.node.name, 'lb1');
  assert.deepEqual(candidate.services.map((s) => s.name), ['web', 'api'], 'candidate not mutated');
  assert.equal(loadMergeResult(candidate, parseConfigText('services: [{name: x}]\n', 'bad.yaml')), null);
});

test('loadMerge of a file writing only a vip and node name', () => {
  const load = parseConfigText('vip: 203.0.113.5\nnode: {name: lb9}\n', 'g.yaml');
  assert.deepEqual(load.errors, []);
  const merged = loadMerge(base, { config: load.config!, written: writtenOf(load) });
  assert.deepEqual(merged, edit(base, (c) => {
    c.vip = '203.0.113.5';
    c.node.name = 'lb9';
  }));
});

test('loadOverride replaces the candidate', () => {
  const file = cfg(svc('only', 1));
  const out = loadOverride(base, file);
  assert.deepEqual(out, file);
  assert.notEqual(out, file);
});
