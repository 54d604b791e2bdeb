// The running revision's number and node name as a plain reader sees them on disk, without opening the store:
// no lock, no recovery, none of the store's modules. For the shell's first prompt, painted before the session has
// loaded (shell/first-screen.ts). It answers only when the disk leaves no doubt: with a commit in flight or
// interrupted (intent.json) or a confirmation pending (confirm.json, which may expire at the open), or anything it
// cannot read, it answers null, and the caller waits for the store's own answer. A revision stored as a
// difference (format 2, store/revision-format.ts) names the node when its change did; otherwise its checkpoint,
// listed or hidden (NNNNNNNNNN.base.json), does.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIRM_FILE, INTENT_FILE, REVISION_FILE, hiddenCheckpointName, revisionFileName } from './state-names.js';

export interface RunningPeek {
  number: number;
  /** `node.name` of the running configuration (undefined: none set). */
  nodeName: string | undefined;
}


export interface OnDisk {
  number?: unknown;
  format?: unknown;
  base?: unknown;
  config?: { node?: { name?: unknown } };
  delta?: { set?: { node?: { name?: unknown } }; unset?: unknown };
  /** sha256 of each configuration file the revision was made from. */
  files?: unknown;
}

const nameOf = (node: { name?: unknown } | undefined): string | undefined => (typeof node?.name === 'string' ? node.name : undefined);

/** The newest revision's head, when the disk leaves no doubt that it is the running one (see above). */
function runningHead(stateDir: string): { dir: string; number: number; rev: OnDisk } | null {
  if (existsSync(join(stateDir, INTENT_FILE)) || existsSync(join(stateDir, CONFIRM_FILE))) return null;
  const dir = join(stateDir, 'revisions');
  const newest = readdirSync(dir)
    .filter((n) => REVISION_FILE.test(n))
    .sort()
    .pop();
  if (!newest) return null;
  const number = Number(newest.slice(0, 10));
  const rev = readHead(join(dir, newest));
  return rev.number === number ? { dir, number, rev } : null;
}

/**
 * The running revision's number and the fingerprints (sha256 by relative path) of the configuration files it was
 * made from, read as peekRunning reads (null in doubt): `lbctl status` asks whether the files on disk are still
 * exactly those, to judge the kernel against the running revision without parsing the files.
 */
export function peekRunningFiles(stateDir: string): { number: number; files: Record<string, string> } | null {
  try {
    const head = runningHead(stateDir);
    const files = head?.rev.files;
    if (!head || !files || typeof files !== 'object' || Array.isArray(files)) return null;
    return { number: head.number, files: files as Record<string, string> };
  } catch {
    return null;
  }
}

export function peekRunning(stateDir: string): RunningPeek | null {
  try {
    const head = runningHead(stateDir);
    if (!head) return null;
    const { dir, number, rev } = head;
    if (rev.format === undefined) return typeof rev.config === 'object' && rev.config !== null ? { number, nodeName: nameOf(rev.config.node) } : null;
    if (rev.format !== 2 || typeof rev.base !== 'number' || !rev.delta) return null;
    if (rev.delta.set && 'node' in rev.delta.set) return { number, nodeName: nameOf(rev.delta.set.node) };
    if (Array.isArray(rev.delta.unset) && rev.delta.unset.includes('node')) return { number, nodeName: undefined };
    const base = wholeRevision(dir, rev.base);
    return base ? { number, nodeName: nameOf(base.config?.node) } : null;
  } catch {
    return null;
  }
}

const SERVICE_LIST = '"services":[';

/**
 * The revision without its service list, when the text allows: a whole revision is written with the configuration
 * last and, in it, the services after every other section (store/revision-format.ts, config/equal.ts configJson),
 * so the text up to the first `"services":[`, closed, is the revision with everything the peek reads, at a fraction
 * of the parse (a 6 MB file at 10,000 services). The cut parses only at that depth (inside the object under a
 * top-level key); when it does not, or the part read lacks the configuration (or, for a difference, its delta), the
 * whole text is parsed.
 */
export function parseHead(text: string): OnDisk {
  const at = text.indexOf(SERVICE_LIST);
  return (at > 0 ? cutAt(text, at) : null) ?? (JSON.parse(text) as OnDisk);
}

/** Enough to hold a revision's head at 10,000 services (its layout names every service: about 100 KB). */
const HEAD_BYTES = 512 * 1024;

/** The revision at `path` by its head (parseHead), reading only the file's first part when that holds it. */
function readHead(path: string): OnDisk {
  const fd = openSync(path, 'r');
  let prefix: string;
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    if (n < HEAD_BYTES) return parseHead(buf.toString('utf8', 0, n));
    prefix = buf.toString('utf8');
  } finally {
    closeSync(fd);
  }
  const at = prefix.indexOf(SERVICE_LIST);
  const head = at > 0 ? cutAt(prefix, at) : null;
  return head ?? JSON.parse(readFileSync(path, 'utf8'));
}

/** The text up to the service list at `at`, closed and parsed; null unless that is the configuration's (or delta's). */
function cutAt(text: string, at: number): OnDisk | null {
  try {
    const head = JSON.parse(text.slice(0, at) + SERVICE_LIST + ']}}') as OnDisk;
    return (head.format === undefined ? typeof head.config === 'object' && head.config !== null : typeof head.delta === 'object' && head.delta !== null) ? head : null;
  } catch {
    return null;
  }
}

/** Checkpoint `n`, listed or hidden; null unless it is a whole revision with that number. */
function wholeRevision(dir: string, n: number): OnDisk | null {
  for (const name of [revisionFileName(n), hiddenCheckpointName(n)]) {
    if (!existsSync(join(dir, name))) continue;
    const rev = readHead(join(dir, name));
    return rev.number === n && rev.format === undefined && typeof rev.config === 'object' ? rev : null;
  }
  return null;
}
