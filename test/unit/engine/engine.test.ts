// The Engine as the shell and daemon host it: commit, status, ownership, disable, drift healing, the
// event path (one backend's verdict = one netlink op, no dump), and the retry loop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, IPPROTO_UDP, type IpvsService } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { Engine } from '../../../engine/engine.js';
import { backendRef } from '../../../engine/inputs.js';
import { Backoff } from '../../../engine/backoff.js';
import { OWNERSHIP_FILE } from '../../../engine/ownership.js';
import { bigConfig, config, FaultyDataplane, service, snapshot, web } from './helpers.js';

const dockerSvc: IpvsService = { key: { af: AF_INET, protocol: IPPROTO_UDP, addr: '172.17.0.1', port: 53 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
const dockerDest = { addr: '172.17.0.5', port: 53, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 };

async function withForeign(): Promise<MemoryDataplane> {
  const dp = new MemoryDataplane();
  await dp.apply([{ op: 'newService', service: dockerSvc }, { op: 'newDest', key: dockerSvc.key, dest: dockerDest }]);
  return dp;
}

async function foreignIntact(dp: MemoryDataplane) {
  const entry = (await dp.readAll()).find((e) => 'addr' in e.service.key && e.service.key.addr === '172.17.0.1');
  assert.ok(entry, 'the foreign service is still there');
  assert.deepEqual(entry.dests.map((d) => `${d.addr}:${d.port} w${d.weight}`), ['172.17.0.5:53 w1']);
}

test('commit applies the configuration; planning it again is empty; status is in sync and lists the foreign service', async () => {
  const dp = await withForeign();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  const cfg = config({ services: [web(), service('api', { vip: '10.0.0.11', backends: [] })] });
  const result = await engine.commit(cfg);
  assert.equal(result.ok, true);
  assert.equal(result.applied.length, 4);
  assert.deepEqual(result.plan.foreign, ['udp 172.17.0.1:53']);
  assert.equal(engine.runningConfig(), cfg);
  assert.deepEqual(engine.plan(cfg).steps, []);
  const st = engine.status();
  assert.equal(st.inSync, true);
  assert.deepEqual(st.services.map((s) => `${s.name} ${s.id} ${s.state}`), ['web tcp 10.0.0.10:80 in-sync', 'api tcp 10.0.0.11:80 in-sync']);
  assert.deepEqual(st.foreign, [{ id: 'udp 172.17.0.1:53', dests: 1 }]);
  await foreignIntact(dp);
});

test('status shows what differs after a hand edit, and the fix it would apply', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'lbctl-engine-st-'));
  const dp = new MemoryDataplane();
  const engine = new Engine({ dataplane: dp, stateDir });
  await engine.start();
  const cfg = config({ services: [web()] });
  await engine.commit(cfg);
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 } as const;
  await dp.apply([{ op: 'setDest', key, dest: { addr: '10.0.1.1', port: 8080, fwdMethod: FWD_MASQ, weight: 3, uThresh: 0, lThresh: 0 } }]);
  // A later process with the same state directory (the ownership record says the service is lbctl's).
  const fresh = new Engine({ dataplane: dp, stateDir });
  await fresh.start();
  const st = fresh.status(cfg);
  await rm(stateDir, { recursive: true, force: true });
  assert.equal(st.inSync, false);
  assert.equal(st.services[0].state, 'differs');
  assert.deepEqual(st.services[0].differences, ['  service tcp 10.0.0.10:80  (web)', '    ~ dest 10.0.1.1:8080 weight 3→100']);
});

test('ownership is recorded in the state dir: a service dropped from the configuration is removed by a later process', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'lbctl-engine-'));
  try {
    const dp = await withForeign();
    const first = new Engine({ dataplane: dp, stateDir });
    await first.start();
    await first.commit(config({ services: [web(), service('old', { vip: '10.0.0.20', backends: [] })] }));
    const record = JSON.parse(await readFile(join(stateDir, OWNERSHIP_FILE), 'utf8'));
    assert.deepEqual(record.services.map((s: { id: string }) => s.id), ['tcp 10.0.0.10:80', 'tcp 10.0.0.20:80']);

    const second = new Engine({ dataplane: dp, stateDir });
    await second.start();
    const p = second.plan(config({ services: [web()] }));
    assert.deepEqual(p.steps.map((s) => `${s.op.op} ${s.serviceId}`), ['delService tcp 10.0.0.20:80']);
    assert.deepEqual(p.foreign, ['udp 172.17.0.1:53']);
    assert.equal((await second.commit(config({ services: [web()] }))).ok, true);
    await foreignIntact(dp);

    // Without the record the same service would be someone else's: left alone.
    const dp2 = await withForeign();
    await dp2.apply([{ op: 'newService', service: { ...dockerSvc, key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.20', port: 80 } } }]);
    const blank = new Engine({ dataplane: dp2, stateDir: null });
    await blank.start();
    assert.deepEqual(blank.plan(config({ services: [web()] })).foreign, ['tcp 10.0.0.20:80', 'udp 172.17.0.1:53']);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});

test('disable removes everything lbctl owns and nothing else; sync and reconcile then program nothing', async () => {
  const dp = await withForeign();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  await engine.commit(config({ services: [web(), service('api', { vip: '10.0.0.11', backends: [] })] }));
  const result = await engine.disable();
  assert.equal(result.ok, true);
  assert.deepEqual(result.applied.map((op) => op.op), ['delService', 'delService']);
  assert.equal((await dp.readAll()).length, 1);
  await foreignIntact(dp);
  assert.equal(await engine.reconcile(), null);
  assert.equal((await dp.readAll()).length, 1);
});

test('drift healing: a service deleted by hand comes back, a changed weight is restored, the foreign one stays', async () => {
  const dp = await withForeign();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  const cfg = config({ services: [web(), service('api', { vip: '10.0.0.11', backends: [{ address: '10.0.2.1', port: 80, weight: 1 }] })] });
  await engine.commit(cfg);
  const good = await snapshot(dp);
  const web80 = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 } as const;
  const api80 = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.11', port: 80 } as const;
  await dp.apply([
    { op: 'delService', key: api80 },
    { op: 'setDest', key: web80, dest: { addr: '10.0.1.1', port: 8080, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 } },
    { op: 'setService', service: { ...dockerSvc, scheduler: 'lc' } },
  ]);
  // The cache does not know: a sync from it sends nothing.
  const blind = await engine.sync();
  assert.equal(blind?.plan.steps.length, 0);
  const healed = await engine.reconcile();
  assert.equal(healed?.ok, true);
  assert.deepEqual(healed!.plan.steps.map((s) => s.op.op).sort(), ['newDest', 'newService', 'setDest']);
  assert.equal(engine.metrics.driftRepairs, 3);
  const now = await snapshot(dp);
  const withoutDocker = (s: string) => s.split('\n').filter((l) => !l.includes('172.17.')).join('\n');
  assert.equal(withoutDocker(now), withoutDocker(good));
  const docker = (await dp.readAll()).find((e) => 'addr' in e.service.key && e.service.key.addr === '172.17.0.1')!;
  assert.equal(docker.service.scheduler, 'lc', "the foreign service's hand edit is not 'healed'");
});

test('a backend verdict in 10,000 services × 4 backends sends exactly one netlink op and no dump', async () => {
  const dp = new MemoryDataplane();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  const cfg = bigConfig(10_000, 4);
  const first = await engine.commit(cfg);
  assert.equal(first.ok, true);
  assert.equal(first.applied.length, 50_000);
  const reads = engine.metrics.fullReads;
  const before = dp.messagesSent();
  const result = await engine.setVerdicts(new Map([[backendRef('svc4321', '172.16.0.3', 8080), { state: 'down' }]]));
  assert.equal(dp.messagesSent() - before, 1, 'one message: the SET_DEST');
  assert.equal(result?.messagesSent, 1);
  assert.deepEqual(result!.applied.map((op) => op.op), ['setDest']);
  assert.equal(engine.metrics.fullReads, reads, 'no dump');
  const svc = (await dp.listDests({ af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.16.225', port: 80 })).find((d) => d.addr === '172.16.0.3');
  assert.equal(svc?.weight, 0);
});

test('HA role change with program master-only: Backup removes the services, Master puts them back', async () => {
  const dp = await withForeign();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  await engine.setVrrp(new Map([['vi1', 'master']]));
  await engine.commit(config({ ha: { source: 'keepalived', program: 'master-only', instances: [{ name: 'vi1', vrid: 10, interface: 'eth0', vips: ['10.0.0.10'] }] }, services: [web()] }));
  assert.equal((await dp.readAll()).length, 2);
  await engine.setVrrp(new Map([['vi1', 'backup']]));
  assert.equal((await dp.readAll()).length, 1);
  await foreignIntact(dp);
  await engine.setVrrp(new Map([['vi1', 'master']]));
  assert.equal((await dp.readAll()).length, 2);
});

test('backoff: delays double up to the cap with equal jitter, and reset after a success', () => {
  const b = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.5 });
  assert.deepEqual([b.fail(), b.fail(), b.fail(), b.fail(), b.fail(), b.fail()], [75, 150, 300, 600, 750, 750]);
  assert.equal(b.attempts, 6);
  b.succeed();
  assert.equal(b.fail(), 75);
  const lo = new Backoff({ baseMs: 100, random: () => 0 });
  const hi = new Backoff({ baseMs: 100, random: () => 0.999999 });
  assert.equal(lo.fail(), 50, 'never less than half the step');
  assert.equal(hi.fail(), 100);
});

test('the reconcile loop retries with growing delays while the kernel keeps failing, then returns to the interval', async () => {
  const inner = new MemoryDataplane();
  const dp = new FaultyDataplane(inner);
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const engine = new Engine({
    dataplane: dp,
    stateDir: null,
    backoff: { baseMs: 100, maxMs: 10_000, random: () => 0.5 },
    schedule: (fn, ms) => {
      timers.push({ fn, ms });
      return () => {};
    },
  });
  await engine.start();
  const cfg = config({ daemon: { reconcile_interval_ms: 5000 }, services: [web()] });
  assert.equal((await engine.commit(cfg)).ok, true);
  // Someone deletes the service; every attempt to re-create it fails for now.
  await inner.apply([{ op: 'delService', key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 } }]);
  dp.shouldFail = (_i, op) => op.op === 'newService';
  engine.startLoop();
  const run = async () => {
    const t = timers.shift()!;
    t.fn();
    // Let the tick's promise chain finish.
    for (let i = 0; i < 50 && timers.length === 0; i++) await new Promise((r) => setImmediate(r));
    return t.ms;
  };
  assert.equal(await run(), 5000, 'first check after the interval');
  const delays = [];
  for (let i = 0; i < 4; i++) delays.push(await run());
  assert.deepEqual(delays, [75, 150, 300, 600]);
  assert.equal(engine.metrics.retries, 5);
  assert.equal(engine.loopFailures(), 5);
  dp.shouldFail = () => false;
  await run();
  assert.equal(timers[0].ms, 5000, 'back to the interval after a success');
  assert.equal(engine.loopFailures(), 0);
  assert.equal((await inner.readAll()).length, 1, 'healed');
  engine.stopLoop();
});

test('the verdict event path (only the affected service re-planned) ends where a full plan would', async () => {
  const dp = new MemoryDataplane();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  const cfg = config({
    vip: '192.0.2.1',
    services: [
      service('range', { protocol: 'udp', ports: [{ from: 7000, to: 7003 }], on_down: 'remove', health: { type: 'udp_echo' }, backends: [{ address: '10.0.5.1', port: 0, weight: 4 }, { address: '10.0.5.2', port: 0, weight: 4 }] }),
      web(),
    ],
  });
  assert.equal((await engine.commit(cfg)).ok, true);
  const down = await engine.setVerdicts(new Map([[backendRef('range', '10.0.5.1', 0), { state: 'down' }]]));
  assert.deepEqual(down!.applied.map((op) => op.op), ['delDest', 'delDest', 'delDest', 'delDest'], 'removed from each port of the range');
  const slow = await engine.setVerdicts(new Map([
    [backendRef('range', '10.0.5.1', 0), { state: 'recovering', fraction: 0.5 }],
    [backendRef('web', '10.0.1.1', 8080), { state: 'down' }],
  ]));
  assert.deepEqual(slow!.applied.map((op) => op.op).sort(), ['newDest', 'newDest', 'newDest', 'newDest', 'setDest']);
  const weights = (await dp.listDests({ af: AF_INET, protocol: IPPROTO_UDP, addr: '192.0.2.1', port: 7002 })).map((d) => `${d.addr}=${d.weight}`).sort();
  assert.deepEqual(weights, ['10.0.5.1=2', '10.0.5.2=4']);
  assert.deepEqual(engine.plan(cfg).steps, [], 'the cache and a full compile agree with the kernel');
  const fresh = new Engine({ dataplane: dp, stateDir: null, inputs: { verdicts: engine.currentInputs().verdicts } });
  await fresh.start();
  // adopt: a fresh in-memory engine has no ownership record; adopting compares every declared service.
  assert.deepEqual(fresh.plan(cfg, {}, { adopt: true }).steps, [], 'the kernel equals a full plan from a fresh read');
});

test('write-ahead ownership: a service is recorded as lbctl\'s before the kernel is asked to create it', async () => {
  const stateDir = await mkdtemp(join(tmpdir(), 'lbctl-engine-wal-'));
  try {
    const inner = new MemoryDataplane();
    const seenDuringApply: string[][] = [];
    const dp = new FaultyDataplane(inner);
    const realApply = dp.apply.bind(dp);
    dp.apply = async (ops) => {
      const text = await readFile(join(stateDir, OWNERSHIP_FILE), 'utf8').catch(() => '{"services":[]}');
      seenDuringApply.push(JSON.parse(text).services.map((s: { id: string }) => s.id));
      return realApply(ops);
    };
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    // The process "dies" right after the kernel created the service: the record already names it.
    assert.equal((await engine.commit(config({ services: [web()] }))).ok, true);
    assert.deepEqual(seenDuringApply[0], ['tcp 10.0.0.10:80']);
  } finally {
    await rm(stateDir, { recursive: true, force: true });
  }
});
