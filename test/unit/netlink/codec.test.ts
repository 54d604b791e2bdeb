import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import {
  attr,
  attrBe16,
  attrMap,
  attrNest,
  attrString,
  attrU16,
  attrU32,
  attrU64,
  attrU8,
  DecodeError,
  getBe16,
  getString,
  getU16,
  getU32,
  getU64,
  getU8,
  nlmsg,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLM_F_ACK_TLVS,
  NLM_F_CAPPED,
  NLM_F_MULTI,
  parseAttrs,
  parseError,
  parseMessages,
} from '../../../netlink/codec.js';

const hex = (b: Buffer) => b.toString('hex');
const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const LE = endianness() === 'LE';

describe('netlink codec: attributes', { skip: !LE && 'byte-level expectations are for little-endian hosts' }, () => {
  it('encodes typed attributes with header length excluding padding', () => {
    assert.equal(hex(attrU8(13, 2)), hex(bytes('05000d00 02000000')));
    assert.equal(hex(attrU16(1, 2)), hex(bytes('06000100 02000000')));
    assert.equal(hex(attrU32(8, 300)), hex(bytes('08000800 2c010000')));
    assert.equal(hex(attrU64(1, 0x0102030405060708n)), hex(bytes('0c000100 0807060504030201')));
    assert.equal(hex(attrBe16(4, 80)), hex(bytes('06000400 00500000')));
    assert.equal(hex(attrString(6, 'wrr')), hex(bytes('08000600 77727200')));
    assert.equal(hex(attrString(6, 'wlc0')), hex(bytes('09000600 776c6330 00000000')));
    assert.equal(hex(attr(3, Buffer.from([1, 2, 3, 4, 5]))), hex(bytes('09000300 01020304 05000000')));
  });

  it('nests attributes, with or without NLA_F_NESTED', () => {
    const inner = [attrU16(1, 2), attrU32(5, 7)];
    assert.equal(hex(attrNest(1, inner)), hex(bytes('14000100 06000100 02000000 08000500 07000000')));
    assert.equal(hex(attrNest(1, inner, true)), hex(bytes('14000180 06000100 02000000 08000500 07000000')));
  });

  it('decodes attributes, masking NLA_F_NESTED and skipping padding', () => {
    const buf = Buffer.concat([attrNest(2, [attrU8(13, 1)], true), attrString(6, 'rr'), attrU64(12, 5n)]);
    const attrs = parseAttrs(buf);
    assert.deepEqual(attrs.map((a) => [a.type, a.nested]), [[2, true], [6, false], [12, false]]);
    assert.equal(getU8(attrMap(attrs[0].data).get(13)!), 1);
    assert.equal(getString(attrs[1].data), 'rr');
    assert.equal(getU64(attrs[2].data), 5n);
  });

  it('reads typed values and refuses short ones', () => {
    assert.equal(getU16(Buffer.from([0x34, 0x12])), 0x1234);
    assert.equal(getU32(Buffer.from([0xff, 0xff, 0xff, 0x7f])), 2147483647);
    assert.equal(getBe16(Buffer.from([0x1f, 0x90])), 8080);
    assert.equal(getString(Buffer.from('abc')), 'abc', 'a string without NUL reads to the end');
    assert.throws(() => getU32(Buffer.from([1, 2])), DecodeError);
  });

  it('refuses an attribute whose length runs past the buffer', () => {
    assert.throws(() => parseAttrs(bytes('10000100 00000000')), DecodeError);
    assert.throws(() => parseAttrs(bytes('02000100')), DecodeError);
  });
});

describe('netlink codec: messages', { skip: !LE && 'little-endian expectations' }, () => {
  it('encodes nlmsghdr with the padded payload length', () => {
    const m = nlmsg({ type: 0x10, flags: 5, seq: 7, pid: 0 }, Buffer.from([3, 1, 0, 0, 0xaa]));
    assert.equal(hex(m), hex(bytes('18000000 1000 0500 07000000 00000000 03010000 aa000000')));
  });

  it('splits a multipart datagram into messages (MULTI parts then DONE)', () => {
    const a = nlmsg({ type: 0x20, flags: NLM_F_MULTI, seq: 9, pid: 42 }, Buffer.from([1, 1, 0, 0]));
    const b = nlmsg({ type: 0x20, flags: NLM_F_MULTI, seq: 9, pid: 42 }, Buffer.from([1, 1, 0, 0, 6, 0, 1, 0, 2, 0, 0, 0]));
    const done = nlmsg({ type: NLMSG_DONE, flags: NLM_F_MULTI, seq: 9, pid: 42 }, Buffer.alloc(4));
    const msgs = parseMessages(Buffer.concat([a, b, done]));
    assert.deepEqual(msgs.map((m) => [m.type, m.flags, m.seq, m.pid, m.payload.length]), [
      [0x20, 2, 9, 42, 4],
      [0x20, 2, 9, 42, 12],
      [3, 2, 9, 42, 4],
    ]);
  });

  it('refuses a message whose length runs past the datagram', () => {
    assert.throws(() => parseMessages(bytes('40000000 02000000 01000000 00000000')), DecodeError);
  });

  it('decodes an ACK and an error with extended ack text and offset', () => {
    // errno 0, capped request header (seq 5)
    const ack = parseError(parseMessages(bytes('24000000 0200 0001 05000000 7b000000  00000000  28000000 1a00 0500 05000000 00000000'))[0]);
    assert.deepEqual(ack, { errno: 0, request: { type: 0x1a, flags: 5, seq: 5, pid: 0 } });
    // -EINVAL (0xffffffea), CAPPED|ACK_TLVS, MSG "bad\0", OFFS 24
    const payload = Buffer.concat([
      bytes('eaffffff'),
      bytes('28000000 1a00 0500 06000000 00000000'),
      attrString(1, 'bad'),
      attrU32(2, 24),
    ]);
    const msg = nlmsg({ type: NLMSG_ERROR, flags: NLM_F_CAPPED | NLM_F_ACK_TLVS, seq: 6, pid: 0 }, payload);
    const e = parseError(parseMessages(msg)[0]);
    assert.deepEqual(e, { errno: 22, request: { type: 0x1a, flags: 5, seq: 6, pid: 0 }, message: 'bad', offset: 24 });
  });

  it('finds extended ack TLVs after an uncapped copy of the request', () => {
    const req = nlmsg({ type: 0x1a, flags: 5, seq: 8, pid: 0 }, Buffer.from([1, 1, 0, 0, 0xde, 0xad, 0xbe, 0xef]));
    const payload = Buffer.concat([bytes('feffffff'), req, attrString(1, 'nope')]);
    const e = parseError(parseMessages(nlmsg({ type: NLMSG_ERROR, flags: NLM_F_ACK_TLVS, seq: 8, pid: 0 }, payload))[0]);
    assert.equal(e.errno, 2);
    assert.equal(e.message, 'nope');
    assert.equal(e.request.seq, 8);
  });
});
