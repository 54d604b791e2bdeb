import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import { AF_INET, AF_INET6, FWD_TUNNEL, IPPROTO_TCP, IPPROTO_UDP, TUN_GUE, type IpvsService } from '../../../netlink/dataplane.js';
import { attr, attrBe16, attrNest, attrString, attrU16, attrU32, attrU64, attrU8, genlPayload, NLM_F_ACK, NLM_F_REQUEST, nlmsg } from '../../../netlink/codec.js';
import * as C from '../../../netlink/ipvs-codec.js';
import { bytesToAddr, addrToBytes, canonicalAddr } from '../../../netlink/addr.js';
import { decodeFamily, getFamilyRequest } from '../../../netlink/genl.js';

const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const LE = endianness() === 'LE';

describe('IPVS codec', { skip: !LE && 'little-endian expectations' }, () => {
  it('encodes NEW_SERVICE tcp 192.0.2.10:80 wrr exactly as the reference worked example', () => {
    const s: IpvsService = { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 80 }, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff };
    const msg = C.ipvsMessage(0xffff, C.IPVS_CMD_NEW_SERVICE, NLM_F_REQUEST | NLM_F_ACK, 1, [C.encodeServiceFull(s)]);
    const expected = bytes(`
      68000000 ffff0500 01000000 00000000
      01010000
      54000100
        06000100 02000000
        06000200 06000000
        14000300 c000020a 00000000 00000000 00000000
        06000400 00500000
        08000600 77727200
        0c000700 00000000 ffffffff
        08000800 00000000
        08000900 ffffffff`);
    assert.equal(msg.toString('hex'), expected.toString('hex'));
  });

  it('encodes an IPv4 netmask as mask bytes and an IPv6 one as a host-order prefix length', () => {
    const v4 = C.encodeServiceFull({ key: { af: AF_INET, fwmark: 1 }, scheduler: 'rr', flags: 1, timeout: 300, netmask: 0xffffff00 });
    assert.ok(v4.includes(bytes('08000900 ffffff00')));
    assert.ok(v4.includes(bytes('08000500 01000000')), 'FWMARK u32');
    const v6 = C.encodeServiceFull({ key: { af: AF_INET6, fwmark: 1 }, scheduler: 'rr', flags: 1, timeout: 300, netmask: 64 });
    assert.ok(v6.includes(bytes('08000900 40000000')));
  });

  it('encodes a destination: 16-byte address, be16 ports, u32 weight with all 32 bits, tunnel fields', () => {
    const d = C.encodeDest(AF_INET, { addr: '10.0.0.1', port: 8080, fwdMethod: FWD_TUNNEL, weight: 2147483647, uThresh: 10, lThresh: 5, tunType: TUN_GUE, tunPort: 6080, tunFlags: 1 }, true);
    const expected = bytes(`
      58000200
        14000100 0a000001 00000000 00000000 00000000
        06000200 1f900000
        08000300 02000000
        08000400 ffffff7f
        08000500 0a000000
        08000600 05000000
        05000d00 01000000
        06000e00 17c00000
        06000f00 01000000`);
    assert.equal(d.toString('hex'), expected.toString('hex'));
  });

  it('sends ADDR_FAMILY only for a destination whose family is given', () => {
    const d = C.encodeDest(AF_INET, { addr: '2001:db8::1', port: 80, af: AF_INET6 }, false);
    assert.ok(d.includes(bytes('06000b00 0a000000')));
    assert.ok(!C.encodeDest(AF_INET, { addr: '10.0.0.1', port: 80 }, false).includes(bytes('06000b00')));
  });

  const stats64 = (base: bigint) => attrNest(C.IPVS_SVC_ATTR_STATS64, Array.from({ length: 10 }, (_, i) => attrU64(i + 1, base + BigInt(i))));

  it('decodes a kernel service reply: 16-byte v4 address, HASHED masked, STATS64 preferred', () => {
    const nest = Buffer.concat([
      attrU16(1, AF_INET),
      attrU16(2, IPPROTO_UDP),
      attr(3, bytes('c0000201 00000000 00000000 00000000')),
      attrBe16(4, 53),
      attrString(6, 'rr'),
      attr(7, bytes('03000000 ffffffff')),
      attrU32(8, 300),
      attr(9, bytes('ffffff00')),
      attrNest(10, [attrU32(1, 1), attrU32(2, 2)]),
      attrString(11, 'sip'),
      stats64(5_000_000_000n),
    ]);
    const s = C.decodeService(nest);
    assert.deepEqual(s.key, { af: AF_INET, protocol: IPPROTO_UDP, addr: '192.0.2.1', port: 53 });
    assert.equal(s.flags, 1);
    assert.equal(s.netmask, 0xffffff00);
    assert.equal(s.peName, 'sip');
    assert.equal(s.stats?.conns, 5_000_000_000n);
    assert.equal(s.stats?.outBps, 5_000_000_009n);
  });

  it('falls back to 32-bit STATS (with 64-bit byte counters) when STATS64 is absent', () => {
    const st = attrNest(C.IPVS_SVC_ATTR_STATS, [attrU32(1, 7), attrU32(2, 8), attrU32(3, 9), attrU64(4, 2n ** 33n), attrU64(5, 1n), attrU32(6, 0)]);
    const nest = Buffer.concat([attrU16(1, AF_INET), attrU32(5, 9), attrString(6, 'rr'), attrU32(8, 0), st]);
    const s = C.decodeService(nest);
    assert.deepEqual(s.key, { af: AF_INET, fwmark: 9 });
    assert.equal(s.stats?.conns, 7n);
    assert.equal(s.stats?.inBytes, 2n ** 33n);
  });

  it('decodes a destination reply with weight above 65535 and connection counts', () => {
    const nest = Buffer.concat([
      attr(1, bytes('20010db8 00000000 00000000 00000005')),
      attrBe16(2, 80),
      attrU32(3, 2),
      attrU32(4, 65536),
      attrU8(13, 1),
      attrBe16(14, 6080),
      attrU16(15, 2),
      attrU32(5, 0),
      attrU32(6, 0),
      attrU32(7, 3),
      attrU32(8, 4),
      attrU32(9, 5),
      attrU16(11, AF_INET6),
      stats64(1n),
    ]);
    const d = C.decodeDest(nest, AF_INET);
    assert.deepEqual({ ...d, stats: undefined }, {
      addr: '2001:db8::5', port: 80, af: AF_INET6, fwdMethod: 2, weight: 65536, uThresh: 0, lThresh: 0,
      tunType: 1, tunPort: 6080, tunFlags: 2, activeConns: 3, inactConns: 4, persistConns: 5, stats: undefined,
    });
    assert.equal(d.stats?.inPkts, 2n);
  });

  it('decodes GET_INFO and GET_CONFIG payloads', () => {
    assert.deepEqual(C.decodeInfo(Buffer.concat([attrU32(1, 0x010201), attrU32(2, 4096)])), { version: '1.2.1', connTabSize: 4096 });
    assert.deepEqual(C.decodeTimeouts(Buffer.concat([attrU32(4, 900), attrU32(5, 120), attrU32(6, 300)])), { tcp: 900, tcpFin: 120, udp: 300 });
  });

  it('builds the nlctrl GETFAMILY request and decodes its reply with multicast groups', () => {
    assert.equal(getFamilyRequest('IPVS', 3, 5).toString('hex'), bytes('20000000 10000500 03000000 00000000 03010000 09000200 49505653 00000000').toString('hex'));
    const reply = genlPayload(1, 2, [
      attrU16(1, 0x1a),
      attrString(2, 'IPVS'),
      attrU32(3, 1),
      attrU32(5, 3),
      attrNest(7, [attrNest(1, [attrString(1, 'events'), attrU32(2, 9)])]),
    ]);
    const f = decodeFamily(reply);
    assert.deepEqual({ ...f, mcastGroups: [...f.mcastGroups] }, { id: 0x1a, name: 'IPVS', version: 1, maxAttr: 3, mcastGroups: [['events', 9]] });
    assert.ok(nlmsg); // the codec's nlmsg is what getFamilyRequest wraps
  });
});

describe('addresses', () => {
  it('formats IPv6 per RFC 5952 and round-trips bytes', () => {
    const cases: [string, string][] = [
      ['2001:DB8:0:0:0:0:0:1', '2001:db8::1'],
      ['::', '::'],
      ['::1', '::1'],
      ['2001:db8:0:1:0:0:0:1', '2001:db8:0:1::1'],
      ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
      ['fe80::1:2', 'fe80::1:2'],
      ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
      ['1:0:3:4:5:6:7:8', '1:0:3:4:5:6:7:8'],
      ['::ffff:192.0.2.1', '::ffff:c000:201'],
    ];
    for (const [input, out] of cases) assert.equal(canonicalAddr(AF_INET6, input), out, input);
    assert.equal(bytesToAddr(AF_INET, addrToBytes(AF_INET, '10.1.2.3')), '10.1.2.3');
    assert.throws(() => addrToBytes(AF_INET, '10.1.2'), /not an IPv4/);
  });
});
