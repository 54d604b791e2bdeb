// A full read fed into the actual-state cache service by service (ActualState.startRead, what a drift check does):
// the cache ends up saying exactly what a fresh cache of the same read says, and keeps the objects of what did not
// change, so that a drift check that finds no drift at 10,000 services keeps nothing new. The engine's drift check
// reads that way and never asks the dataplane for the whole table at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, IPPROTO_UDP, type IpvsDest, type IpvsTableEntry, type ServiceKey } from '../../../netlink/dataplane.js';
import { MemoryDataplane, zeroStats } from '../../../netlink/memory.js';
import { ActualState, type SharedObjects } from '../../../engine/actual.js';
import { Engine } from '../../../engine/engine.js';
import { freezeConfig } from '../../../store/store.js';
import { config, web, withStateDir } from './helpers.js';

const key = (port: number, protocol = IPPROTO_TCP): ServiceKey => ({ af: AF_INET, protocol, addr: '192.0.2.10', port });
const dest = (n: number, weight = 1): IpvsDest => ({ addr: `198.51.100.${n}`, port: 8080, fwdMethod: FWD_MASQ, weight, uThresh: 0, lThresh: 0 });
const entry = (k: ServiceKey, dests: IpvsDest[], scheduler = 'wrr'): IpvsTableEntry => ({
  // As a read gives them: counters on everything.
  service: { key: k, scheduler, flags: 0, timeout: 0, netmask: 0xffffffff, stats: zeroStats() },
  dests: dests.map((d) => ({ ...d, activeConns: 3, inactConns: 1, persistConns: 0, stats: zeroStats() })),
});

function readInto(actual: ActualState, table: IpvsTableEntry[], shared?: SharedObjects): void {
  const read = actual.startRead(shared);
  for (const e of table) read.put(e.service, e.dests);
  read.finish();
}

test('a read put service by service leaves the cache as a fresh one, keeping the objects of what did not change', () => {
  const before = [entry(key(80), [dest(1), dest(2), dest(3)]), entry(key(81), [dest(4)]), entry(key(53, IPPROTO_UDP), [dest(5)])];
  const actual = ActualState.fromTable(before);
  const owned = new Set<string>();
  const foreignBefore = actual.foreignIds(owned);
  const web80 = actual.services.get('tcp 192.0.2.10:80')!;
  const dests80 = new Map(web80.dests);
  const svc81 = actual.services.get('tcp 192.0.2.10:81')!.service;

  // The same table read again: nothing replaced, and the set of ids (foreignIds, remembered per membership) stands.
  readInto(actual, before);
  assert.equal(actual.services.get('tcp 192.0.2.10:80'), web80);
  for (const [id, d] of dests80) assert.equal(web80.dests.get(id), d, `destination ${id} kept`);
  assert.equal(actual.foreignIds(owned), foreignBefore, 'no service came or went: the remembered ids stand');

  // Drift: a weight, a destination gone, one added, a scheduler, a service gone, one new.
  const after = [
    entry(key(80), [dest(1), dest(2, 7), dest(9)]),
    entry(key(81), [dest(4)], 'rr'),
    entry(key(82), [dest(6)]),
  ];
  readInto(actual, after);
  assert.deepEqual(actual.toTable(), ActualState.fromTable(after).toTable(), 'the cache says what a fresh read of it says');
  assert.equal(web80.dests.get([...dests80.keys()][0]), dests80.get([...dests80.keys()][0]), 'the unchanged destination kept its object');
  assert.notEqual(actual.services.get('tcp 192.0.2.10:81')!.service, svc81, 'a changed service is a new copy');
  assert.equal(actual.get('udp 192.0.2.10:53'), undefined, 'a service gone from the read is gone');
  assert.deepEqual(actual.foreignIds(owned), ['tcp 192.0.2.10:80', 'tcp 192.0.2.10:81', 'tcp 192.0.2.10:82'], 'the ids follow the read');
  for (const e of actual.toTable()) {
    assert.equal('stats' in e.service, false, 'no counters kept');
    for (const d of e.dests) assert.equal('activeConns' in d, false, 'no connection counts kept');
  }
});

/** The in-memory IPVS, refusing a whole-table read: a drift check must read one service at a time. */
class NoWholeReads extends MemoryDataplane {
  wholeReads = 0;
  override async readAll(): Promise<IpvsTableEntry[]> {
    this.wholeReads++;
    return super.readAll();
  }
}

test('a drift check reads one service at a time (never the whole table at once) and heals what changed by hand', async () => {
  await withStateDir(async (stateDir) => {
    const dp = new NoWholeReads();
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    await engine.commit(config({ services: [web()] }));
    const k = (await dp.listServices())[0].key;
    const [first] = await dp.listDests(k);
    await dp.apply([{ op: 'setDest', key: k, dest: { ...first, weight: first.weight + 5 } }]); // a hand ipvsadm -e
    const wholeBefore = dp.wholeReads;
    const result = await engine.reconcile();
    assert.equal(dp.wholeReads, wholeBefore, 'the drift check did not read the whole table at once');
    assert.equal(result?.applied.length, 1, 'one message heals the weight');
    assert.equal((await dp.listDests(k)).find((d) => d.addr === first.addr)!.weight, first.weight);
  });
});

test('a read keeps the desired objects where the kernel holds what lbctl asked, and never changes them', () => {
  // The engine's converged state, as compile makes it: no tunnel fields for NAT (a read reports them as 0).
  const wanted = { service: { key: key(80), scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff }, dests: new Map<string, { dest: IpvsDest }>() };
  for (const n of [1, 2]) wanted.dests.set(`198.51.100.${n}:8080`, { dest: dest(n, 5) });
  const shared = (id: string) => (id === 'tcp 192.0.2.10:80' ? wanted : undefined);
  const asRead = (d: IpvsDest): IpvsDest => ({ ...d, tunType: 0, tunPort: 0, tunFlags: 0 });
  const first = [entry(key(80), [asRead(dest(1, 5)), asRead(dest(2, 9))]), entry(key(81), [dest(4)])];

  const actual = new ActualState().reset(first, shared);
  const web80 = actual.get('tcp 192.0.2.10:80')!;
  assert.equal(web80.service, wanted.service, 'the service as asked: the desired object');
  assert.equal(web80.dests.get('198.51.100.1:8080'), wanted.dests.get('198.51.100.1:8080')!.dest, 'the destination as asked: the desired object');
  assert.notEqual(web80.dests.get('198.51.100.2:8080'), wanted.dests.get('198.51.100.2:8080')!.dest, 'a different weight: a copy');
  assert.equal(web80.dests.get('198.51.100.2:8080')!.weight, 9, 'the copy says what the kernel has');

  // A cache that holds copies takes the desired objects at the next read (the first read after a restart does).
  const plain = ActualState.fromTable(first);
  readInto(plain, first, shared);
  assert.equal(plain.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.1:8080'), wanted.dests.get('198.51.100.1:8080')!.dest);

  // Drift by hand, read and applied: the cache says so with new objects; the desired ones are as compile made them.
  readInto(actual, [entry(key(80), [asRead(dest(1, 7)), asRead(dest(2, 9))], 'rr'), entry(key(81), [dest(4)])], shared);
  assert.equal(actual.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.1:8080')!.weight, 7);
  assert.equal(actual.get('tcp 192.0.2.10:80')!.service.scheduler, 'rr');
  actual.applyOp({ op: 'setDest', key: key(80), dest: { ...dest(1, 3), activeConns: 1 } });
  assert.equal(actual.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.1:8080')!.weight, 3);
  assert.equal('activeConns' in actual.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.1:8080')!, false, 'an op with counters: its settable fields');
  assert.deepEqual(wanted.dests.get('198.51.100.1:8080')!.dest, dest(1, 5), 'the desired destination unchanged');
  assert.equal(wanted.service.scheduler, 'wrr', 'the desired service unchanged');

  // An op of a plan (settable fields only) is kept as it is: it is the desired state's own object.
  const planned = dest(1, 5);
  actual.applyOp({ op: 'setDest', key: key(80), dest: planned });
  assert.equal(actual.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.1:8080'), planned);
  // And a later read of the same thing keeps it: absent tunnel fields are the 0 the kernel reports.
  const kept = actual.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.2:8080');
  readInto(actual, [entry(key(80), [asRead(dest(1, 5)), asRead(dest(2, 9))], 'rr'), entry(key(81), [dest(4)])]);
  assert.equal(actual.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.1:8080'), planned, 'kept without a lookup too');
  assert.equal(actual.get('tcp 192.0.2.10:80')!.dests.get('198.51.100.2:8080'), kept);
});

test('after a drift check the engine cache and its converged state share their destination objects', async () => {
  await withStateDir(async (stateDir) => {
    const dp = new MemoryDataplane();
    const programmed = new Engine({ dataplane: dp, stateDir });
    await programmed.start();
    await programmed.commit(config({ services: [web()] }));
    // A restart: the start's read fills the cache with copies, the commit finds nothing to do, and the drift
    // check's read takes the converged objects. (Frozen, as the store's revisions are: each plan of it is the
    // compile memo's one compiled state.)
    const engine = new Engine({ dataplane: dp, stateDir });
    await engine.start();
    const nothing = await engine.commit(freezeConfig(config({ services: [web()] })));
    assert.equal(nothing.applied.length, 0);
    await engine.reconcile();
    const converged = engine['lastDesired']!;
    const cache = engine['actual'];
    let shared = 0;
    for (const [id, want] of converged.services)
      for (const [did, d] of want.dests) if (cache.get(id)?.dests.get(did) === d.dest) shared++;
    const total = [...converged.services.values()].reduce((n, s) => n + s.dests.size, 0);
    assert.ok(total > 0);
    assert.equal(shared, total, 'every destination of the converged state is the cache’s own object');
    // A hand change is healed and leaves the converged objects as they were.
    const k = (await dp.listServices())[0].key;
    const [first] = await dp.listDests(k);
    const before = structuredClone([...converged.services.values()].map((s) => [...s.dests.values()].map((d) => d.dest)));
    await dp.apply([{ op: 'setDest', key: k, dest: { ...first, weight: first.weight + 5 } }]);
    const healed = await engine.reconcile();
    assert.equal(healed?.applied.length, 1);
    assert.deepEqual([...converged.services.values()].map((s) => [...s.dests.values()].map((d) => d.dest)), before);
    // The heal's SET carried the desired object itself (the kernel spells the address alike): the cache keeps it.
    const now = engine['lastDesired']!;
    for (const [id, want] of now.services) for (const [did, d] of want.dests) assert.equal(engine['actual'].get(id)?.dests.get(did), d.dest, `${id} ${did}`);
  });
});
