// A file's identity as the engine's followers compare it: inode, size and modification time (ns). Two reads that
// give the same identity saw the same file; a rename over it, a rewrite or a touch changes it. Null: no such file.
import { statSync } from 'node:fs';

export function fileIdentity(path: string): string | null {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return null;
  }
}
