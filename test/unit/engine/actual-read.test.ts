// A full read fed into the actual-state cache service by service (ActualState.startRead, what a drift check does):
// the cache ends up saying exactly what a fresh cache of the same read says, and keeps the objects of what did not
// change, so that a drift check that finds no drift at 10,000 services keeps nothing new. The engine's drift check
// reads that way and never asks the dataplane for the whole table at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, IPPROTO_UDP, type IpvsDest, type IpvsTableEntry, type ServiceKey } from '../../../netlink/dataplane.js';
import { MemoryDataplane, zeroStats } from '../../../netlink/memory.js';
import { ActualState } from '../../../engine/actual.js';
import { Engine } from '../../../engine/engine.js';
import { config, web, withStateDir } from './helpers.js';

const key = (port: number, protocol = IPPROTO_TCP): ServiceKey => ({ af: AF_INET, protocol, addr: '192.0.2.10', port });
const dest = (n: number, weight = 1): IpvsDest => ({ addr: `198.51.100.${n}`, port: 8080, fwdMethod: FWD_MASQ, weight, uThresh: 0, lThresh: 0 });
const entry = (k: ServiceKey, dests: IpvsDest[], scheduler = 'wrr'): IpvsTableEntry => ({
  // As a read gives them: counters on everything.
  service: { key: k, scheduler, flags: 0, timeout: 0, netmask: 0xffffffff, stats: zeroStats() },
  dests: dests.map((d) => ({ ...d, activeConns: 3, inactConns: 1, persistConns: 0, stats: zeroStats() })),
});

function readInto(actual: ActualState, table: IpvsTableEntry[]): void {
  const read = actual.startRead();
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
