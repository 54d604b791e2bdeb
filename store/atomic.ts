// Durable file operations for the revision store: every write is temp file → write → fsync → close → rename →
// fsync of the directory, so a reader (or a restarted process) sees either the old bytes or the new bytes,
// never a torn file, and a rename that returned is still there after a power cut.
//
// Every system call that changes the disk goes through `step()`. In production it only counts; the crash
// tests install a hook with setAtomicStepHook() (through their own launcher, test/support/hooks.ts) that makes the
// process SIGKILL itself right after the N-th step (hitting every gap between two system calls
// deterministically), traces the steps, or stretches each step so randomly timed kills from outside land all
// over a commit. Nothing here reads the environment: an installed lbctl has no crash or delay knob.
import {
  type Stats,
  chmodSync,
  closeSync,
  constants,
  fstatSync,
  fchmodSync,
  fchownSync,
  statSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { pidAlive } from '../locks/holder.js';
import { uniqueSuffix } from '../locks/unique-suffix.js';

/** Temp files carry this marker so start-up can sweep leftovers of a killed writer (names never end in .yaml). */
export const TMP_MARKER = '.lbctl-tmp-';

/** Called right after each disk-changing system call: `step` counts from 1 per process, `label` names the call. */
export type AtomicStepHook = (step: number, label: string) => void;

let stepCount = 0;
let stepHook: AtomicStepHook | null = null;

/**
 * Tests only (crash injection, step traces, stretched steps): installs the hook every later step() calls, or
 * removes it with null. Production never installs one, so step() only counts.
 */
export function setAtomicStepHook(hook: AtomicStepHook | null): void {
  stepHook = hook;
}

/** Marks the end of one disk-changing system call (a crash-injection point). */
export function step(label: string): void {
  stepCount++;
  if (stepHook) stepHook(stepCount, label);
}

/** How many steps this process has taken (the crash tests use it to learn a commit's length). */
export function stepsTaken(): number {
  return stepCount;
}

function tmpNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${TMP_MARKER}${uniqueSuffix()}`);
}

/** fsync a directory so the renames and unlinks inside it are durable. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  step(`fsync-dir ${dir}`);
}

/**
 * Creates a directory (and parents) durably: each new level is fsynced into its parent. New levels get exactly
 * `mode`, whatever the umask (under `umask 000` mkdir alone made them 0777).
 */
export function ensureDir(dir: string, mode = 0o755): void {
  const created = mkdirSync(dir, { recursive: true, mode });
  if (created === undefined) return;
  // mkdirSync returns the first directory it created; fsync every parent from there up to `dir`.
  let d = dir;
  const parents: string[] = [];
  while (d.length >= created.length) {
    chmodSync(d, mode);
    parents.push(dirname(d));
    if (d === created) break;
    d = dirname(d);
  }
  for (const p of parents) fsyncDir(p);
}

/**
 * Opens a new file that must not exist yet (O_EXCL: a symlink planted at its name is refused, never followed)
 * with exactly `mode`, whatever the umask.
 */
export function createExclusive(path: string, mode: number): number {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    fchmodSync(fd, mode);
  } catch (e) {
    closeSync(fd);
    throw e;
  }
  return fd;
}

/** Writes a file that must not exist yet (a fresh temporary name): exclusive, never through a symlink, exact mode. */
export function writeNewFile(path: string, data: string, mode: number): void {
  const fd = createExclusive(path, mode);
  try {
    const buf = Buffer.from(data, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens `path` for appending without following a symlink at its name (O_NOFOLLOW: ELOOP), creating it with
 * exactly `mode` if absent; an existing file keeps the mode its owner gave it. Only a regular file is accepted.
 * `read` adds read access (the audit log checks its last byte).
 */
export function openAppendNoFollow(path: string, mode: number, read = false): number {
  const access = read ? constants.O_RDWR : constants.O_WRONLY;
  let fd: number;
  try {
    fd = openSync(path, access | constants.O_APPEND | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
    fchmodSync(fd, mode);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    fd = openSync(path, access | constants.O_APPEND | constants.O_NOFOLLOW);
  }
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw Object.assign(new Error(`${path} is not a regular file: lbctl appends only to regular files`), { code: 'EINVAL', path });
  }
  return fd;
}

/**
 * Writes `data` to `path` atomically and durably. The rename makes a new inode, so an existing file's mode and
 * owner are carried over (an operator's `0640 root:lbctl` stays so); `mode` applies to new files only.
 */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o644): void {
  const tmp = tmpNameFor(path);
  let existing: Stats | undefined;
  try {
    existing = statSync(path);
  } catch {
    existing = undefined;
  }
  // A fresh, exclusive name: nothing planted there is followed; the mode is exact whatever the umask.
  const fd = createExclusive(tmp, existing ? existing.mode & 0o7777 : mode);
  step(`create ${tmp}`);
  try {
    if (existing) {
      if (process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0)) fchownSync(fd, existing.uid, existing.gid);
    }
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    step(`write ${tmp}`);
    fsyncSync(fd);
    step(`fsync ${tmp}`);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  step(`rename ${path}`);
  fsyncDir(dirname(path));
}

/** Removes a file durably; a file that is already gone is fine (recovery replays removals). */
export function unlinkDurable(path: string): boolean {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  step(`unlink ${path}`);
  fsyncDir(dirname(path));
  return true;
}

/** Renames a file durably (both names are in one directory); a source already gone is fine (replays). */
export function renameDurable(from: string, to: string): boolean {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  step(`rename ${from} ${to}`);
  fsyncDir(dirname(to));
  return true;
}

/** Reads a file, or null when it does not exist. */
export function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** Deletes temp files left in `dir` by a writer that was killed. Call only while holding the commit lock. */
export function sweepTempFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  for (const name of names) {
    const at = name.indexOf(TMP_MARKER);
    if (at < 0) continue;
    // Another live process's file in flight (a shell saving the shared candidate holds no commit lock): not
    // ours to remove. Only a dead writer's leftovers go.
    const pid = Number(/^(\d+)-/.exec(name.slice(at + TMP_MARKER.length))?.[1]);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) continue;
    rmSync(join(dir, name), { force: true, recursive: true });
    removed.push(name);
  }
  return removed;
}

