// The guard's loop run in-process (the detached process itself is proven in test/integration/commit), with an
// injected sleep so nothing waits on the clock; and the rollback action with an injected kernel step.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, type ConfirmExpiry, type Store } from '../../../store/store.js';
import type { Config, Service } from '../../../config/model.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';
import { confirmGuardLockPath, ensureConfirmGuard, runGuard, runningConfirmGuard } from '../../../engine/confirm-guard.js';
import { reapplyAfterExpiry } from '../../../engine/confirm-rollback.js';
import { formatRemaining, pendingConfirmNotice } from '../../../present/confirm.js';
import { readAudit } from '../../../engine/audit.js';
import { acquireLock } from '../../../locks/lock.js';
import { acquireDaemonLock } from '../../../locks/daemon-lock.js';
import { describeHolder } from '../../../locks/holder.js';
import type { ApplyResult } from '../../../engine/engine.js';
import type { IpvsOp } from '../../../netlink/dataplane.js';

function service(name: string, port: number): Service {
  return { ...defaultService(name, 'tcp'), vip: '192.0.2.10', ports: [port], backends: [{ ...defaultBackend('10.0.0.1'), port: 8080 }] };
}
function configWith(...services: Service[]): Config {
  const c = defaultConfig();
  c.services = services;
  return c;
}

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true, maxRetries: 5 })));

/** A store at revision r (service a), then r+1 (a + b) committed confirmed with its deadline `offsetMs` from now. */
async function armed(offsetMs: number): Promise<{ stateDir: string; configPath: string; store: Store; committed: number }> {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-guard-unit-'));
  roots.push(root);
  const stateDir = join(root, 'state');
  const configPath = join(root, 'etc');
  const store = await openStore({ stateDir, configPath });
  await store.commit(configWith(service('a', 80)), store.running().number, { origin: 'shell' });
  const skewed = await openStore({ stateDir, configPath, now: () => new Date(Date.now() - 60_000 + offsetMs) });
  const out = await skewed.commit(configWith(service('a', 80), service('b', 81)), store.running().number, { origin: 'shell', confirmMinutes: 1 });
  assert.equal(out.kind, 'committed');
  return { stateDir, configPath, store, committed: store.running().number };
}

test('a due confirmation: the guard rolls back once, calls the rollback action, and releases its lock', async () => {
  const s = await armed(-1000);
  const expiries: ConfirmExpiry[] = [];
  const log: string[] = [];
  const exit = await runGuard({ stateDir: s.stateDir, configPath: s.configPath, rollback: async (e) => void expiries.push(e), daemonRunning: () => false, log: (m) => log.push(m) });
  assert.equal(exit, 'rolled-back');
  assert.equal(expiries.length, 1);
  assert.equal(expiries[0].expired.revision, s.committed);
  assert.equal(expiries[0].revision?.origin, 'confirm-timeout');
  assert.deepEqual(expiries[0].revision?.config.services.map((x) => x.name), ['a']);
  assert.equal(s.store.running().number, s.committed + 1);
  assert.equal(s.store.pendingConfirm(), null);
  assert.equal(runningConfirmGuard(s.stateDir), null);
  assert.ok(log.some((l) => l.includes(`revision ${s.committed} rolled back`)), log.join('\n'));
});

test('before the deadline the guard sleeps at most one poll; a confirm meanwhile makes it exit without rollback', async () => {
  const s = await armed(30_000);
  const sleeps: number[] = [];
  let rolledBack = false;
  const exit = await runGuard({
    stateDir: s.stateDir,
    configPath: s.configPath,
    pollMs: 700,
    daemonRunning: () => false,
    rollback: async () => void (rolledBack = true),
    sleep: async (ms) => {
      sleeps.push(ms);
      if (sleeps.length === 2) await s.store.confirm();
    },
  });
  assert.equal(exit, 'no-pending');
  assert.equal(rolledBack, false);
  assert.deepEqual(sleeps, [700, 700]);
  assert.equal(s.store.running().number, s.committed);
});

test('the sleep is the time left when that is shorter than a poll', async () => {
  const s = await armed(30_000);
  const sleeps: number[] = [];
  const deadline = Date.parse(s.store.pendingConfirm()!.deadline);
  await runGuard({
    stateDir: s.stateDir,
    configPath: s.configPath,
    pollMs: 60_000,
    now: () => deadline - 1234,
    daemonRunning: () => false,
    rollback: async () => {},
    sleep: async (ms) => {
      sleeps.push(ms);
      await s.store.confirm();
    },
  });
  assert.deepEqual(sleeps, [1234]);
});

test('a guard steps aside for a running daemon, and for another live guard', async () => {
  const s = await armed(-1000);
  let called = false;
  const rollback = async () => void (called = true);
  assert.equal(await runGuard({ stateDir: s.stateDir, configPath: s.configPath, rollback, daemonRunning: () => true }), 'daemon');
  const other = await acquireLock({ name: 'guard', path: confirmGuardLockPath(s.stateDir), holder: describeHolder(), staleMs: 20_000 });
  try {
    assert.equal(await runGuard({ stateDir: s.stateDir, configPath: s.configPath, rollback, daemonRunning: () => false }), 'another-guard');
    assert.deepEqual(ensureConfirmGuard({ stateDir: s.stateDir, configPath: s.configPath }), { spawned: false, reason: 'guard-running', pid: process.pid });
  } finally {
    await other.release();
  }
  assert.equal(called, false);
  assert.equal(s.store.running().number, s.committed);
  const daemon = await acquireDaemonLock(s.stateDir);
  try {
    assert.deepEqual(ensureConfirmGuard({ stateDir: s.stateDir, configPath: s.configPath }), { spawned: false, reason: 'daemon', pid: process.pid });
  } finally {
    await daemon.release();
  }
});

function fakeApply(ok: boolean, applied: IpvsOp[] = []): ApplyResult {
  return {
    ok,
    applied,
    rolledBack: !ok,
    restored: true,
    ...(ok ? {} : { failed: { op: { op: 'delService', key: { af: 2, protocol: 6, addr: '192.0.2.10', port: 81 } }, text: 'delService tcp 192.0.2.10:81', errno: 2, code: 'ENOENT', message: 'No such file or directory' } }),
  } as unknown as ApplyResult;
}

test('rollback action: the kernel step is retried, and the audit record says what happened', async () => {
  const s = await armed(-1000);
  let expiry: ConfirmExpiry | null = null;
  await runGuard({ stateDir: s.stateDir, configPath: s.configPath, daemonRunning: () => false, rollback: async (e) => void (expiry = e) });
  assert.ok(expiry);
  const op: IpvsOp = { op: 'delService', key: { af: 2, protocol: 6, addr: '192.0.2.10', port: 81 } };
  let calls = 0;
  const kernel = await reapplyAfterExpiry(expiry, {
    stateDir: s.stateDir,
    lab: true,
    retryDelayMs: 1,
    apply: async (config) => {
      calls++;
      assert.deepEqual(config.services.map((x) => x.name), ['a']);
      if (calls < 3) throw new Error('netlink socket busy');
      return fakeApply(true, [op]);
    },
  });
  assert.equal(calls, 3);
  assert.deepEqual(kernel, { ok: true, applied: ['delService tcp 192.0.2.10:81'] });
  let rec = readAudit(join(s.stateDir, 'audit.jsonl')).records.at(-1)!;
  assert.equal(rec.action, 'confirm-timeout');
  assert.equal(rec.result, 'ok');
  assert.equal(rec.error, undefined);
  assert.equal(rec.revisionBefore, s.committed);
  assert.equal(rec.revisionAfter, s.committed + 1);
  assert.match(rec.diff ?? '', /^\[edit services\]\n-   - name: b/);

  await reapplyAfterExpiry(expiry, { stateDir: s.stateDir, lab: true, attempts: 2, retryDelayMs: 1, apply: async () => fakeApply(false) });
  rec = readAudit(join(s.stateDir, 'audit.jsonl')).records.at(-1)!;
  assert.equal(rec.result, 'failed');
  assert.equal(rec.kernel?.ok, false);
  assert.match(rec.error ?? '', /^delService tcp 192.0.2.10:81: No such file or directory/);
});

test('pending-confirmation notice and remaining time', () => {
  assert.equal(formatRemaining(0), '0s');
  assert.equal(formatRemaining(12_001), '13s');
  assert.equal(formatRemaining(245_000), '4m 05s');
  assert.equal(formatRemaining(3_720_000), '1h 02m');
  const now = new Date(2026, 10, 25, 15, 7, 55);
  const pending = { revision: 13, previousRevision: 12, deadline: new Date(2026, 10, 25, 15, 12, 0).toISOString(), user: 'alice', minutes: 5 };
  assert.equal(
    pendingConfirmNotice(pending, now),
    "% commit confirmed by alice: revision 13 will be rolled back to revision 12 at 15:12:00 (in 4m 05s) unless confirmed with 'commit'.",
  );
  assert.match(pendingConfirmNotice(pending, new Date(2026, 10, 25, 15, 13, 0)), /\(due now\)/);
});
