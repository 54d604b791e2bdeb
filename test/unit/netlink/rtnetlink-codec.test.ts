import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import { describe, it } from 'node:test';
import { attr, attrString, attrU32, attrU8, nlmsg, parseMessages } from '../../../netlink/codec.js';
import { decodeAddr, decodeEvent, decodeLink, dumpRequest, RTM_DELADDR, RTM_GETADDR, RTM_GETLINK, RTM_NEWLINK } from '../../../netlink/rtnetlink.js';

const bytes = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('rtnetlink decoding', { skip: endianness() !== 'LE' && 'little-endian expectations' }, () => {
  it('decodes a link: name, MAC, oper state, admin up, protodown, MTU', () => {
    const ifinfo = bytes('00 00 0100 07000000 41100100 00000000'); // AF_UNSPEC, ARPHRD_ETHER, index 7, flags UP|RUNNING|LOWER_UP
    const payload = Buffer.concat([ifinfo, attrString(3, 'vrrp4-1'), attr(1, bytes('02005e000101')), attrU32(4, 1500), attrU8(16, 6), attrU8(39, 1)]);
    assert.deepEqual(decodeLink(payload), {
      ifindex: 7, name: 'vrrp4-1', mac: '02:00:5e:00:01:01', operState: 'up', adminUp: true, protoDown: true, mtu: 1500, flags: 0x11041,
    });
    const down = decodeLink(Buffer.concat([bytes('00 00 0100 07000000 00100000 00000000'), attrString(3, 'x'), attrU8(16, 2)]));
    assert.equal(down.operState, 'down');
    assert.equal(down.adminUp, false);
    assert.equal(down.protoDown, false);
  });

  it('decodes address events with IFA_LOCAL preferred for IPv4', () => {
    const v4 = Buffer.concat([bytes('02 18 80 00 05000000'), attr(1, bytes('c0000202')), attr(2, bytes('c0000201')), attrString(3, 'eth0')]);
    assert.deepEqual(decodeAddr(v4), { ifindex: 5, family: 2, address: '192.0.2.1', prefixLen: 24, scope: 0, flags: 0x80, ifname: 'eth0' });
    const v6 = Buffer.concat([bytes('0a 40 00 00 05000000'), attr(1, bytes('20010db8000000000000000000000001')), attrU32(8, 0x280)]);
    assert.deepEqual(decodeAddr(v6), { ifindex: 5, family: 10, address: '2001:db8::1', prefixLen: 64, scope: 0, flags: 0x280 });
    const ev = decodeEvent(parseMessages(nlmsg({ type: RTM_DELADDR, flags: 0, seq: 0, pid: 0 }, v4))[0]);
    assert.equal(ev?.kind === 'addr' && ev.action, 'del');
    assert.equal(decodeEvent(parseMessages(nlmsg({ type: 99, flags: 0, seq: 0, pid: 0 }, v4))[0]), null);
    assert.equal(decodeEvent(parseMessages(nlmsg({ type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0 }, Buffer.concat([bytes('00 00 0100 07000000 01000000 00000000'), attrString(3, 'a')])))[0])?.kind, 'link');
  });

  it('builds dump requests with the right family header sizes', () => {
    assert.equal(dumpRequest(RTM_GETLINK, 1, 0x301).toString('hex'), bytes('20000000 1200 0103 01000000 00000000' + '00'.repeat(16)).toString('hex'));
    assert.equal(dumpRequest(RTM_GETADDR, 2, 0x301).length, 24);
  });
});
