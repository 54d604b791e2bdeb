// The registry of configuration sessions: who is in configure mode, of which kind, since when, idle how long,
// with uncommitted changes or not, and where in the hierarchy (Junos `status`, `show configuration sessions`).
//
// One small JSON file per session in STATE/sessions/, written by rename so readers never see half of one.
// Entries are not trusted to be removed: a shell killed with SIGKILL or a dropped SSH connection leaves its file
// behind, so every read checks the owner process (pid alive, same start time, same boot) and prunes the dead.
import { chmodSync, mkdirSync, readdirSync, readFileSync, renameSync, unlinkSync } from 'node:fs';
import { writeNewFile } from '../store/atomic.js';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { sudoInvoker } from '../config/identity.js';
import { currentBootId, currentTty, holderLiveness, pidAlive, processStartTime } from '../locks/holder.js';

export type SessionKind = 'shared' | 'private' | 'exclusive';

export interface SessionEntry {
  id: string;
  user: string;
  /** The sudo invoker (verified: config/identity.ts sudoInvoker), noted beside the real user. */
  sudoUser?: string;
  /** The process whose death ends the session (the shell; for a daemon-hosted session, the client). */
  pid: number;
  /** Kernel start time of pid: a reused pid is not mistaken for the session. */
  pidStart?: number;
  bootId?: string;
  host: string;
  /** `pts/3`; absent when not on a terminal (a script). */
  tty?: string;
  kind: SessionKind;
  /** ISO times. */
  since: string;
  lastActive: string;
  /** The candidate differs from its base (uncommitted changes). */
  dirty: boolean;
  /** Where the session is in the hierarchy: [] = top, ['services', 'web'] = inside service web. */
  path: string[];
  /** The running revision the candidate is based on (private / exclusive sessions). */
  baseRevision?: number;
}

export function sessionsDir(stateDir: string): string {
  return join(stateDir, 'sessions');
}

function entryPath(stateDir: string, id: string): string {
  return join(sessionsDir(stateDir), `${id}.json`);
}

function writeEntry(stateDir: string, entry: SessionEntry): void {
  const dir = sessionsDir(stateDir);
  if (mkdirSync(dir, { recursive: true, mode: 0o755 }) !== undefined) chmodSync(dir, 0o755); // exact, whatever the umask
  // No fsync: the registry describes live processes, which a crash ends anyway.
  const tmp = join(dir, `.${entry.id}.${process.pid}.${randomBytes(3).toString('hex')}.tmp`);
  writeNewFile(tmp, JSON.stringify(entry) + '\n', 0o644);
  renameSync(tmp, entryPath(stateDir, entry.id));
}

export interface RegisterOptions {
  kind: SessionKind;
  /** Defaults: this process's OS user, pid and terminal. A daemon passes its peer's (SO_PEERCRED). */
  user?: string;
  sudoUser?: string;
  pid?: number;
  tty?: string;
  id?: string;
  path?: string[];
  baseRevision?: number;
  now?: () => Date;
}

export interface SessionHandle {
  readonly id: string;
  entry(): SessionEntry;
  /** Records a change of state (dirty, path, kind, base) and marks the session active. */
  update(patch: Partial<Pick<SessionEntry, 'dirty' | 'path' | 'kind' | 'baseRevision'>>): void;
  /** Marks the session active (a command was entered). */
  touch(): void;
  /** Leaves configuration mode: removes the entry. */
  close(): void;
}

function osUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid${process.getuid?.() ?? '?'}`;
  }
}

/** Enters a session into the registry. */
export function registerSession(stateDir: string, opts: RegisterOptions): SessionHandle {
  const now = opts.now ?? (() => new Date());
  const pid = opts.pid ?? process.pid;
  const user = opts.user ?? osUser();
  const sudoUser = opts.sudoUser ?? (opts.user === undefined ? sudoInvoker() : undefined);
  const tty = opts.tty ?? (opts.pid === undefined ? currentTty() : undefined);
  const since = now().toISOString();
  let entry: SessionEntry = {
    id: opts.id ?? `${pid}-${randomBytes(3).toString('hex')}`,
    user,
    ...(sudoUser && sudoUser !== user ? { sudoUser } : {}),
    pid,
    pidStart: processStartTime(pid),
    bootId: currentBootId(),
    host: hostname(),
    ...(tty ? { tty } : {}),
    kind: opts.kind,
    since,
    lastActive: since,
    dirty: false,
    path: opts.path ?? [],
    ...(opts.baseRevision !== undefined ? { baseRevision: opts.baseRevision } : {}),
  };
  writeEntry(stateDir, entry);
  let closed = false;
  const save = () => {
    if (!closed) writeEntry(stateDir, entry);
  };
  return {
    id: entry.id,
    entry: () => entry,
    update(patch) {
      entry = { ...entry, ...patch, lastActive: now().toISOString() };
      save();
    },
    touch() {
      entry = { ...entry, lastActive: now().toISOString() };
      save();
    },
    close() {
      closed = true;
      try {
        unlinkSync(entryPath(stateDir, entry.id));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      }
    },
  };
}

/** Alive unless provably dead (another host's session: only its own host can tell; it is kept). */
function isAlive(e: SessionEntry): boolean {
  return (
    holderLiveness({ user: e.user, pid: e.pid, pidStart: e.pidStart, host: e.host, bootId: e.bootId, since: e.since, token: e.id }) !== 'dead'
  );
}

/**
 * The live sessions, oldest first. Entries of dead processes are removed (unless `prune: false`), unreadable
 * ones skipped: a damaged file must not hide the other sessions.
 */
export function listSessions(stateDir: string, opts: { prune?: boolean } = {}): SessionEntry[] {
  const dir = sessionsDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const out: SessionEntry[] = [];
  for (const name of names) {
    // A writer killed between its temp file and the rename leaves `.ID.PID.RAND.tmp`: swept once PID is gone.
    const tmp = /^\..+\.(\d+)\.[0-9a-f]+\.tmp$/.exec(name);
    if (tmp) {
      if (opts.prune !== false && !pidAlive(Number(tmp[1]))) {
        try {
          unlinkSync(join(dir, name));
        } catch {
          /* another reader swept it first */
        }
      }
      continue;
    }
    if (!name.endsWith('.json') || name.startsWith('.')) continue;
    let entry: SessionEntry;
    try {
      entry = JSON.parse(readFileSync(join(dir, name), 'utf8')) as SessionEntry;
      if (typeof entry.pid !== 'number' || typeof entry.id !== 'string') continue;
    } catch {
      continue; // removed between readdir and read, or damaged
    }
    if (!isAlive(entry)) {
      if (opts.prune !== false) {
        try {
          unlinkSync(join(dir, name));
        } catch {
          /* another reader pruned it first */
        }
      }
      continue;
    }
    out.push(entry);
  }
  return out.sort((a, b) => a.since.localeCompare(b.since) || a.id.localeCompare(b.id));
}
