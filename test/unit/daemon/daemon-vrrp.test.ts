// The daemon follows VRRP (issue 10): the watcher's first picture reaches the engine before the cold start, so a
// master-only node programs only the services of its Master instances; a failover moves them; every transition
// is one log line and one audit record (action vrrp); unknown keeps what is programmed and split brain is loud;
// a changed `ha` section reaches the watcher; the socket's `ha` request serves the picture; stop stops it.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Daemon } from '../../../engine/daemon/daemon.js';
import { DaemonConnection } from '../../../engine/daemon/client.js';
import type { Notifier } from '../../../engine/daemon/notify.js';
import type { HaSnapshot } from '../../../engine/ha/types.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { describeInVoice } from '../../../present/refusals.js';
import { FakeHaWatcher } from '../../support/fake-ha-watcher.js';

const silent: Notifier = { enabled: false, ready() {}, status() {}, reloading() {}, watchdog() {}, stopping() {}, close() {} };

const CONFIG = `ha:
  source: keepalived
  program: master-only
  instances:
    - { name: vi1, vrid: 10, interface: eth0, vips: [192.0.2.10] }
    - { name: vi2, vrid: 20, interface: eth0, vips: [192.0.2.20] }
services:
  - { name: web, vip: 192.0.2.10, ports: [80], backends: [{address: 198.51.100.11, port: 80}] }
  - { name: api, vip: 192.0.2.20, ports: [80], backends: [{address: 198.51.100.12, port: 80}] }
  - { name: dns, vip: 192.0.2.30, protocol: udp, ports: [53], backends: [{address: 198.51.100.13, port: 53}] }
`;

const vips = async (dp: MemoryDataplane) => (await dp.readAll()).map((e) => ('addr' in e.service.key ? e.service.key.addr : '')).sort();
const settle = async (until: () => Promise<boolean> | boolean) => {
  for (let i = 0; i < 200; i++) {
    if (await until()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error('timed out');
};

test('daemon + HA watcher: programming by role at start, a failover, unknown, split brain, audit, ha request, follow, stop', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-daemon-vrrp-'));
  try {
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'config.yaml'), CONFIG);
    const dp = new MemoryDataplane();
    const logs: string[] = [];
    let fake: FakeHaWatcher | null = null;
    const daemon = new Daemon({
      stateDir: join(dir, 'state'),
      configPath: join(dir, 'config'),
      lab: true,
      version: 'test',
      describe: describeInVoice,
      log: (level, message) => logs.push(`${level} ${message}`),
      notifier: silent,
      watchdogMs: null,
      reconcileIntervalMs: 3_600_000,
      confirmPollMs: 3_600_000,
      healthFollowMs: 20,
      openDataplane: async () => dp,
      identify: () => ({ pid: 1, uid: 0, gid: 0, user: 'root', groups: [], canConfigure: true }),
      haWatcher: (ha, onChange) => (fake = new FakeHaWatcher(ha, onChange, { vi1: 'master', vi2: 'backup' })),
    });
    await daemon.start();
    try {
      assert.ok(fake, 'the daemon built a watcher');
      const w = fake as FakeHaWatcher;
      assert.equal(w.started, true);
      assert.deepEqual(await vips(dp), ['192.0.2.10', '192.0.2.30'], 'the cold start already programmed by role: vi1 Master, vi2 Backup');

      const conn = (await DaemonConnection.connect(join(dir, 'state'), 2000))!;
      try {
        const snap = await conn.call<HaSnapshot>('ha', {}, 2000);
        assert.equal(snap.summary, 'master');
        assert.deepEqual(snap.instances.map((i) => `${i.name} ${i.state}`), ['vi1 master', 'vi2 backup']);
      } finally {
        conn.close();
      }

      w.set({ vi1: 'backup', vi2: 'master' });
      await settle(async () => (await vips(dp)).join() === '192.0.2.20,192.0.2.30');
      await settle(() => logs.some((l) => l.includes('instance vi2 backup → master')));
      assert.ok(logs.includes('info vrrp: instance vi1 master → backup (event); 3 kernel operation(s)'), logs.join('\n'));
      const audit = () =>
        readFileSync(join(dir, 'state', 'audit.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l))
          .filter((r) => r.action === 'vrrp');
      assert.deepEqual(audit().map((r) => `${r.vrrp.instance} ${r.vrrp.from}->${r.vrrp.to} ${r.result}`), ['vi1 master->backup ok', 'vi2 backup->master ok']);
      assert.deepEqual(audit()[0].kernel.applied, ['delService tcp 192.0.2.10:80', 'newService tcp 192.0.2.20:80', 'newDest tcp 192.0.2.20:80 -> 198.51.100.12:80']);

      // Unknown: what is programmed stays; said as a warning.
      w.set({ vi2: 'unknown' }, 'poll', 'keepalived is not answering');
      await settle(() => logs.some((l) => l.startsWith('warning vrrp: instance vi2 master → unknown')));
      assert.deepEqual(await vips(dp), ['192.0.2.20', '192.0.2.30'], 'unknown holds: api stays');
      assert.ok(logs.some((l) => l.startsWith('warning vrrp: state unknown')), logs.join('\n'));

      // Split brain: loud.
      w.splitBrain = true;
      w.set({ vi2: 'master' });
      await settle(() => logs.some((l) => l.startsWith('error vrrp: SPLIT BRAIN')));
      assert.ok(logs.some((l) => l.startsWith('error vrrp: instance vi2 unknown → master (event) [SPLIT BRAIN]')), logs.join('\n'));
      assert.equal(audit().at(-1).vrrp.summary, 'master,split-brain');

      // A commit (here a reload) that changes the ha section reaches the watcher.
      writeFileSync(join(dir, 'config', 'config.yaml'), CONFIG.replace('program: master-only', 'program: always'));
      await daemon.reload();
      await settle(() => w.updates.length === 1);
      assert.equal(w.updates[0].program, 'always');
      await settle(async () => (await vips(dp)).length === 3);
    } finally {
      await daemon.stop('test');
    }
    assert.equal((fake as FakeHaWatcher | null)?.stopped, true, 'stopped with the daemon');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
