// The ipvsadm vocabulary used by the kernel suite, checked against output captured from ipvsadm v1.31 on the
// Debian 6.1 kernel (see docs/netlink.md), so the kernel suite's expectations are themselves tested.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AF_INET, AF_INET6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, type IpvsTableEntry } from '../../../netlink/dataplane.js';
import { canonicalRule, canonicalRules, parseListing, saveRules } from './ipvsadm-format.js';

const CAPTURED_SAVE = `-A -t 192.0.2.10:80 -s wrr
-a -t 192.0.2.10:80 -r 10.0.0.1:8080 -m -w 2147483647
-a -t 192.0.2.10:80 -r 10.0.0.2:80 -g -w 65536
-a -t 192.0.2.10:80 -r 10.0.0.3:80 -i -w 1 --tun-type gue --tun-port 6080 --tun-csum
-a -t 192.0.2.10:80 -r 10.0.0.4:80 -i -w 1 --tun-type gre --tun-csum
-a -t 192.0.2.10:80 -r 10.0.0.5:80 -i -w 0 --tun-type ipip
-A -t 192.0.2.10:443 -s sh -p 300 -M 255.255.255.0 -b sh-fallback,sh-port
-A -t 192.0.2.10:445 -s rr -b flag-1,flag-2,flag-3
-A -u 192.0.2.11:5060 -s rr -p 30 --pe sip
-A --sctp-service 192.0.2.12:9 -s none
-A -u [2001:db8::10]:53 -s wlc -p 60 -M 64 -o
-A -f 7 -s rr
-a -f 7 -r [2001:db8::9]:0 -i -w 1 --tun-type ipip
-A -f 8 -6 -s lc`.split('\n');

const CAPTURED_LIST = `IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  192.0.2.10:80 wrr
  -> 10.0.0.1:8080                Masq    2147483647 0          0         
  -> 10.0.0.2:80                  Route   65536  0          0         
TCP  192.0.2.10:443 sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0
FWM  7 rr
  -> [2001:db8::9]:0              Tunnel  1      0          0         
FWM  8 IPv6 lc
`;

const z = () => undefined;
const table: IpvsTableEntry[] = [
  {
    service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 80 }, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff },
    dests: [
      { addr: '10.0.0.1', port: 8080, fwdMethod: 0, weight: 2147483647, uThresh: 0, lThresh: 0 },
      { addr: '10.0.0.2', port: 80, fwdMethod: 3, weight: 65536, uThresh: 0, lThresh: 0 },
      { addr: '10.0.0.3', port: 80, fwdMethod: 2, weight: 1, uThresh: 0, lThresh: 0, tunType: 1, tunPort: 6080, tunFlags: 1 },
      { addr: '10.0.0.4', port: 80, fwdMethod: 2, weight: 1, uThresh: 0, lThresh: 0, tunType: 2, tunFlags: 1 },
      { addr: '10.0.0.5', port: 80, fwdMethod: 2, weight: 0, uThresh: 0, lThresh: 0, tunType: 0 },
    ],
  },
  { service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 443 }, scheduler: 'sh', flags: 1 | 8 | 16, timeout: 300, netmask: 0xffffff00 }, dests: [] },
  { service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 445 }, scheduler: 'rr', flags: 8 | 16 | 32, timeout: 0, netmask: 0xffffffff }, dests: [] },
  { service: { key: { af: AF_INET, protocol: IPPROTO_UDP, addr: '192.0.2.11', port: 5060 }, scheduler: 'rr', flags: 1, timeout: 30, netmask: 0xffffffff, peName: 'sip' }, dests: [] },
  { service: { key: { af: AF_INET, protocol: IPPROTO_SCTP, addr: '192.0.2.12', port: 9 }, scheduler: 'none', flags: 0, timeout: 0, netmask: 0xffffffff }, dests: [] },
  { service: { key: { af: AF_INET6, protocol: IPPROTO_UDP, addr: '2001:db8::10', port: 53 }, scheduler: 'wlc', flags: 1 | 4, timeout: 60, netmask: 64 }, dests: [] },
  { service: { key: { af: AF_INET, fwmark: 7 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff }, dests: [{ addr: '2001:db8::9', af: AF_INET6, port: 0, fwdMethod: 2, weight: 1, uThresh: 0, lThresh: 0, tunType: 0 }] },
  { service: { key: { af: AF_INET6, fwmark: 8 }, scheduler: 'lc', flags: 0, timeout: 0, netmask: 128 }, dests: [] },
];
void z;

describe('ipvsadm vocabulary (checked against captured ipvsadm v1.31 output)', () => {
  it('renders a table exactly as ipvsadm -S -n printed it', () => {
    assert.deepEqual(saveRules(table), CAPTURED_SAVE);
  });

  it('compares rules regardless of option order', () => {
    assert.equal(canonicalRule('-A -t 1.2.3.4:80 -s rr -o -p 5'), canonicalRule('-A -t 1.2.3.4:80 -p 5 -o -s rr'));
    assert.notEqual(canonicalRule('-A -t 1.2.3.4:80 -s rr -p 5'), canonicalRule('-A -t 1.2.3.4:80 -s rr -p 6'));
    assert.deepEqual(canonicalRules(['-A -f 8 -6 -s lc', '']), ['-A -6 -f 8 -s lc']);
  });

  it('parses a listing into services and destination columns', () => {
    const l = parseListing(CAPTURED_LIST);
    assert.deepEqual([...l.keys()], ['TCP 192.0.2.10:80', 'TCP 192.0.2.10:443', 'FWM 7', 'FWM 8 IPv6']);
    assert.deepEqual(l.get('TCP 192.0.2.10:80')!.dests.get('10.0.0.1:8080'), ['Masq', '2147483647', '0', '0']);
    assert.deepEqual(l.get('TCP 192.0.2.10:443')!.rest, ['sh', '(sh-fallback,sh-port)', 'persistent', '300', 'mask', '255.255.255.0']);
    assert.deepEqual(l.get('FWM 7')!.dests.get('[2001:db8::9]:0'), ['Tunnel', '1', '0', '0']);
    assert.equal(l.get('FWM 8 IPv6')!.rest[0], 'lc');
  });
});
