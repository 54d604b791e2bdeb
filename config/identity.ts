// The operator's identity as the operating system knows it, and whether it may configure.
//
// The user is the REAL uid of this process, named through /etc/passwd (os.userInfo() as the fallback); SUDO_USER
// is noted beside it, never instead of it (anyone can set an environment variable). Groups are the user's primary
// group, every /etc/group entry listing the user, and the process's own supplementary groups. Root and members of
// the admin group (default `lbctl-admin`) may configure; everyone else is read-only.
//
// Tests: a pretend operator ({"user":"bob","uid":1001,"groups":["users"]}) is injected by the code that runs lbctl,
// never read from the environment: per call (`operatorIdentity({ pretend })`) or for the whole process
// (`setPretendIdentity()`, called by a test launcher such as test/support/hooked-lbctl.ts). It can only REDUCE
// privileges: canConfigure() requires both the pretend identity and the real one to qualify, and the name
// recorded for commits stays the real one (`recordedUser`). So even injected code never lets a real user do
// more than he already could, nor sign a commit with someone else's name.
//
// Self-contained on purpose (node built-ins only): the non-root integration test runs this one file as a
// throw-away system user who cannot read the rest of the build.
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';

export const DEFAULT_ADMIN_GROUP = 'lbctl-admin';

/** A pretend operator (tests): checked in addition to the real identity, never instead of it. */
export interface PretendIdentity {
  user: string;
  uid: number;
  groups: string[];
}

export interface OperatorIdentity {
  user: string;
  uid: number;
  gid: number;
  /** Group names, sorted, without duplicates. */
  groups: string[];
  /** The invoking user when run through sudo (from SUDO_USER: informative only). */
  sudoUser?: string;
  /** Set when a pretend operator was injected (tests): permissions are checked against both. */
  test?: PretendIdentity;
}

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** /etc/passwd lines `name:x:uid:gid:gecos:home:shell`; comments, blank and malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!f[0] || !Number.isInteger(uid) || !Number.isInteger(gid) || f[2] === '' || f[3] === '') continue;
    out.push({ name: f[0], uid, gid, home: f[5] });
  }
  return out;
}

/** /etc/group lines `name:x:gid:member,member`. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 4) continue;
    const gid = Number(f[2]);
    if (!f[0] || f[2] === '' || !Number.isInteger(gid)) continue;
    out.push({ name: f[0], gid, members: f[3].split(',').map((m) => m.trim()).filter(Boolean) });
  }
  return out;
}

/** The names of the groups of `user`: the primary gid's, those listing the user, and `extraGids` (the process's). */
export function groupNamesOf(user: string, primaryGid: number, groups: GroupEntry[], extraGids: number[] = []): string[] {
  const gids = new Set([primaryGid, ...extraGids]);
  const names = new Set<string>();
  for (const g of groups) if (gids.has(g.gid) || g.members.includes(user)) names.add(g.name);
  return [...names].sort();
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export interface IdentitySource {
  /** Root of the files read (/etc/passwd, /etc/group): a fixture directory in tests. Default '/'. */
  root?: string;
  uid?: number;
  gid?: number;
  /** The process's supplementary gids. */
  gids?: number[];
  /** Read for SUDO_USER only (informative). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The parent process's command name (/proc/PPID/comm); tests give one. Default: read it. */
  parentCommand?: string | null;
  /** A pretend operator for this call (tests); default the one setPretendIdentity() installed, if any. */
  pretend?: PretendIdentity | null;
}

/** The real identity (no test injection). */
export function realIdentity(src: IdentitySource = {}): OperatorIdentity {
  const root = src.root ?? '/';
  const env = src.env ?? process.env;
  const uid = src.uid ?? process.getuid?.() ?? -1;
  const passwd = parsePasswd(readText(join(root, 'etc/passwd')));
  const entry = passwd.find((p) => p.uid === uid);
  let user = entry?.name;
  if (user === undefined) {
    try {
      user = src.root === undefined ? userInfo().username : `uid${uid}`;
    } catch {
      user = `uid${uid}`;
    }
  }
  const gid = src.gid ?? (src.root === undefined ? process.getgid?.() : undefined) ?? entry?.gid ?? -1;
  const gids = src.gids ?? (src.root === undefined ? (process.getgroups?.() ?? []) : []);
  const groups = groupNamesOf(user, gid, parseGroup(readText(join(root, 'etc/group'))), gids);
  const sudoUser = sudoInvoker({ env, uid, parentCommand: src.parentCommand, passwd });
  return { user, uid, gid, groups, ...(sudoUser && sudoUser !== user ? { sudoUser } : {}) };
}

/**
 * The user who ran lbctl through sudo, or undefined. SUDO_USER is only a variable: anyone can set it
 * (`SUDO_USER=alice lbctl ...` made the audit say `alice(root)`). It is believed only when the real uid is root,
 * the parent process really is sudo (the launcher is `#!/usr/bin/env node`, so node's parent is sudo itself), and
 * SUDO_UID names the same user in /etc/passwd. Anything else is dropped: the audit shows the real user alone.
 */
export function sudoInvoker(src: { env?: NodeJS.ProcessEnv; uid?: number; parentCommand?: string | null; passwd?: PasswdEntry[]; root?: string } = {}): string | undefined {
  const env = src.env ?? process.env;
  const claimed = env.SUDO_USER;
  if (!claimed) return undefined;
  const uid = src.uid ?? process.getuid?.() ?? -1;
  if (uid !== 0) return undefined;
  const parent = src.parentCommand !== undefined ? src.parentCommand : parentCommandName();
  if (parent !== 'sudo') return undefined;
  const passwd = src.passwd ?? parsePasswd(readText(join(src.root ?? '/', 'etc/passwd')));
  const entry = passwd.find((p) => p.name === claimed);
  if (!entry || String(entry.uid) !== env.SUDO_UID) return undefined;
  return claimed;
}

/** The command name of this process's parent (null when /proc cannot tell). */
function parentCommandName(): string | null {
  try {
    return readFileSync(`/proc/${process.ppid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * Parses a pretend operator written as JSON (a test launcher's argument), or explains why not; `what` names the
 * source in the messages.
 */
export function parsePretendIdentity(text: string, what = 'pretend identity'): PretendIdentity {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new Error(`${what}: not JSON: ${(err as Error).message}`);
  }
  const o = v as { user?: unknown; uid?: unknown; groups?: unknown };
  if (typeof o !== 'object' || o === null || typeof o.user !== 'string' || o.user === '') throw new Error(`${what}: "user" (a non-empty string) is required`);
  const uid = o.uid === undefined ? 65534 : o.uid;
  if (typeof uid !== 'number' || !Number.isInteger(uid) || uid < 0) throw new Error(`${what}: "uid" must be a non-negative integer`);
  const groups = o.groups === undefined ? [] : o.groups;
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) throw new Error(`${what}: "groups" must be a list of names`);
  return { user: o.user, uid, groups: [...new Set(groups as string[])].sort() };
}

let injectedPretend: PretendIdentity | null = null;

/**
 * Tests only: every later operatorIdentity() of this process (that passes no `pretend` of its own) carries this
 * pretend operator; null removes it. Reduce-only (see canConfigure). Production never calls it.
 */
export function setPretendIdentity(pretend: PretendIdentity | null): void {
  injectedPretend = pretend ? { user: pretend.user, uid: pretend.uid, groups: [...new Set(pretend.groups)].sort() } : null;
}

/** The operator: the real identity, plus the pretend one when the caller (or a test launcher) injected one. */
export function operatorIdentity(src: IdentitySource = {}): OperatorIdentity {
  const real = realIdentity(src);
  const pretend = src.pretend !== undefined ? src.pretend : injectedPretend;
  if (!pretend) return real;
  return { ...real, test: { user: pretend.user, uid: pretend.uid, groups: [...new Set(pretend.groups)].sort() } };
}

function qualifies(who: { uid: number; groups: string[] }, adminGroup: string): boolean {
  return who.uid === 0 || who.groups.includes(adminGroup);
}

/** Root or a member of the admin group; with a test identity, both it and the real identity must qualify. */
export function canConfigure(identity: OperatorIdentity, adminGroup: string = DEFAULT_ADMIN_GROUP): boolean {
  if (!qualifies(identity, adminGroup)) return false;
  return identity.test ? qualifies(identity.test, adminGroup) : true;
}

/** The name shown to the operator (prompt, `status`): the pretend one in tests, else the real one. */
export function displayUser(identity: OperatorIdentity): string {
  return identity.test?.user ?? identity.user;
}

/** The name recorded for commits and the audit trail: always the operating system's. */
export function recordedUser(identity: OperatorIdentity): string {
  return identity.user;
}

/** Why configuration is refused, for `% Permission denied: …`. */
export function permissionDeniedMessage(identity: OperatorIdentity, adminGroup: string = DEFAULT_ADMIN_GROUP): string {
  return `% Permission denied: user ${displayUser(identity)} is neither root nor a member of group ${adminGroup} (read-only access)`;
}
