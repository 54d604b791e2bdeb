// Who is on the other end of a control-socket connection, as the kernel says (SO_PEERCRED), and what they may do.
// The client's own claims (user name, uid) are never believed: a commit is recorded under the kernel's uid.
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import { DEFAULT_ADMIN_GROUP, groupNamesOf, parseGroup, parsePasswd } from '../../config/identity.js';
import { peerCredentials } from './peercred.js';

export interface Peer {
  pid: number;
  uid: number;
  gid: number;
  user: string;
  groups: string[];
  /** Root, the daemon's own user, or a member of the admin group: may commit. Everyone else only reads. */
  canConfigure: boolean;
}

export type IdentifyPeer = (socket: Socket) => Peer;

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The supplementary gids of a live process (/proc/PID/status `Groups:`); empty when it is gone. */
function procGroups(pid: number): number[] {
  const m = /^Groups:\s*(.*)$/m.exec(readText(`/proc/${pid}/status`));
  return m ? m[1].split(/\s+/).filter(Boolean).map(Number).filter(Number.isInteger) : [];
}

/** Names a kernel-reported uid/gid/pid through /etc/passwd and /etc/group (root: a fixture directory in tests). */
export function describePeer(cred: { pid: number; uid: number; gid: number }, opts: { root?: string; adminGroup?: string; daemonUid?: number } = {}): Peer {
  const root = opts.root ?? '/';
  const entry = parsePasswd(readText(`${root}/etc/passwd`)).find((p) => p.uid === cred.uid);
  const user = entry?.name ?? `uid${cred.uid}`;
  const groups = groupNamesOf(user, cred.gid, parseGroup(readText(`${root}/etc/group`)), opts.root ? [] : procGroups(cred.pid));
  const admin = opts.adminGroup ?? DEFAULT_ADMIN_GROUP;
  const daemonUid = opts.daemonUid ?? process.getuid?.() ?? 0;
  const canConfigure = cred.uid === 0 || cred.uid === daemonUid || groups.includes(admin);
  return { ...cred, user, groups, canConfigure };
}

/** The production identification: SO_PEERCRED on the accepted socket. */
export const identifyBySoPeercred: IdentifyPeer = (socket) => describePeer(peerCredentials(socket));
