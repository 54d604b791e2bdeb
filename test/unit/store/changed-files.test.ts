// A commit rewrites only the files its change touches (issue 13): every other file keeps its bytes (and is not
// even replaced: its inode stays), defaults nobody wrote are not added, and the result is the same whether the
// store planned from the running revision's layout or from the whole directory (a revision without a layout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../store/store.js';
import { loadConfig } from '../../../config/load.js';
import { configsEqual } from '../../../config/equal.js';
import { defaultBackend, defaultService } from '../../../config/defaults.js';
import { tempDirs } from './fixtures.js';

const FILES: Record<string, string> = {
  'config.yaml': '# globals, by hand\nnode:\n  name: lb1   # the first balancer\ndaemon: {reconcile_interval_ms: 7000}\n',
  'config.d/a.yaml':
    'services:\n  - name: a1\n    vip: 192.0.2.1\n    ports: [80]\n    backends:\n      - {address: 198.51.100.1, port: 8080, weight: 5}\n' +
    '  - name: a2 # second\n    vip: 192.0.2.2\n    ports: [80]\n    backends: [{address: 198.51.100.2, weight: 1}]\n',
  // `persistence: {}` means "the default timeout": a commit elsewhere must not turn it into `{timeout: 300}`.
  'config.d/b.yaml': 'services:\n  - name: b1\n    vip: 192.0.2.3\n    ports: [443]\n    persistence: {}\n    backends:\n      - {address: 198.51.100.3,   port: 8443}\n',
  'config.d/c.yaml': '# c is quiet\nservices:\n  - name: c1\n    vip: 192.0.2.4\n    protocol: udp\n    ports: [53]\n    backends: [{address: 198.51.100.4}]\n',
};

function writeAll(dir: string): void {
  for (const [rel, text] of Object.entries(FILES)) {
    mkdirSync(join(dir, rel, '..'), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

const snapshot = (dir: string) =>
  Object.fromEntries(Object.keys(FILES).map((rel) => [rel, { text: readFileSync(join(dir, rel), 'utf8'), ino: statSync(join(dir, rel)).ino }]));

/** Drops the layout from the running revision's file, as a revision written before layouts existed. */
function forgetLayout(stateDir: string, n: number): void {
  const path = join(stateDir, 'revisions', `${String(n).padStart(10, '0')}.json`);
  const rev = JSON.parse(readFileSync(path, 'utf8'));
  assert.ok(rev.layout, 'the revision recorded a layout');
  delete rev.layout;
  writeFileSync(path, JSON.stringify(rev) + '\n');
}

for (const mode of ['from the layout', 'from the whole directory'] as const) {
  test(`a commit rewrites only the file it changes; every other file keeps its bytes (${mode})`, async () => {
    const dirs = tempDirs();
    writeAll(dirs.configDir);
    const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
    assert.deepEqual(store.running().layout, {
      'config.yaml': { services: [], sections: ['node', 'daemon'] },
      'config.d/a.yaml': { services: ['a1', 'a2'], sections: [] },
      'config.d/b.yaml': { services: ['b1'], sections: [] },
      'config.d/c.yaml': { services: ['c1'], sections: [] },
    });
    if (mode === 'from the whole directory') forgetLayout(dirs.stateDir, 1);
    const before = snapshot(dirs.configDir);

    const cand = structuredClone(store.running().config);
    cand.services.find((s) => s.name === 'a2')!.backends[0].weight = 9;
    const out = await store.commit(cand, 1, { origin: 'shell' });
    assert.equal(out.kind, 'committed');
    assert.deepEqual(out.kind === 'committed' && out.filesWritten, ['config.d/a.yaml']);

    const after = snapshot(dirs.configDir);
    for (const rel of ['config.yaml', 'config.d/b.yaml', 'config.d/c.yaml']) {
      assert.equal(after[rel].text, before[rel].text, `${rel} keeps its bytes`);
      assert.equal(after[rel].ino, before[rel].ino, `${rel} was not even replaced`);
    }
    assert.equal(after['config.d/a.yaml'].text, FILES['config.d/a.yaml'].replace('weight: 1}', 'weight: 9}'), 'only the weight changed, comments and styles kept');
    const rev = store.running();
    assert.equal(rev.number, 2);
    assert.ok(configsEqual(rev.config, cand), 'the revision says the candidate');
    assert.ok(configsEqual(loadConfig(dirs.configDir).config!, rev.config), 'the files say the revision');
    assert.deepEqual(rev.config.services.map((s) => s.name), ['a1', 'a2', 'b1', 'c1'], 'services in file order, as a restart loads them');
    assert.deepEqual(Object.keys(rev.layout ?? {}).sort(), Object.keys(FILES).sort(), 'the new revision has a layout again');
  });
}

test('adding, removing and moving between sections: new files are created, emptied files removed, the layout follows', async () => {
  const dirs = tempDirs();
  writeAll(dirs.configDir);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const before = snapshot(dirs.configDir);
  const cand = structuredClone(store.running().config);
  cand.services = cand.services.filter((s) => s.name !== 'b1');
  cand.services.push({ ...defaultService('d1', 'tcp'), vip: '192.0.2.9', ports: [8080], backends: [{ ...defaultBackend('198.51.100.9'), port: 80 }] });
  cand.node.name = 'lb2';
  const out = await store.commit(cand, 1, { origin: 'shell' });
  assert.equal(out.kind, 'committed');
  if (out.kind !== 'committed') return;
  assert.deepEqual(out.filesWritten, ['config.d/d1.yaml', 'config.yaml']);
  assert.deepEqual(out.filesRemoved, ['config.d/b.yaml']);
  assert.equal(readFileSync(join(dirs.configDir, 'config.d/a.yaml'), 'utf8'), before['config.d/a.yaml'].text);
  assert.equal(statSync(join(dirs.configDir, 'config.d/c.yaml')).ino, before['config.d/c.yaml'].ino);
  assert.match(readFileSync(join(dirs.configDir, 'config.yaml'), 'utf8'), /name: lb2 +# the first balancer/, 'the comment on the changed line stays');
  const rev = store.running();
  assert.deepEqual(rev.layout?.['config.d/d1.yaml'], { services: ['d1'], sections: [] });
  assert.equal(rev.layout?.['config.d/b.yaml'], undefined);
  assert.ok(configsEqual(loadConfig(dirs.configDir).config!, rev.config));
  assert.ok(configsEqual(rev.config, cand));
});

test('a hand edit since the running revision: the layout is not trusted, and the commit is refused as before', async () => {
  const dirs = tempDirs();
  writeAll(dirs.configDir);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  writeFileSync(join(dirs.configDir, 'config.d/c.yaml'), FILES['config.d/c.yaml'].replace('ports: [53]', 'ports: [5353]'));
  const cand = structuredClone(store.running().config);
  cand.services[0].backends[0].weight = 2;
  await assert.rejects(store.commit(cand, 1, { origin: 'shell' }), { name: 'HandEditsPendingError' });
  assert.match(readFileSync(join(dirs.configDir, 'config.d/c.yaml'), 'utf8'), /5353/, 'the hand edit is untouched');
});

test('keepRunning: the running revision is parsed once, frozen and shared; a commit by another process is seen', async () => {
  const dirs = tempDirs();
  writeAll(dirs.configDir);
  const kept = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, keepRunning: true });
  const plain = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const a = kept.running();
  assert.equal(kept.running(), a, 'the same object on every read');
  assert.ok(Object.isFrozen(a.config.services[0].backends[0]), 'frozen deeply: a reader cannot change what the next one is told');
  assert.throws(() => {
    (a.config.services[0].backends[0] as { weight: number }).weight = 3;
  }, TypeError);
  assert.notEqual(plain.running(), plain.running(), 'without keepRunning each read is the caller\'s own copy');
  assert.ok(!Object.isFrozen(plain.running().config));
  const cand = structuredClone(plain.running().config);
  cand.services[0].backends[0].weight = 4;
  await plain.commit(cand, 1, { origin: 'shell' });
  const b = kept.running();
  assert.equal(b.number, 2, 'the other store\'s commit is seen');
  assert.equal(b.config.services[0].backends[0].weight, 4);
});

test('keepRunning: commits of delta-built candidates (a daemon\'s) are frozen deeply, their new services included, commit after commit', async () => {
  const { applyConfigDelta } = await import('../../../config/delta.js');
  const dirs = tempDirs();
  writeAll(dirs.configDir);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, keepRunning: true });
  for (let k = 0; k < 4; k++) {
    const running = store.running();
    const changed = structuredClone(running.config.services[k % 2]);
    changed.backends[0].weight = 20 + k;
    const cand = applyConfigDelta(running.config, { set: {}, unset: [], services: [changed], removed: [] });
    assert.ok(Object.isFrozen(cand.services) && !Object.isFrozen(changed), 'the list is frozen alone, the new service is not');
    const out = await store.commit(cand, running.number, { origin: 'shell' }, { handOver: true });
    assert.equal(out.kind, 'committed');
    const rev = store.running();
    const mine = rev.config.services.find((s) => s.name === changed.name)!;
    assert.equal(mine.backends[0].weight, 20 + k);
    assert.ok(Object.isFrozen(mine) && Object.isFrozen(mine.backends) && Object.isFrozen(mine.backends[0]), `commit ${k}: the new service is frozen deeply`);
    assert.ok(rev.config.services.every((s) => Object.isFrozen(s) && Object.isFrozen(s.backends[0])), `commit ${k}: every service is`);
  }
});

test('a revision written before a default existed is completed when read: a commit from it succeeds and rewrites one file', async () => {
  const dirs = tempDirs();
  writeAll(dirs.configDir);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, keepRunning: true });
  // Revision 1 as an older lbctl wrote it: no `system` section, a service without `on_down`, a backend without `enabled`.
  const path = join(dirs.stateDir, 'revisions', '0000000001.json');
  const rev = JSON.parse(readFileSync(path, 'utf8'));
  delete rev.config.system;
  delete rev.config.services[0].on_down;
  delete rev.config.services[1].backends[0].enabled;
  writeFileSync(path, JSON.stringify(rev) + '\n');
  const old = store.running();
  assert.ok('system' in old.config && old.config.services[0].on_down === 'inhibit' && old.config.services[1].backends[0].enabled === true, 'completed on read');
  assert.ok(configsEqual(old.config, loadConfig(dirs.configDir).config!), 'equal to the files as loaded today');
  const cand = structuredClone(old.config);
  cand.services[2].backends[0].weight = 6;
  const out = await store.commit(cand, 1, { origin: 'shell' });
  assert.equal(out.kind, 'committed');
  assert.deepEqual(out.kind === 'committed' && out.filesWritten, ['config.d/b.yaml']);
});

test('a splice on top of a splice: the list known to be in file order is that list only, not any list of the layout', async () => {
  const { planChangedFiles } = await import('../../../store/changed-files.js');
  const { defaultConfig } = await import('../../../config/defaults.js');
  const { loadConfig: load } = await import('../../../config/load.js');
  const dirs = tempDirs();
  writeAll(dirs.configDir);
  const loaded = load(dirs.configDir);
  assert.ok(loaded.config, 'the fixture loads');
  const freeze = <T>(v: T): T => {
    if (v && typeof v === 'object') {
      for (const x of Object.values(v)) freeze(x);
      Object.freeze(v);
    }
    return v;
  };
  const running = freeze({ ...defaultConfig(), ...loaded.config, services: loaded.config.services });
  const layout = freeze({
    'config.yaml': { services: [], sections: ['node', 'daemon'] },
    'config.d/a.yaml': { services: ['a1', 'a2'], sections: [] },
    'config.d/b.yaml': { services: ['b1'], sections: [] },
    'config.d/c.yaml': { services: ['c1'], sections: [] },
  });
  const read = (rel: string) => readFileSync(join(dirs.configDir, rel), 'utf8');
  const withWeight = (list: readonly (typeof running.services)[number][], name: string, weight: number) =>
    Object.freeze(list.map((s) => (s.name === name ? freeze({ ...structuredClone(s), backends: [{ ...structuredClone(s.backends[0]), weight }] }) : s))) as typeof running.services;

  const cand1 = { ...running, services: withWeight(running.services, 'a2', 9) };
  const first = planChangedFiles(running, layout, cand1, read);
  assert.ok(first && 'plan' in first);
  assert.equal(first.committed, cand1, 'in file order already: the candidate itself');
  assert.deepEqual(Object.keys(first.plan.writes), ['config.d/a.yaml']);

  // On top of it, in place: still the candidate itself, and the file says the new weight.
  const running2 = freeze({ ...cand1 });
  const cand2 = { ...running2, services: withWeight(running2.services, 'a2', 11) };
  const second = planChangedFiles(running2, layout, cand2, read);
  assert.ok(second && 'plan' in second);
  assert.equal(second.committed, cand2);
  assert.match(second.plan.writes['config.d/a.yaml'], /weight: 11/);

  // Another frozen list of the same services out of file order: nothing known about it, so the committed
  // configuration comes back in file order (a2 after a1), not in the candidate's order.
  const shuffled = Object.freeze([running.services[1], running.services[0], ...running.services.slice(2)]) as typeof running.services;
  const running3 = freeze({ ...running, services: shuffled });
  const cand3 = { ...running3, services: withWeight(shuffled, 'a2', 13) };
  const third = planChangedFiles(running3, layout, cand3, read);
  assert.ok(third && 'plan' in third);
  assert.deepEqual(third.committed.services.map((s) => s.name), ['a1', 'a2', 'b1', 'c1']);
  assert.equal(third.committed.services[1].backends[0].weight, 13);
});

test('previewFiles: the plan a commit would write, and nothing written, no lock, no revision', async () => {
  const dirs = tempDirs();
  writeAll(dirs.configDir);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const listState = () => readdirSync(dirs.stateDir, { recursive: true }).map(String).sort();
  const stateBefore = listState();
  const before = snapshot(dirs.configDir);
  const mtimes = Object.keys(FILES).map((rel) => statSync(join(dirs.configDir, rel)).mtimeMs);

  const cand = structuredClone(store.running().config);
  cand.services.find((s) => s.name === 'a2')!.backends[0].weight = 9;
  const preview = store.previewFiles(cand);
  assert.ok(preview, 'planned from the layout');
  assert.deepEqual(Object.keys(preview.plan.writes), ['config.d/a.yaml'], 'the one file the change touches');
  assert.equal(preview.plan.writes['config.d/a.yaml'], FILES['config.d/a.yaml'].replace('weight: 1}', 'weight: 9}'));

  assert.deepEqual(snapshot(dirs.configDir), before, 'no file rewritten');
  assert.deepEqual(Object.keys(FILES).map((rel) => statSync(join(dirs.configDir, rel)).mtimeMs), mtimes, 'none touched');
  assert.deepEqual(listState(), stateBefore, 'no lock, intent or revision left in the state directory');
  assert.equal(store.running().number, 1);
  // And the commit that follows writes what the preview said.
  const out = await store.commit(cand, 1, { origin: 'shell' });
  assert.deepEqual(out.kind === 'committed' && out.filesWritten, ['config.d/a.yaml']);
  assert.equal(readFileSync(join(dirs.configDir, 'config.d/a.yaml'), 'utf8'), preview.plan.writes['config.d/a.yaml']);
});
