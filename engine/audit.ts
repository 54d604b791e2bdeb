// The audit trail: one JSON line per commit-path event (commit, check, confirm, rollback, confirm-timeout,
// abort, apply, disable, …), appended and fsync'd before the caller reports success.
//
// Why the write discipline: several processes append to the same file (shells, the daemon, a confirm guard).
// Each record is ONE write(2) on a descriptor opened with O_APPEND, so the kernel places it at the end as a
// whole and records never interleave; fsync makes it survive a power cut. A process killed in the middle of that
// write can still leave a torn last line: readers skip it (and say so), and the next writer starts its record on
// a new line so the torn fragment cannot swallow it.
import { closeSync, fstatSync, fsyncSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { ensureDir, openAppendNoFollow, step } from '../store/atomic.js';
import { dirname, isAbsolute, join } from 'node:path';
import type { Config } from '../config/model.js';
import { DEFAULT_AUDIT_KEEP, DEFAULT_AUDIT_MAX_BYTES } from '../config/defaults.js';
import { rotateIfLarge, type Rotation } from './log-rotation.js';
import { describeOp } from '../netlink/describe.js';
import type { ApplyResult } from './engine.js';
import { describeFailure } from './explain.js';

export const AUDIT_FILE = 'audit.jsonl';

export type AuditAction =
  | 'commit'
  | 'check'
  | 'confirm'
  | 'rollback'
  | 'confirm-timeout'
  | 'abort'
  | 'apply'
  | 'disable'
  | 'update'
  | 'load'
  /** A health-check verdict changed (the daemon), or was set by hand in the lab. */
  | 'health'
  /** A start found a change interrupted between the kernel and the store, and made the kernel run the store's revision. */
  | 'recover'
  /** A VRRP instance changed state on this node (the daemon): one record per transition. */
  | 'vrrp'
  /** A backend drained for maintenance, drained to its end, or resumed (engine/drain/drains.ts). */
  | 'drain';

export type AuditResult = 'ok' | 'no-changes' | 'refused' | 'failed';

/** What the kernel did for this event. */
export interface AuditKernel {
  ok: boolean;
  /** Operations in effect afterwards, as `newService tcp 10.0.0.1:80` (none after a rollback). */
  applied: string[];
  /** The operation the kernel refused, with its reason. */
  failed?: string;
  rolledBack?: boolean;
  /** False when a rollback could not restore the kernel exactly. */
  restored?: boolean;
}

export interface AuditRecord {
  /** ISO-8601. */
  time: string;
  user: string;
  uid?: number;
  sudoUser?: string;
  session?: string;
  /** The process that wrote the record. */
  pid?: number;
  action: AuditAction;
  result: AuditResult;
  revisionBefore?: number | null;
  revisionAfter?: number | null;
  comment?: string;
  /** `commit confirmed N`: the minutes armed, and the deadline. */
  confirmMinutes?: number;
  deadline?: string;
  /** `show | compare` text of the change (empty when none). */
  diff?: string;
  kernel?: AuditKernel;
  /** Why it was refused or failed, in the operator's words. */
  error?: string;
  /** action health: the target, its change and the backends it concerns (engine/daemon/health-runner.ts). */
  health?: {
    target: string;
    from: string;
    to: string;
    /** `web/127.0.0.1:8080`, … */
    backends: string[];
    /** The failing probe's words (a transition to down), or `set by hand`. */
    reason?: string;
  };
  /** action drain: the backends (`web/10.0.1.2:8080`) and where they went (`draining`, `resumed`, `drained (timeout), removed`). */
  drain?: { backends: string[]; to: string; /** The request's note (engine/drain/drain-file.ts): never written twice. */ id?: string };
  /** action vrrp: the instance, its change, and the node's summary after it (engine/daemon/ha-runner.ts). */
  vrrp?: {
    instance: string;
    from: string;
    to: string;
    /** event, poll, start. */
    source: string;
    /** `master`, `backup`, `master,split-brain`, `unknown`. */
    summary: string;
    reason?: string;
  };
}

/**
 * Where the trail lives: observability.audit.path of the running configuration (relative paths are relative to
 * the state directory), or `<stateDir>/audit.jsonl` when there is no configuration or in the lab (which must
 * not write under /var/log).
 */
export function auditPath(opts: { stateDir: string; config?: Config | null; lab?: boolean }): string {
  const configured = opts.config?.observability?.audit?.path;
  if (opts.lab || !configured) return join(opts.stateDir, AUDIT_FILE);
  return isAbsolute(configured) ? configured : join(opts.stateDir, configured);
}

/** observability.audit's size limit (defaults without a configuration). */
export function auditRotation(config?: Config | null): Rotation {
  const a = config?.observability?.audit;
  return { maxBytes: a?.max_bytes ?? DEFAULT_AUDIT_MAX_BYTES, keep: a?.keep ?? DEFAULT_AUDIT_KEEP };
}

/** The kernel part of a record from an engine apply. */
export function kernelOfApply(result: ApplyResult): AuditKernel {
  return {
    ok: result.ok,
    applied: result.applied.map(describeOp),
    ...(result.failed ? { failed: describeFailure(result.failed) } : result.dataplaneError ? { failed: result.dataplaneError } : {}),
    ...(result.rolledBack ? { rolledBack: true, restored: result.restored } : {}),
  };
}

/** True when the file is non-empty and its last byte is not a newline (a writer died mid-record). */
function endsTorn(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] !== 0x0a;
}

/** Hears each record this process appended (after it is durable). */
export type AuditObserver = (record: AuditRecord) => void;
const observers = new Set<AuditObserver>();

/**
 * Observers hear every record this process appends: the daemon repeats each as a log record
 * (engine/observe/audit-log.ts). Returns the function that removes the observer. The trail is the record of
 * truth: an observer that throws is ignored, never failing the commit that was audited.
 */
export function observeAudit(fn: AuditObserver): () => void {
  observers.add(fn);
  return () => void observers.delete(fn);
}

/**
 * Appends one record and fsyncs it. Throws on I/O errors: a commit path that cannot audit must say so.
 * `time` and `pid` are filled in when absent.
 */
export function appendAudit(path: string, record: Omit<AuditRecord, 'time'> & { time?: string }, rotation?: Rotation): AuditRecord {
  const full: AuditRecord = { time: new Date().toISOString(), pid: process.pid, ...record } as AuditRecord;
  ensureDir(dirname(path), 0o750);
  // Never through a symlink planted at the log's name (a root commit appended to a root-only file that way).
  const fd = openAppendNoFollow(path, 0o640, true);
  try {
    // O_RDWR (not O_WRONLY) only so endsTorn can read the last byte; every write still goes to the end.
    // Two writers may both see a torn tail and both add a newline: that only makes an empty line, which readers skip.
    const line = (endsTorn(fd) ? '\n' : '') + JSON.stringify(full) + '\n';
    const buf = Buffer.from(line, 'utf8');
    let off = 0;
    // One write for regular files in practice; the loop only guards against a short write (disk full mid-way),
    // where the next write reports the error.
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
    // A durable change like the store's writes: crash tests can place a kill right after the line is on disk.
    step(`append ${path}`);
    rotateIfLarge(path, rotation, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
  for (const fn of observers) {
    try {
      fn(full);
    } catch {
      /* see observeAudit */
    }
  }
  return full;
}

export interface SkippedLine {
  /** 1-based line number in the file; 0 when only the end of the file was read (`show audit last N`). */
  line: number;
  reason: string;
  /** True for an unterminated last line: a writer that died mid-record. */
  torn: boolean;
}

export interface AuditRead {
  records: AuditRecord[];
  /** Lines that could not be read, so `show audit` can say the trail is damaged instead of hiding it. */
  skipped: SkippedLine[];
}

function isRecord(v: unknown): v is AuditRecord {
  const r = v as AuditRecord;
  return typeof r === 'object' && r !== null && typeof r.time === 'string' && typeof r.action === 'string' && typeof r.user === 'string';
}

/** Parses the trail's text (pure: the unit tests feed it strings). */
export function parseAudit(text: string, opts: { last?: number; lineNumbers?: boolean } = {}): AuditRead {
  const lines = text.split('\n');
  const terminated = text.endsWith('\n');
  if (terminated) lines.pop();
  const records: AuditRecord[] = [];
  const skipped: SkippedLine[] = [];
  lines.forEach((raw, i) => {
    if (raw.trim() === '') return;
    const torn = !terminated && i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (err) {
      skipped.push({ line: opts.lineNumbers === false ? 0 : i + 1, torn, reason: torn ? 'incomplete last record (a writer stopped mid-write)' : `not JSON: ${(err as Error).message}` });
      return;
    }
    if (!isRecord(value)) {
      skipped.push({ line: opts.lineNumbers === false ? 0 : i + 1, torn: false, reason: 'not an audit record (time, user or action missing)' });
      return;
    }
    records.push(value);
  });
  const last = opts.last;
  return { records: last !== undefined && last >= 0 ? records.slice(Math.max(0, records.length - last)) : records, skipped };
}

/**
 * Reads the trail; a missing file is an empty trail. `last` keeps the newest N records, reading only as much of
 * the end of the file as they need (a trail of gigabytes costs `show audit last 10` a few kilobytes).
 */
export function readAudit(path: string, opts: { last?: number } = {}): AuditRead {
  if (opts.last !== undefined && opts.last >= 0) return readAuditTail(path, opts.last);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: [] };
    throw err;
  }
  return parseAudit(text, opts);
}

const TAIL_CHUNK = 64 * 1024;

function readAuditTail(path: string, last: number): AuditRead {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], skipped: [] };
    throw err;
  }
  try {
    const size = fstatSync(fd).size;
    let start = size;
    let chunks: Buffer[] = [];
    for (;;) {
      const from = Math.max(0, start - TAIL_CHUNK);
      const buf = Buffer.alloc(start - from);
      readSync(fd, buf, 0, buf.length, from);
      chunks = [buf, ...chunks];
      start = from;
      const data = Buffer.concat(chunks);
      // Drop the partial first line unless the file's start was reached; then parse what is whole.
      const cut = start === 0 ? 0 : data.indexOf(0x0a) + 1;
      if (start === 0 || cut > 0) {
        const read = parseAudit(data.subarray(cut).toString('utf8'), { last, lineNumbers: start === 0 });
        if (read.records.length >= last || start === 0) return read;
      }
    }
  } finally {
    closeSync(fd);
  }
}
