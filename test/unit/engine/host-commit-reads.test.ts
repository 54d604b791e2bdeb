// An in-process host (a shell without a daemon) may share the kernel with other writers, so it reads before a
// commit; but a commit it can plan from the change alone re-reads only the services it plans (Engine.
// refreshForCommit): a one-weight commit reads one service, not the whole table. Whenever it cannot vouch for
// its cache (another lbctl writer's files changed, a commit without changes, `commit check`), it reads the
// whole table as before. A hand change to a service the commit touches is still seen and corrected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsDest, type IpvsService, type IpvsTableEntry, type ServiceKey } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { EngineHost } from '../../../engine/host.js';
import { OWNERSHIP_FILE } from '../../../engine/ownership.js';
import { openStore } from '../../../store/store.js';
import { editService } from '../../../modes/edit.js';
import type { Config } from '../../../config/model.js';
import { withStateDir } from './helpers.js';

/** The in-memory IPVS, counting whole-table reads and single-service reads. */
class CountingReads extends MemoryDataplane {
  dumps = 0;
  serviceReads = 0;
  override async listServices(): Promise<IpvsService[]> {
    this.dumps++;
    return super.listServices();
  }
  override async readAll(): Promise<IpvsTableEntry[]> {
    this.dumps++;
    return super.readAll();
  }
  override async getService(key: ServiceKey): Promise<IpvsService | null> {
    this.serviceReads++;
    return super.getService(key);
  }
}

const CONFIG = `vip: 192.0.2.10
services:
  - name: web
    ports: [80]
    backends:
      - {address: 198.51.100.1, port: 8080, weight: 10}
      - {address: 198.51.100.2, port: 8080, weight: 20}
  - name: api
    ports: [81]
    backends:
      - {address: 198.51.100.3, port: 8081, weight: 30}
`;
const WEB: ServiceKey = { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 80 };

/** A store on CONFIG under `root`, and in-process hosts over a given counting dataplane (a shell without a daemon). */
async function inProcess(root: string) {
  const configDir = join(root, 'config');
  const stateDir = join(root, 'state');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'config.yaml'), CONFIG);
  const store = await openStore({ stateDir, configPath: configDir, keepRunning: true });
  const hostOn = (dp: CountingReads) => new EngineHost({ mode: 'in-process', stateDir, lab: true, openDataplane: async () => dp, store, describe: () => 'refused', readBeforeCommit: true });
  return { configDir, stateDir, store, hostOn };
}

test('an in-process host re-reads only the services a commit plans, unless it cannot vouch for its cache', () =>
  withStateDir(async (root) => {
    const { configDir, stateDir, store, hostOn } = await inProcess(root);
    const dp = new CountingReads();
    const host = hostOn(dp);
    const commit = async (edit: (c: Config) => Config) => {
      const running = store.running();
      const out = await host.commit(
        { candidate: edit(running.config), base: running.number, action: 'commit', record: { how: 'commit', meta: { origin: 'shell', user: 'test' } }, voice: 'shell' },
        { user: 'test' },
      );
      assert.notEqual(out.kind, 'check');
      return out;
    };
    const weight = (w: number, i = 0) => (c: Config) => editService(c, 'web', (s) => void (s.backends[i].weight = w));
    const destWeights = async () => (await dp.listDests(WEB)).map((d) => d.weight);

    // What one whole-table read counts here (the start of an engine that does nothing else).
    const probe = new CountingReads();
    await hostOn(probe).engine();
    const oneRead = probe.dumps;
    assert.ok(oneRead > 0);

    assert.equal((await commit(weight(11))).kind, 'committed', 'the first commit programs everything');
    assert.equal(dp.dumps, oneRead, 'the first commit opened the host: its start read, and no second one');

    dp.dumps = 0;
    dp.serviceReads = 0;
    assert.equal((await commit(weight(12))).kind, 'committed');
    assert.equal(dp.dumps, 0, 'no whole-table read for a one-weight commit');
    assert.equal(dp.serviceReads, 1, 'only the changed service was read');
    assert.deepEqual(await destWeights(), [12, 20]);

    // A hand `ipvsadm -e` on the service the next commit touches is seen and corrected by that commit.
    const hand: IpvsDest = { addr: '198.51.100.2', port: 8080, fwdMethod: FWD_MASQ, weight: 99, uThresh: 0, lThresh: 0 };
    await dp.apply([{ op: 'setDest', key: WEB, dest: hand }]);
    dp.dumps = 0;
    assert.equal((await commit(weight(13))).kind, 'committed');
    assert.equal(dp.dumps, 0);
    assert.deepEqual(await destWeights(), [13, 20], 'the hand change to the touched service was undone');

    // Another lbctl writer leaves its mark (here: the ownership record rewritten): the whole table is read.
    const owned = join(stateDir, OWNERSHIP_FILE);
    writeFileSync(owned, readFileSync(owned));
    utimesSync(owned, new Date(), new Date(Date.now() + 5000));
    dp.dumps = 0;
    assert.equal((await commit(weight(14))).kind, 'committed');
    assert.ok(dp.dumps > 0, 'a change by another writer: the whole table is read');

    // Vouched again after that commit: back to one service.
    dp.dumps = 0;
    assert.equal((await commit(weight(15))).kind, 'committed');
    assert.equal(dp.dumps, 0);

    // A commit without changes is a drift repair: only the whole table can tell what drifted.
    dp.dumps = 0;
    assert.equal((await commit((c) => c)).kind, 'no-changes');
    assert.ok(dp.dumps > 0, 'a commit without changes reads the whole table');
    await host.close();
  }));

test("a one-shot status takes the read of the open just before it as its own (one dump), and only that once", () =>
  withStateDir(async (root) => {
    const { store, hostOn } = await inProcess(root);
    const config = store.running().config;

    // `lbctl status`: opened first (a killed process's change is finished), then the status.
    const dp = new CountingReads();
    const host = hostOn(dp);
    await host.engine({ keepStartRead: true });
    const opened = dp.dumps;
    assert.ok(opened >= 1, 'the open reads the table');
    const first = await host.status(config);
    assert.equal(dp.dumps, opened, 'the status judged the start read: no second dump');
    assert.equal(first.inSync, false, 'judged against what the open read (an empty table)');
    await host.status(config);
    assert.ok(dp.dumps > opened, 'a later status reads the table again');
    await host.close();

    // Asked for something else in between, or opened without keeping its read: the status reads again.
    const cases: Array<{ keep: boolean; between: (h: EngineHost) => Promise<unknown> }> = [
      { keep: true, between: (h) => h.engine() },
      { keep: false, between: async () => {} },
    ];
    for (const { keep, between } of cases) {
      const d = new CountingReads();
      const h = hostOn(d);
      await h.engine({ keepStartRead: keep });
      await between(h);
      const before = d.dumps;
      await h.status(config);
      assert.ok(d.dumps > before, `read again (keepStartRead ${keep})`);
      await h.close();
    }
  }));
