// Bounded growth of the append-only files (the audit trail, the confirm guard's log): when one reaches its size
// limit, the writer that notices renames it aside and starts a new one.
//
//   audit.jsonl          the current segment (every writer appends here)
//   audit.jsonl.1        the previous segment, as renamed: not compressed yet
//   audit.jsonl.2.gz …   older segments, gzip-compressed, up to `keep` segments in all
//
// Why the newest old segment stays uncompressed: other processes append without a lock (one O_APPEND write each),
// so a writer that opened the file just before the rename may still add its record to the renamed segment.
// Compressing it then would lose that record. A segment is compressed one rotation later, when no descriptor
// opened before its rename can still be in use (a writer holds one for microseconds). Only one process rotates
// at a time: it holds the rotation marker (an exclusive mkdir); the others just append.
import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync, statSync, unlinkSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { writeFileAtomic } from '../store/atomic.js';

export interface Rotation {
  /** Rotate when the file has at least this many bytes; 0 = never. */
  maxBytes: number;
  /** Segments kept besides the current one. */
  keep: number;
}

/** Rotates `path` if it has reached `rotation.maxBytes`; true when this call rotated. Never throws for a race lost. */
export function rotateIfLarge(path: string, rotation: Rotation | undefined, size?: number): boolean {
  if (!rotation || rotation.maxBytes <= 0) return false;
  let current: number;
  try {
    current = size ?? statSync(path).size;
  } catch {
    return false;
  }
  if (current < rotation.maxBytes) return false;
  const marker = `${path}.rotating`;
  try {
    mkdirSync(marker);
  } catch {
    // Another writer is rotating it now; a marker a minute old was left by a writer killed while rotating.
    try {
      if (Date.now() - statSync(marker).mtimeMs > 60_000) rmdirSync(marker);
    } catch {
      /* gone meanwhile */
    }
    return false;
  }
  try {
    // Re-check under the marker: the writer before us may have rotated already.
    if (statSync(path).size < rotation.maxBytes) return false;
    shiftSegments(path, Math.max(1, rotation.keep));
    renameSync(path, `${path}.1`);
    return true;
  } catch {
    return false;
  } finally {
    try {
      rmdirSync(marker);
    } catch {
      /* removed by a stale-marker sweep */
    }
  }
}

/** `.1` → `.2.gz` (compressed now: no writer can still hold it), `.N.gz` → `.N+1.gz`, beyond `keep` deleted. */
function shiftSegments(path: string, keep: number): void {
  for (let n = keep; n >= 2; n--) {
    const from = `${path}.${n}.gz`;
    if (!existsSync(from)) continue;
    if (n + 1 > keep) unlinkSync(from);
    else renameSync(from, `${path}.${n + 1}.gz`);
  }
  const previous = `${path}.1`;
  if (!existsSync(previous)) return;
  if (keep >= 2) writeFileAtomic(`${path}.2.gz`, gzipSync(readFileSync(previous)), 0o640);
  unlinkSync(previous);
}
