// The in-place decoders (indexAttrs + *At readers) against an oracle: the attribute-map decoder they replaced,
// kept here as the reference. Random service and destination nests (optional attributes present or not,
// duplicates, unknown types, NLA_F_NESTED, IPv4/IPv6, STATS/STATS64, truncations) must decode to the same value
// or fail with a DecodeError in both.
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import { bytesToAddr } from '../../../netlink/addr.js';
import {
  attr, attrBe16, attrMap, attrNest, attrString, attrU16, attrU32, attrU64, attrU8, DecodeError, genlPayload,
  getBe16, getBe32, getString, getU16, getU32, getU64, getU8, indexAttrs, attrSlots, NLA_F_NESTED,
} from '../../../netlink/codec.js';
import { AF_INET, AF_INET6, type AddressFamily, type IpvsDest, type IpvsService, type IpvsStats, type ServiceKey } from '../../../netlink/dataplane.js';
import * as C from '../../../netlink/ipvs-codec.js';

const LE = endianness() === 'LE';
const FIELDS: (keyof IpvsStats)[] = ['conns', 'inPkts', 'outPkts', 'inBytes', 'outBytes', 'cps', 'inPps', 'outPps', 'inBps', 'outBps'];

// ---------- the oracle: decoding through attrMap, as before ----------
function oStats(buf: Buffer, is64: boolean): IpvsStats {
  const m = attrMap(buf);
  const out = {} as IpvsStats;
  FIELDS.forEach((name, i) => {
    const b = m.get(i + 1);
    out[name] = !b ? 0n : is64 || b.length === 8 ? getU64(b) : BigInt(getU32(b));
  });
  return out;
}
function oStatsPref(m: Map<number, Buffer>, t64: number, t32: number) {
  const s64 = m.get(t64);
  if (s64) return oStats(s64, true);
  const s32 = m.get(t32);
  return s32 ? oStats(s32, false) : undefined;
}
function oNeed(m: Map<number, Buffer>, t: number) {
  const b = m.get(t);
  if (!b) throw new DecodeError(`lacks ${t}`);
  return b;
}
function oAf(v: number): AddressFamily {
  if (v !== 2 && v !== 10) throw new DecodeError(`af ${v}`);
  return v;
}
function oAddr(af: AddressFamily, b: Buffer) {
  if (b.length < (af === AF_INET ? 4 : 16)) throw new DecodeError('short address');
  return bytesToAddr(af, b);
}
function oService(nest: Buffer): IpvsService {
  const m = attrMap(nest);
  const af = oAf(getU16(oNeed(m, 1)));
  const fw = m.get(5);
  const key: ServiceKey = fw
    ? { af, fwmark: getU32(fw) }
    : { af, protocol: getU16(oNeed(m, 2)), addr: oAddr(af, oNeed(m, 3)), port: getBe16(oNeed(m, 4)) };
  const flags = m.get(7);
  const nm = m.get(9);
  const out: IpvsService = {
    key,
    scheduler: getString(oNeed(m, 6)),
    flags: flags ? (getU32(flags) & ~0x2) >>> 0 : 0,
    timeout: getU32(oNeed(m, 8)),
    netmask: nm ? (af === AF_INET ? getBe32(nm) : getU32(nm)) : 0,
  };
  if (m.get(11)) out.peName = getString(m.get(11)!);
  const st = oStatsPref(m, 12, 10);
  if (st) out.stats = st;
  return out;
}
function oDest(nest: Buffer, svcAf: AddressFamily): IpvsDest {
  const m = attrMap(nest);
  const af = m.get(11) ? oAf(getU16(m.get(11)!)) : svcAf;
  const u32 = (t: number) => (m.has(t) ? getU32(m.get(t)!) : 0);
  const out: IpvsDest = {
    addr: oAddr(af, oNeed(m, 1)),
    port: getBe16(oNeed(m, 2)),
    fwdMethod: u32(3) & 7,
    weight: u32(4),
    uThresh: u32(5),
    lThresh: u32(6),
    tunType: m.has(13) ? getU8(m.get(13)!) : 0,
    tunPort: m.has(14) ? getBe16(m.get(14)!) : 0,
    tunFlags: m.has(15) ? getU16(m.get(15)!) : 0,
    activeConns: u32(7),
    inactConns: u32(8),
    persistConns: u32(9),
  };
  if (af !== svcAf) out.af = af;
  const st = oStatsPref(m, 12, 10);
  if (st) out.stats = st;
  return out;
}

// ---------- random nests ----------
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
type R = () => number;
const int = (r: R, n: number) => Math.floor(r() * n);
const chance = (r: R, p: number) => r() < p;
const u32 = (r: R) => int(r, 2 ** 32);
const bytesOf = (r: R, n: number) => Buffer.from(Array.from({ length: n }, () => int(r, 256)));

function randomStats(r: R, type: number): Buffer {
  const kids: Buffer[] = [];
  for (let i = 1; i <= 11; i++) {
    if (!chance(r, 0.8)) continue;
    // STATS64 is all u64; STATS has u64 byte counters (4, 5) and u32 others. Now and then the other width.
    const wide = (type === 12 || i === 4 || i === 5) !== chance(r, 0.02);
    kids.push(wide ? attrU64(i, BigInt(u32(r)) * BigInt(u32(r))) : attrU32(i, u32(r)));
  }
  return attrNest(type, kids, chance(r, 0.3));
}
/** Either a well-formed value or, now and then, a short or missing one: both decoders must then agree to fail. */
function maybeShort(r: R, good: Buffer, type: number): Buffer {
  if (chance(r, 0.03)) return attr(type, good.subarray(4, 4 + int(r, good.length - 4)));
  return good;
}
function shuffle<T>(r: R, a: T[]): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = int(r, i + 1);
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
function randomDestNest(r: R): Buffer {
  const af = chance(r, 0.7) ? AF_INET : AF_INET6;
  const parts: Buffer[] = [];
  if (chance(r, 0.98)) parts.push(maybeShort(r, attr(1, chance(r, 0.5) && af === AF_INET ? bytesOf(r, 4) : bytesOf(r, 16)), 1));
  if (chance(r, 0.98)) parts.push(maybeShort(r, attrBe16(2, int(r, 65536)), 2));
  for (const t of [3, 4, 5, 6, 7, 8, 9]) if (chance(r, 0.9)) parts.push(maybeShort(r, attrU32(t, u32(r)), t));
  if (chance(r, 0.4)) parts.push(attrU16(11, chance(r, 0.95) ? af : int(r, 30)));
  if (chance(r, 0.3)) parts.push(attrU8(13, int(r, 256)));
  if (chance(r, 0.3)) parts.push(attrBe16(14, int(r, 65536)));
  if (chance(r, 0.3)) parts.push(attrU16(15, int(r, 65536)));
  if (chance(r, 0.5)) parts.push(randomStats(r, 10));
  if (chance(r, 0.5)) parts.push(randomStats(r, 12));
  if (chance(r, 0.1)) parts.push(attrU32(16 + int(r, 100), u32(r))); // a newer kernel's attribute
  if (chance(r, 0.1)) parts.push(attrU32(4, u32(r))); // a duplicate: the last one wins
  return Buffer.concat(shuffle(r, parts));
}
function randomServiceNest(r: R): Buffer {
  const af = chance(r, 0.7) ? AF_INET : AF_INET6;
  const parts: Buffer[] = [];
  if (chance(r, 0.98)) parts.push(attrU16(1, chance(r, 0.97) ? af : int(r, 30)));
  if (chance(r, 0.3)) parts.push(maybeShort(r, attrU32(5, u32(r)), 5));
  else {
    if (chance(r, 0.98)) parts.push(attrU16(2, int(r, 256)));
    if (chance(r, 0.98)) parts.push(maybeShort(r, attr(3, bytesOf(r, 16)), 3));
    if (chance(r, 0.98)) parts.push(attrBe16(4, int(r, 65536)));
  }
  if (chance(r, 0.98)) parts.push(attrString(6, ['rr', 'wrr', 'lc', 'mh', 'sh'][int(r, 5)]));
  if (chance(r, 0.8)) parts.push(attr(7, Buffer.concat([bytesOf(r, 4), Buffer.from('ffffffff', 'hex')])));
  if (chance(r, 0.98)) parts.push(maybeShort(r, attrU32(8, u32(r)), 8));
  if (chance(r, 0.8)) parts.push(attrU32(9, u32(r)));
  if (chance(r, 0.2)) parts.push(attrString(11, 'sip'));
  if (chance(r, 0.5)) parts.push(randomStats(r, 10));
  if (chance(r, 0.5)) parts.push(randomStats(r, 12));
  if (chance(r, 0.1)) parts.push(attrU32(13 + int(r, 100), u32(r)));
  return Buffer.concat(shuffle(r, parts));
}

/** Both decoders' outcome: the value, or the fact of a DecodeError (any other error fails the test). */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    if (e instanceof DecodeError) return 'DecodeError';
    throw e;
  }
}
/**
 * The attributes of `nest` in order, those of the given types left out (NLA_F_NESTED masked); a header that runs
 * past the nest, and what follows it, is kept as it is, so a malformed nest stays malformed.
 */
function withoutAttrs(nest: Buffer, types: number[]): Buffer {
  const kept: Buffer[] = [];
  let off = 0;
  while (off + 4 <= nest.length) {
    const len = nest.readUInt16LE(off);
    const type = nest.readUInt16LE(off + 2) & ~NLA_F_NESTED;
    const next = off + ((len + 3) & ~3);
    if (len < 4 || off + len > nest.length) break;
    if (!types.includes(type)) kept.push(nest.subarray(off, Math.min(next, nest.length)));
    off = next;
  }
  kept.push(nest.subarray(Math.min(off, nest.length)));
  return Buffer.concat(kept);
}

/** The nest, placed at an odd spot inside a larger buffer, so that offsets are honoured rather than assumed 0. */
function embedded(r: R, nest: Buffer): { buf: Buffer; start: number; end: number } {
  const before = bytesOf(r, 4 * int(r, 8));
  return { buf: Buffer.concat([before, nest, bytesOf(r, 4 * int(r, 8))]), start: before.length, end: before.length + nest.length };
}

describe('IPVS replies decoded in place', { skip: !LE && 'little-endian expectations' }, () => {
  it('decode destinations exactly as the attribute-map decoder does (2,000 random nests)', () => {
    const r = rng(9);
    let failures = 0;
    for (let i = 0; i < 2000; i++) {
      const nest = randomDestNest(r);
      const svcAf = chance(r, 0.5) ? AF_INET : AF_INET6;
      const { buf, start, end } = embedded(r, nest);
      const got = outcome(() => C.decodeDestAt(buf, start, end, svcAf));
      assert.deepEqual(got, outcome(() => oDest(nest, svcAf)), `nest ${i}: ${nest.toString('hex')}`);
      if (got === 'DecodeError') failures++;
    }
    assert.ok(failures > 20 && failures < 1000, `both kinds of outcome were exercised (${failures} refusals)`);
  });

  it('decode services exactly as the attribute-map decoder does (2,000 random nests)', () => {
    const r = rng(17);
    let failures = 0;
    for (let i = 0; i < 2000; i++) {
      const nest = randomServiceNest(r);
      const { buf, start, end } = embedded(r, nest);
      const got = outcome(() => C.decodeServiceAt(buf, start, end));
      assert.deepEqual(got, outcome(() => oService(nest)), `nest ${i}: ${nest.toString('hex')}`);
      if (got === 'DecodeError') failures++;
    }
    assert.ok(failures > 20 && failures < 1000, `both kinds of outcome were exercised (${failures} refusals)`);
  });

  it('decode without counters: what a decode with counters gives, less its stats (1,000 nests each)', () => {
    // The same nest decoded with its stats nests (types 10 and 12 for both) left out, as the reference: a decode
    // without counters never looks at them, so a malformed stats nest is no refusal there.
    const r = rng(23);
    let withStats = 0;
    let statsRefused = 0;
    const expected = (nest: Buffer, decode: (b: Buffer) => unknown) => {
      const o = outcome(() => decode(withoutAttrs(nest, [10, 12])));
      if (typeof o === 'object' && o !== null && 'stats' in (o as { value: object }).value) assert.fail('stats decoded from a nest without them');
      return o;
    };
    const hasStats = (o: unknown) => typeof o === 'object' && o !== null && 'stats' in (o as { value: object }).value;
    for (let i = 0; i < 1000; i++) {
      const svcAf = chance(r, 0.5) ? AF_INET : AF_INET6;
      const destNest = randomDestNest(r);
      const dest = embedded(r, destNest);
      const plainDest = outcome(() => C.decodeDestAt(dest.buf, dest.start, dest.end, svcAf, false));
      const fullDest = outcome(() => C.decodeDestAt(dest.buf, dest.start, dest.end, svcAf));
      assert.deepEqual(plainDest, expected(destNest, (b) => C.decodeDest(b, svcAf)), `dest ${i}`);
      assert.equal(hasStats(plainDest), false, `dest ${i} has no stats field`);
      if (hasStats(fullDest)) withStats++;
      if (fullDest === 'DecodeError' && plainDest !== 'DecodeError') statsRefused++;
      const svcNest = randomServiceNest(r);
      const svc = embedded(r, svcNest);
      const plainSvc = outcome(() => C.decodeServiceAt(svc.buf, svc.start, svc.end, undefined, false));
      assert.deepEqual(plainSvc, expected(svcNest, (b) => C.decodeService(b)), `service ${i}`);
      assert.equal(hasStats(plainSvc), false, `service ${i} has no stats field`);
    }
    assert.ok(withStats > 200, `nests with counters were exercised (${withStats})`);
    assert.ok(statsRefused > 0, `a malformed stats nest refused only with counters was exercised (${statsRefused})`);
  });

  it('refuse an address shorter than its family needs instead of printing undefined octets', () => {
    const nest = Buffer.concat([attr(1, Buffer.from([10, 0])), attrBe16(2, 80)]);
    assert.throws(() => C.decodeDest(nest, AF_INET), /dest ADDR attribute has 2 bytes, needs 4/);
    const v6 = Buffer.concat([attr(1, Buffer.alloc(4)), attrBe16(2, 80), attrU16(11, AF_INET6)]);
    assert.throws(() => C.decodeDest(v6, AF_INET), /dest ADDR attribute has 4 bytes, needs 16/);
  });

  it('refuse an attribute that runs past its nest, even when the buffer goes on', () => {
    const nest = Buffer.concat([attr(1, Buffer.from([10, 0, 0, 1])), attrBe16(2, 80)]);
    const buf = Buffer.concat([nest, Buffer.alloc(64)]);
    assert.throws(() => C.decodeDestAt(buf, 0, nest.length - 4, AF_INET), DecodeError);
  });

  it('index attributes by type: last wins, NLA_F_NESTED masked, types beyond the table skipped, absent = -1', () => {
    const buf = Buffer.concat([attrU32(2, 1), attrU32(9, 5), attr(3 | NLA_F_NESTED, Buffer.alloc(0)), attrU32(2, 7)]);
    const s = indexAttrs(buf, 0, buf.length, attrSlots(3));
    assert.deepEqual([...s], [-1, -1, -1, -1, 24, 4, 20, 0]);
    assert.equal(buf.readUInt32LE(s[4]), 7);
  });

  it('find the nest of a whole generic netlink reply and decode it where it lies', () => {
    const dest = Buffer.concat([attr(1, Buffer.from('0a000005000000000000000000000000', 'hex')), attrBe16(2, 8080), attrU32(4, 3)]);
    const payload = genlPayload(C.IPVS_CMD_NEW_DEST, 1, [C.encodeServiceKeyNest({ af: AF_INET, protocol: 6, addr: '192.0.2.1', port: 80 }), attrNest(C.IPVS_CMD_ATTR_DEST, [dest])]);
    const range = C.findNest(payload, 0, payload.length, C.IPVS_CMD_ATTR_DEST);
    assert.ok(range);
    const d = C.decodeDestAt(payload, range[0], range[1], AF_INET);
    assert.equal(d.addr, '10.0.0.5');
    assert.equal(d.port, 8080);
    assert.equal(d.weight, 3);
    assert.equal(C.findNest(payload, 0, payload.length, C.IPVS_CMD_ATTR_DAEMON), null);
  });
});
