// Generic netlink family resolution through nlctrl (CTRL_CMD_GETFAMILY), cached per family name for the life
// of the process (a family id only changes when its module is unloaded and loaded again).
import { attrMap, attrString, genlPayload, getString, getU16, getU32, nlmsg, parseAttrs, parseGenl } from './codec.js';
import type { NetlinkSocket } from './socket.js';

export const GENL_ID_CTRL = 0x10;
export const CTRL_CMD_GETFAMILY = 3;
export const CTRL_ATTR_FAMILY_ID = 1;
export const CTRL_ATTR_FAMILY_NAME = 2;
export const CTRL_ATTR_VERSION = 3;
export const CTRL_ATTR_HDRSIZE = 4;
export const CTRL_ATTR_MAXATTR = 5;
export const CTRL_ATTR_MCAST_GROUPS = 7;
export const CTRL_ATTR_MCAST_GRP_NAME = 1;
export const CTRL_ATTR_MCAST_GRP_ID = 2;

export interface GenlFamily {
  id: number;
  name: string;
  version: number;
  maxAttr: number;
  mcastGroups: Map<string, number>;
}

/** The CTRL_CMD_GETFAMILY request for a family name (pure, for tests). */
export function getFamilyRequest(name: string, seq: number, flags: number): Buffer {
  return nlmsg({ type: GENL_ID_CTRL, flags, seq, pid: 0 }, genlPayload(CTRL_CMD_GETFAMILY, 1, [attrString(CTRL_ATTR_FAMILY_NAME, name)]));
}

/** Decode nlctrl's NEWFAMILY reply payload (genl header + attributes). */
export function decodeFamily(payload: Buffer): GenlFamily {
  const g = parseGenl(payload);
  const m = attrMap(g.attrs);
  const groups = new Map<string, number>();
  const mg = m.get(CTRL_ATTR_MCAST_GROUPS);
  if (mg)
    for (const grp of parseAttrs(mg)) {
      const gm = attrMap(grp.data);
      const n = gm.get(CTRL_ATTR_MCAST_GRP_NAME);
      const id = gm.get(CTRL_ATTR_MCAST_GRP_ID);
      if (n && id) groups.set(getString(n), getU32(id));
    }
  return {
    id: getU16(m.get(CTRL_ATTR_FAMILY_ID) ?? Buffer.alloc(2)),
    name: getString(m.get(CTRL_ATTR_FAMILY_NAME) ?? Buffer.alloc(0)),
    version: m.has(CTRL_ATTR_VERSION) ? getU32(m.get(CTRL_ATTR_VERSION)!) : 0,
    maxAttr: m.has(CTRL_ATTR_MAXATTR) ? getU32(m.get(CTRL_ATTR_MAXATTR)!) : 0,
    mcastGroups: groups,
  };
}

const cache = new Map<string, GenlFamily>();

/** Resolve a family by name; throws DataplaneError (ENOENT when the kernel has no such family). */
export async function resolveFamily(sock: NetlinkSocket, name: string): Promise<GenlFamily> {
  const hit = cache.get(name);
  if (hit) return hit;
  const replies = await sock.request((seq, flags) => getFamilyRequest(name, seq, flags), `nlctrl GETFAMILY ${JSON.stringify(name)}`);
  if (!replies.length) throw new Error(`nlctrl answered GETFAMILY ${name} with no family`);
  const fam = decodeFamily(replies[0].payload);
  cache.set(name, fam);
  return fam;
}

export function forgetFamily(name: string): void {
  cache.delete(name);
}
