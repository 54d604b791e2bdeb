// Ownership (DESIGN decision 6, "own what you create"): lbctl deletes or modifies a kernel service only when its
// ownership record says lbctl created (or explicitly adopted) it. Being declared by the configuration is not
// enough: a declared service whose identity is held by someone else's service is a clash, reported and left alone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsService } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { Engine } from '../../../engine/engine.js';
import { OWNERSHIP_FILE } from '../../../engine/ownership.js';
import { formatPlan } from '../../../present/plan.js';
import { config, service, snapshot, web, withStateDir } from './helpers.js';

/** A human's `ipvsadm -A -t 10.9.9.9:80 -s rr; ipvsadm -a -t 10.9.9.9:80 -r 10.9.9.10:80 -m`. */
const humanSvc: IpvsService = { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.9.9.9', port: 80 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
const humanDest = { addr: '10.9.9.10', port: 80, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 };
const HUMAN = 'tcp 10.9.9.9:80';

/** A service in the configuration with the human's identity. */
const later = (over: Parameters<typeof service>[1] = {}) =>
  service('later', { vip: '10.9.9.9', scheduler: 'wlc', backends: [{ address: '10.2.2.2', port: 80, weight: 5 }], ...over });

async function withHuman(): Promise<MemoryDataplane> {
  const dp = new MemoryDataplane();
  await dp.apply([{ op: 'newService', service: humanSvc }, { op: 'newDest', key: humanSvc.key, dest: humanDest }]);
  return dp;
}

async function humanIntact(dp: MemoryDataplane, why: string) {
  const entry = (await dp.readAll()).find((e) => 'addr' in e.service.key && e.service.key.addr === '10.9.9.9');
  assert.ok(entry, `${why}: the foreign service is still there`);
  assert.equal(entry.service.scheduler, 'rr', `${why}: its scheduler is untouched`);
  assert.deepEqual(entry.dests.map((d) => `${d.addr}:${d.port} w${d.weight}`), ['10.9.9.10:80 w1'], `${why}: its destinations are untouched`);
}

async function recorded(stateDir: string): Promise<string[]> {
  const text = await readFile(join(stateDir, OWNERSHIP_FILE), 'utf8').catch(() => '{"services":[]}');
  return JSON.parse(text).services.map((s: { id: string }) => s.id);
}


test('H1: a disabled declared service never deletes a foreign service with its identity (apply, disable, drift healing)', () =>
  withStateDir(async (stateDir) => {
    const dp = await withHuman();
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    const cfg = config({ services: [web(), later({ enabled: false })] });
    const p = engine.plan(cfg);
    assert.deepEqual(p.steps.filter((s) => s.serviceId === HUMAN), [], 'no operation on the foreign service');
    assert.deepEqual(p.foreign, [HUMAN]);
    assert.deepEqual(p.clashes!.map((c) => `${c.id} ${c.name} ${c.programmed}`), [`${HUMAN} later false`]);
    assert.match(formatPlan(p), /^! service tcp 10\.9\.9\.9:80 .*not lbctl's.*left alone/m);
    const result = await engine.commit(cfg);
    assert.equal(result.ok, true, 'a disabled service needs nothing from the identity: the commit goes through');
    assert.ok(!result.applied.some((op) => op.op === 'delService'), 'nothing deleted');
    await humanIntact(dp, 'after the commit');
    assert.deepEqual(await recorded(stateDir), ['tcp 10.0.0.10:80']);

    const st = engine.status();
    const row = st.services.find((s) => s.id === HUMAN)!;
    assert.equal(row.state, 'not-programmed');
    assert.match(row.reason ?? '', /not lbctl's/);
    assert.deepEqual(st.foreign.map((f) => f.id), [HUMAN]);

    assert.equal((await engine.reconcile())?.ok, true);
    await humanIntact(dp, 'after drift healing');
    const fresh = new Engine({ dataplane: dp, stateDir });
    await fresh.start();
    assert.deepEqual(fresh.planDisable(cfg).steps.map((s) => s.serviceId), ['tcp 10.0.0.10:80']);
    assert.equal((await fresh.disable(cfg)).ok, true);
    await humanIntact(dp, 'after disable');
    assert.equal((await dp.readAll()).length, 1, 'only the foreign service is left');
    assert.deepEqual(await recorded(stateDir), []);
  }));

test('H1: disable with a configuration that merely declares a foreign identity (never applied) leaves it alone', async () => {
  const dp = await withHuman();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  const p = engine.planDisable(config({ services: [later()] }));
  assert.deepEqual(p.steps, []);
  assert.equal((await engine.disable(config({ services: [later()] }))).ok, true);
  await humanIntact(dp, 'after disable');
});

test('H1: a Backup node with program master-only leaves the foreign service alone; as Master it reports the clash', async () => {
  const dp = await withHuman();
  const engine = new Engine({ dataplane: dp, stateDir: null, inputs: { vrrp: new Map([['vi1', 'backup']]) } });
  await engine.start();
  const instances = [{ name: 'vi1', vrid: 10, interface: 'eth0', vips: ['10.0.0.10', '10.9.9.9'] }];
  const cfg = config({ ha: { source: 'keepalived', program: 'master-only', instances }, services: [web(), later()] });
  const result = await engine.commit(cfg);
  assert.equal(result.ok, true);
  assert.deepEqual(result.applied, [], 'a Backup programs nothing and deletes nothing');
  await humanIntact(dp, 'backup commit');
  const master = await engine.setVrrp(new Map([['vi1', 'master']]));
  assert.equal(master?.ok, true, 'a role change does not fail over a clash: the rest is programmed');
  assert.deepEqual(master!.plan.clashes!.map((c) => `${c.id} ${c.programmed}`), [`${HUMAN} true`]);
  assert.equal((await dp.readAll()).length, 2, 'web programmed, the clash left alone');
  await humanIntact(dp, 'master sync');
  await engine.setVrrp(new Map([['vi1', 'backup']]));
  assert.equal((await dp.readAll()).length, 1, 'web removed again');
  await humanIntact(dp, 'back to backup');
});

test('a clash with an enabled declared service: the plan reports it, the commit is refused, nothing changes', () =>
  withStateDir(async (stateDir) => {
    const dp = await withHuman();
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    const before = await snapshot(dp);
    const cfg = config({ services: [web(), later()] });
    const p = engine.plan(cfg);
    assert.deepEqual(p.steps.filter((s) => s.serviceId === HUMAN), [], 'no operation on the foreign service');
    assert.match(formatPlan(p), /^! service tcp 10\.9\.9\.9:80 exists and is not lbctl's: left alone \(declared by service later; adopt with/m);
    const result = await engine.commit(cfg);
    assert.equal(result.ok, false);
    assert.deepEqual(result.applied, []);
    assert.equal(result.failed?.code, 'EEXIST');
    assert.match(result.failed?.message ?? '', /tcp 10\.9\.9\.9:80 exists and is not lbctl's/);
    assert.match(result.refused ?? '', /later/);
    assert.equal(await snapshot(dp), before, 'the kernel is unchanged: not even web was created');
    assert.equal(engine.runningConfig(), null, 'running is unchanged');
    assert.deepEqual(await recorded(stateDir), [], 'nothing recorded');
    const st = engine.status(cfg);
    const row = st.services.find((s) => s.id === HUMAN)!;
    assert.equal(row.state, 'differs');
    assert.match(row.reason ?? '', /not lbctl's/);
    assert.equal(st.inSync, false);
  }));

test('M1: adopt records the service; removing it from the configuration then deletes it; ownership tracks exactly', () =>
  withStateDir(async (stateDir) => {
    const dp = await withHuman();
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    // web first, so the adopt commit below has no newService/delService of its own.
    await engine.commit(config({ services: [web()] }));
    const cfg = config({ services: [web(), later()] });
    const adopted = await engine.commit(cfg, { adopt: true });
    assert.equal(adopted.ok, true);
    assert.deepEqual(adopted.adopted!.map((a) => a.id), [HUMAN]);
    assert.ok(!adopted.applied.some((op) => op.op === 'newService' || op.op === 'delService'));
    assert.deepEqual(await recorded(stateDir), [HUMAN, 'tcp 10.0.0.10:80'].sort(), 'the adopted service is recorded');
    const entry = (await dp.readAll()).find((e) => 'addr' in e.service.key && e.service.key.addr === '10.9.9.9')!;
    assert.equal(entry.service.scheduler, 'wlc');
    assert.deepEqual(entry.dests.map((d) => d.addr), ['10.2.2.2']);

    // A later process (fresh engine, same state dir) knows it is lbctl's now.
    const next = new Engine({ dataplane: dp, stateDir });
    await next.start();
    assert.deepEqual(next.plan(cfg).clashes, []);
    const removed = await next.commit(config({ services: [web()] }));
    assert.equal(removed.ok, true);
    assert.deepEqual(removed.applied.map((op) => op.op), ['delService']);
    assert.equal((await dp.readAll()).length, 1, 'lbctl\'s version does not stay behind as "foreign"');
    assert.deepEqual(await recorded(stateDir), ['tcp 10.0.0.10:80']);
  }));

test('undo of an adopting commit gives the service back as it was and drops it from the record', () =>
  withStateDir(async (stateDir) => {
    const dp = await withHuman();
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    const previous = config({ services: [web()] });
    await engine.commit(previous);
    const before = await snapshot(dp);
    const result = await engine.commit(config({ services: [web({ scheduler: 'lc' }), later()] }), { adopt: true });
    assert.equal(result.ok, true);
    const undo = await engine.revert(result, previous);
    assert.equal(undo.ok, true);
    assert.equal(await snapshot(dp), before, 'the kernel is exactly as before the commit');
    await humanIntact(dp, 'after undo');
    assert.deepEqual(await recorded(stateDir), ['tcp 10.0.0.10:80'], 'the given-back service is foreign again');
    assert.equal(engine.runningConfig(), previous);
    assert.deepEqual(engine.plan(previous).steps, []);
    assert.deepEqual(engine.plan(previous).foreign, [HUMAN]);
  }));

test('undo of a plain commit (revert) deletes what the commit created and the record follows', () =>
  withStateDir(async (stateDir) => {
    const dp = await withHuman();
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    const previous = config({ services: [web()] });
    await engine.commit(previous);
    const before = await snapshot(dp);
    const result = await engine.commit(config({ services: [web(), service('api', { vip: '10.0.0.11', backends: [] })] }));
    assert.deepEqual(await recorded(stateDir), ['tcp 10.0.0.10:80', 'tcp 10.0.0.11:80']);
    assert.equal((await engine.revert(result, previous)).ok, true);
    assert.equal(await snapshot(dp), before);
    assert.deepEqual(await recorded(stateDir), ['tcp 10.0.0.10:80']);
  }));

test('a recorded service deleted by hand and no longer configured leaves the record', () =>
  withStateDir(async (stateDir) => {
    const dp = new MemoryDataplane();
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    await engine.commit(config({ services: [web(), service('api', { vip: '10.0.0.11', backends: [] })] }));
    await dp.apply([{ op: 'delService', key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.11', port: 80 } }]);
    const fresh = new Engine({ dataplane: dp, stateDir });
    await fresh.start();
    assert.equal((await fresh.commit(config({ services: [web()] }))).ok, true);
    assert.deepEqual(await recorded(stateDir), ['tcp 10.0.0.10:80'], 'an identity lbctl no longer holds is not claimed');
  }));
