// The sha256 of configuration files, read and hashed again only when a file's identity changed. A long-lived
// store (the daemon's) checks before every commit that the 101 files of a 10,000-service directory are still the
// ones the running revision recorded: hashing them all cost about 10 ms a commit.
//
// The identity is inode, size, mtime and ctime (ns). ctime cannot be set by hand (touch sets mtime only), so a
// rewrite in place that restores the size and the mtime still changes it. A hash taken within a second of the
// file's last change is not trusted (the "racily clean" case of git's index): the clock that stamps ctime is
// coarse, and a second write in the same tick would keep the identity; such a file is hashed again next time.
import { readFileSync, statSync } from 'node:fs';
import { sha256 } from './store-files.js';

/** How long after a file's last change its hash may still miss a write that kept the identity. */
const RACY_NS = 1_000_000_000n;

interface Known {
  identity: string;
  sha: string;
  /** False: taken too close to the file's last change to vouch for the bytes next time. */
  trusted: boolean;
}

export class FileFingerprints {
  private readonly known = new Map<string, Known>();

  /** `now`: the wall clock in ms, the one that stamps ctime (tests give their own). */
  constructor(private readonly now: () => number = Date.now) {}

  /**
   * The hash last taken of `path` when it may be given without looking (null: look). Only for a caller that
   * knows the file has not changed since it was last stated (store/config-files-watch.ts: no event since).
   */
  trusted(path: string): string | null {
    const k = this.known.get(path);
    return k && k.trusted ? k.sha : null;
  }

  /** sha256 (hex) of the file at `path`, or null when there is none. */
  of(path: string): string | null {
    let st;
    try {
      st = statSync(path, { bigint: true });
    } catch {
      this.known.delete(path);
      return null;
    }
    const identity = `${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
    const k = this.known.get(path);
    if (k && k.trusted && k.identity === identity) return k.sha;
    const before = BigInt(Math.floor(this.now())) * 1_000_000n;
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch {
      this.known.delete(path);
      return null;
    }
    const sha = sha256(bytes);
    // The bytes read may be newer than the identity (a write between stat and read): then the identity differs
    // next time and the file is read again. Older they cannot be.
    this.known.set(path, { identity, sha, trusted: st.ctimeNs < before - RACY_NS });
    return sha;
  }
}
