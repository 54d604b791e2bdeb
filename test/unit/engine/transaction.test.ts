// The transactional commit: a failure at any operation leaves the kernel exactly as it was; concurrent hand
// edits (EEXIST/ESRCH/ENOENT) are re-read and resolved instead of failing the commit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsService } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { Engine } from '../../../engine/engine.js';
import type { Config, Scheduler } from '../../../config/model.js';
import { config, FaultyDataplane, service, snapshot, web } from './helpers.js';

const foreign: IpvsService = { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '172.17.0.2', port: 5000 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };

/** Before: web (2 backends), api (1), gone (1), plus a foreign service. After: every kind of op. */
function before(): Config {
  return config({
    services: [
      web(),
      service('api', { vip: '10.0.0.11', backends: [{ address: '10.0.2.1', port: 80, weight: 1 }] }),
      service('gone', { vip: '10.0.0.12', backends: [{ address: '10.0.3.1', port: 80, weight: 1 }] }),
    ],
  });
}
function after(): Config {
  return config({
    services: [
      // setService + delDest + setDest + newDest
      web({ scheduler: 'lc', backends: [{ address: '10.0.1.2', port: 8080, weight: 7 }, { address: '10.0.1.3', port: 8080, weight: 1 }] }),
      service('api', { vip: '10.0.0.11', backends: [{ address: '10.0.2.1', port: 80, weight: 1 }] }),
      // newService + newDests
      service('fresh', { vip: '10.0.0.13', backends: [{ address: '10.0.4.1', port: 80, weight: 1 }, { address: '10.0.4.2', port: 80, weight: 1 }] }),
    ],
    // `gone` is dropped: delService
  });
}

async function setup() {
  const inner = new MemoryDataplane();
  const dp = new FaultyDataplane(inner);
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  assert.ok((await engine.commit(before())).ok);
  await inner.apply([{ op: 'newService', service: foreign }, { op: 'newDest', key: foreign.key, dest: { addr: '172.17.0.9', port: 5000, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 } }]);
  await engine.reconcile();
  return { inner, dp, engine };
}

test('a failure injected at op k of n, for every k, leaves the table exactly as before and running unchanged', async () => {
  const probe = await setup();
  const n = probe.engine.plan(after()).steps.length;
  assert.ok(n >= 7, `the change exercises every kind of op (got ${n})`);
  for (let k = 0; k < n; k++) {
    const { inner, dp, engine } = await setup();
    const runningBefore = engine.runningConfig();
    const table = await snapshot(inner);
    const start = dp.opsSeen;
    dp.shouldFail = (i) => i === start + k;
    const result = await engine.commit(after());
    assert.equal(result.ok, false, `k=${k}`);
    assert.equal(result.rolledBack, true);
    assert.deepEqual(result.undoFailures, []);
    assert.equal(result.failed?.code, 'ENOMEM');
    assert.equal(result.failed?.op, result.plan.steps[k].op, `the failing op is reported (k=${k})`);
    assert.deepEqual(result.applied, []);
    assert.equal(await snapshot(inner), table, `table restored after a failure at op ${k + 1} of ${n}`);
    assert.equal(engine.runningConfig(), runningBefore);
    // The cache agrees with the kernel: planning the old config again sends nothing.
    assert.deepEqual(engine.plan(before()).steps, [], `cache consistent after undo (k=${k})`);
  }
});

test('a scheduler the kernel lacks fails with ENOENT and the kernel reason; nothing stays applied', async () => {
  const { inner, engine } = await setup();
  const table = await snapshot(inner);
  const cfg = after();
  cfg.services[2].scheduler = 'nosuch' as Scheduler;
  const result = await engine.commit(cfg);
  assert.equal(result.ok, false);
  assert.equal(result.failed?.code, 'ENOENT');
  assert.match(result.failed!.text, /newService tcp 10\.0\.0\.13:80/);
  assert.equal(await snapshot(inner), table);
});

test('the dataplane dying mid-batch (unknown outcome): full re-read and restore from the snapshot', async () => {
  const { inner, dp, engine } = await setup();
  const table = await snapshot(inner);
  dp.throwOnApply = dp.applyCalls + 1;
  const result = await engine.commit(after());
  assert.equal(result.ok, false);
  assert.match(result.dataplaneError!, /no answer/);
  assert.equal(result.restored, true);
  assert.equal(await snapshot(inner), table);
  assert.deepEqual(engine.plan(before()).steps, []);
});

test('a service created by hand meanwhile (EEXIST) is re-read and adjusted, not a failed commit', async () => {
  const { inner, engine } = await setup();
  const p = engine.plan(after());
  assert.ok(p.steps.some((s) => s.op.op === 'newService' && s.serviceId === 'tcp 10.0.0.13:80'));
  // Someone runs ipvsadm -A -t 10.0.0.13:80 -s rr, with one of the dests, after lbctl's last read.
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.13', port: 80 } as const;
  await inner.apply([{ op: 'newService', service: { key, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } }, { op: 'newDest', key, dest: { addr: '10.0.4.1', port: 80, fwdMethod: FWD_MASQ, weight: 99, uThresh: 0, lThresh: 0 } }]);
  const result = await engine.commit(after());
  assert.equal(result.ok, true, result.failed?.message);
  assert.ok(result.racesResolved >= 1);
  assert.ok(result.rounds >= 2);
  const fresh = (await inner.readAll()).find((e) => 'addr' in e.service.key && e.service.key.addr === '10.0.0.13')!;
  assert.equal(fresh.service.scheduler, 'wrr', 'the configured scheduler wins');
  assert.deepEqual(fresh.dests.map((d) => `${d.addr}:${d.weight}`).sort(), ['10.0.4.1:1', '10.0.4.2:1']);
  const check = new Engine({ dataplane: inner, stateDir: null });
  await check.start();
  assert.deepEqual(check.plan(after(), {}, { adopt: true }).steps, [], 'kernel equals desired');
});

test('a service deleted by hand meanwhile (ESRCH on SET) is re-created; one already gone needs no delete', async () => {
  const { inner, engine } = await setup();
  const webKey = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 } as const;
  const goneKey = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.12', port: 80 } as const;
  await inner.apply([{ op: 'delService', key: webKey }, { op: 'delService', key: goneKey }]);
  const result = await engine.commit(after());
  assert.equal(result.ok, true, result.failed?.message);
  assert.ok(result.racesResolved >= 2);
  const check = new Engine({ dataplane: inner, stateDir: null });
  await check.start();
  assert.deepEqual(check.plan(after(), {}, { adopt: true }).steps, []);
});

test('a destination removed by hand meanwhile (ENOENT on SET) is added back', async () => {
  const { inner, engine } = await setup();
  const webKey = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 } as const;
  await inner.apply([{ op: 'delDest', key: webKey, dest: { addr: '10.0.1.2', port: 8080 } }]);
  const result = await engine.commit(after());
  assert.equal(result.ok, true, result.failed?.message);
  const webEntry = (await inner.readAll()).find((e) => 'addr' in e.service.key && e.service.key.addr === '10.0.0.10')!;
  assert.deepEqual(webEntry.dests.map((d) => `${d.addr}:${d.weight}`).sort(), ['10.0.1.2:7', '10.0.1.3:1']);
});

test('a failed apply becomes a plain JSON record for the audit trail, naming the op and the kernel reason', async () => {
  const { applyRecord } = await import('../../../engine/result.js');
  const { engine } = await setup();
  const cfg = after();
  cfg.services[2].scheduler = 'nosuch' as Scheduler;
  const record = applyRecord(await engine.commit(cfg));
  const json = JSON.parse(JSON.stringify(record));
  assert.equal(json.ok, false);
  assert.equal(json.rolledBack, true);
  assert.deepEqual(json.applied, []);
  assert.equal(json.failed.code, 'ENOENT');
  assert.match(json.failed.message, /newService tcp 10\.0\.0\.13:80.*ENOENT.*scheduler or persistence engine/);
  assert.ok(json.plan.includes('+ service tcp 10.0.0.13:80 nosuch  (fresh)'));
});
