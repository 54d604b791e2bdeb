// Locks held by real processes that die by SIGKILL: nobody stays blocked, and a dead holder's lock is taken
// over by exactly one of many racing processes at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  acquireCommitLock,
  acquireDaemonLock,
  acquireExclusiveLock,
  describeHolder,
  exclusiveLockHolder,
  holderLiveness,
  LockHeldError,
  runningDaemon,
} from '../../../locks/index.js';
import { ExclusiveLockedError, openStore } from '../../../store/store.js';
import { configOf } from '../../unit/store/fixtures.js';

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.js', import.meta.url));

function startHolder(args: string[]): Promise<{ child: ChildProcess; pid: number }> {
  const child = spawn(process.execPath, [HOLDER, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /locked (\d+)/.exec(out);
      if (m) resolve({ child, pid: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`holder exited with ${code} before locking`)));
  });
}

function killAndWait(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

test('configure exclusive held by a live process blocks others by name; after SIGKILL it is free at once', async () => {
  const state = mkdtempSync(join(tmpdir(), 'lbctl-xlock-'));
  const store = await openStore({ stateDir: state, configPath: join(state, 'etc') });
  const { child, pid } = await startHolder(['exclusive', state, 'session-a']);
  try {
    assert.equal(exclusiveLockHolder(state)?.pid, pid);
    await assert.rejects(acquireExclusiveLock(state, describeHolder({ session: 'session-b' })), (err: unknown) => {
      assert.ok(err instanceof LockHeldError);
      assert.match(err.message, new RegExp(`^configuration locked exclusively by \\S+ \\(pid ${pid}, pts/9\\) since \\d\\d:\\d\\d:\\d\\d$`));
      return true;
    });
    await assert.rejects(store.commit(configOf(1), 0, { origin: 'shell', session: 'session-b' }), ExclusiveLockedError);
  } finally {
    await killAndWait(child);
  }
  // The holder is gone: no stale period to wait out.
  assert.equal(exclusiveLockHolder(state), null);
  assert.equal((await store.commit(configOf(1), 0, { origin: 'shell', session: 'session-b' })).kind, 'committed');
  const mine = await acquireExclusiveLock(state, describeHolder({ session: 'session-b' }));
  assert.equal(exclusiveLockHolder(state)?.session, 'session-b');
  await mine.release();
  rmSync(state, { recursive: true, force: true });
});

test('a commit waiting on a commit lock whose holder is SIGKILLed proceeds without waiting for staleness', async () => {
  const state = mkdtempSync(join(tmpdir(), 'lbctl-clock-'));
  const store = await openStore({ stateDir: state, configPath: join(state, 'etc') });
  const { child } = await startHolder(['commit', state]);
  let committed = false;
  const pendingCommit = store.commit(configOf(1), 0, { origin: 'shell' }).then((o) => {
    committed = true;
    return o;
  });
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(committed, false, 'the commit waits while the holder lives');
  await killAndWait(child);
  const outcome = await pendingCommit;
  assert.equal(outcome.kind, 'committed');
  assert.equal(store.running().number, 1);
  rmSync(state, { recursive: true, force: true });
});

test('daemon lock: a second daemon is refused while the first lives, and starts after the first is SIGKILLed', async () => {
  const state = mkdtempSync(join(tmpdir(), 'lbctl-dlock-'));
  const { child, pid } = await startHolder(['daemon', state]);
  await assert.rejects(acquireDaemonLock(state), new RegExp(`another lbctl daemon is running for .*\\(pid ${pid}, pts/9\\)`));
  assert.equal(runningDaemon(state)?.pid, pid);
  await killAndWait(child);
  const lock = await acquireDaemonLock(state);
  assert.equal(runningDaemon(state)?.pid, process.pid);
  await lock.release();
  rmSync(state, { recursive: true, force: true });
});

test('8 processes racing for a SIGKILLed holder\'s commit lock hold it one at a time', async () => {
  const state = mkdtempSync(join(tmpdir(), 'lbctl-race-'));
  const log = join(state, 'intervals.log');
  const { child } = await startHolder(['commit', state]);
  await killAndWait(child);
  const racers = Array.from({ length: 8 }, () => spawn(process.execPath, [HOLDER, 'commit', state, '', '60', log], { stdio: 'ignore' }));
  await Promise.all(racers.map((r) => new Promise((res) => r.on('exit', res))));
  const intervals = readFileSync(log, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' ').map(Number))
    .sort((a, b) => a[1] - b[1]);
  assert.equal(intervals.length, 8, 'every racer got the lock once');
  for (let i = 1; i < intervals.length; i++) {
    assert.ok(intervals[i][1] >= intervals[i - 1][2], `holders overlap: ${intervals[i - 1]} and ${intervals[i]}`);
  }
  await (await acquireCommitLock(state, { waitMs: 0 })).release();
  rmSync(state, { recursive: true, force: true });
});

/** The state letter (field 3) of /proc/PID/stat, or undefined when the pid is gone. */
function procState(pid: number): string | undefined {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
}

test('a holder SIGKILLed but not yet reaped by its parent (a zombie) counts as dead', async () => {
  // Node reaps its own children at once, so the zombie must be a grandchild: `sh` starts `sleep` in the background,
  // prints its pid, then becomes a `sleep` that never calls wait(), so the killed grandchild stays a zombie.
  const parent = spawn('/bin/sh', ['-c', 'sleep 300 & echo $!; exec sleep 300'], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const pid = await new Promise<number>((resolve) => {
      let out = '';
      parent.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /^(\d+)\n/.exec(out);
        if (m) resolve(Number(m[1]));
      });
    });
    const holder = describeHolder({ pid });
    assert.equal(holderLiveness(holder), 'alive');
    // Kill only once `sh` has become the never-waiting `sleep`: a shell still running would reap the child.
    const comm = () => (existsSync(`/proc/${parent.pid}/comm`) ? readFileSync(`/proc/${parent.pid}/comm`, 'utf8').trim() : '');
    for (let i = 0; i < 500 && comm() !== 'sleep'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(comm(), 'sleep', 'the parent shell became sleep (exec)');
    process.kill(pid, 'SIGKILL');
    // Bounded wait for the kernel to turn it into a zombie (it is never reaped while the parent lives).
    for (let i = 0; i < 200 && procState(pid) !== 'Z'; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(procState(pid), 'Z', 'the killed holder should be an unreaped zombie for this test');
    assert.equal(holderLiveness(holder), 'dead');
  } finally {
    parent.kill('SIGKILL');
  }
});
