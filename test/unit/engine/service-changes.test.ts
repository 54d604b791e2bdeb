// A commit planned from the change alone (engine/service-changes.ts): one weight at 10,000 services is one
// service compiled and one SET_DEST, no dump; every kind of change ends where a whole plan would; whatever the
// partial plan cannot answer exactly (identities declared twice, the limit, a foreign clash) gets the whole
// plan's answer, word for word.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsService } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { Engine } from '../../../engine/engine.js';
import { compile } from '../../../engine/compile.js';
import { backendRef } from '../../../engine/inputs.js';
import { changedServiceNames } from '../../../engine/service-changes.js';
import type { Config } from '../../../config/model.js';
import { bigConfig, config, service, snapshot, web } from './helpers.js';

async function started(): Promise<{ dp: MemoryDataplane; engine: Engine }> {
  const dp = new MemoryDataplane();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  return { dp, engine };
}

/** The configuration with service `name` replaced by `change(copy)`. */
function edit(cfg: Config, name: string, change: (s: Config['services'][number]) => void): Config {
  return {
    ...cfg,
    services: cfg.services.map((s) => {
      if (s.name !== name) return s;
      const copy = structuredClone(s);
      change(copy);
      return copy;
    }),
  };
}

test('changedServiceNames: the services added, changed and removed; null when another section changed; order is no change', () => {
  const a = config({ vip: '192.0.2.1', services: [web(), service('api', { backends: [{ address: '10.0.2.1', port: 80 }] })] });
  assert.deepEqual([...changedServiceNames(a, a)!], []);
  assert.deepEqual([...changedServiceNames(a, { ...a, services: [...a.services].reverse() })!], []);
  const b = edit(a, 'web', (s) => (s.backends[0].weight = 7));
  const c = { ...b, services: [...b.services.filter((s) => s.name !== 'api'), config({ services: [service('new', { vip: '192.0.2.9' })] }).services[0]] };
  assert.deepEqual([...changedServiceNames(a, c)!].sort(), ['api', 'new', 'web']);
  assert.equal(changedServiceNames(a, { ...a, vip: '192.0.2.2' }), null);
  assert.equal(changedServiceNames(a, { ...a, daemon: { ...a.daemon, limits: { ...a.daemon.limits, max_services: 5 } } }), null);
});

test('one weight in 10,000 services × 4 backends: one service compiled, one SET_DEST, no dump', async () => {
  const { dp, engine } = await started();
  const cfg = bigConfig(10_000, 4);
  assert.equal((await engine.commit(cfg)).ok, true);
  const reads = engine.metrics.fullReads;
  const sent = dp.messagesSent();
  const next = edit(cfg, 'svc4321', (s) => (s.backends[2].weight = 3));
  const result = await engine.commit(next);
  assert.equal(result.ok, true);
  assert.equal(dp.messagesSent() - sent, 1, 'one message');
  assert.deepEqual(result.applied.map((op) => op.op), ['setDest']);
  assert.equal(engine.metrics.fullReads, reads, 'no dump');
  assert.deepEqual([...result.plan.desired.services.keys()], ['tcp 10.0.16.225:80'], 'only the changed service was compiled');
  const dests = await dp.listDests({ af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.16.225', port: 80 });
  assert.equal(dests.find((d) => d.addr === '172.16.0.3')?.weight, 3);
  assert.equal(engine.runningConfig(), next);
});

test('every kind of service change, one commit after another, ends where a whole plan from a fresh kernel would', async () => {
  const { dp, engine } = await started();
  let cfg = config({
    vip: '192.0.2.1',
    services: [
      web(),
      service('api', { ports: [8443], backends: [{ address: '10.0.2.1', port: 80 }, { address: '10.0.2.2', port: 80 }] }),
      service('range', { protocol: 'udp', ports: [{ from: 7000, to: 7003 }], backends: [{ address: '10.0.5.1', port: 0 }] }),
    ],
  });
  assert.equal((await engine.commit(cfg)).ok, true);
  const steps: Array<[string, (c: Config) => Config, string[]]> = [
    ['a weight', (c) => edit(c, 'web', (s) => (s.backends[1].weight = 5)), ['setDest']],
    ['a backend added and one removed', (c) => edit(c, 'api', (s) => (s.backends = [s.backends[0], { ...s.backends[0], address: '10.0.2.3' }])), ['delDest', 'newDest']],
    ['the scheduler', (c) => edit(c, 'api', (s) => (s.scheduler = 'rr')), ['setService']],
    ['a range shrunk', (c) => edit(c, 'range', (s) => (s.ports = [{ from: 7000, to: 7001 }])), ['delService', 'delService']],
    ['a port moved (the identity changes)', (c) => edit(c, 'api', (s) => (s.ports = [9443])), ['delService', 'newService', 'newDest', 'newDest']],
    ['a service disabled', (c) => edit(c, 'web', (s) => (s.enabled = false)), ['delService']],
    ['it comes back', (c) => edit(c, 'web', (s) => (s.enabled = true)), ['newService', 'newDest', 'newDest']],
    ['a service removed', (c) => ({ ...c, services: c.services.filter((s) => s.name !== 'range') }), ['delService', 'delService']],
    ['a service added', (c) => ({ ...c, services: [...c.services, config({ vip: '192.0.2.1', services: [service('dns', { protocol: 'udp', ports: [53], backends: [{ address: '10.0.3.1', port: 53 }] })] }).services[0]] }), ['newService', 'newDest']],
    ['a rename (same identity, other name)', (c) => edit(c, 'dns', (s) => (s.name = 'resolver')), []],
    // Found by its new name: what the commit drops is the identity the rename kept.
    ['the renamed service moves its port', (c) => edit(c, 'resolver', (s) => (s.ports = [5353])), ['delService', 'newService', 'newDest']],
    ['the renamed service removed', (c) => ({ ...c, services: c.services.filter((s) => s.name !== 'resolver') }), ['delService']],
  ];
  for (const [what, change, ops] of steps) {
    cfg = change(cfg);
    const result = await engine.commit(cfg);
    assert.equal(result.ok, true, what);
    assert.deepEqual(result.applied.map((op) => op.op), ops, what);
    assert.deepEqual(engine.plan(cfg).steps, [], `${what}: a whole plan finds nothing left to do`);
    const fresh = await started();
    assert.equal((await fresh.engine.commit(cfg)).ok, true);
    assert.equal(await snapshot(dp), await snapshot(fresh.dp), `${what}: the kernel equals a whole commit's`);
  }
  // The base it patched is what a whole compile gives: a verdict planned from it sends what a fresh engine's would.
  const fresh = await started();
  assert.equal((await fresh.engine.commit(cfg)).ok, true);
  const down = new Map([[backendRef('api', '10.0.2.3', 80), { state: 'down' as const }]]);
  const verdict = await engine.setVerdicts(down);
  const expected = await fresh.engine.setVerdicts(down);
  assert.deepEqual(verdict!.applied.map((op) => op.op), ['setDest']);
  assert.deepEqual(verdict!.applied, expected!.applied);
  assert.deepEqual(engine.plan(cfg).steps, []);
});

test('an identity an unchanged service declares: the whole compile refuses it, naming both services', async () => {
  const { engine } = await started();
  const cfg = config({ vip: '192.0.2.1', services: [web(), service('api', { ports: [8443], backends: [{ address: '10.0.2.1', port: 80 }] })] });
  assert.equal((await engine.commit(cfg)).ok, true);
  const clash = edit(cfg, 'api', (s) => {
    s.vip = '10.0.0.10';
    s.ports = [80];
  });
  assert.throws(() => compile(clash), { message: 'service api: tcp 10.0.0.10:80 is also declared by service web' });
  await assert.rejects(engine.commit(clash), { name: 'CompileError', message: 'service api: tcp 10.0.0.10:80 is also declared by service web' });
  // Two changed services declaring one identity between them: the same words.
  const both = edit(edit(cfg, 'api', (s) => (s.ports = [9000])), 'web', (s) => {
    s.vip = '192.0.2.1';
    s.ports = [9000];
  });
  await assert.rejects(engine.commit(both), { name: 'CompileError', message: 'service api: tcp 192.0.2.1:9000 is also declared by service web' });
  assert.deepEqual(engine.plan(cfg).steps, [], 'nothing was sent');
});

test('a service added beyond daemon.limits.max_services: the whole compile counts and refuses', async () => {
  const { engine } = await started();
  const cfg = config({ vip: '192.0.2.1', daemon: { limits: { max_services: 2 } }, services: [web(), service('api', { ports: [8443] })] });
  assert.equal((await engine.commit(cfg)).ok, true);
  const more = { ...cfg, services: [...cfg.services, config({ services: [service('three', { vip: '192.0.2.3' })] }).services[0]] };
  await assert.rejects(engine.commit(more), {
    name: 'CompileError',
    message: 'the configuration expands to 3 IPVS services (each port of a range counts as one); daemon.limits.max_services is 2',
  });
});

test('a changed service whose identity a foreign service holds: refused before anything is sent, as the whole plan does', async () => {
  const { dp, engine } = await started();
  const cfg = config({ vip: '192.0.2.1', services: [web(), service('api', { ports: [8443], backends: [{ address: '10.0.2.1', port: 80 }] })] });
  assert.equal((await engine.commit(cfg)).ok, true);
  const foreign: IpvsService = { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.1', port: 9443 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
  await dp.apply([{ op: 'newService', service: foreign }, { op: 'newDest', key: foreign.key, dest: { addr: '10.9.9.9', port: 80, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 } }]);
  await engine.refresh();
  const sent = dp.messagesSent();
  const result = await engine.commit(edit(cfg, 'api', (s) => (s.ports = [9443])));
  assert.equal(result.ok, false);
  assert.equal(result.refused, "service tcp 192.0.2.1:9443 exists and is not lbctl's (declared by service api): refusing to take it over; remove it from the configuration, delete it from the kernel, or adopt it with `lbctl apply --adopt`");
  assert.equal(dp.messagesSent(), sent, 'nothing sent');
  assert.deepEqual(result.plan.foreign, ['tcp 192.0.2.1:9443']);
});

test('after a read of the kernel (an in-process host reads before each commit), the next commit plans everything and heals drift', async () => {
  const { dp, engine } = await started();
  const cfg = config({ vip: '192.0.2.1', services: [web(), service('api', { ports: [8443], backends: [{ address: '10.0.2.1', port: 80 }] })] });
  assert.equal((await engine.commit(cfg)).ok, true);
  await dp.apply([{ op: 'delService', key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.1', port: 8443 } }]); // by hand
  await engine.refresh();
  const healed = await engine.commit(edit(cfg, 'web', (s) => (s.backends[0].weight = 9)));
  assert.deepEqual(healed.applied.map((op) => op.op).sort(), ['newDest', 'newService', 'setDest']);
  // Converged again: the next one-weight commit is planned from the change alone.
  const next = await engine.commit(edit(cfg, 'web', (s) => (s.backends[0].weight = 8)));
  assert.deepEqual([...next.plan.desired.services.keys()], ['tcp 10.0.0.10:80']);
});

test('rehearseCommit: the plan of the change alone, nothing sent, counted or patched; the real commit then plans the same', async () => {
  const { dp, engine } = await started();
  const cfg = bigConfig(100, 4);
  assert.equal(engine.rehearseCommit(cfg), null, 'nothing converged yet: a commit would plan the whole configuration');
  assert.equal((await engine.commit(cfg)).ok, true);
  const next = edit(cfg, 'svc42', (s) => (s.backends[1].weight = 9));
  const kernelBefore = await snapshot(dp);
  const sent = dp.messagesSent();
  const plans = engine.metrics.plans;
  const rehearsed = engine.rehearseCommit(next);
  assert.ok(rehearsed);
  assert.deepEqual(rehearsed.steps.map((s) => s.op.op), ['setDest']);
  assert.equal(dp.messagesSent(), sent, 'nothing sent');
  assert.equal(engine.metrics.plans, plans, 'not counted as a plan');
  assert.equal(await snapshot(dp), kernelBefore, 'the kernel unchanged');
  const beforeCommit = dp.messagesSent();
  // Rehearsing did not patch what running converged to: the real commit still sees the change and sends it.
  const result = await engine.commit(next);
  assert.equal(result.ok, true);
  assert.deepEqual(result.applied.map((op) => op.op), ['setDest']);
  assert.equal(dp.messagesSent() - beforeCommit, 1);
  assert.deepEqual(engine.rehearseCommit(next)?.steps, [], 'committed: nothing left to plan');
  assert.equal(engine.rehearseCommit({ ...next, vip: '192.0.2.77' }), null, 'another section changed: the whole configuration');
});
