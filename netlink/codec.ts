// Pure netlink codec: nlmsghdr, genlmsghdr, attributes (typed, nested, padded), message streams, NLMSG_ERROR
// with extended acks. No I/O here; every function maps bytes to values or back and is unit-tested byte for byte.
// Integers are host byte order (netlink's rule) unless the name says be16/be32.
import { endianness } from 'node:os';

export const NLMSG_HDRLEN = 16;
export const GENL_HDRLEN = 4;
export const NLA_HDRLEN = 4;

export const NLMSG_NOOP = 1;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
export const NLMSG_OVERRUN = 4;

export const NLM_F_REQUEST = 0x1;
export const NLM_F_MULTI = 0x2;
export const NLM_F_ACK = 0x4;
export const NLM_F_ECHO = 0x8;
export const NLM_F_DUMP_INTR = 0x10;
export const NLM_F_ROOT = 0x100;
export const NLM_F_MATCH = 0x200;
export const NLM_F_DUMP = NLM_F_ROOT | NLM_F_MATCH;
export const NLM_F_CREATE = 0x400;
export const NLM_F_EXCL = 0x200;
/** Flags of an NLMSG_ERROR message. */
export const NLM_F_CAPPED = 0x100;
export const NLM_F_ACK_TLVS = 0x200;

export const NLA_F_NESTED = 0x8000;
export const NLA_F_NET_BYTEORDER = 0x4000;
export const NLA_TYPE_MASK = 0x3fff;

export const NLMSGERR_ATTR_MSG = 1;
export const NLMSGERR_ATTR_OFFS = 2;

export const align4 = (n: number) => (n + 3) & ~3;

const LE = endianness() === 'LE';

// ---------- encoding ----------

export interface NlHeader {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export function u16Bytes(v: number): Buffer {
  const b = Buffer.alloc(2);
  LE ? b.writeUInt16LE(v) : b.writeUInt16BE(v);
  return b;
}
export function u32Bytes(v: number): Buffer {
  const b = Buffer.alloc(4);
  LE ? b.writeUInt32LE(v >>> 0) : b.writeUInt32BE(v >>> 0);
  return b;
}

/** One attribute: header (len without padding), payload, zero padding to 4 bytes. */
export function attr(type: number, payload: Uint8Array): Buffer {
  const len = NLA_HDRLEN + payload.length;
  const out = Buffer.alloc(align4(len));
  LE ? out.writeUInt16LE(len, 0) : out.writeUInt16BE(len, 0);
  LE ? out.writeUInt16LE(type, 2) : out.writeUInt16BE(type, 2);
  out.set(payload, NLA_HDRLEN);
  return out;
}

export const attrU8 = (type: number, v: number) => attr(type, Buffer.from([v & 0xff]));
export const attrU16 = (type: number, v: number) => attr(type, u16Bytes(v));
export const attrU32 = (type: number, v: number) => attr(type, u32Bytes(v));
export function attrU64(type: number, v: bigint): Buffer {
  const b = Buffer.alloc(8);
  LE ? b.writeBigUInt64LE(v) : b.writeBigUInt64BE(v);
  return attr(type, b);
}
export function attrBe16(type: number, v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return attr(type, b);
}
export function attrBe32(type: number, v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return attr(type, b);
}
/** NUL-terminated string. */
export const attrString = (type: number, s: string) => attr(type, Buffer.concat([Buffer.from(s, 'utf8'), Buffer.alloc(1)]));
export const attrBytes = (type: number, b: Uint8Array) => attr(type, b);
/** A nest of already-encoded attributes. `flagNested` sets NLA_F_NESTED (IPVS does not need it). */
export const attrNest = (type: number, children: Buffer[], flagNested = false) =>
  attr(flagNested ? type | NLA_F_NESTED : type, Buffer.concat(children));

/** nlmsghdr + payload; the payload is padded to 4 bytes and nlmsg_len covers it. */
export function nlmsg(h: NlHeader, payload: Uint8Array): Buffer {
  const len = NLMSG_HDRLEN + align4(payload.length);
  const out = Buffer.alloc(len);
  if (LE) {
    out.writeUInt32LE(len, 0);
    out.writeUInt16LE(h.type, 4);
    out.writeUInt16LE(h.flags, 6);
    out.writeUInt32LE(h.seq >>> 0, 8);
    out.writeUInt32LE(h.pid >>> 0, 12);
  } else {
    out.writeUInt32BE(len, 0);
    out.writeUInt16BE(h.type, 4);
    out.writeUInt16BE(h.flags, 6);
    out.writeUInt32BE(h.seq >>> 0, 8);
    out.writeUInt32BE(h.pid >>> 0, 12);
  }
  out.set(payload, NLMSG_HDRLEN);
  return out;
}

/** genlmsghdr (cmd, version, reserved) followed by attributes. */
export function genlPayload(cmd: number, version: number, attrs: Buffer[]): Buffer {
  return Buffer.concat([Buffer.from([cmd, version, 0, 0]), ...attrs]);
}

// ---------- decoding ----------

export interface NlMessage extends NlHeader {
  /** Bytes after the 16-byte header, up to nlmsg_len. */
  payload: Buffer;
}

export class DecodeError extends Error {}

/** Split a received datagram into messages; throws DecodeError on a length that does not fit. */
export function parseMessages(buf: Buffer): NlMessage[] {
  const out: NlMessage[] = [];
  let off = 0;
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = LE ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
    if (len < NLMSG_HDRLEN || off + len > buf.length)
      throw new DecodeError(`netlink message at offset ${off} claims length ${len} (datagram has ${buf.length - off} bytes left)`);
    out.push({
      type: LE ? buf.readUInt16LE(off + 4) : buf.readUInt16BE(off + 4),
      flags: LE ? buf.readUInt16LE(off + 6) : buf.readUInt16BE(off + 6),
      seq: LE ? buf.readUInt32LE(off + 8) : buf.readUInt32BE(off + 8),
      pid: LE ? buf.readUInt32LE(off + 12) : buf.readUInt32BE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    });
    off += align4(len);
  }
  return out;
}

export interface Attr {
  /** Type with NLA_F_NESTED / NLA_F_NET_BYTEORDER masked off. */
  type: number;
  nested: boolean;
  data: Buffer;
}

/** Parse a run of attributes; a truncated trailing attribute is a DecodeError. */
export function parseAttrs(buf: Buffer): Attr[] {
  const out: Attr[] = [];
  let off = 0;
  while (off + NLA_HDRLEN <= buf.length) {
    const len = LE ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
    const rawType = LE ? buf.readUInt16LE(off + 2) : buf.readUInt16BE(off + 2);
    if (len < NLA_HDRLEN || off + len > buf.length)
      throw new DecodeError(`attribute type ${rawType & NLA_TYPE_MASK} at offset ${off} claims length ${len}`);
    out.push({ type: rawType & NLA_TYPE_MASK, nested: (rawType & NLA_F_NESTED) !== 0, data: buf.subarray(off + NLA_HDRLEN, off + len) });
    off += align4(len);
  }
  return out;
}

/** Attributes by type (the last one wins, as nla_parse does). */
export function attrMap(buf: Buffer): Map<number, Buffer> {
  const m = new Map<number, Buffer>();
  for (const a of parseAttrs(buf)) m.set(a.type, a.data);
  return m;
}

function need(b: Buffer, n: number, what: string) {
  if (b.length < n) throw new DecodeError(`${what} attribute has ${b.length} bytes, needs ${n}`);
}
export function getU8(b: Buffer): number {
  need(b, 1, 'u8');
  return b[0];
}
export function getU16(b: Buffer): number {
  need(b, 2, 'u16');
  return LE ? b.readUInt16LE(0) : b.readUInt16BE(0);
}
export function getU32(b: Buffer): number {
  need(b, 4, 'u32');
  return LE ? b.readUInt32LE(0) : b.readUInt32BE(0);
}
export function getS32(b: Buffer): number {
  need(b, 4, 's32');
  return LE ? b.readInt32LE(0) : b.readInt32BE(0);
}
export function getU64(b: Buffer): bigint {
  need(b, 8, 'u64');
  return LE ? b.readBigUInt64LE(0) : b.readBigUInt64BE(0);
}
export function getBe16(b: Buffer): number {
  need(b, 2, 'be16');
  return b.readUInt16BE(0);
}
export function getBe32(b: Buffer): number {
  need(b, 4, 'be32');
  return b.readUInt32BE(0);
}
/** String up to the first NUL (or the end). */
export function getString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString('utf8');
}

export interface GenlMessage {
  cmd: number;
  version: number;
  attrs: Buffer;
}
export function parseGenl(payload: Buffer): GenlMessage {
  if (payload.length < GENL_HDRLEN) throw new DecodeError(`generic netlink payload of ${payload.length} bytes`);
  return { cmd: payload[0], version: payload[1], attrs: payload.subarray(GENL_HDRLEN) };
}

export interface NlError {
  /** 0 for an ACK, otherwise a positive errno. */
  errno: number;
  /** Header of the request this answers. */
  request: NlHeader;
  /** Extended ack: NLMSGERR_ATTR_MSG text. */
  message?: string;
  /** Extended ack: NLMSGERR_ATTR_OFFS, byte offset of the offending attribute in the request. */
  offset?: number;
}

/** Decode an NLMSG_ERROR payload: int error, the request's nlmsghdr, [its payload unless capped], [TLVs]. */
export function parseError(msg: NlMessage): NlError {
  const p = msg.payload;
  if (p.length < 4 + NLMSG_HDRLEN) throw new DecodeError(`NLMSG_ERROR payload of ${p.length} bytes`);
  const error = LE ? p.readInt32LE(0) : p.readInt32BE(0);
  const [req] = parseMessages(fixLen(p.subarray(4, 4 + NLMSG_HDRLEN)));
  const origLen = LE ? p.readUInt32LE(4) : p.readUInt32BE(4);
  const out: NlError = { errno: error === 0 ? 0 : -error, request: { type: req.type, flags: req.flags, seq: req.seq, pid: req.pid } };
  if (msg.flags & NLM_F_ACK_TLVS) {
    const tlvStart = 4 + (msg.flags & NLM_F_CAPPED ? NLMSG_HDRLEN : align4(origLen));
    if (tlvStart <= p.length) {
      const m = attrMap(p.subarray(tlvStart));
      const text = m.get(NLMSGERR_ATTR_MSG);
      if (text) out.message = getString(text);
      const offs = m.get(NLMSGERR_ATTR_OFFS);
      if (offs) out.offset = getU32(offs);
    }
  }
  return out;
}

/** A copy of a bare nlmsghdr whose length field says 16, so parseMessages accepts it alone. */
function fixLen(h: Buffer): Buffer {
  const c = Buffer.from(h);
  LE ? c.writeUInt32LE(NLMSG_HDRLEN, 0) : c.writeUInt32BE(NLMSG_HDRLEN, 0);
  return c;
}

// ---------- decoding in place ----------
// A dump of 10,000 services x 4 destinations is 50,000 messages of about 20 attributes each. Decoding each one
// through parseAttrs/attrMap made a Buffer view and an object per attribute and a Map per nest: a third of the
// time of reading the whole table (CPU profile in the kernel VM). The functions below read the same bytes by
// offset instead; the Buffer-returning ones above stay for everything that is not on a dump's path.

/**
 * Index a run of attributes in buf[start, end) by type, as nla_parse does (the last one of a type wins, types
 * beyond the table are skipped): slots[2t] is the offset of type t's data in buf, slots[2t + 1] its length, and
 * -1 marks a type that is absent. The table is the caller's, so nothing is allocated per message; a truncated
 * attribute is a DecodeError, as in parseAttrs.
 */
export function indexAttrs(buf: Buffer, start: number, end: number, slots: Int32Array): Int32Array {
  slots.fill(-1);
  const maxType = (slots.length >> 1) - 1;
  let off = start;
  while (off + NLA_HDRLEN <= end) {
    const len = LE ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
    const type = (LE ? buf.readUInt16LE(off + 2) : buf.readUInt16BE(off + 2)) & NLA_TYPE_MASK;
    if (len < NLA_HDRLEN || off + len > end)
      throw new DecodeError(`attribute type ${type} at offset ${off - start} claims length ${len}`);
    if (type <= maxType) {
      slots[2 * type] = off + NLA_HDRLEN;
      slots[2 * type + 1] = len - NLA_HDRLEN;
    }
    off += align4(len);
  }
  return slots;
}

/** A slot table for indexAttrs that holds types 0..maxType. */
export const attrSlots = (maxType: number) => new Int32Array(2 * (maxType + 1));

function needAt(len: number, n: number, what: string) {
  if (len < n) throw new DecodeError(`${what} attribute has ${len} bytes, needs ${n}`);
}
/** Readers of an attribute found by indexAttrs: buf, the data's offset and its length (checked as getU16 etc. do). */
export function u8At(buf: Buffer, off: number, len: number): number {
  needAt(len, 1, 'u8');
  return buf[off];
}
export function u16At(buf: Buffer, off: number, len: number): number {
  needAt(len, 2, 'u16');
  return LE ? buf.readUInt16LE(off) : buf.readUInt16BE(off);
}
export function u32At(buf: Buffer, off: number, len: number): number {
  needAt(len, 4, 'u32');
  return LE ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
}
export function u64At(buf: Buffer, off: number, len: number): bigint {
  needAt(len, 8, 'u64');
  return LE ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off);
}
export function be16At(buf: Buffer, off: number, len: number): number {
  needAt(len, 2, 'be16');
  return buf.readUInt16BE(off);
}
export function be32At(buf: Buffer, off: number, len: number): number {
  needAt(len, 4, 'be32');
  return buf.readUInt32BE(off);
}
/** String up to the first NUL within the attribute (or its end). */
export function stringAt(buf: Buffer, off: number, len: number): string {
  let end = off;
  while (end < off + len && buf[end] !== 0) end++;
  return buf.toString('utf8', off, end);
}
