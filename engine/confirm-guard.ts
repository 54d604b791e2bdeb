// The `commit confirmed` deadline enforcer for when no daemon runs.
//
// `commit confirmed` exists to rescue an operator whose change cut off his own access, so the rollback must not
// depend on his session staying alive. The pending confirmation itself is persisted by the store
// (store/store.ts: STATE/confirm.json, written in the same atomic step as the commit); this module supplies the
// process that acts on it: a DETACHED guard (`node confirm-guard-main.js --state-dir DIR --config PATH [--lab]`)
// that outlives the shell, sleeps until the deadline, and then rolls back unless somebody confirmed.
//
// Lifecycle (docs/commit.md has the failure modes):
//  - one guard per state directory: it holds STATE/locks/confirm-guard.lock (holder record with its pid; a
//    guard killed with SIGKILL is recognised as dead at once and its lock taken over);
//  - it re-reads the pending record every poll: a plain commit (confirm) removes it → the guard exits; a second
//    `commit confirmed` moves the deadline → the guard simply waits longer;
//  - at the deadline it opens the store and calls `expireConfirmIfDue()` (a new revision, origin
//    confirm-timeout; the store refuses if the deadline moved meanwhile), then the rollback action re-applies the
//    restored configuration to the kernel (engine/confirm-rollback.ts);
//  - if a daemon runs for the state directory, the daemon enforces the deadline and the guard steps aside (two
//    engines writing the kernel would fight: the daemon's reconcile would re-apply what the guard removed).
// Exiting is race-free against a new `commit confirmed`: the guard releases its lock and THEN re-reads the
// record; a committer that saw the lock held wrote its record before that re-read, so one of them always acts.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, writeSync } from 'node:fs';
import { rotateIfLarge } from './log-rotation.js';
import { auditRotation } from './audit.js';
import { ensureDir, openAppendNoFollow } from '../store/atomic.js';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openStore, storeClockNow, type ConfirmExpiry, type PendingConfirm } from '../store/store.js';
import { acquireLock, LockHeldError, lockStatus, type HeldLock } from '../locks/lock.js';
import { describeHolder, type LockHolder } from '../locks/holder.js';
import { locksDir } from '../locks/paths.js';
import { runningDaemon } from '../locks/daemon-lock.js';
import { pidAlive } from '../locks/holder.js';
import { readKernelPending, type KernelPending } from '../store/kernel-pending.js';

/** The guard's single-instance lock (beside the store's locks; see locks/paths.ts). */
export function confirmGuardLockPath(stateDir: string): string {
  return join(locksDir(stateDir), 'confirm-guard.lock');
}

/** What the detached guard writes about itself (its stdio is closed). */
export function confirmGuardLogPath(stateDir: string): string {
  return join(stateDir, 'confirm-guard.log');
}

/** The built entry point the guard runs: build/engine/confirm-guard-main.js next to this module. */
export function confirmGuardEntry(): string {
  return fileURLToPath(new URL('./confirm-guard-main.js', import.meta.url));
}

const GUARD_STALE_MS = 20_000;
/** How often the guard re-reads the pending record (a confirm makes it exit within this). */
export const DEFAULT_GUARD_POLL_MS = 1000;

/** The live guard of this state directory, or null. */
export function runningConfirmGuard(stateDir: string): LockHolder | null {
  const status = lockStatus(confirmGuardLockPath(stateDir), GUARD_STALE_MS);
  return status.held ? status.holder : null;
}

export interface EnsureGuardOptions {
  stateDir: string;
  configPath: string;
  lab?: boolean;
  /** The script to run (tests: a launcher that installs test hooks); default the injected launcher's, else confirmGuardEntry(). */
  entry?: string;
  /** Arguments put between the script and `--state-dir …` (a test launcher's own options); default none. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
}

/** What the guard process runs: a script and the arguments it takes before `--state-dir …`. */
export interface ConfirmGuardLauncher {
  entry: string;
  args?: string[];
}

let guardLauncher: ConfirmGuardLauncher | null = null;

/**
 * Tests only: every later ensureConfirmGuard() of this process that names no `entry` starts this launcher instead
 * of confirmGuardEntry() (a test launcher that sets the guard's poll interval, then runs confirmGuardMain). null
 * restores the default. Production never calls it.
 */
export function setConfirmGuardLauncher(launcher: ConfirmGuardLauncher | null): void {
  guardLauncher = launcher;
}

export type EnsureGuardResult =
  | { spawned: true; pid: number }
  | { spawned: false; reason: 'daemon' | 'guard-running'; pid: number };

/**
 * Makes sure somebody enforces the pending confirmation: the daemon if one runs, else a guard (spawned here,
 * detached, unless one already runs; a running guard picks up a moved deadline by itself). Call it after every
 * `commit confirmed`, and at start-up of any lbctl process that finds a pending confirmation.
 */
export function ensureConfirmGuard(opts: EnsureGuardOptions): EnsureGuardResult {
  const daemon = runningDaemon(opts.stateDir);
  if (daemon) return { spawned: false, reason: 'daemon', pid: daemon.pid };
  const guard = runningConfirmGuard(opts.stateDir);
  if (guard) return { spawned: false, reason: 'guard-running', pid: guard.pid };
  const launcher: ConfirmGuardLauncher = opts.entry !== undefined ? { entry: opts.entry, args: opts.args } : (guardLauncher ?? { entry: confirmGuardEntry(), args: opts.args });
  const args = [launcher.entry, ...(launcher.args ?? []), '--state-dir', opts.stateDir, '--config', opts.configPath];
  if (opts.lab) args.push('--lab');
  // detached: its own session and process group, so the terminal's hangup and the shell's group kill miss it.
  const child = spawn(process.execPath, args, { detached: true, stdio: 'ignore', env: opts.env ?? process.env, cwd: '/' });
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start the commit-confirmed guard (${process.execPath} ${args.join(' ')})`);
  return { spawned: true, pid: child.pid };
}

export type GuardExit =
  /** The pending confirmation went away (confirmed, or another process rolled it back): nothing to do. */
  | 'no-pending'
  /** The deadline passed and this guard rolled back. */
  | 'rolled-back'
  /** Another live guard holds the lock. */
  | 'another-guard'
  /** A daemon runs for this state directory and enforces the deadline. */
  | 'daemon';

export interface GuardOptions {
  stateDir: string;
  configPath: string;
  /** What to do after the store recorded the rollback: re-apply the restored configuration to the kernel. */
  rollback: (expiry: ConfirmExpiry) => Promise<void>;
  /**
   * What to do about a kernel-pending record whose writer died (a `commit confirmed` killed between the kernel and
   * the store): make the kernel run the running revision (engine/recover.ts). Returns words for the log.
   */
  recover?: () => Promise<string>;
  pollMs?: number;
  log?: (message: string) => void;
  /** Injectable for tests; default: the daemon lock's live holder. */
  daemonRunning?: () => boolean;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The pending record as the store persists it (lock-free read); null when none. */
export async function readPendingConfirm(stateDir: string, configPath: string): Promise<PendingConfirm | null> {
  const store = await openStore({ stateDir, configPath, readOnly: true });
  return store.pendingConfirm();
}

async function tryLock(stateDir: string): Promise<HeldLock | null> {
  try {
    return await acquireLock({ name: 'commit-confirmed guard', path: confirmGuardLockPath(stateDir), holder: describeHolder(), staleMs: GUARD_STALE_MS, waitMs: 0 });
  } catch (err) {
    if (err instanceof LockHeldError) return null;
    throw err;
  }
}

/** The guard's loop (the detached process runs it; tests may run it in-process). */
export async function runGuard(opts: GuardOptions): Promise<GuardExit> {
  const log = opts.log ?? (() => {});
  const pollMs = opts.pollMs ?? DEFAULT_GUARD_POLL_MS;
  const now = opts.now ?? storeClockNow; // the clock the store judges the deadline by
  const sleep = opts.sleep ?? realSleep;
  const daemonRunning = opts.daemonRunning ?? (() => runningDaemon(opts.stateDir) !== null);
  let outcome: GuardExit = 'no-pending';
  let recoveries = 0;
  let lock = await tryLock(opts.stateDir);
  if (!lock) return 'another-guard';
  log(`guard started for ${opts.stateDir}`);
  try {
    for (;;) {
      if (daemonRunning()) {
        log('a daemon runs for this state directory: it enforces the deadline; guard exits');
        return 'daemon';
      }
      // A commit confirmed starts its guard before it touches the kernel (engine/commit-transaction.ts
      // onKernelPending): while its writer lives the record says "wait, a deadline may be on its way"; a dead
      // writer's record is finished here, so that the kill needs no later lbctl start to be set right.
      const unfinished = readKernelPending(opts.stateDir);
      if (unfinished && writerAlive(unfinished)) {
        await sleep(pollMs);
        continue;
      }
      if (unfinished && opts.recover && recoveries < MAX_RECOVERIES) {
        recoveries++;
        try {
          log(`the change of pid ${unfinished.pid} (${unfinished.why}) was left between the kernel and the store: ${await opts.recover()}`);
        } catch (err) {
          log(`recovery attempt ${recoveries}/${MAX_RECOVERIES} failed: ${(err as Error).message}`);
          await sleep(pollMs);
        }
        continue;
      }
      let pending: PendingConfirm | null;
      try {
        pending = await readPendingConfirm(opts.stateDir, opts.configPath);
      } catch (err) {
        log(`cannot read the pending confirmation (will retry): ${(err as Error).message}`);
        await sleep(pollMs);
        continue;
      }
      if (!pending) {
        // Release first, then look again: a `commit confirmed` that saw our lock held had already written its
        // kernel-pending record, and writes its deadline before removing that record; reading the record first
        // and the deadline second, we see one of the two, or its committer sees no guard and starts one.
        await lock.release();
        lock = null;
        const left = readKernelPending(opts.stateDir);
        const inFlight = left !== null && writerAlive(left); // a dead writer's record is past this guard's help
        if (left && !inFlight) log(`giving up on the record of pid ${left.pid} after ${recoveries} recovery attempt(s): the next lbctl start tries again`);
        if (!inFlight && (await readPendingConfirm(opts.stateDir, opts.configPath).catch(() => null)) === null) {
          log(`no pending confirmation: guard exits (${outcome})`);
          return outcome;
        }
        lock = await tryLock(opts.stateDir);
        if (!lock) return 'another-guard';
        continue;
      }
      const wait = Date.parse(pending.deadline) - now();
      if (wait > 0) {
        await sleep(Math.min(wait, pollMs));
        continue;
      }
      try {
        // Opening the store already expires a due confirmation (and reports it); otherwise expire it now. The
        // store re-checks the deadline under the commit lock, so a last-second extension wins.
        const store = await openStore({ stateDir: opts.stateDir, configPath: opts.configPath });
        const expiry = store.openReport.expiredConfirm ?? (await store.expireConfirmIfDue());
        if (expiry) {
          log(`deadline ${pending.deadline} passed: revision ${expiry.expired.revision} rolled back to ${expiry.expired.previousRevision}` + (expiry.revision ? ` as revision ${expiry.revision.number}` : ' (running already equal)'));
          outcome = 'rolled-back';
          try {
            await opts.rollback(expiry);
          } catch (err) {
            log(`kernel re-apply after the rollback failed: ${(err as Error).stack ?? err}`);
          }
        }
      } catch (err) {
        log(`rollback attempt failed (will retry): ${(err as Error).message}`);
        await sleep(pollMs);
      }
    }
  } finally {
    await lock?.release().catch(() => {});
  }
}

/** Recovery attempts one guard makes before it leaves a stubborn record to the next lbctl start. */
const MAX_RECOVERIES = 5;

/** The record's writer may still finish it: alive and not this guard (whose own failed step is not in flight). */
function writerAlive(r: KernelPending): boolean {
  return r.pid > 0 && r.pid !== process.pid && pidAlive(r.pid);
}

/** A logger appending timestamped lines to the guard's log file (best effort: logging never stops the guard). */
export function guardFileLogger(stateDir: string): (message: string) => void {
  const path = confirmGuardLogPath(stateDir);
  return (message) => {
    try {
      ensureDir(stateDir, 0o755);
      const fd = openAppendNoFollow(path, 0o640); // never through a planted symlink
      try {
        writeSync(fd, `${new Date().toISOString()} [${process.pid}] ${message}\n`);
        rotateIfLarge(path, auditRotation(null), fstatSync(fd).size); // bounded like the audit trail
      } finally {
        closeSync(fd);
      }
    } catch {
      /* nowhere else to report */
    }
  };
}

export interface ConfirmGuardMainOptions {
  /** How often the guard re-reads the pending record (default DEFAULT_GUARD_POLL_MS); tests inject a shorter one. */
  pollMs?: number;
}

/**
 * The guard process: `confirm-guard-main.js --state-dir DIR --config PATH [--lab]` runs this with its argv (the
 * arguments after the script). Returns the exit code. Options come from the caller only (a test launcher), never
 * from the environment.
 */
export async function confirmGuardMain(argv: string[], opts: ConfirmGuardMainOptions = {}): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { 'state-dir': { type: 'string' }, config: { type: 'string' }, lab: { type: 'boolean' } },
    strict: true,
  });
  if (!values['state-dir'] || !values.config) {
    process.stderr.write('usage: confirm-guard-main.js --state-dir DIR --config PATH [--lab]\n');
    return 2;
  }
  const stateDir = resolve(values['state-dir']);
  const configPath = resolve(values.config);
  const lab = Boolean(values.lab);
  const log = guardFileLogger(stateDir);
  const poll = opts.pollMs;
  try {
    // Loaded here: the engine and the dataplane are needed only by the guard process, not by its starters.
    const { reapplyAfterExpiry, recoverLeftChange } = await import('./confirm-rollback.js');
    const exit = await runGuard({
      stateDir,
      configPath,
      pollMs: poll !== undefined && Number.isFinite(poll) && poll > 0 ? poll : undefined,
      log,
      rollback: async (expiry) => {
        const kernel = await reapplyAfterExpiry(expiry, { stateDir, lab, log });
        log(kernel ? `kernel: ${kernel.ok ? `${kernel.applied.length} operation(s) in effect` : `FAILED: ${kernel.failed}`}` : 'kernel: nothing to re-apply');
      },
      recover: () => recoverLeftChange({ stateDir, configPath, lab }),
    });
    log(`exit: ${exit}`);
    return 0;
  } catch (err) {
    log(`guard failed: ${(err as Error).stack ?? err}`);
    return 1;
  }
}
