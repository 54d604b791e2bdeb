// The lab table's journal as text: a header line naming the snapshot it belongs to, then one line per change.
// Pure: no files here (netlink/persisted-table.ts reads and writes them). The format is in docs/netlink.md.
import { createHash } from 'node:crypto';
import type { MemoryChange } from './memory.js';
import { checkOp } from './validate.js';

const FORMAT = 'lbctl-memory-ipvs-journal';

/**
 * What binds a journal to its snapshot: the digest of the snapshot's bytes. Any edit of the snapshot (a hand
 * edit, a compaction by another process) gives another digest, so a journal is never replayed onto a table it
 * was not written after; a snapshot rewritten with the very same bytes is the very same table, onto which the
 * journal's changes are still right.
 */
export function snapshotDigest(parts: Iterable<Uint8Array>): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return `sha256:${h.digest('hex')}`;
}

export function journalHeader(digest: string): string {
  return `${JSON.stringify({ format: FORMAT, version: 1, snapshot: digest })}\n`;
}

/**
 * One change, one line: JSON.stringify escapes every newline inside, so a line's only newline is its last byte.
 * Ops in canonical form: what the table made of them, without what a read adds (bigint counters).
 */
export function changeLine(change: MemoryChange): string {
  return `${JSON.stringify('apply' in change ? { apply: change.apply.map(checkOp) } : change)}\n`;
}

/**
 * The complete lines of `bytes`, and where the last one ends: a last line without its newline is a write that a
 * crash cut short (the writer fsyncs each whole line before it reports the change), so it is left out, and the
 * next writer writes over it.
 */
export function completeLines(bytes: Buffer): { lines: string[]; end: number } {
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end === 0) return { lines: [], end: 0 };
  const lines = bytes.toString('utf8', 0, end - 1).split('\n');
  return { lines, end };
}

/** The snapshot digest a header line names, or null when the line is not a journal header. */
export function headerDigest(line: string): string | null {
  let j: { format?: unknown; version?: unknown; snapshot?: unknown };
  try {
    j = JSON.parse(line);
  } catch {
    return null;
  }
  return j && j.format === FORMAT && j.version === 1 && typeof j.snapshot === 'string' ? j.snapshot : null;
}

/** A change line read back; `where` names the line in the error a damaged one gives. */
export function parseChange(line: string, where: string): MemoryChange {
  try {
    return JSON.parse(line) as MemoryChange;
  } catch (e) {
    throw new Error(`${where}: not valid JSON (${(e as Error).message})`);
  }
}
