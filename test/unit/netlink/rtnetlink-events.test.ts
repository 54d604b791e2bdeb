// The link and address events the HA watcher reads, decoded from bytes the host kernel (6.18) sent: a VRRP
// macvlan's RTM_NEWLINK as `ip link set … protodown on` produced it (with carrier, then without), and the VIP's
// RTM_DELADDR. Captured with a NETLINK_ROUTE socket bound to RTNLGRP_LINK | RTNLGRP_IPV4_IFADDR in a scratch
// namespace (test/fixtures/ha/*.hex hold the payloads, after the 16-byte nlmsghdr).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { attr, attrString, attrU32, nlmsg, parseMessages } from '../../../netlink/codec.js';
import { decodeAddr, decodeEvent, decodeLink, IFF_RUNNING, IFF_UP, IFLA_LINK, RTM_DELADDR, RTM_NEWLINK } from '../../../netlink/rtnetlink.js';

const FIX = fileURLToPath(new URL('../../../../test/fixtures/ha/', import.meta.url));
const hex = (name: string) => Buffer.from(readFileSync(FIX + name, 'utf8').trim(), 'hex');

describe('rtnetlink events of a VRRP macvlan (captured bytes)', { skip: endianness() !== 'LE' && 'little-endian captures' }, () => {
  it('RTM_NEWLINK protodown on: name, VRRP MAC, parent ifindex (IFLA_LINK), protodown, still running', () => {
    const l = decodeLink(hex('rtm-newlink-macvlan-protodown.hex'));
    assert.deepEqual(
      { ifindex: l.ifindex, name: l.name, mac: l.mac, parent: l.parent, protoDown: l.protoDown, operState: l.operState, adminUp: l.adminUp, mtu: l.mtu },
      { ifindex: 4, name: 'vwv4-10', mac: '00:00:5e:00:01:0a', parent: 3, protoDown: true, operState: 'up', adminUp: true, mtu: 1500 },
    );
    assert.ok(l.flags & IFF_RUNNING);
  });

  it('the next RTM_NEWLINK: protodown took the carrier (oper down, IFF_RUNNING cleared, IFF_UP kept)', () => {
    const l = decodeLink(hex('rtm-newlink-macvlan-protodown-nocarrier.hex'));
    assert.equal(l.operState, 'down');
    assert.equal(l.flags & IFF_RUNNING, 0);
    assert.ok(l.flags & IFF_UP);
    assert.equal(l.protoDown, true);
  });

  it('RTM_DELADDR of the VIP: address, prefix, label', () => {
    const payload = Buffer.from(
      '021880000400000008000100c000026408000200c00002640c000300767776342d313000080008008000000014000600ffffffffffffffff19f71f0019f71f00',
      'hex',
    );
    const ev = decodeEvent(parseMessages(nlmsg({ type: RTM_DELADDR, flags: 0, seq: 0, pid: 0 }, payload))[0]);
    assert.deepEqual(ev, { kind: 'addr', action: 'del', addr: { ifindex: 4, family: 2, address: '192.0.2.100', prefixLen: 24, scope: 0, flags: 0x80, ifname: 'vwv4-10' } });
    assert.equal(decodeAddr(payload).address, '192.0.2.100');
  });

  it('a built link message: IFLA_LINK is read as the parent; absent, no parent', () => {
    const ifinfo = Buffer.from('000001000900000043100100ffffffff', 'hex');
    const withParent = Buffer.concat([ifinfo, attrString(3, 'mv0'), attrU32(IFLA_LINK, 2), attr(1, Buffer.from('00005e00020a', 'hex'))]);
    const ev = decodeEvent(parseMessages(nlmsg({ type: RTM_NEWLINK, flags: 0, seq: 0, pid: 0 }, withParent))[0]);
    assert.equal(ev?.kind === 'link' && ev.link.parent, 2);
    assert.equal(ev?.kind === 'link' && ev.link.mac, '00:00:5e:00:02:0a');
    assert.equal(decodeLink(Buffer.concat([ifinfo, attrString(3, 'eth0')])).parent, undefined);
  });
});
