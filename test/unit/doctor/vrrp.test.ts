// `lbctl doctor`'s VRRP checks against a fake host: the ARP sysctls (effective = max of all and the interface),
// FRR's `show vrrp json` answering (or not, or without the instance), keepalived's VIPs on the interface, and the
// daemon's picture (split brain, unknown). Every finding that is not ok carries its fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import type { HostProbe, RunResult } from '../../../cli/doctor/checks.js';
import { checkVrrpSource, checkVrrpState, checkVrrpSysctls } from '../../../cli/doctor/vrrp.js';
import type { HaSnapshot } from '../../../engine/ha/types.js';

function probe(files: Record<string, string>, run: (cmd: string, args: string[]) => RunResult = () => ({ code: null, stdout: '', stderr: '', error: 'not found' })): HostProbe & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    readFile: async (p) => files[p] ?? null,
    exists: async (p) => p in files || Object.keys(files).some((f) => f.startsWith(p + '/')),
    writable: async () => true,
    run: async (cmd, args) => {
      ran.push([cmd, ...args].join(' '));
      return run(cmd, args);
    },
    which: async () => null,
    pidof: async () => [],
    euid: 0,
    arch: 'amd64',
  };
}

const ha = (source: string, program = 'master-only') =>
  applyDefaults({ ha: { source, program, instances: [{ name: 'web4', vrid: 10, interface: 'eth0', vips: ['192.0.2.10'] }] } } as never);
const arp = (allIgnore: string, allAnnounce: string, ethIgnore = '0', ethAnnounce = '0') => ({
  '/proc/sys/net/ipv4/conf/all/arp_ignore': allIgnore,
  '/proc/sys/net/ipv4/conf/all/arp_announce': allAnnounce,
  '/proc/sys/net/ipv4/conf/eth0/arp_ignore': ethIgnore,
  '/proc/sys/net/ipv4/conf/eth0/arp_announce': ethAnnounce,
});

test('vrrp-sysctl: the defaults are an error with frr, a warning with keepalived; the fix sets and persists them', async () => {
  const [f] = await checkVrrpSysctls(probe(arp('0\n', '0\n')), ha('frr'));
  assert.equal(f.status, 'error');
  assert.match(f.detail, /arp_ignore = 0 on eth0 \(all 0, eth0 0\), want 1; arp_announce = 0 on eth0 \(all 0, eth0 0\), want 2/);
  assert.deepEqual(f.fix!.slice(0, 2), ['sysctl -w net.ipv4.conf.all.arp_ignore=1', 'sysctl -w net.ipv4.conf.all.arp_announce=2']);
  assert.match(f.fix![2], /sysctl\.d\/91-lbctl-vrrp\.conf/);
  assert.equal((await checkVrrpSysctls(probe(arp('0', '0')), ha('keepalived')))[0].status, 'warning');
});

test('vrrp-sysctl: the larger of all and the interface counts; source none checks nothing; a missing interface is said', async () => {
  assert.equal((await checkVrrpSysctls(probe(arp('1', '2')), ha('frr')))[0].status, 'ok');
  assert.equal((await checkVrrpSysctls(probe(arp('0', '0', '1', '2')), ha('frr')))[0].status, 'ok');
  const half = (await checkVrrpSysctls(probe(arp('1', '1')), ha('frr')))[0];
  assert.equal(half.status, 'error');
  assert.deepEqual(half.fix!.slice(0, 1), ['sysctl -w net.ipv4.conf.all.arp_announce=2']);
  assert.deepEqual(await checkVrrpSysctls(probe(arp('0', '0')), ha('none', 'always')), []);
  const gone = (await checkVrrpSysctls(probe({ '/proc/sys/net/ipv4/conf/all/arp_ignore': '1' }), ha('frr')))[0];
  assert.equal(gone.status, 'warning');
  assert.match(gone.detail, /interface eth0 .* does not exist/);
});

const FRR_JSON = JSON.stringify([
  { vrid: 10, version: 3, interface: 'eth0', v4: { interface: 'vrrp4-2-10', status: 'Master', effectivePriority: 200, addresses: ['192.0.2.10'] }, v6: { interface: '', status: 'Initialize', effectivePriority: 100, addresses: [] } },
]);

test('vrrp-source frr: vtysh answers with the instance; vrrpd down; the instance missing from FRR', async () => {
  const ok = await checkVrrpSource(probe({}, () => ({ code: 0, stdout: FRR_JSON, stderr: '' })), ha('frr'));
  assert.equal(ok[0].status, 'ok');
  assert.equal(ok[0].detail, "vtysh -c 'show vrrp json' answers: web4 v4 Master v6 Initialize priority 200");
  const p = probe({}, () => ({ code: 1, stdout: '', stderr: 'vrrpd is not running\n' }));
  const down = await checkVrrpSource(p, ha('frr'));
  assert.deepEqual(p.ran, ['vtysh -c show vrrp json'], 'execFile arguments, no shell');
  assert.equal(down[0].status, 'error');
  assert.match(down[0].detail, /does not answer: vrrpd is not running: every instance is unknown/);
  assert.deepEqual(down[0].fix, ['systemctl restart frr', 'journalctl -u frr  (why vrrpd does not answer)']);
  assert.equal((await checkVrrpSource(probe({}, () => ({ code: 1, stdout: '', stderr: 'vrrpd is not running' })), ha('frr', 'always')))[0].status, 'warning');
  const other = await checkVrrpSource(probe({}, () => ({ code: 0, stdout: '[]', stderr: '' })), ha('frr'));
  assert.equal(other[0].status, 'error');
  assert.match(other[0].detail, /FRR has no vrrp 10 on eth0 \(web4\)/);
  assert.deepEqual(other[0].fix, ["vtysh -c 'configure terminal' -c 'interface eth0' -c 'vrrp 10' -c 'vrrp 10 ip 192.0.2.10'"]);
});

test('vrrp-source keepalived: the VIP on the interface is Master, absent is Backup, an unreadable interface is an error', async () => {
  const withVip = probe({}, () => ({ code: 0, stdout: '2: eth0    inet 10.0.0.1/24 brd 10.0.0.255 scope global eth0\n2: eth0    inet 192.0.2.10/32 scope global eth0\n', stderr: '' }));
  const [m] = await checkVrrpSource(withVip, ha('keepalived'));
  assert.deepEqual(withVip.ran, ['ip -o addr show dev eth0']);
  assert.equal(m.status, 'ok');
  assert.equal(m.detail, 'web4: eth0 holds 192.0.2.10: keepalived has this node as Master');
  const [b] = await checkVrrpSource(probe({}, () => ({ code: 0, stdout: '2: eth0    inet 192.0.2.100/24 scope global eth0\n', stderr: '' })), ha('keepalived'));
  assert.equal(b.detail, 'web4: eth0 holds none of 192.0.2.10: keepalived has this node as Backup');
  const [e] = await checkVrrpSource(probe({}, () => ({ code: 1, stdout: '', stderr: 'Device "eth0" does not exist.' })), ha('keepalived'));
  assert.equal(e.status, 'error');
});

test('vrrp-state: split brain is an error, unknown an error under master-only, a healthy pair ok; no daemon says nothing', () => {
  const snap = (summary: HaSnapshot['summary'], state: 'master' | 'backup' | 'unknown'): HaSnapshot => ({
    source: 'frr',
    program: 'master-only',
    summary,
    instances: [{ name: 'web4', vrid: 10, interface: 'eth0', family: 'inet', state, since: '2026-11-30T14:00:00Z', source: 'poll', vips: ['192.0.2.10'], programs: state === 'master', ...(state === 'unknown' ? { reason: 'vrrpd is not running' } : {}) }],
  });
  const [split] = checkVrrpState(ha('frr'), snap('master,split-brain', 'master'));
  assert.equal(split.status, 'error');
  assert.match(split.detail, /^SPLIT BRAIN/);
  const [unknown] = checkVrrpState(ha('frr'), snap('unknown', 'unknown'));
  assert.equal(unknown.status, 'error');
  assert.equal(unknown.detail, 'VRRP state unknown: web4 unknown (vrrpd is not running); services of unknown instances are kept as they are');
  assert.equal(checkVrrpState(ha('frr', 'always'), snap('unknown', 'unknown'))[0].status, 'warning');
  assert.equal(checkVrrpState(ha('frr'), snap('backup', 'backup'))[0].status, 'ok');
  assert.deepEqual(checkVrrpState(ha('frr'), null), []);
});
