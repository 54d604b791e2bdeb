// The lab's in-memory IPVS on file, shared by every process of a state directory: a snapshot (the table's JSON,
// lab-ipvs.json) and beside it a journal of the changes made since (lab-ipvs.journal), so that a change costs
// one appended line, not a rewrite of the whole table (7 MB at 10,000 services x 4). The snapshot is rewritten
// only when the journal has grown to a quarter of it (compaction). The format is in docs/netlink.md.
//
// Reads are synchronous: a reader parses the whole snapshot in one go anyway, and a follower's usual read is a
// few hundred bytes of journal, cheaper read at once than through the promise machinery.
import { closeSync, fstatSync, openSync, readSync, statSync, type BigIntStats } from 'node:fs';
import { open as openFile, stat, type FileHandle } from 'node:fs/promises';
import { MemoryDataplane, type MemoryChange } from './memory.js';
import { changeLine, completeLines, headerDigest, journalHeader, parseChange, snapshotDigest } from './table-journal.js';
import { writeFileAtomic } from './write-atomic.js';

/** The journal beside a snapshot: lab-ipvs.json -> lab-ipvs.journal. */
export function journalPathOf(snapshotPath: string): string {
  return `${snapshotPath.replace(/\.json$/, '')}.journal`;
}

/**
 * The journal size past which a change is written as a new snapshot instead: a quarter of the snapshot (each
 * snapshot rewrite is paid for by at least a quarter of its size in appended changes, and a reader replays at
 * most that), but never below 256 KiB, so that a small lab's journal is not compacted at every other change.
 */
export function defaultCompactAt(snapshotBytes: number): number {
  return Math.max(256 * 1024, Math.floor(snapshotBytes / 4));
}

/** Fewer bytes than any op takes in a journal line (the shortest, a delService of a fwmark, takes 47). */
const MIN_OP_BYTES = 40;

export interface PersistedTableOptions {
  /** Given the snapshot's size in bytes, the journal size in bytes past which a change compacts. */
  compactAt?: (snapshotBytes: number) => number;
}

/** A file as read through one descriptor: its identity then (inode, size, mtime) and its bytes from `from`. */
interface ReadFile {
  stats: BigIntStats;
  bytes: Buffer;
}

export class PersistedTable {
  /** The table as the files say; a whole reload replaces it (its onChange is this object's). */
  table: MemoryDataplane;
  readonly journalPath: string;
  private readonly compactAt: (snapshotBytes: number) => number;
  private snapshot = { identity: null as string | null, bytes: 0 };
  /**
   * The journal as last read or written: its identity (inode, size, mtime; null: none), where its last complete
   * line ends, and whether it belongs to the snapshot (its header names the snapshot's digest). One that does not
   * is ignored, and the next change writes a new snapshot and a new journal.
   */
  private journal = { identity: null as string | null, ino: null as bigint | null, end: 0, bound: false };

  private constructor(
    readonly path: string,
    opts: PersistedTableOptions,
  ) {
    this.journalPath = journalPathOf(path);
    this.compactAt = opts.compactAt ?? defaultCompactAt;
    this.table = this.load();
  }

  /** Snapshot and journal read now; a missing snapshot is an empty table (the journal is then ignored). */
  static open(path: string, opts: PersistedTableOptions = {}): PersistedTable {
    return new PersistedTable(path, opts);
  }

  /**
   * Brings the table up to what the files say now: nothing when neither changed, only the new lines when the
   * journal grew by appends, a whole reload when the snapshot changed (a compaction, a hand edit) or the journal
   * was replaced. True when `table` is a new object.
   */
  catchUp(): boolean {
    if (identity(statOrNull(this.path)) !== this.snapshot.identity) return this.reload();
    const j = statOrNull(this.journalPath);
    if (identity(j) === this.journal.identity) return false;
    // Appends only make it longer: anything else (replaced, cut, rewritten in place) is read again whole.
    if (!j || !this.journal.bound || j.ino !== this.journal.ino || j.size <= BigInt(this.journal.end)) return this.reload();
    const read = readFrom(this.journalPath, this.journal.end);
    if (!read || read.stats.ino !== this.journal.ino) return this.reload();
    const { lines, end } = completeLines(read.bytes);
    try {
      this.replay(this.table, lines, this.journal.end);
    } catch {
      // Part of it replayed, onto a table that is then neither before nor after: read the files again whole
      // (which says what does not fit, when something does not).
      return this.reload();
    }
    this.journal.end += end;
    this.journal.identity = identity(read.stats);
    return false;
  }

  private reload(): true {
    this.table = this.load();
    return true;
  }

  /** The table the files hold now; what was read of them is noted only once it is a table (else the next call tries again). */
  private load(): MemoryDataplane {
    // A compaction by another process between the two reads (its new snapshot, then its new journal) gives a
    // snapshot with a journal of another: the table is then the older snapshot alone. Read again to get the newer.
    for (let attempt = 0; ; attempt++) {
      const { table, snapshot, journal } = this.loadOnce();
      this.snapshot = snapshot;
      this.journal = journal;
      if (attempt >= 2 || identity(statOrNull(this.path)) === snapshot.identity) return table;
    }
  }

  private loadOnce(): { table: MemoryDataplane; snapshot: PersistedTable['snapshot']; journal: PersistedTable['journal'] } {
    const onChange = (dp: MemoryDataplane, change: MemoryChange) => this.record(dp, change);
    const snap = readFrom(this.path, 0);
    const snapshot = { identity: identity(snap?.stats ?? null), bytes: snap?.bytes.length ?? 0 };
    const table = snap ? parseSnapshot(this.path, snap.bytes, onChange) : new MemoryDataplane({ onChange });
    const read = readFrom(this.journalPath, 0);
    const journal = { identity: identity(read?.stats ?? null), ino: read?.stats.ino ?? null, end: 0, bound: false };
    if (!snap || !read) return { table, snapshot, journal };
    const { lines, end } = completeLines(read.bytes);
    if (!lines.length || headerDigest(lines[0]) !== snapshotDigest([snap.bytes])) return { table, snapshot, journal };
    this.replay(table, lines.slice(1), Buffer.byteLength(lines[0]) + 1);
    return { table, snapshot, journal: { ...journal, end, bound: true } };
  }

  private replay(table: MemoryDataplane, lines: string[], at: number): void {
    for (const line of lines) {
      const where = `${this.journalPath} at byte ${at}`;
      try {
        table.replay(parseChange(line, where));
      } catch (e) {
        throw new Error(`${where}: the change does not fit the table (${(e as Error).message})`);
      }
      at += Buffer.byteLength(line) + 1;
    }
  }

  /** onChange: the change appended to the journal, or the whole table as a new snapshot when that is due. */
  private async record(table: MemoryDataplane, change: MemoryChange): Promise<void> {
    if ('apply' in change && change.apply.length === 0) return; // every op failed: nothing changed
    const room = this.compactAt(this.snapshot.bytes) - this.journal.end;
    // A batch too large to fit is not turned into a line first (a cold apply's 50,000 ops would be 10 MB of it):
    // no op's line is shorter than MIN_OP_BYTES.
    if (this.journal.bound && !('apply' in change && change.apply.length * MIN_OP_BYTES > room)) {
      const line = Buffer.from(changeLine(change));
      if (line.length <= room && (await this.append(line))) return;
    }
    await this.compact(table);
  }

  /** One whole line at the journal's end, on disk before the change is reported. False: the journal is not ours. */
  private async append(line: Buffer): Promise<boolean> {
    let fh;
    try {
      fh = await openFile(this.journalPath, 'r+');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    try {
      const end = this.journal.end;
      const st = await fh.stat({ bigint: true });
      // Replaced, cut, or holding lines this table has not seen (a writer that raced this one): a new snapshot is
      // the one way to a table all agree on (the last writer's, as two whole-table writes would give).
      if (st.ino !== this.journal.ino || st.size < BigInt(end) || (await holdsLine(fh, end, st.size))) return false;
      // Bytes past the last complete line are a line a crash cut short: written over, never continued.
      if (st.size > BigInt(end)) await fh.truncate(end);
      for (let at = 0; at < line.length; ) at += (await fh.write(line, at, line.length - at, end + at)).bytesWritten;
      await fh.datasync();
      this.journal.end = end + line.length;
      this.journal.identity = identity(await fh.stat({ bigint: true }));
    } finally {
      await fh.close();
    }
    return true;
  }

  /**
   * The whole table as the new snapshot, then a journal with only its header. In this order: a crash between
   * the two leaves the new snapshot with the old journal, whose header names the old snapshot, so it is ignored
   * (and the new snapshot already holds its changes).
   */
  private async compact(table: MemoryDataplane): Promise<void> {
    // Bytes piece by piece (outside the JS heap): never the whole table as one string and its bytes beside it.
    const parts: Buffer[] = [];
    table.toJSONChunks((text) => parts.push(Buffer.from(text)));
    parts.push(Buffer.from('\n'));
    await writeFileAtomic(this.path, parts);
    const header = journalHeader(snapshotDigest(parts));
    await writeFileAtomic(this.journalPath, header);
    const [s, j] = await Promise.all([stat(this.path, { bigint: true }), stat(this.journalPath, { bigint: true })]);
    this.snapshot = { identity: identity(s), bytes: parts.reduce((n, p) => n + p.length, 0) };
    this.journal = { identity: identity(j), ino: j.ino, end: Buffer.byteLength(header), bound: true };
  }
}

function parseSnapshot(path: string, bytes: Buffer, onChange: (dp: MemoryDataplane, c: MemoryChange) => Promise<void>): MemoryDataplane {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return MemoryDataplane.fromJSON(json, { onChange });
  } catch (e) {
    throw new Error(`${path}: ${(e as Error).message}`);
  }
}

/** Whether the journal's bytes from `from` to `size` hold a whole line (a newline), not just a torn one. */
async function holdsLine(fh: FileHandle, from: number, size: bigint): Promise<boolean> {
  const tail = Buffer.alloc(Number(size) - from);
  if (!tail.length) return false;
  const { bytesRead } = await fh.read(tail, 0, tail.length, from);
  return tail.subarray(0, bytesRead).includes(0x0a);
}

/** Which file a path names now: inode, size and modification time (ns); null: none. */
function identity(s: BigIntStats | null): string | null {
  return s ? `${s.ino}:${s.size}:${s.mtimeNs}` : null;
}

function statOrNull(path: string): BigIntStats | null {
  return statSync(path, { bigint: true, throwIfNoEntry: false }) ?? null;
}

/** The file's bytes from `from` to its end, read through one descriptor with its stats; null: no such file. */
function readFrom(path: string, from: number): ReadFile | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  try {
    const stats = fstatSync(fd, { bigint: true });
    const bytes = Buffer.allocUnsafe(Math.max(0, Number(stats.size) - from));
    let got = 0;
    while (got < bytes.length) {
      const n = readSync(fd, bytes, got, bytes.length - got, from + got);
      if (n === 0) break; // cut while being read: what is there
      got += n;
    }
    return { stats, bytes: bytes.subarray(0, got) };
  } finally {
    closeSync(fd);
  }
}
