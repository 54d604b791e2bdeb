// Locks in one process: holder records, refusal messages that name the holder, staleness, dead holders.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, utimesSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  acquireLock,
  acquireExclusiveLock,
  acquireDaemonLock,
  acquireCommitLock,
  exclusiveLockHolder,
  exclusiveLockPath,
  commitLockPath,
  describeHolder,
  formatHolder,
  formatClock,
  holderLiveness,
  LockHeldError,
  readHolder,
  runningDaemon,
  withCommitLock,
  type LockHolder,
} from '../../../locks/index.js';

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

function tempState(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-locks-'));
  created.push(dir);
  return dir;
}

/** A pid that certainly does not exist now (beyond pid_max is impossible; use a huge one). */
const DEAD_PID = 4_194_000;

function forgeLock(path: string, holder: LockHolder, ageMs = 0): void {
  mkdirSync(path, { recursive: true });
  writeFileSync(join(path, 'holder.json'), JSON.stringify(holder));
  const t = (Date.now() - ageMs) / 1000;
  utimesSync(path, t, t);
}

test('formatHolder names user, pid, tty and the time of day', () => {
  const since = new Date();
  since.setHours(15, 2, 11, 0);
  const h: LockHolder = { ...describeHolder({ user: 'alice', pid: 4242, tty: 'pts/3', since }), sudoUser: undefined };
  assert.equal(formatHolder(h, since), 'alice (pid 4242, pts/3) since 15:02:11');
  const yesterday = new Date(since.getTime() + 86_400_000);
  assert.match(formatClock(since.toISOString(), yesterday), /^\d{4}-\d{2}-\d{2} 15:02:11$/);
});

test('holder liveness: this process is alive, a vanished pid and a reused pid are dead', () => {
  const me = describeHolder();
  assert.equal(me.pid, process.pid);
  assert.equal(holderLiveness(me), 'alive');
  assert.equal(holderLiveness({ ...me, pid: DEAD_PID }), 'dead');
  // Same pid, different start time: the pid was reused by another process.
  assert.equal(holderLiveness({ ...me, pidStart: (me.pidStart ?? 0) + 12345 }), 'dead');
  assert.equal(holderLiveness({ ...me, bootId: 'another-boot' }), 'dead');
  assert.equal(holderLiveness({ ...me, host: 'some-other-host.example' }), 'unknown');
});

test('exclusive lock: a second taker is refused with a message naming the holder', async () => {
  const state = tempState();
  const since = new Date();
  since.setHours(15, 2, 11, 0);
  const held = await acquireExclusiveLock(state, describeHolder({ user: 'alice', tty: 'pts/3', session: 's1', since }));
  try {
    assert.equal(readHolder(exclusiveLockPath(state))?.user, 'alice');
    assert.equal(exclusiveLockHolder(state)?.session, 's1');
    await assert.rejects(acquireExclusiveLock(state, describeHolder({ user: 'bob' })), (err: unknown) => {
      assert.ok(err instanceof LockHeldError);
      assert.equal(err.holder?.user, 'alice');
      assert.equal(err.message, `configuration locked exclusively by alice (pid ${process.pid}, pts/3) since 15:02:11`);
      return true;
    });
  } finally {
    await held.release();
  }
  assert.equal(existsSync(exclusiveLockPath(state)), false, 'release removes the lock directory');
  assert.equal(exclusiveLockHolder(state), null);
  const again = await acquireExclusiveLock(state, describeHolder({ user: 'bob' }));
  assert.equal(exclusiveLockHolder(state)?.user, 'bob');
  await again.release();
});

test('a lock whose holder process is dead is taken over at once', async () => {
  const state = tempState();
  const path = exclusiveLockPath(state);
  forgeLock(path, { ...describeHolder({ user: 'mallory' }), pid: DEAD_PID, pidStart: 1 });
  assert.equal(exclusiveLockHolder(state), null, 'a dead holder does not count as holding');
  const t0 = Date.now();
  const held = await acquireExclusiveLock(state, describeHolder({ user: 'bob' }));
  assert.equal(readHolder(path)?.user, 'bob');
  assert.ok(Date.now() - t0 < 2000);
  await held.release();
});

test('a holder on another host: fresh lock refused, stale lock (old mtime) taken over by proper-lockfile', async () => {
  const state = tempState();
  const path = join(state, 'locks', 'x.lock');
  const remote: LockHolder = { ...describeHolder({ user: 'carol' }), host: 'other-node.example', pid: 1 };
  forgeLock(path, remote, 0);
  await assert.rejects(acquireLock({ name: 'x', path, holder: describeHolder(), staleMs: 2000 }), (err: unknown) => {
    assert.ok(err instanceof LockHeldError);
    assert.match(err.message, /x lock held by carol \(pid 1, on other-node\.example\)/);
    return true;
  });
  forgeLock(path, remote, 60_000);
  const held = await acquireLock({ name: 'x', path, holder: describeHolder({ user: 'dave' }), staleMs: 2000 });
  assert.equal(readHolder(path)?.user, 'dave');
  await held.release();
  assert.deepEqual(readdirSync(join(state, 'locks')), [], 'no leftovers beside the lock');
});

test('a live holder keeps its lock even when its mtime looks stale (nothing is moved)', async () => {
  const state = tempState();
  const path = join(state, 'locks', 'y.lock');
  // This process is alive; the mtime says "not refreshed for a minute" (as after a long event-loop stall).
  forgeLock(path, describeHolder({ user: 'erin' }), 60_000);
  const results = await Promise.allSettled(
    Array.from({ length: 5 }, () => acquireLock({ name: 'y', path, holder: describeHolder({ user: 'frank' }), staleMs: 2000, waitMs: 50 })),
  );
  for (const r of results) {
    assert.equal(r.status, 'rejected');
    assert.match(String((r as PromiseRejectedResult).reason), /y lock held by erin/);
  }
  assert.equal(readHolder(path)?.user, 'erin', 'the holder record is still the first holder');
  assert.deepEqual(readdirSync(join(state, 'locks')), ['y.lock'], 'nothing left aside');
});

test('commit lock: waiters queue and get it after release; a waiter past its wait gets the holder named', async () => {
  const state = tempState();
  const order: string[] = [];
  const holder = await acquireCommitLock(state, { holder: describeHolder({ user: 'gina' }) });
  await assert.rejects(acquireCommitLock(state, { waitMs: 30 }), /commit lock still held by gina \(pid \d+.*\) since .* after waiting 30 ms/);
  const waiter = withCommitLock(state, () => order.push('waiter'), { waitMs: 5000 });
  await new Promise((r) => setTimeout(r, 50));
  order.push('holder-done');
  await holder.release();
  await waiter;
  assert.deepEqual(order, ['holder-done', 'waiter']);
  assert.equal(existsSync(commitLockPath(state)), false);
});

test('daemon lock: single instance, second one refused naming the first', async () => {
  const state = tempState();
  const first = await acquireDaemonLock(state, describeHolder({ user: 'root' }));
  assert.equal(runningDaemon(state)?.pid, process.pid);
  await assert.rejects(acquireDaemonLock(state), /another lbctl daemon is running for .*: root \(pid \d+/);
  await first.release();
  assert.equal(runningDaemon(state), null);
  rmSync(state, { recursive: true, force: true });
});

test("this process's holder record: its start time, boot id and terminal as /proc says, read once and kept", async () => {
  const { describeHolder, processStartTime, currentBootId, currentTty } = await import('../../../locks/holder.js');
  const a = describeHolder();
  const b = describeHolder({ session: 's1' });
  assert.equal(a.pid, process.pid);
  assert.equal(a.pidStart, processStartTime(process.pid));
  assert.ok(a.pidStart !== undefined && a.pidStart > 0);
  assert.equal(a.bootId, currentBootId());
  assert.equal(a.tty, currentTty());
  assert.deepEqual([b.pidStart, b.bootId, b.tty, b.session], [a.pidStart, a.bootId, a.tty, 's1']);
  assert.notEqual(a.token, b.token, 'each acquisition its own token');
  // Another process's record (a daemon acting for its peer) is read for that pid, never this process's facts.
  const parent = describeHolder({ pid: process.ppid, user: 'peer' });
  assert.equal(parent.pidStart, processStartTime(process.ppid));
  assert.equal(parent.tty, undefined);
});

test('leftovers of a dead acquirer beside a lock are swept at the first acquisition; a live one\'s stay', async () => {
  const state = tempState();
  const path = join(state, 'locks', 'q.lock');
  const dead = join(state, 'locks', `.q.lock.acquiring-${DEAD_PID}-0123abcd`);
  const live = join(state, 'locks', `.q.lock.removing-${process.ppid}-4567cdef`);
  for (const dir of [dead, live]) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'holder.json'), '{}');
  }
  const held = await acquireLock({ name: 'q', path, holder: describeHolder({ user: 'hal' }) });
  await held.release();
  assert.equal(existsSync(dead), false, 'the dead acquirer\'s directory was swept');
  assert.equal(existsSync(live), true, 'a live process may still be working on its own');
  // Neither stands in the way of the next holder.
  const again = await acquireLock({ name: 'q', path, holder: describeHolder({ user: 'ida' }) });
  assert.equal(readHolder(path)?.user, 'ida');
  await again.release();
});

test('unique suffixes: distinct in a process and from a worker thread\'s (same pid), with the pid where the sweeps read it', async () => {
  const { uniqueSuffix, uniqueToken } = await import('../../../locks/unique-suffix.js');
  const { Worker } = await import('node:worker_threads');
  const mine = Array.from({ length: 1000 }, () => uniqueSuffix());
  for (const s of mine) assert.equal(Number(/^(\d+)-[0-9a-f]+$/.exec(s)?.[1]), process.pid, s);
  const url = new URL('../../../locks/unique-suffix.js', import.meta.url).href;
  const theirs = await new Promise<string[]>((resolve, reject) => {
    const w = new Worker(`import(${JSON.stringify(url)}).then((m) => require('node:worker_threads').parentPort.postMessage(Array.from({ length: 1000 }, () => m.uniqueSuffix())))`, { eval: true });
    w.once('message', (m: string[]) => {
      resolve(m);
      void w.terminate();
    });
    w.once('error', reject);
  });
  assert.equal(new Set([...mine, ...theirs]).size, 2000);
  const tokens = Array.from({ length: 1000 }, () => uniqueToken());
  assert.equal(new Set(tokens).size, 1000);
  assert.ok(tokens.every((t) => /^[0-9a-f]{16,}$/.test(t)));
});
