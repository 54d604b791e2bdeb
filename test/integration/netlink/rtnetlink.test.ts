// rtnetlink on the host kernel, inside a network namespace this test creates and removes.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { AddrInfo, LinkInfo, RtEvent } from '../../../netlink/rtnetlink.js';

const NS = `lbt-${randomBytes(4).toString('hex')}`;
const child = fileURLToPath(new URL('./rtnl-child.js', import.meta.url));
const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;

describe('rtnetlink events and dumps (host kernel, own namespace)', { skip: !canNetns && 'needs root and iproute2' }, () => {
  let result: { seen: RtEvent[]; links: LinkInfo[]; addrs: AddrInfo[]; ipLinks: { ifname: string; address: string }[] };

  before(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    const out = execFileSync('ip', ['netns', 'exec', NS, process.execPath, child], {
      env: { ...process.env, LBT_RTNL_CHILD: '1' },
      timeout: 60_000,
    });
    result = JSON.parse(out.toString());
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  const linkEvents = (name: string) =>
    result.seen.filter((e): e is Extract<RtEvent, { kind: 'link' }> => e.kind === 'link' && e.link.name === name);
  const addrEvents = () => result.seen.filter((e): e is Extract<RtEvent, { kind: 'addr' }> => e.kind === 'addr');

  it('reports new links with their MAC address as `ip link` shows it', () => {
    const v0 = linkEvents('lbtv0');
    assert.ok(v0.length > 0, 'a link event for lbtv0');
    const mac = result.ipLinks.find((l) => l.ifname === 'lbtv0')!.address;
    assert.equal(v0.at(-1)!.link.mac, mac);
    assert.ok(v0.some((e) => e.link.operState === 'up'), 'veth goes oper-up once both ends are up');
  });

  it('reports protodown on and then off on the macvlan', () => {
    const mv = linkEvents('lbtmv0').map((e) => e.link.protoDown);
    const on = mv.indexOf(true);
    assert.ok(on >= 0, `protodown on seen (${JSON.stringify(mv)})`);
    assert.ok(mv.slice(on + 1).includes(false), 'protodown off seen after on');
    assert.equal(mv.at(-1), false);
  });

  it('reports IPv4 and IPv6 addresses added and removed, with the interface name', () => {
    const ev = addrEvents().map((e) => `${e.action} ${e.addr.address}/${e.addr.prefixLen} ${e.addr.ifname}`);
    assert.ok(ev.includes('add 192.0.2.1/24 lbtmv0'), JSON.stringify(ev));
    assert.ok(ev.includes('add 2001:db8::1/64 lbtmv0'), JSON.stringify(ev));
    assert.ok(ev.includes('del 192.0.2.1/24 lbtmv0'), JSON.stringify(ev));
    assert.ok(ev.indexOf('add 192.0.2.1/24 lbtmv0') < ev.indexOf('del 192.0.2.1/24 lbtmv0'));
  });

  it('dumps links and addresses of the namespace', () => {
    const names = result.links.map((l) => l.name).sort();
    assert.deepEqual(names, ['lbtmv0', 'lbtv0', 'lbtv1', 'lo']);
    const lo = result.links.find((l) => l.name === 'lo')!;
    assert.equal(lo.adminUp, true);
    const addrs = result.addrs.map((a) => `${a.address}/${a.prefixLen} ${a.ifname}`);
    assert.ok(addrs.includes('127.0.0.1/8 lo'), JSON.stringify(addrs));
    assert.ok(addrs.includes('2001:db8::1/64 lbtmv0'), JSON.stringify(addrs));
    assert.ok(!addrs.includes('192.0.2.1/24 lbtmv0'), 'the deleted address is gone');
  });
});
