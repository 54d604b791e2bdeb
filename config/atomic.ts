// Durable file operations for the revision store: every write is temp file → write → fsync → close → rename →
// fsync of the directory, so a reader (or a restarted process) sees either the old bytes or the new bytes,
// never a torn file, and a rename that returned is still there after a power cut.
//
// Every system call that changes the disk goes through `step()`. In production it does nothing; the crash
// tests set LBCTL_TEST_CRASH_AT_STEP=N to make the process SIGKILL itself right after the N-th step (hitting
// every gap between two system calls deterministically), and LBCTL_TEST_STEP_DELAY_MS to stretch a commit so
// randomly timed kills from outside land all over it. Neither variable is meant for operators.
import {
  type Stats,
  closeSync,
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
import { randomBytes } from 'node:crypto';

/** Temp files carry this marker so start-up can sweep leftovers of a killed writer (names never end in .yaml). */
export const TMP_MARKER = '.lbctl-tmp-';

let stepCount = 0;
const crashAt = Number(process.env.LBCTL_TEST_CRASH_AT_STEP ?? 0);
const stepDelayMs = Number(process.env.LBCTL_TEST_STEP_DELAY_MS ?? 0);
const traceSteps = process.env.LBCTL_TEST_TRACE_STEPS === '1';
const sleepCell = new Int32Array(new SharedArrayBuffer(4));

/** Marks the end of one disk-changing system call (a crash-injection point). */
export function step(label: string): void {
  stepCount++;
  if (traceSteps) process.stderr.write(`step ${stepCount} ${label}\n`);
  if (crashAt > 0 && stepCount === crashAt) process.kill(process.pid, 'SIGKILL');
  if (stepDelayMs > 0) Atomics.wait(sleepCell, 0, 0, stepDelayMs);
}

/** How many steps this process has taken (the crash tests use it to learn a commit's length). */
export function stepsTaken(): number {
  return stepCount;
}

function tmpNameFor(path: string): string {
  return join(dirname(path), `.${basename(path)}${TMP_MARKER}${process.pid}-${randomBytes(4).toString('hex')}`);
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

/** Creates a directory (and parents) durably: each new level is fsynced into its parent. */
export function ensureDir(dir: string, mode = 0o755): void {
  const created = mkdirSync(dir, { recursive: true, mode });
  if (created === undefined) return;
  // mkdirSync returns the first directory it created; fsync every parent from there up to `dir`.
  let d = dir;
  const parents: string[] = [];
  while (d.length >= created.length) {
    parents.push(dirname(d));
    if (d === created) break;
    d = dirname(d);
  }
  for (const p of parents) fsyncDir(p);
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
  const fd = openSync(tmp, 'w', existing ? existing.mode & 0o7777 : mode);
  step(`create ${tmp}`);
  try {
    if (existing) {
      fchmodSync(fd, existing.mode & 0o7777); // the umask may have narrowed the open() mode
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
    if (!name.includes(TMP_MARKER)) continue;
    rmSync(join(dir, name), { force: true, recursive: true });
    removed.push(name);
  }
  return removed;
}
