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
  attrSlots,
  be16At,
  be32At,
  genlPayload,
  getString,
  getU16,
  getU32,
  getU8,
  GENL_HDRLEN,
  indexAttrs,
  nlmsg,
  stringAt,
  u16At,
  u32At,
  u64At,
  u8At,
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

// A dump's replies are decoded in place (indexAttrs and the *At readers): no Buffer view, Map or object per
// attribute. Each nest level has its own slot table, because a service nest holds a stats nest; decoding is
// synchronous, so one table per level is enough.
const CMD_SLOTS = attrSlots(IPVS_CMD_ATTR_TIMEOUT_UDP);
const SVC_SLOTS = attrSlots(IPVS_SVC_ATTR_STATS64);
const DEST_SLOTS = attrSlots(IPVS_DEST_ATTR_TUN_FLAGS);
const STATS_SLOTS = attrSlots(STATS_FIELDS.length);

/**
 * The range [start, end) in buf of the nest of type `type` among the attributes of a generic netlink payload
 * (buf[start, end) is the payload, genlmsghdr included), or null when the reply has no such nest.
 */
export function findNest(buf: Buffer, start: number, end: number, type: number): [number, number] | null {
  if (end - start < GENL_HDRLEN) throw new DecodeError(`generic netlink payload of ${end - start} bytes`);
  const s = indexAttrs(buf, start + GENL_HDRLEN, end, CMD_SLOTS);
  return s[2 * type] < 0 ? null : [s[2 * type], s[2 * type] + s[2 * type + 1]];
}

/** STATS (u32 counters 1-3, u64 bytes 4-5, u32 rates) or STATS64 (all u64) in buf[start, end); PAD (11) ignored. */
export function decodeStatsAt(buf: Buffer, start: number, end: number, is64: boolean): IpvsStats {
  const s = indexAttrs(buf, start, end, STATS_SLOTS);
  const out = {} as IpvsStats;
  for (let i = 0; i < STATS_FIELDS.length; i++) {
    const off = s[2 * (i + 1)];
    const len = s[2 * (i + 1) + 1];
    if (off < 0) out[STATS_FIELDS[i]] = 0n;
    else if (is64 || len === 8) out[STATS_FIELDS[i]] = u64At(buf, off, len);
    else out[STATS_FIELDS[i]] = BigInt(u32At(buf, off, len));
  }
  return out;
}

export const decodeStats = (buf: Buffer, is64: boolean): IpvsStats => decodeStatsAt(buf, 0, buf.length, is64);

/** Stats of a service or dest whose attributes are indexed in `s`: STATS64 when present, else STATS. */
function statsPreferring64(buf: Buffer, s: Int32Array, t64: number, t32: number): IpvsStats | undefined {
  if (s[2 * t64] >= 0) return decodeStatsAt(buf, s[2 * t64], s[2 * t64] + s[2 * t64 + 1], true);
  if (s[2 * t32] >= 0) return decodeStatsAt(buf, s[2 * t32], s[2 * t32] + s[2 * t32 + 1], false);
  return undefined;
}

/** Offset of a required attribute indexed in `s`. */
function needSlot(s: Int32Array, type: number, what: string): number {
  if (s[2 * type] < 0) throw new DecodeError(`kernel reply lacks ${what}`);
  return s[2 * type];
}

function decodeAf(v: number): AddressFamily {
  if (v !== 2 && v !== 10) throw new DecodeError(`kernel reply has address family ${v}`);
  return v;
}

/** An address attribute: 4 bytes for AF_INET, 16 for AF_INET6 (the kernel sends the 16-byte union for both). */
function addrAt(buf: Buffer, s: Int32Array, type: number, af: AddressFamily, what: string): string {
  const off = needSlot(s, type, what);
  needAddrLen(s[2 * type + 1], af, what);
  return bytesToAddr(af, buf, off);
}
function needAddrLen(len: number, af: AddressFamily, what: string) {
  const n = af === AF_INET ? 4 : 16;
  if (len < n) throw new DecodeError(`${what} attribute has ${len} bytes, needs ${n}`);
}

/**
 * The attributes of a SERVICE nest in buf[start, end) of a GET_SERVICE reply. HASHED is masked off the flags.
 * `counters` false: the stats nests are not decoded (`stats` absent).
 */
export function decodeServiceAt(buf: Buffer, start: number, end: number, hashedMask = 0x2, counters = true): IpvsService {
  const s = indexAttrs(buf, start, end, SVC_SLOTS);
  const slot = (t: number) => s[2 * t];
  const len = (t: number) => s[2 * t + 1];
  const af = decodeAf(u16At(buf, needSlot(s, IPVS_SVC_ATTR_AF, 'service AF'), len(IPVS_SVC_ATTR_AF)));
  const key: ServiceKey =
    slot(IPVS_SVC_ATTR_FWMARK) >= 0
      ? { af, fwmark: u32At(buf, slot(IPVS_SVC_ATTR_FWMARK), len(IPVS_SVC_ATTR_FWMARK)) }
      : {
          af,
          protocol: u16At(buf, needSlot(s, IPVS_SVC_ATTR_PROTOCOL, 'service PROTOCOL'), len(IPVS_SVC_ATTR_PROTOCOL)),
          addr: addrAt(buf, s, IPVS_SVC_ATTR_ADDR, af, 'service ADDR'),
          port: be16At(buf, needSlot(s, IPVS_SVC_ATTR_PORT, 'service PORT'), len(IPVS_SVC_ATTR_PORT)),
        };
  const flags = slot(IPVS_SVC_ATTR_FLAGS);
  const nm = slot(IPVS_SVC_ATTR_NETMASK);
  const nmLen = len(IPVS_SVC_ATTR_NETMASK);
  const out: IpvsService = {
    key,
    scheduler: stringAt(buf, needSlot(s, IPVS_SVC_ATTR_SCHED_NAME, 'service SCHED_NAME'), len(IPVS_SVC_ATTR_SCHED_NAME)),
    flags: flags >= 0 ? (u32At(buf, flags, len(IPVS_SVC_ATTR_FLAGS)) & ~hashedMask) >>> 0 : 0,
    timeout: u32At(buf, needSlot(s, IPVS_SVC_ATTR_TIMEOUT, 'service TIMEOUT'), len(IPVS_SVC_ATTR_TIMEOUT)),
    netmask: nm < 0 ? 0 : af === AF_INET ? be32At(buf, nm, nmLen) : u32At(buf, nm, nmLen),
  };
  if (slot(IPVS_SVC_ATTR_PE_NAME) >= 0) out.peName = stringAt(buf, slot(IPVS_SVC_ATTR_PE_NAME), len(IPVS_SVC_ATTR_PE_NAME));
  const stats = counters ? statsPreferring64(buf, s, IPVS_SVC_ATTR_STATS64, IPVS_SVC_ATTR_STATS) : undefined;
  if (stats) out.stats = stats;
  return out;
}

export const decodeService = (nest: Buffer, hashedMask = 0x2): IpvsService => decodeServiceAt(nest, 0, nest.length, hashedMask);

/**
 * The attributes of a DEST nest in buf[start, end) of a GET_DEST reply; `af` is reported only when it differs from
 * svcAf. `counters` false: the stats nests are not decoded (`stats` absent; the connection counts are kept).
 */
export function decodeDestAt(buf: Buffer, start: number, end: number, svcAf: AddressFamily, counters = true): IpvsDest {
  const s = indexAttrs(buf, start, end, DEST_SLOTS);
  const slot = (t: number) => s[2 * t];
  const len = (t: number) => s[2 * t + 1];
  const u32 = (t: number) => (slot(t) >= 0 ? u32At(buf, slot(t), len(t)) : 0);
  const af = slot(IPVS_DEST_ATTR_ADDR_FAMILY) >= 0 ? decodeAf(u16At(buf, slot(IPVS_DEST_ATTR_ADDR_FAMILY), len(IPVS_DEST_ATTR_ADDR_FAMILY))) : svcAf;
  const out: IpvsDest = {
    addr: addrAt(buf, s, IPVS_DEST_ATTR_ADDR, af, 'dest ADDR'),
    port: be16At(buf, needSlot(s, IPVS_DEST_ATTR_PORT, 'dest PORT'), len(IPVS_DEST_ATTR_PORT)),
    fwdMethod: u32(IPVS_DEST_ATTR_FWD_METHOD) & 7,
    // Full 32 bits: the kernel keeps a signed int that is never negative once accepted.
    weight: u32(IPVS_DEST_ATTR_WEIGHT),
    uThresh: u32(IPVS_DEST_ATTR_U_THRESH),
    lThresh: u32(IPVS_DEST_ATTR_L_THRESH),
    tunType: slot(IPVS_DEST_ATTR_TUN_TYPE) >= 0 ? u8At(buf, slot(IPVS_DEST_ATTR_TUN_TYPE), len(IPVS_DEST_ATTR_TUN_TYPE)) : 0,
    tunPort: slot(IPVS_DEST_ATTR_TUN_PORT) >= 0 ? be16At(buf, slot(IPVS_DEST_ATTR_TUN_PORT), len(IPVS_DEST_ATTR_TUN_PORT)) : 0,
    tunFlags: slot(IPVS_DEST_ATTR_TUN_FLAGS) >= 0 ? u16At(buf, slot(IPVS_DEST_ATTR_TUN_FLAGS), len(IPVS_DEST_ATTR_TUN_FLAGS)) : 0,
    activeConns: u32(IPVS_DEST_ATTR_ACTIVE_CONNS),
    inactConns: u32(IPVS_DEST_ATTR_INACT_CONNS),
    persistConns: u32(IPVS_DEST_ATTR_PERSIST_CONNS),
  };
  if (af !== svcAf) out.af = af;
  const stats = counters ? statsPreferring64(buf, s, IPVS_DEST_ATTR_STATS64, IPVS_DEST_ATTR_STATS) : undefined;
  if (stats) out.stats = stats;
  return out;
}

export const decodeDest = (nest: Buffer, svcAf: AddressFamily): IpvsDest => decodeDestAt(nest, 0, nest.length, svcAf);

function need(m: Map<number, Buffer>, type: number, what: string): Buffer {
  const b = m.get(type);
  if (!b) throw new DecodeError(`kernel reply lacks ${what}`);
  return b;
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
