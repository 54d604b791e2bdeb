// Whose directories lbctl trusts. Revisions in the state directory are applied to the kernel, files in the
// configuration directory become revisions, and the audit trail is evidence: if someone other than root (or,
// for --lab and a user's own directories, the invoking user) can write one of them or any directory above it,
// that someone can plant what root later applies or appends to. sshd refuses such paths the same way
// (StrictModes). Group write is allowed only for root's group and the admin group (lbctl-admin), whose members
// may configure anyway; a directory writable by others counts only where its sticky bit keeps them from
// renaming what is not theirs (/tmp).
import { readFileSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DEFAULT_ADMIN_GROUP, parseGroup } from '../config/identity.js';

export class UnsafeDirectoryError extends Error {
  override name = 'UnsafeDirectoryError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export interface TrustOptions {
  /** This process's uid (default the real one). */
  uid?: number;
  /** Group ids whose write permission is trusted (default root's and the admin group's). */
  trustedGids?: ReadonlySet<number>;
  /** stat, injectable for tests. */
  stat?: (path: string) => Stats;
}

const S_ISVTX = 0o1000;

/**
 * Throws UnsafeDirectoryError when `path` (a directory or file) or any directory above it can be written by
 * someone lbctl does not trust. `what` names it for the operator ("state directory"). A path that does not exist
 * yet is judged by its nearest existing ancestor (what lbctl creates, it creates with explicit modes).
 */
export function assertTrustedPath(path: string, what: string, opts: TrustOptions = {}): void {
  const uid = opts.uid ?? process.getuid?.() ?? 0;
  const trusted = opts.trustedGids ?? defaultTrustedGids();
  const stat = opts.stat ?? ((p: string) => statSync(p));
  let p = resolve(path);
  let first = true;
  for (;;) {
    let st: Stats | null = null;
    try {
      st = stat(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (st) {
      const problem = untrusted(st, uid, trusted, !first);
      if (problem) {
        const subject = p === resolve(path) ? `the ${what} ${p}` : `${p}, above the ${what} ${resolve(path)},`;
        throw new UnsafeDirectoryError(p, `${subject} ${problem.why}: whoever can write there can plant what lbctl applies as root. Fix: ${problem.fix(p)}`);
      }
      first = false;
    }
    const up = dirname(p);
    if (up === p) return;
    p = up;
  }
}

function untrusted(st: Stats, uid: number, trusted: ReadonlySet<number>, ancestor: boolean): { why: string; fix: (p: string) => string } | null {
  const mode = st.mode & 0o7777;
  const octal = mode.toString(8).padStart(4, '0');
  if (st.uid !== 0 && st.uid !== uid)
    return { why: `is owned by uid ${st.uid}, neither root nor you`, fix: (p) => `chown root ${p} (or use a directory of your own)` };
  // A sticky directory (/tmp) lets others create entries but not rename or remove ours: safe as an ancestor.
  const sticky = ancestor && st.isDirectory() && (mode & S_ISVTX) !== 0;
  if (mode & 0o002 && !sticky) return { why: `is writable by everyone (mode ${octal})`, fix: (p) => `chmod o-w ${p}` };
  if (mode & 0o020 && !sticky && !trusted.has(st.gid))
    return { why: `is writable by group ${st.gid} (mode ${octal}), which is neither root's nor ${DEFAULT_ADMIN_GROUP}`, fix: (p) => `chmod g-w ${p} (or chgrp ${DEFAULT_ADMIN_GROUP} ${p})` };
  return null;
}

function defaultTrustedGids(): Set<number> {
  const gids = new Set([0]);
  try {
    const admin = parseGroup(readFileSync('/etc/group', 'utf8')).find((g) => g.name === DEFAULT_ADMIN_GROUP);
    if (admin) gids.add(admin.gid);
  } catch {
    /* no /etc/group: root's group only */
  }
  return gids;
}
