// Which reads decode the kernel's counters. A read that only compares or judges (the daemon's start, a drift
// check, a status, a plan, a commit's read, a drain's) leaves them out: at 10,000 × 4 they were an object and ten
// BigInts per entry, ~15 MiB of garbage and most of the decoding time of every drift check. A view reads them when
// it prints them (`show ipvs --stats`, `--rate`, `--json`) and not otherwise (`show ipvs`, `status`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readsCounters, type IpvsDest, type IpvsService, type IpvsTableEntry, type ReadOptions, type ServiceKey } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { Engine } from '../../../engine/engine.js';
import type { EngineHost } from '../../../engine/host.js';
import { ipvsView, statusView } from '../../../present/views.js';
import { config, web, webStore, withStateDir } from './helpers.js';

/** The in-memory IPVS, noting for each dump whether it was asked for counters. */
class CountedReads extends MemoryDataplane {
  reads: boolean[] = [];
  override async listServices(opts?: ReadOptions): Promise<IpvsService[]> {
    this.reads.push(readsCounters(opts));
    return super.listServices(opts);
  }
  override async listDests(key: ServiceKey, opts?: ReadOptions): Promise<IpvsDest[]> {
    this.reads.push(readsCounters(opts));
    return super.listDests(key, opts);
  }
  /** What the dumps since the last call asked: 'counters', 'plain', 'mixed' or 'none'. */
  take(): string {
    const r = this.reads;
    this.reads = [];
    if (r.length === 0) return 'none';
    return r.every((c) => c) ? 'counters' : r.every((c) => !c) ? 'plain' : 'mixed';
  }
}

function hasCounters(table: IpvsTableEntry[]): boolean {
  assert.ok(table.length > 0 && table.every((e) => e.dests.length > 0), 'a table with destinations');
  const withStats = table.flatMap((e) => [e.service, ...e.dests]).map((x) => x.stats !== undefined);
  assert.ok(withStats.every((w) => w === withStats[0]), 'all or none');
  return withStats[0];
}

test("an engine reads without counters unless a caller shows the table: start, drift check, commit's read, refresh", async () => {
  const dp = new CountedReads();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  assert.equal(await engine.start({ table: false }), null, 'a start nobody shows returns no table');
  assert.equal(dp.take(), 'plain', 'the start read');
  await engine.commit(config({ services: [web()] }));
  dp.take();
  await dp.apply([{ op: 'setDest', key: engine.table()[0].service.key, dest: { ...engine.table()[0].dests[0], weight: 99 } }]);
  const healed = await engine.reconcile();
  assert.equal(healed?.applied.length, 1, 'the drift check saw the hand edit and healed it');
  assert.equal(dp.take(), 'plain', 'the drift check');
  await engine.reread({ ownership: true });
  assert.equal(dp.take(), 'plain', 'a reread');
  assert.equal(hasCounters(await engine.refresh()), true, 'a refresh returns the counters by default');
  assert.equal(dp.take(), 'counters');
  assert.equal(hasCounters(await engine.refresh({ counters: false })), false, 'a refresh asked without');
  assert.equal(dp.take(), 'plain');
  assert.equal(engine.table()[0].dests[0].weight, (await dp.readAll())[0].dests[0].weight, 'the cache holds what the kernel has');
  assert.notEqual(engine.table()[0].dests[0].weight, 99, 'healed');

  const shown = new Engine({ dataplane: dp, stateDir: null });
  assert.equal(hasCounters((await shown.start())!), true, 'a start whose table is shown: counters by default');
  assert.equal(dp.take(), 'counters');
  const plain = new Engine({ dataplane: dp, stateDir: null });
  assert.equal(hasCounters((await plain.start({ counters: false }))!), false);
  assert.equal(dp.take(), 'plain');
});

test("a host's views read counters only to print them; status and plan never", () =>
  withStateDir(async (root) => {
    const dp = new CountedReads();
    const { store, open } = await webStore(root, dp);
    const running = store.running().config;
    await (await open().engine()).commit(running);
    dp.take();

    // A one-shot command's host, opened by the view itself (its start read is the view's read), and a host open
    // already (the daemon's: a fresh read). The basic text is the same either way.
    const text = async (host: EngineHost, params: Record<string, unknown>) => [...(await ipvsView(host, { width: 0, json: false, running, ...params })).chunks].join('');
    const opening = open();
    const basic = await text(opening, { view: 'basic' });
    assert.equal(dp.take(), 'plain', 'show ipvs, a host it opens');
    assert.match(basic, /198\.51\.100\.1:8080 +in sync +nat +10 +0 +0/);
    assert.equal(await text(opening, { view: 'basic' }), basic, 'a host open already: the same text');
    assert.equal(dp.take(), 'plain', 'show ipvs, a host open already');
    assert.match(await text(opening, { view: 'stats' }), /InBytes/);
    assert.equal(dp.take(), 'counters', 'show ipvs --stats');
    await text(open(), { view: 'rate' });
    assert.equal(dp.take(), 'counters', 'show ipvs --rate, a host it opens');
    assert.match(await text(opening, { view: 'basic', json: true }), /"stats": \{\s*"conns": "0"/);
    assert.equal(dp.take(), 'counters', 'show ipvs --json');
    await text(opening, { view: 'basic', running: null });
    assert.equal(dp.take(), 'plain', 'show ipvs without a running configuration (the table alone)');

    const status = await statusView(opening, { config: null, warnings: [], json: false, applyCommand: 'lbctl apply' });
    assert.deepEqual(status.result, { inSync: true });
    assert.equal(dp.take(), 'plain', 'status');
    await open().status(null);
    assert.equal(dp.take(), 'plain', 'status, a host it opens');
    await opening.plan(running);
    assert.equal(dp.take(), 'plain', 'plan');
    await opening.syncView(running);
    assert.equal(dp.take(), 'plain', 'a judgement without its table');
    assert.equal(hasCounters((await opening.syncView(running, { table: true })).table!), true);
    assert.equal(dp.take(), 'counters', 'a judgement with its table: counters by default');
    assert.equal(hasCounters(await opening.table({ counters: false })), false);
    assert.equal(dp.take(), 'plain');
  }));
