// Who holds a lock, and whether that holder can still be alive. A lock's directory carries a holder record so
// a refusal can name the holder ("by alice (pid 4242, pts/3) since 15:02:11") and so a holder killed with
// SIGKILL can be recognised as dead at once (pid gone, or pid reused by another process, or a reboot since),
// instead of waiting for proper-lockfile's mtime staleness.
import { hostname, userInfo } from 'node:os';
import { readFileSync, readlinkSync } from 'node:fs';
import { uniqueToken } from './unique-suffix.js';

export interface LockHolder {
  user: string;
  /** The invoking user when run through sudo (SUDO_USER), noted beside the real one. */
  sudoUser?: string;
  /** The process whose death frees the lock (a shell session; for a daemon acting for a client, the client). */
  pid: number;
  /** Kernel start time of `pid` (clock ticks since boot), so a reused pid is not mistaken for the holder. */
  pidStart?: number;
  tty?: string;
  host: string;
  /** /proc/sys/kernel/random/boot_id at acquisition: a holder from before a reboot is dead. */
  bootId?: string;
  /** ISO time of acquisition. */
  since: string;
  /** Shell session id, when a session holds it. */
  session?: string;
  /** Unique per acquisition: lets a releaser tell its own lock directory from one that replaced it. */
  token: string;
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The fields of /proc/PID/stat from field 3 (state) on, or undefined when pid does not exist. */
function procStatFields(pid: number): string[] | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (stat === undefined) return undefined;
  // The command name (field 2) may contain spaces and parentheses: fields resume after the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of /proc/PID/stat (start time in clock ticks after boot), or undefined when pid does not exist. */
export function processStartTime(pid: number): number | undefined {
  const rest = procStatFields(pid);
  if (rest === undefined) return undefined;
  const start = Number(rest[19]);
  return Number.isFinite(start) ? start : undefined;
}

/**
 * True when pid has exited but its parent has not reaped it yet (state Z, or X while being reaped). Such a
 * process still answers kill(pid, 0) and still has a /proc entry, yet it will never release a lock again.
 */
export function isZombie(pid: number): boolean {
  const state = procStatFields(pid)?.[0];
  return state === 'Z' || state === 'X';
}

export function currentBootId(): string | undefined {
  return readProc('/proc/sys/kernel/random/boot_id')?.trim();
}

/** The controlling terminal of this process as `pts/3`, from where stdin points; undefined when not a tty. */
export function currentTty(): string | undefined {
  for (const fd of [0, 1, 2]) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith('/dev/pts/') || /^\/dev\/tty\w*$/.test(target)) return target.slice('/dev/'.length);
    } catch {
      /* not a link we can read */
    }
  }
  return undefined;
}

export interface HolderOverrides {
  user?: string;
  sudoUser?: string;
  pid?: number;
  tty?: string;
  session?: string;
  since?: Date;
}

/**
 * The holder record for this process. The user comes from the operating system (never from typed input);
 * overrides exist for a daemon acting for a peer it identified with SO_PEERCRED, and for tests.
 */
let osUser: { uid: number | undefined; name: string } | null = null;

/** This process's user name, looked up once per uid (getpwuid reads the user database: two locks per commit). */
function processUser(): string {
  const uid = process.getuid?.();
  if (!osUser || osUser.uid !== uid) {
    let name: string;
    try {
      name = userInfo().username;
    } catch {
      name = `uid ${uid ?? '?'}`;
    }
    osUser = { uid, name };
  }
  return osUser.name;
}

/**
 * This process's start time, boot id and terminal: fixed for its life, so read once (a daemon takes two locks per
 * commit, and these were five reads of /proc each time, ~50 ms of a commit under emulation).
 */
let ownProcess: { pid: number; pidStart: number | undefined; bootId: string | undefined; tty: string | undefined } | null = null;

function ownProcessFacts(): { pidStart: number | undefined; bootId: string | undefined; tty: string | undefined } {
  // A forked child has another pid: read again.
  if (!ownProcess || ownProcess.pid !== process.pid) {
    ownProcess = { pid: process.pid, pidStart: processStartTime(process.pid), bootId: currentBootId(), tty: currentTty() };
  }
  return ownProcess;
}

export function describeHolder(overrides: HolderOverrides = {}): LockHolder {
  const pid = overrides.pid ?? process.pid;
  const user = overrides.user ?? processUser();
  const sudoUser = overrides.sudoUser ?? (overrides.user === undefined ? process.env.SUDO_USER : undefined);
  const own = pid === process.pid ? ownProcessFacts() : null;
  return {
    user,
    ...(sudoUser ? { sudoUser } : {}),
    pid,
    pidStart: own ? own.pidStart : processStartTime(pid),
    tty: overrides.tty ?? (overrides.pid === undefined ? own!.tty : undefined),
    host: hostname(),
    bootId: own ? own.bootId : currentBootId(),
    since: (overrides.since ?? new Date()).toISOString(),
    ...(overrides.session ? { session: overrides.session } : {}),
    token: uniqueToken(),
  };
}

export type Liveness = 'alive' | 'dead' | 'unknown';

/**
 * Whether a process of this host with this pid can still be working: it exists (EPERM: it does, someone else's)
 * and is not a zombie (a SIGKILLed child its parent has not reaped yet keeps its pid).
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return !isZombie(pid);
}

/**
 * Whether the holder can still be running. 'unknown' when it ran on another host (shared state directory):
 * then only proper-lockfile's mtime staleness can free the lock.
 */
export function holderLiveness(holder: LockHolder): Liveness {
  if (holder.host !== hostname()) return 'unknown';
  const boot = currentBootId();
  if (holder.bootId && boot && holder.bootId !== boot) return 'dead';
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'dead';
    // EPERM: a process with that pid exists but belongs to someone else; fall through to the start-time check.
  }
  const start = processStartTime(holder.pid);
  if (start === undefined) return 'dead';
  if (holder.pidStart !== undefined && start !== holder.pidStart) return 'dead';
  // A SIGKILLed holder whose parent has not reaped it yet: dead, though its pid still exists.
  if (isZombie(holder.pid)) return 'dead';
  return 'alive';
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** `15:02:11` for today, `2026-11-24 15:02:11` otherwise (local time, as an operator reads a clock). */
export function formatClock(iso: string, now: Date = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const clock = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
  const sameDay =
    d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate();
  return sameDay ? clock : `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clock}`;
}

/** `alice (pid 4242, pts/3) since 15:02:11` */
export function formatHolder(holder: LockHolder, now: Date = new Date()): string {
  const who = holder.sudoUser && holder.sudoUser !== holder.user ? `${holder.sudoUser} (as ${holder.user})` : holder.user;
  const where = [`pid ${holder.pid}`];
  if (holder.tty) where.push(holder.tty);
  if (holder.host !== hostname()) where.push(`on ${holder.host}`);
  return `${who} (${where.join(', ')}) since ${formatClock(holder.since, now)}`;
}
