// IPVS generic netlink messages (include/uapi/linux/ip_vs.h), pure: values of dataplane.ts <-> attribute bytes.
import { addrToBytes, bytesToAddr } from './addr.js';
import {
  AF_INET,
  type AddressFamily,
  type IpvsDest,
  type IpvsService,
  type IpvsStats,
  type IpvsTimeouts,
  type ServiceKey,
} from './dataplane.js';
import {
  attr,
  attrBe16,
  attrBe32,
  attrMap,
  attrNest,
  attrString,
  attrU16,
  attrU32,
  attrU8,
  genlPayload,
  getBe16,
  getBe32,
  getString,
  getU16,
  getU32,
  getU64,
  getU8,
  nlmsg,
  u32Bytes,
  DecodeError,
} from './codec.js';

export const IPVS_GENL_NAME = 'IPVS';
export const IPVS_GENL_VERSION = 1;

export const IPVS_CMD_NEW_SERVICE = 1;
export const IPVS_CMD_SET_SERVICE = 2;
export const IPVS_CMD_DEL_SERVICE = 3;
export const IPVS_CMD_GET_SERVICE = 4;
export const IPVS_CMD_NEW_DEST = 5;
export const IPVS_CMD_SET_DEST = 6;
export const IPVS_CMD_DEL_DEST = 7;
export const IPVS_CMD_GET_DEST = 8;
export const IPVS_CMD_NEW_DAEMON = 9;
export const IPVS_CMD_DEL_DAEMON = 10;
export const IPVS_CMD_GET_DAEMON = 11;
export const IPVS_CMD_SET_CONFIG = 12;
export const IPVS_CMD_GET_CONFIG = 13;
export const IPVS_CMD_SET_INFO = 14;
export const IPVS_CMD_GET_INFO = 15;
export const IPVS_CMD_ZERO = 16;
export const IPVS_CMD_FLUSH = 17;

export const IPVS_CMD_ATTR_SERVICE = 1;
export const IPVS_CMD_ATTR_DEST = 2;
export const IPVS_CMD_ATTR_DAEMON = 3;
export const IPVS_CMD_ATTR_TIMEOUT_TCP = 4;
export const IPVS_CMD_ATTR_TIMEOUT_TCP_FIN = 5;
export const IPVS_CMD_ATTR_TIMEOUT_UDP = 6;

export const IPVS_SVC_ATTR_AF = 1;
export const IPVS_SVC_ATTR_PROTOCOL = 2;
export const IPVS_SVC_ATTR_ADDR = 3;
export const IPVS_SVC_ATTR_PORT = 4;
export const IPVS_SVC_ATTR_FWMARK = 5;
export const IPVS_SVC_ATTR_SCHED_NAME = 6;
export const IPVS_SVC_ATTR_FLAGS = 7;
export const IPVS_SVC_ATTR_TIMEOUT = 8;
export const IPVS_SVC_ATTR_NETMASK = 9;
export const IPVS_SVC_ATTR_STATS = 10;
export const IPVS_SVC_ATTR_PE_NAME = 11;
export const IPVS_SVC_ATTR_STATS64 = 12;

export const IPVS_DEST_ATTR_ADDR = 1;
export const IPVS_DEST_ATTR_PORT = 2;
export const IPVS_DEST_ATTR_FWD_METHOD = 3;
export const IPVS_DEST_ATTR_WEIGHT = 4;
export const IPVS_DEST_ATTR_U_THRESH = 5;
export const IPVS_DEST_ATTR_L_THRESH = 6;
export const IPVS_DEST_ATTR_ACTIVE_CONNS = 7;
export const IPVS_DEST_ATTR_INACT_CONNS = 8;
export const IPVS_DEST_ATTR_PERSIST_CONNS = 9;
export const IPVS_DEST_ATTR_STATS = 10;
export const IPVS_DEST_ATTR_ADDR_FAMILY = 11;
export const IPVS_DEST_ATTR_STATS64 = 12;
export const IPVS_DEST_ATTR_TUN_TYPE = 13;
export const IPVS_DEST_ATTR_TUN_PORT = 14;
export const IPVS_DEST_ATTR_TUN_FLAGS = 15;

export const IPVS_DAEMON_ATTR_STATE = 1;
export const IPVS_DAEMON_ATTR_MCAST_IFN = 2;
export const IPVS_DAEMON_ATTR_SYNC_ID = 3;
export const IPVS_DAEMON_ATTR_SYNC_MAXLEN = 4;
export const IPVS_DAEMON_ATTR_MCAST_GROUP = 5;
export const IPVS_DAEMON_ATTR_MCAST_GROUP6 = 6;
export const IPVS_DAEMON_ATTR_MCAST_PORT = 7;
export const IPVS_DAEMON_ATTR_MCAST_TTL = 8;

export const IPVS_INFO_ATTR_VERSION = 1;
export const IPVS_INFO_ATTR_CONN_TAB_SIZE = 2;

const STATS_FIELDS: (keyof IpvsStats)[] = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes', 'cps', 'inPps', 'outPps', 'inBps', 'outBps'];

/** Address attribute: the kernel copies up to 16 bytes into a union; send the full 16-byte form as ipvsadm does. */
function addr16(af: AddressFamily, addr: string): Buffer {
  const out = Buffer.alloc(16);
  out.set(addrToBytes(af, addr));
  return out;
}

/** The identity attributes of a service (enough for DEL/GET/ZERO and for naming the service of a dest op). */
export function encodeServiceKey(key: ServiceKey): Buffer[] {
  const out = [attrU16(IPVS_SVC_ATTR_AF, key.af)];
  if ('fwmark' in key) out.push(attrU32(IPVS_SVC_ATTR_FWMARK, key.fwmark));
  else
    out.push(
      attrU16(IPVS_SVC_ATTR_PROTOCOL, key.protocol),
      attrBytes16(IPVS_SVC_ATTR_ADDR, addr16(key.af, key.addr)),
      attrBe16(IPVS_SVC_ATTR_PORT, key.port),
    );
  return out;
}
const attrBytes16 = (type: number, b: Buffer) => attr(type, b);

/** FLAGS is struct ip_vs_flags { u32 flags; u32 mask; }: the mask says which bits to set, all of them. */
function flagsAttr(flags: number): Buffer {
  return attr(IPVS_SVC_ATTR_FLAGS, Buffer.concat([u32Bytes(flags), u32Bytes(0xffffffff)]));
}

/**
 * NETMASK: the kernel stores the attribute's bytes as they come (nla_get_be32). For IPv4 those are the mask
 * bytes (0xffffff00 = /24 travels as ff ff ff 00); for IPv6 the kernel compares the same bytes read as a host
 * integer with 1..128, so the prefix length travels in host order.
 */
function netmaskAttr(af: AddressFamily, netmask: number): Buffer {
  return af === AF_INET ? attrBe32(IPVS_SVC_ATTR_NETMASK, netmask) : attrU32(IPVS_SVC_ATTR_NETMASK, netmask);
}

/** SERVICE nest with every field NEW/SET need (the worked example in reference/ipvs-netlink.md). */
export function encodeServiceFull(s: IpvsService): Buffer {
  const attrs = [
    ...encodeServiceKey(s.key),
    attrString(IPVS_SVC_ATTR_SCHED_NAME, s.scheduler),
    ...(s.peName ? [attrString(IPVS_SVC_ATTR_PE_NAME, s.peName)] : []),
    flagsAttr(s.flags),
    attrU32(IPVS_SVC_ATTR_TIMEOUT, s.timeout),
    netmaskAttr(s.key.af, s.netmask),
  ];
  return attrNest(IPVS_CMD_ATTR_SERVICE, attrs);
}

export function encodeServiceKeyNest(key: ServiceKey): Buffer {
  return attrNest(IPVS_CMD_ATTR_SERVICE, encodeServiceKey(key));
}

/** DEST nest; `full` adds what NEW/SET need (DEL needs only address, port and family). */
export function encodeDest(svcAf: AddressFamily, d: IpvsDest | { addr: string; port: number; af?: AddressFamily }, full: boolean): Buffer {
  const af = d.af ?? svcAf;
  const attrs = [attr(IPVS_DEST_ATTR_ADDR, addr16(af, d.addr)), attrBe16(IPVS_DEST_ATTR_PORT, d.port)];
  if (d.af !== undefined) attrs.push(attrU16(IPVS_DEST_ATTR_ADDR_FAMILY, d.af));
  if (full) {
    const f = d as IpvsDest;
    attrs.push(
      attrU32(IPVS_DEST_ATTR_FWD_METHOD, f.fwdMethod),
      attrU32(IPVS_DEST_ATTR_WEIGHT, f.weight >>> 0),
      attrU32(IPVS_DEST_ATTR_U_THRESH, f.uThresh),
      attrU32(IPVS_DEST_ATTR_L_THRESH, f.lThresh),
    );
    if (f.tunType !== undefined) attrs.push(attrU8(IPVS_DEST_ATTR_TUN_TYPE, f.tunType));
    if (f.tunPort !== undefined) attrs.push(attrBe16(IPVS_DEST_ATTR_TUN_PORT, f.tunPort));
    if (f.tunFlags !== undefined) attrs.push(attrU16(IPVS_DEST_ATTR_TUN_FLAGS, f.tunFlags));
  }
  return attrNest(IPVS_CMD_ATTR_DEST, attrs);
}

export function encodeTimeouts(t: Partial<IpvsTimeouts>): Buffer[] {
  const out: Buffer[] = [];
  if (t.tcp !== undefined) out.push(attrU32(IPVS_CMD_ATTR_TIMEOUT_TCP, t.tcp));
  if (t.tcpFin !== undefined) out.push(attrU32(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN, t.tcpFin));
  if (t.udp !== undefined) out.push(attrU32(IPVS_CMD_ATTR_TIMEOUT_UDP, t.udp));
  return out;
}

/** A whole IPVS request message. */
export function ipvsMessage(family: number, cmd: number, flags: number, seq: number, attrs: Buffer[], pid = 0): Buffer {
  return nlmsg({ type: family, flags, seq, pid }, genlPayload(cmd, IPVS_GENL_VERSION, attrs));
}

// ---------- decoding ----------

/** STATS (u32 counters 1-3, u64 bytes 4-5, u32 rates) or STATS64 (all u64); PAD (11) ignored. */
export function decodeStats(buf: Buffer, is64: boolean): IpvsStats {
  const m = attrMap(buf);
  const out = {} as IpvsStats;
  STATS_FIELDS.forEach((name, i) => {
    const b = m.get(i + 1);
    if (!b) out[name] = 0n;
    else if (is64 || b.length === 8) out[name] = getU64(b);
    else out[name] = BigInt(getU32(b));
  });
  return out;
}

function decodeStatsPreferring64(m: Map<number, Buffer>, t64: number, t32: number): IpvsStats | undefined {
  const s64 = m.get(t64);
  if (s64) return decodeStats(s64, true);
  const s32 = m.get(t32);
  return s32 ? decodeStats(s32, false) : undefined;
}

function need(m: Map<number, Buffer>, type: number, what: string): Buffer {
  const b = m.get(type);
  if (!b) throw new DecodeError(`kernel reply lacks ${what}`);
  return b;
}

function decodeAf(v: number): AddressFamily {
  if (v !== 2 && v !== 10) throw new DecodeError(`kernel reply has address family ${v}`);
  return v;
}

/** The attributes inside a SERVICE nest of a GET_SERVICE reply. HASHED is masked off the flags. */
export function decodeService(nest: Buffer, hashedMask = 0x2): IpvsService {
  const m = attrMap(nest);
  const af = decodeAf(getU16(need(m, IPVS_SVC_ATTR_AF, 'service AF')));
  const fw = m.get(IPVS_SVC_ATTR_FWMARK);
  const key: ServiceKey = fw
    ? { af, fwmark: getU32(fw) }
    : {
        af,
        protocol: getU16(need(m, IPVS_SVC_ATTR_PROTOCOL, 'service PROTOCOL')),
        addr: bytesToAddr(af, need(m, IPVS_SVC_ATTR_ADDR, 'service ADDR')),
        port: getBe16(need(m, IPVS_SVC_ATTR_PORT, 'service PORT')),
      };
  const flagsBuf = m.get(IPVS_SVC_ATTR_FLAGS);
  const nm = m.get(IPVS_SVC_ATTR_NETMASK);
  const out: IpvsService = {
    key,
    scheduler: getString(need(m, IPVS_SVC_ATTR_SCHED_NAME, 'service SCHED_NAME')),
    flags: flagsBuf ? (getU32(flagsBuf) & ~hashedMask) >>> 0 : 0,
    timeout: getU32(need(m, IPVS_SVC_ATTR_TIMEOUT, 'service TIMEOUT')),
    netmask: nm ? (af === AF_INET ? getBe32(nm) : getU32(nm)) : 0,
  };
  const pe = m.get(IPVS_SVC_ATTR_PE_NAME);
  if (pe) out.peName = getString(pe);
  const stats = decodeStatsPreferring64(m, IPVS_SVC_ATTR_STATS64, IPVS_SVC_ATTR_STATS);
  if (stats) out.stats = stats;
  return out;
}

/** The attributes inside a DEST nest of a GET_DEST reply; `af` is reported only when it differs from svcAf. */
export function decodeDest(nest: Buffer, svcAf: AddressFamily): IpvsDest {
  const m = attrMap(nest);
  const afBuf = m.get(IPVS_DEST_ATTR_ADDR_FAMILY);
  const af = afBuf ? decodeAf(getU16(afBuf)) : svcAf;
  const u32 = (t: number) => (m.has(t) ? getU32(m.get(t)!) : 0);
  const out: IpvsDest = {
    addr: bytesToAddr(af, need(m, IPVS_DEST_ATTR_ADDR, 'dest ADDR')),
    port: getBe16(need(m, IPVS_DEST_ATTR_PORT, 'dest PORT')),
    fwdMethod: u32(IPVS_DEST_ATTR_FWD_METHOD) & 7,
    // Full 32 bits: the kernel keeps a signed int that is never negative once accepted.
    weight: u32(IPVS_DEST_ATTR_WEIGHT),
    uThresh: u32(IPVS_DEST_ATTR_U_THRESH),
    lThresh: u32(IPVS_DEST_ATTR_L_THRESH),
    tunType: m.has(IPVS_DEST_ATTR_TUN_TYPE) ? getU8(m.get(IPVS_DEST_ATTR_TUN_TYPE)!) : 0,
    tunPort: m.has(IPVS_DEST_ATTR_TUN_PORT) ? getBe16(m.get(IPVS_DEST_ATTR_TUN_PORT)!) : 0,
    tunFlags: m.has(IPVS_DEST_ATTR_TUN_FLAGS) ? getU16(m.get(IPVS_DEST_ATTR_TUN_FLAGS)!) : 0,
    activeConns: u32(IPVS_DEST_ATTR_ACTIVE_CONNS),
    inactConns: u32(IPVS_DEST_ATTR_INACT_CONNS),
    persistConns: u32(IPVS_DEST_ATTR_PERSIST_CONNS),
  };
  if (af !== svcAf) out.af = af;
  const stats = decodeStatsPreferring64(m, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_STATS);
  if (stats) out.stats = stats;
  return out;
}

export function decodeTimeouts(attrs: Buffer): IpvsTimeouts {
  const m = attrMap(attrs);
  const v = (t: number) => (m.has(t) ? getU32(m.get(t)!) : 0);
  return { tcp: v(IPVS_CMD_ATTR_TIMEOUT_TCP), tcpFin: v(IPVS_CMD_ATTR_TIMEOUT_TCP_FIN), udp: v(IPVS_CMD_ATTR_TIMEOUT_UDP) };
}

export function decodeInfo(attrs: Buffer): { version: string; connTabSize: number } {
  const m = attrMap(attrs);
  const v = getU32(need(m, IPVS_INFO_ATTR_VERSION, 'INFO VERSION'));
  return {
    version: `${(v >> 16) & 0xff}.${(v >> 8) & 0xff}.${v & 0xff}`,
    connTabSize: getU32(need(m, IPVS_INFO_ATTR_CONN_TAB_SIZE, 'INFO CONN_TAB_SIZE')),
  };
}

export interface IpvsDaemon {
  state: 'master' | 'backup' | number;
  mcastIfn: string;
  syncId: number;
  syncMaxLen?: number;
  mcastGroup?: string;
  mcastPort?: number;
  mcastTtl?: number;
}

/** A DAEMON nest of a GET_DAEMON reply. */
export function decodeDaemon(nest: Buffer): IpvsDaemon {
  const m = attrMap(nest);
  const st = getU32(need(m, IPVS_DAEMON_ATTR_STATE, 'daemon STATE'));
  const out: IpvsDaemon = {
    state: st === 1 ? 'master' : st === 2 ? 'backup' : st,
    mcastIfn: getString(need(m, IPVS_DAEMON_ATTR_MCAST_IFN, 'daemon MCAST_IFN')),
    syncId: getU32(need(m, IPVS_DAEMON_ATTR_SYNC_ID, 'daemon SYNC_ID')),
  };
  if (m.has(IPVS_DAEMON_ATTR_SYNC_MAXLEN)) out.syncMaxLen = getU16(m.get(IPVS_DAEMON_ATTR_SYNC_MAXLEN)!);
  if (m.has(IPVS_DAEMON_ATTR_MCAST_GROUP)) out.mcastGroup = bytesToAddr(AF_INET, m.get(IPVS_DAEMON_ATTR_MCAST_GROUP)!);
  if (m.has(IPVS_DAEMON_ATTR_MCAST_GROUP6)) out.mcastGroup = bytesToAddr(10, m.get(IPVS_DAEMON_ATTR_MCAST_GROUP6)!);
  if (m.has(IPVS_DAEMON_ATTR_MCAST_PORT)) out.mcastPort = getU16(m.get(IPVS_DAEMON_ATTR_MCAST_PORT)!);
  if (m.has(IPVS_DAEMON_ATTR_MCAST_TTL)) out.mcastTtl = getU8(m.get(IPVS_DAEMON_ATTR_MCAST_TTL)!);
  return out;
}
