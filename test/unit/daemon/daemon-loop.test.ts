// The daemon's drift loop when the dataplane keeps failing: each failed check waits longer (exponential backoff
// with jitter, capped), every failure is logged with its attempt number, `hello` says "not in sync", and the
// first check that works again returns to the configured interval and resets the count. Never a spin.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Daemon } from '../../../engine/daemon/daemon.js';
import type { Notifier } from '../../../engine/daemon/notify.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { describeInVoice } from '../../../present/refusals.js';
import { FaultyDataplane } from '../engine/helpers.js';

class FlakyReads extends FaultyDataplane {
  failing = false;
  // The service dump that starts every full read (a drift check reads one service's destinations at a time).
  override listServices() {
    if (this.failing) return Promise.reject(new Error('netlink socket: no answer within 5000 ms'));
    return super.listServices();
  }
}

const silent: Notifier = { enabled: false, ready() {}, status() {}, reloading() {}, watchdog() {}, stopping() {}, close() {} };

test('a failing drift check backs off exponentially with jitter, logs each attempt, and recovers to the interval', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-daemon-loop-'));
  try {
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'config.yaml'), 'vip: 192.0.2.10\nservices:\n  - name: web\n    ports: [80]\n    backends: [{address: 198.51.100.11, port: 80}]\n');
    const dp = new FlakyReads(new MemoryDataplane());
    const logs: string[] = [];
    const daemon = new Daemon({
      stateDir: join(dir, 'state'),
      configPath: join(dir, 'config'),
      lab: true,
      version: 'test',
      describe: describeInVoice,
      log: (level, message) => logs.push(`${level} ${message}`),
      notifier: silent,
      watchdogMs: null,
      reconcileIntervalMs: 3_600_000, // the test drives every check itself
      confirmPollMs: 3_600_000,
      backoff: { baseMs: 100, maxMs: 1600, random: () => 0.999 },
      openDataplane: async () => dp,
      identify: () => ({ pid: 1, uid: 0, gid: 0, user: 'root', groups: [], canConfigure: true }),
    });
    await daemon.start();
    try {
      assert.equal(await daemon.reconcileOnce(), 3_600_000);
      assert.equal(daemon.info().inSync, true);
      dp.failing = true;
      const delays: number[] = [];
      for (let i = 0; i < 7; i++) delays.push(await daemon.reconcileOnce());
      // ceiling = base·2^n capped at 1600; equal jitter: between half the ceiling and the ceiling.
      const ceilings = [100, 200, 400, 800, 1600, 1600, 1600];
      delays.forEach((d, i) => assert.ok(d >= ceilings[i] / 2 && d <= ceilings[i], `attempt ${i + 1}: ${d} ms not in [${ceilings[i] / 2}, ${ceilings[i]}]`));
      assert.ok(delays[4] > delays[0] * 8, `no growth: ${delays}`);
      assert.equal(logs.filter((l) => /^error drift check failed \(attempt \d+\): netlink socket/.test(l)).length, 7);
      assert.match(logs.at(-1)!, /attempt 7\).*next try in \d+ ms/);
      assert.equal(daemon.info().inSync, false);
      dp.failing = false;
      assert.equal(await daemon.reconcileOnce(), 3_600_000);
      assert.equal(daemon.info().inSync, true);
      dp.failing = true;
      const again = await daemon.reconcileOnce();
      assert.ok(again <= 100, `the failure count was not reset: ${again} ms`);
    } finally {
      await daemon.stop('test');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
