// One named lock on top of proper-lockfile, with a holder record inside the lock directory.
//
// proper-lockfile takes a lock by mkdir(LOCK) and keeps it fresh by touching its mtime every `stale/2` ms; a
// lock whose mtime is older than `stale` is taken over. We keep that mechanism and add two things through its
// `fs` option:
//  - "mkdir" creates the directory WITH its holder record in one step (a temp directory holding holder.json,
//    renamed onto LOCK; the rename fails when LOCK exists and is not empty), so a lock is never seen without
//    knowing who holds it;
//  - "rmdir" first renames LOCK aside and checks the holder record there: it deletes only our own lock or one
//    that is really stale or whose holder is dead. When two processes race to take over the same stale lock,
//    the loser renames the winner's fresh lock back instead of deleting it; and removing someone else's lock is
//    serialised by a per-lock takeover mutex (see removeOthersIf), so that put-back can never race a third process.
// On top, before waiting, a lock whose holder process is dead (pid gone or reused, or a reboot since) is taken
// over at once: a session killed with SIGKILL does not block others for the whole stale period.
import * as fs from 'node:fs';
import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { uniqueSuffix } from './unique-suffix.js';
import { formatHolder, holderLiveness, pidAlive, type LockHolder } from './holder.js';

const HOLDER_FILE = 'holder.json';
const DEFAULT_STALE_MS = 10_000;

export interface LockOptions {
  /** Human name for messages: 'commit', 'configure exclusive', 'daemon'. */
  name: string;
  /** The lock directory, e.g. STATE/locks/commit.lock. */
  path: string;
  holder: LockHolder;
  /** proper-lockfile's stale threshold (≥ 2000 ms); the lock is refreshed every stale/2 ms. */
  staleMs?: number;
  /** How long to wait for a lock held by a live holder; 0 = refuse at once. */
  waitMs?: number;
  /** Called if the lock is lost while held (its directory removed or taken over after an event-loop stall). */
  onCompromised?: (err: Error) => void;
}

export interface HeldLock {
  readonly name: string;
  readonly path: string;
  readonly holder: LockHolder;
  /** Set when proper-lockfile reported the lock compromised. */
  compromised(): Error | null;
  release(): Promise<void>;
}

/** The lock is held by someone else (alive, or not yet stale). The message names the holder. */
export class LockHeldError extends Error {
  readonly code = 'ELOCKHELD';
  constructor(
    readonly lockName: string,
    readonly holder: LockHolder | null,
    message?: string,
  ) {
    super(message ?? `${lockName} lock held by ${holder ? formatHolder(holder) : 'an unknown process'}`);
    this.name = 'LockHeldError';
  }
}

export function readHolder(lockPath: string): LockHolder | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(join(lockPath, HOLDER_FILE), 'utf8')) as LockHolder;
    return typeof parsed?.pid === 'number' && typeof parsed.token === 'string' ? parsed : null;
  } catch {
    return null;
  }
}

function isStaleByMtime(path: string, staleMs: number): boolean {
  try {
    return fs.statSync(path).mtimeMs < Date.now() - staleMs;
  } catch {
    return true;
  }
}

/**
 * May this lock directory be deleted by someone else? On this host the holder's liveness decides (a live
 * holder whose event loop stalled past the stale period keeps its lock; a dead one loses it at once); for a
 * holder on another host (shared state directory) only proper-lockfile's mtime staleness can tell.
 */
function mayTakeOver(dir: string, staleMs: number): boolean {
  const holder = readHolder(dir);
  const liveness = holder ? holderLiveness(holder) : 'unknown';
  if (liveness !== 'unknown') return liveness === 'dead';
  return isStaleByMtime(dir, staleMs);
}

function errno(code: string, message: string): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code });
}

function asidePath(lockPath: string, why: string): string {
  return join(dirname(lockPath), `.${basename(lockPath)}.${why}-${uniqueSuffix()}`);
}

/**
 * Deletes LOCK if `allowed` says so. The check is made twice: in place first (a live lock is never touched,
 * so its holder's next refresh cannot find it missing), then again after renaming LOCK aside, because between
 * the first check and the rename another process may have replaced it with a fresh lock; in that case it is
 * put back. Returns false when the lock was left in place.
 */
function removeIf(lockPath: string, allowed: (dir: string) => boolean, checkedInPlace = false): boolean {
  if (!checkedInPlace) {
    if (!existsSync(lockPath)) return true;
    if (!allowed(lockPath)) return false;
  }
  const aside = asidePath(lockPath, 'removing');
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
    throw err;
  }
  if (allowed(aside)) {
    removeLockDir(aside);
    return true;
  }
  try {
    fs.renameSync(aside, lockPath);
  } catch {
    // A third process took the lock meanwhile; the holder we displaced learns of it at its next refresh
    // (proper-lockfile reports ECOMPROMISED). Drop the displaced directory.
    fs.rmSync(aside, { recursive: true, force: true });
  }
  return false;
}

/** Deletes a lock directory set aside: its holder record and itself, or whatever else a crash left in it. */
function removeLockDir(dir: string): void {
  try {
    fs.unlinkSync(join(dir, HOLDER_FILE));
    fs.rmdirSync(dir);
  } catch {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** How long a takeover mutex may exist before it counts as abandoned (its critical section is a few syscalls). */
const TAKEOVER_ABANDONED_MS = 1000;

/**
 * Runs `removeIf` for someone else's lock under a per-lock takeover mutex (mkdir is atomic). Without it, two
 * processes taking over the same dead holder's lock can interleave so that one renames aside the fresh lock the
 * other has just created, while a third creates yet another: the displaced holder then believes it holds a lock
 * that someone else holds too. Serialised, a lock seen as dead stays that lock until it is removed: nobody else may
 * remove it, and nobody can create a new one while it exists. Returns false (left in place) when the mutex is busy:
 * the caller retries.
 */
function removeOthersIf(lockPath: string, allowed: (dir: string) => boolean): boolean {
  const mutex = join(dirname(lockPath), `.${basename(lockPath)}.takeover`);
  try {
    fs.mkdirSync(mutex);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      // Held for microseconds by a live process; one this old was left by a process killed inside it.
      if (Date.now() - fs.statSync(mutex).mtimeMs > TAKEOVER_ABANDONED_MS) fs.rmSync(mutex, { recursive: true, force: true });
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
  try {
    return removeIf(lockPath, allowed);
  } finally {
    fs.rmSync(mutex, { recursive: true, force: true });
  }
}

/** The `fs` given to proper-lockfile for one acquisition (see the header comment). */
function lockFs(holder: LockHolder, staleMs: number) {
  const canDelete = (aside: string) => readHolder(aside)?.token === holder.token || mayTakeOver(aside, staleMs);
  const mkdir = (path: string, cb: (err: NodeJS.ErrnoException | null) => void) => {
    const tmp = asidePath(path, 'acquiring');
    try {
      fs.mkdirSync(tmp, 0o755);
      fs.chmodSync(tmp, 0o755); // exact modes whatever the umask (under umask 000 locks were 777, holders 666)
      // 'wx': a fresh name, never through a planted symlink; fchmod: the exact mode whatever the umask.
      const fd = fs.openSync(join(tmp, HOLDER_FILE), 'wx', 0o644);
      try {
        fs.fchmodSync(fd, 0o644);
        fs.writeSync(fd, JSON.stringify(holder) + '\n');
      } finally {
        fs.closeSync(fd);
      }
      try {
        fs.renameSync(tmp, path);
      } catch (err) {
        fs.rmSync(tmp, { recursive: true, force: true });
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return cb(errno('EEXIST', `lock ${path} exists`));
        throw err;
      }
      cb(null);
    } catch (err) {
      cb(err as NodeJS.ErrnoException);
    }
  };
  // Our own lock (a release) is removed directly: nobody else removes a live holder's lock. Anyone else's goes
  // through the takeover mutex.
  // (Our own was just read in place: removeIf checks it again only once it is set aside.)
  const remove = (path: string) =>
    readHolder(path)?.token === holder.token ? removeIf(path, canDelete, true) : removeOthersIf(path, canDelete);
  const rmdir = (path: string, cb: (err: NodeJS.ErrnoException | null) => void) => {
    try {
      cb(remove(path) ? null : errno('ELOCKED', 'Lock file is already being held'));
    } catch (err) {
      cb(err as NodeJS.ErrnoException);
    }
  };
  const rmdirSync = (path: string) => {
    remove(path);
  };
  // proper-lockfile's mtime probe at every acquisition and its refresh (utimes, then stat) done in place: a lock's
  // few system calls need no trip through the thread pool each (under emulation the trip costs more than the call).
  const utimes = (path: string, atime: Date, mtime: Date, cb: (err: NodeJS.ErrnoException | null) => void) => {
    try {
      fs.utimesSync(path, atime, mtime);
    } catch (err) {
      return cb(err as NodeJS.ErrnoException);
    }
    cb(null);
  };
  const stat = (path: string, cb: (err: NodeJS.ErrnoException | null, st?: fs.Stats) => void) => {
    let st: fs.Stats;
    try {
      st = fs.statSync(path);
    } catch (err) {
      return cb(err as NodeJS.ErrnoException);
    }
    cb(null, st);
  };
  return { ...fs, mkdir, rmdir, rmdirSync, utimes, stat };
}

/** Lock paths this process has swept (see sweepAside). */
const swept = new Set<string>();

/**
 * Removes leftovers of acquirers/removers that died between their two renames. Once per lock path and process:
 * a leftover has a name of its own and never stands in anyone's way (it is only litter), and one can appear only
 * when a process is killed within microseconds of its renames; a daemon taking the same two locks at every commit
 * need not list the folder each time (five system calls and a listing).
 */
function sweepAside(lockPath: string): void {
  if (swept.has(lockPath)) return;
  swept.add(lockPath);
  const prefix = `.${basename(lockPath)}.`;
  let names: string[] = [];
  try {
    names = fs.readdirSync(dirname(lockPath));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/-(\d+)-[0-9a-f]+$/.exec(name)?.[1]);
    if (!pid || pid === process.pid || pidAlive(pid)) continue; // its owner is still working on it
    fs.rmSync(join(dirname(lockPath), name), { recursive: true, force: true });
  }
}

export interface LockStatus {
  held: boolean;
  holder: LockHolder | null;
  /** 'dead' holders and stale locks do not count as held. */
  liveness: 'alive' | 'dead' | 'unknown';
}

/** Looks at a lock without taking it. */
export function lockStatus(lockPath: string, staleMs = DEFAULT_STALE_MS): LockStatus {
  if (!fs.existsSync(lockPath)) return { held: false, holder: null, liveness: 'unknown' };
  const holder = readHolder(lockPath);
  const liveness = holder ? holderLiveness(holder) : 'unknown';
  if (liveness === 'dead') return { held: false, holder, liveness };
  if (liveness === 'unknown' && isStaleByMtime(lockPath, staleMs)) return { held: false, holder, liveness };
  return { held: true, holder, liveness };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Takes the lock, waiting up to `waitMs` for a live holder; throws LockHeldError naming the holder. */
export async function acquireLock(opts: LockOptions): Promise<HeldLock> {
  const staleMs = Math.max(opts.staleMs ?? DEFAULT_STALE_MS, 2000);
  const deadline = Date.now() + (opts.waitMs ?? 0);
  if (fs.mkdirSync(dirname(opts.path), { recursive: true, mode: 0o755 }) !== undefined) fs.chmodSync(dirname(opts.path), 0o755); // not the umask's
  sweepAside(opts.path);
  const target = opts.path.replace(/\.lock$/, '');
  let compromised: Error | null = null;
  let delay = 5;
  for (;;) {
    try {
      // Loaded at the first lock, not at start: commands that only read never pay for it (docs/output.md).
      const { default: lockfile } = await import('proper-lockfile');
      const release = await lockfile.lock(target, {
        lockfilePath: opts.path,
        realpath: false,
        stale: staleMs,
        retries: 0,
        fs: lockFs(opts.holder, staleMs) as unknown as typeof fs,
        onCompromised: (err: Error) => {
          compromised = err;
          opts.onCompromised?.(err);
        },
      });
      return {
        name: opts.name,
        path: opts.path,
        holder: opts.holder,
        compromised: () => compromised,
        release: async () => {
          if (compromised) return;
          try {
            await release();
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ERELEASED') throw err;
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    }
    // Held. A holder killed with SIGKILL is recognised now rather than after the stale period.
    const holder = readHolder(opts.path);
    if (holder && holderLiveness(holder) === 'dead') {
      if (removeOthersIf(opts.path, (aside) => readHolder(aside)?.token === holder.token)) continue;
      await sleep(1 + Math.random() * 4); // another process is taking it over right now
      continue;
    }
    if (Date.now() >= deadline) throw new LockHeldError(opts.name, holder);
    await sleep(Math.min(delay, Math.max(1, deadline - Date.now())) * (0.5 + Math.random()));
    delay = Math.min(delay * 2, 100);
  }
}
