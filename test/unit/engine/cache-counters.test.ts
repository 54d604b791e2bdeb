// The engine's actual-state cache keeps only what planning needs (no counters, no connection counts: at 10,000
// services they were 50,000 objects). What shows counters reads the kernel: `show ipvs` through
// EngineHost.syncView({ table: true }) gets the table of the read it made, whether it opened the host (a one-shot
// command) or the host was open already (the daemon), and after a commit as before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsDest, type IpvsTableEntry, type ReadOptions, type ServiceKey } from '../../../netlink/dataplane.js';
import { MemoryDataplane, zeroStats } from '../../../netlink/memory.js';
import { ActualState } from '../../../engine/actual.js';
import { Engine } from '../../../engine/engine.js';
import type { EngineHost } from '../../../engine/host.js';
import { editService } from '../../../modes/edit.js';
import { ipvsView } from '../../../present/views.js';
import { config, web, webStore, withStateDir } from './helpers.js';

const WEB: ServiceKey = { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 80 };

/** The in-memory IPVS with connection counts on every destination (no traffic flows through it). */
class WithConnections extends MemoryDataplane {
  active = 7;
  override async listDests(key: ServiceKey, opts?: ReadOptions): Promise<IpvsDest[]> {
    return (await super.listDests(key, opts)).map((d) => ({ ...d, activeConns: this.active, inactConns: 3, persistConns: 1 }));
  }
  override async readAll(opts?: ReadOptions): Promise<IpvsTableEntry[]> {
    return (await super.readAll(opts)).map((e) => ({ ...e, dests: e.dests.map((d) => ({ ...d, activeConns: this.active, inactConns: 3, persistConns: 1 })) }));
  }
}

const COUNTER_FIELDS = ['stats', 'activeConns', 'inactConns', 'persistConns'];
function assertNoCounters(table: IpvsTableEntry[], what: string) {
  assert.ok(table.length > 0, `${what}: the cache is not empty`);
  for (const e of table) {
    assert.equal('stats' in e.service, false, `${what}: a service's counters`);
    for (const d of e.dests) for (const f of COUNTER_FIELDS) assert.equal(f in d, false, `${what}: a destination's ${f}`);
  }
}

test('the actual-state cache keeps no counters: not from a full read, a re-read service, or the operations applied', () => {
  const stats = { ...zeroStats(), conns: 5n };
  const dest: IpvsDest = { addr: '10.0.1.1', port: 8080, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 };
  const read: IpvsTableEntry = {
    service: { key: WEB, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff, stats },
    dests: [{ ...dest, activeConns: 4, inactConns: 2, persistConns: 1, stats }],
  };
  const actual = ActualState.fromTable([read]);
  assertNoCounters(actual.toTable(), 'full read');
  assert.equal(actual.toTable()[0].dests[0].weight, 1, 'the settable fields are kept');
  actual.putService(read.service, read.dests);
  assertNoCounters(actual.toTable(), 're-read service');
  actual.applyOp({ op: 'setService', service: { ...read.service, scheduler: 'rr' } });
  actual.applyOp({ op: 'setDest', key: WEB, dest: { ...read.dests[0], weight: 9 } });
  actual.applyOp({ op: 'newDest', key: WEB, dest: { ...dest, addr: '10.0.1.2', activeConns: 1 } });
  assertNoCounters(actual.toTable(), 'operations');
  assert.deepEqual(
    actual.toTable()[0].dests.map((d) => d.weight),
    [9, 1],
  );
  assert.equal(actual.toTable()[0].service.scheduler, 'rr');
});

test("an engine's cache has no counters; its refresh and start return the kernel's", async () => {
  const dp = new WithConnections();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  assert.deepEqual(await engine.start(), [], 'start returns the table it read');
  await engine.commit(config({ services: [web()] }));
  dp.addTraffic({ af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 }, { addr: '10.0.1.1', port: 8080 }, { conns: 12n });
  const table = await engine.refresh();
  assert.equal(table[0].service.stats?.conns, 12n);
  assert.equal(table[0].dests.find((d) => d.addr === '10.0.1.1')?.stats?.conns, 12n);
  assert.equal(table[0].dests[0].activeConns, 7);
  assertNoCounters(engine.table(), 'engine cache after a refresh');
});

test("show ipvs shows the kernel's counters and connection counts: a host it opens, a host open already, after a commit", () =>
  withStateDir(async (root) => {
    const dp = new WithConnections();
    const { store, open } = await webStore(root, dp);
    const commitWeight = async (host: EngineHost, w: number) => {
      const base = store.running();
      const job = { candidate: editService(base.config, 'web', (s) => void (s.backends[0].weight = w)), base: base.number, action: 'commit' as const };
      const out = await host.commit({ ...job, record: { how: 'commit', meta: { origin: 'shell', user: 'test' } }, voice: 'shell' }, { user: 'test' });
      assert.equal(out.kind, 'committed');
    };
    // An earlier process programmed the service; traffic was counted since.
    await commitWeight(open(), 12);
    dp.addTraffic(WEB, { addr: '198.51.100.1', port: 8080 }, { conns: 40n, inPkts: 400n });
    const host = open();
    const running = store.running().config;
    const shown = async () => {
      const view = await host.syncView(running, { table: true });
      const d = view.table![0].dests[0];
      return { conns: view.table![0].service.stats?.conns, destPkts: d.stats?.inPkts, active: d.activeConns, inact: d.inactConns };
    };

    assert.equal(host.opened, false);
    assert.deepEqual(await shown(), { conns: 40n, destPkts: 400n, active: 7, inact: 3 }, 'a host this view opened: the start read');
    assert.equal(host.opened, true);
    dp.addTraffic(WEB, { addr: '198.51.100.1', port: 8080 }, { conns: 2n });
    dp.active = 8;
    assert.deepEqual(await shown(), { conns: 42n, destPkts: 400n, active: 8, inact: 3 }, 'a host open already (the daemon): a fresh read');

    await commitWeight(host, 11);
    assert.deepEqual(await shown(), { conns: 42n, destPkts: 400n, active: 8, inact: 3 }, 'a SET keeps the kernel counters, and the view shows them');
    assertNoCounters((await host.engine()).table(), 'the host engine cache');

    // The rendered view: the ActiveConn and InActConn columns come from the kernel.
    const json = await ipvsView(host, { view: 'basic', width: 0, json: true, running });
    const text = [...json.chunks].join('');
    assert.match(text, /"activeConns": 8,/);
    assert.match(text, /"inactConns": 3,/);
  }));

test('foreignIds: the ids not owned, sorted; remembered while the table keeps its services and the owned snapshot is the same', () => {
  const key = (port: number): ServiceKey => ({ af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port });
  const svc = (port: number) => ({ key: key(port), scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff });
  const dest: IpvsDest = { addr: '198.51.100.1', port: 80, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 };
  const actual = ActualState.fromTable([81, 80, 82].map((p) => ({ service: { ...svc(p), stats: zeroStats() }, dests: [] }) as unknown as IpvsTableEntry));
  const ids = [...actual.services.keys()].sort();
  const owned: ReadonlySet<string> = new Set([ids[1]]);
  const first = actual.foreignIds(owned);
  assert.deepEqual(first, [ids[0], ids[2]]);
  // A destination's change does not change which services are there: the same answer, not walked again.
  actual.applyOp({ op: 'newDest', key: key(80), dest } as never);
  assert.equal(actual.foreignIds(owned), first);
  // A service that comes, one that goes, a re-read, another owned snapshot: each is seen.
  actual.applyOp({ op: 'newService', service: svc(79) } as never);
  const withNew = actual.foreignIds(owned);
  assert.equal(withNew.length, 3);
  assert.ok(withNew.every((id, i) => i === 0 || withNew[i - 1] < id), 'sorted');
  actual.applyOp({ op: 'delService', key: key(79) } as never);
  assert.deepEqual(actual.foreignIds(owned), first);
  actual.putService(null, [], ids[0]);
  assert.deepEqual(actual.foreignIds(owned), [ids[2]]);
  actual.reset([]);
  assert.deepEqual(actual.foreignIds(owned), []);
  actual.putService(svc(81) as never, []);
  assert.deepEqual(actual.foreignIds(new Set()), [...actual.services.keys()]);
  assert.deepEqual(actual.foreignIds(new Set(actual.services.keys())), [], 'another snapshot: asked again');
});

test('holdsAll: every owned id is in the table, told from the remembered foreign ids; an owned service deleted by hand is seen', () => {
  const key = (port: number): ServiceKey => ({ af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port });
  const svc = (port: number) => ({ key: key(port), scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff });
  const actual = ActualState.fromTable([80, 81, 82].map((p) => ({ service: { ...svc(p), stats: zeroStats() }, dests: [] }) as unknown as IpvsTableEntry));
  const ids = [...actual.services.keys()].sort();
  const owned: ReadonlySet<string> = new Set([ids[0], ids[1]]);
  assert.equal(actual.holdsAll(owned), true);
  actual.applyOp({ op: 'newService', service: svc(90) } as never); // a foreign service comes: still all held
  assert.equal(actual.holdsAll(owned), true);
  actual.applyOp({ op: 'delService', key: key(81) } as never); // an owned one goes (by hand, seen in a read)
  assert.equal(actual.holdsAll(owned), false);
  assert.equal(actual.holdsAll(new Set([ids[0]])), true, 'another snapshot of the record');
  assert.equal(actual.holdsAll(new Set([ids[0], 'no such id'])), false, 'an owned id the table never had');
  actual.reset([]);
  assert.equal(actual.holdsAll(new Set()), true);
  assert.equal(actual.holdsAll(owned), false);
});
