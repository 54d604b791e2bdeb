// lbctl's netlink dataplane cross-checked with ipvsadm on a real IPVS kernel (root, inside the VM).
// One node process runs every check; the table is flushed between steps. Node's test runner runs the kernel
// suite's files one at a time, which matters: every file shares the guest's one IPVS table.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import {
  AF_INET,
  AF_INET6,
  FWD_DROUTE,
  FWD_MASQ,
  FWD_TUNNEL,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  TUN_GRE,
  TUN_GUE,
  TUN_IPIP,
  type AddressFamily,
  type Dataplane,
  type IpvsDest,
  type IpvsOp,
  type IpvsService,
  type IpvsTableEntry,
  type ServiceKey,
} from '../../../netlink/dataplane.js';
import { openDataplane } from '../../../netlink/open.js';
import { NetlinkDataplane } from '../../../netlink/ipvs.js';
import { canonicalRules, listedDestId, listedServiceId, parseListing, saveRules } from '../../unit/netlink/ipvsadm-format.js';
import { echoClientScript } from './echo-client.js';

const ipvsadm = (...args: string[]) => execFileSync('ipvsadm', args, { encoding: 'utf8' });
const sh = (script: string) => execFileSync('sh', ['-ec', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];
const WEIGHTS = [0, 1, 65536, 2147483647];
/** Forwarding variants: NAT, DR, and every tunnel type with each checksum option that type allows. */
const FORWARDS: Partial<IpvsDest>[] = [
  { fwdMethod: FWD_MASQ },
  { fwdMethod: FWD_DROUTE },
  { fwdMethod: FWD_TUNNEL, tunType: TUN_IPIP },
  { fwdMethod: FWD_TUNNEL, tunType: TUN_GUE, tunPort: 6080, tunFlags: 0 },
  { fwdMethod: FWD_TUNNEL, tunType: TUN_GUE, tunPort: 6081, tunFlags: 1 },
  { fwdMethod: FWD_TUNNEL, tunType: TUN_GUE, tunPort: 6082, tunFlags: 2 },
  { fwdMethod: FWD_TUNNEL, tunType: TUN_GRE, tunFlags: 0 },
  { fwdMethod: FWD_TUNNEL, tunType: TUN_GRE, tunFlags: 1 },
];

function svcPort(k: ServiceKey) {
  return 'fwmark' in k ? 0 : k.port;
}

/** Four destinations: every weight, a rotating forwarding method, thresholds on one. */
function destsFor(k: ServiceKey, n: number, destAf: AddressFamily = k.af): IpvsDest[] {
  return [0, 1, 2, 3].map((j) => {
    const fwd = FORWARDS[(n + j) % FORWARDS.length];
    // ipvsadm gives non-NAT destinations the service's port, so the matrix does too (rules round-trip).
    const port = fwd.fwdMethod === FWD_MASQ ? 8000 + j : svcPort(k);
    const addr = destAf === AF_INET ? `10.${1 + (n >> 8)}.${n & 0xff}.${j + 1}` : `fd00::${n.toString(16)}:${j + 1}`;
    const d: IpvsDest = { addr, port, weight: WEIGHTS[j], uThresh: j === 1 ? 100 : 0, lThresh: j === 1 ? 10 : 0, tunType: 0, tunPort: 0, tunFlags: 0, ...fwd } as IpvsDest;
    if (destAf !== k.af) d.af = destAf;
    return d;
  });
}

/** v4/v6 x tcp/udp/sctp x every scheduler, with persistence/netmask, one-packet and scheduler flags rotating. */
function matrix(): IpvsTableEntry[] {
  const out: IpvsTableEntry[] = [];
  let n = 0;
  for (const af of [AF_INET, AF_INET6] as AddressFamily[])
    [IPPROTO_TCP, IPPROTO_UDP, IPPROTO_SCTP].forEach((protocol, pi) =>
      SCHEDULERS.forEach((scheduler, si) => {
        const key: ServiceKey = { af, protocol, addr: af === AF_INET ? `192.0.2.${10 + pi}` : `2001:db8::${10 + pi}`, port: 1000 + si };
        const s: IpvsService = { key, scheduler, flags: 0, timeout: 0, netmask: af === AF_INET ? 0xffffffff : 128 };
        if (si % 3 === 1) Object.assign(s, { flags: SVC_F_PERSISTENT, timeout: 300, netmask: af === AF_INET ? 0xffffff00 : 64 });
        if (si % 3 === 2) Object.assign(s, { flags: SVC_F_PERSISTENT, timeout: 60 + si });
        if (protocol === IPPROTO_UDP && si % 2 === 0) s.flags |= SVC_F_ONEPACKET; // ipvsadm allows -o only on UDP
        if (scheduler === 'sh' || scheduler === 'mh') s.flags |= SVC_F_SCHED1 | SVC_F_SCHED2;
        out.push({ service: s, dests: destsFor(key, n++) });
      }),
    );
  const fw4: ServiceKey = { af: AF_INET, fwmark: 100 };
  const fw6: ServiceKey = { af: AF_INET6, fwmark: 101 };
  out.push({ service: { key: fw4, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff }, dests: destsFor(fw4, n++) });
  out.push({ service: { key: fw6, scheduler: 'wlc', flags: SVC_F_PERSISTENT, timeout: 120, netmask: 48 }, dests: destsFor(fw6, n++) });
  // A v4 fwmark service with IPv6 tunnel destinations (mixed families are allowed for tunnels only).
  const mixed: ServiceKey = { af: AF_INET, fwmark: 102 };
  out.push({ service: { key: mixed, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff }, dests: destsFor(mixed, n++, AF_INET6).map((d) => ({ ...d, fwdMethod: FWD_TUNNEL, tunType: TUN_IPIP, tunPort: 0, tunFlags: 0, port: 0 })) });
  const sip: ServiceKey = { af: AF_INET, protocol: IPPROTO_UDP, addr: '192.0.2.30', port: 5060 };
  out.push({ service: { key: sip, scheduler: 'rr', flags: SVC_F_PERSISTENT, timeout: 30, netmask: 0xffffffff, peName: 'sip' }, dests: destsFor(sip, n++) });
  const none: ServiceKey = { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.31', port: 1 };
  out.push({ service: { key: none, scheduler: 'none', flags: 0, timeout: 0, netmask: 0xffffffff }, dests: [] });
  return out;
}

function opsFor(table: IpvsTableEntry[]): IpvsOp[] {
  return table.flatMap((e) => [
    { op: 'newService', service: e.service } as IpvsOp,
    ...e.dests.map((dest): IpvsOp => ({ op: 'newDest', key: e.service.key, dest })),
  ]);
}

/** The fields a caller writes, in a stable order, for comparing tables. */
function normalise(table: IpvsTableEntry[]) {
  return table
    .map((e) => ({
      service: { key: e.service.key, scheduler: e.service.scheduler, flags: e.service.flags, timeout: e.service.timeout, netmask: e.service.netmask, peName: e.service.peName },
      dests: e.dests
        .map((d) => ({ addr: d.addr, port: d.port, af: d.af, fwdMethod: d.fwdMethod, weight: d.weight, uThresh: d.uThresh, lThresh: d.lThresh, tunType: d.tunType ?? 0, tunPort: d.tunPort ?? 0, tunFlags: d.tunFlags ?? 0 }))
        .sort((a, b) => `${a.addr}/${a.port}`.localeCompare(`${b.addr}/${b.port}`)),
    }))
    .sort((a, b) => JSON.stringify(a.service.key).localeCompare(JSON.stringify(b.service.key)));
}

const FWD_NAME = ['Masq', 'Local', 'Tunnel', 'Route', 'Bypass'];

describe('IPVS: lbctl netlink dataplane against ipvsadm on the same kernel', () => {
  let dp: Dataplane;
  const table = matrix();

  before(async () => {
    execFileSync('modprobe', ['ip_vs']);
    dp = await openDataplane({ kind: 'netlink' });
  });
  after(async () => {
    await dp.flush();
    await dp.close();
  });

  it(`programs the matrix (${table.length} services) and ipvsadm -Sn lists exactly those rules`, async (t) => {
    await dp.flush();
    const ops = opsFor(table);
    const before = dp.messagesSent();
    const results = await dp.apply(ops);
    const failed = results.map((r, i) => (r.ok ? null : `${r.message}`)).filter(Boolean);
    assert.deepEqual(failed, []);
    t.diagnostic(`${ops.length} ops, ${dp.messagesSent() - before} messages, ${(dp as NetlinkDataplane).sendCalls()} send() calls so far`);
    assert.deepEqual(canonicalRules(ipvsadm('-Sn').split('\n')), canonicalRules(saveRules(table)));
  });

  it('ipvsadm -Ln shows each scheduler, forwarding method and full 32-bit weight', () => {
    const listing = parseListing(ipvsadm('-Ln'));
    assert.equal(listing.size, table.length);
    for (const { service, dests } of table) {
      const l = listing.get(listedServiceId(service.key));
      assert.ok(l, listedServiceId(service.key));
      assert.equal(l.rest[0], service.scheduler);
      if (service.flags & SVC_F_PERSISTENT) assert.ok(l.rest.join(' ').includes(`persistent ${service.timeout}`), l.rest.join(' '));
      assert.equal(l.dests.size, dests.length);
      for (const d of dests) {
        const row = l.dests.get(listedDestId(d.af ?? service.key.af, d.addr, d.port));
        assert.ok(row, `${l.id} -> ${d.addr}`);
        assert.deepEqual(row.slice(0, 2), [FWD_NAME[d.fwdMethod], String(d.weight)]);
      }
    }
  });

  it('ipvsadm -Ln --thresholds and --persistent-conn agree with what lbctl reads', async () => {
    const thresholds = parseListing(ipvsadm('-Ln', '--thresholds'));
    const persistent = parseListing(ipvsadm('-Ln', '--persistent-conn'));
    const read = await dp.readAll();
    for (const { service, dests } of read) {
      const id = listedServiceId(service.key);
      for (const d of dests) {
        const did = listedDestId(d.af ?? service.key.af, d.addr, d.port);
        assert.deepEqual(thresholds.get(id)!.dests.get(did)!.slice(0, 2), [String(d.uThresh), String(d.lThresh)]);
        assert.deepEqual(persistent.get(id)!.dests.get(did)!, [String(d.weight), String(d.persistConns), String(d.activeConns), String(d.inactConns)]);
      }
    }
  });

  it('reads back exactly what it wrote (one service dump + one dest dump per service)', async () => {
    const before = dp.messagesSent();
    const read = await dp.readAll();
    assert.equal(dp.messagesSent() - before, 1 + table.length);
    assert.deepEqual(normalise(read), normalise(table));
  });

  it('reads a table that ipvsadm -R created', async () => {
    await dp.flush();
    execFileSync('ipvsadm', ['-R'], { input: saveRules(table, true).join('\n') + '\n' });
    assert.deepEqual(normalise(await dp.readAll()), normalise(table));
  });

  it('reads back 1,000 services x 4 destinations exactly', async (t) => {
    await dp.flush();
    const big: IpvsTableEntry[] = [];
    for (let i = 0; i < 1000; i++) {
      const key: ServiceKey = { af: AF_INET, protocol: i % 2 ? IPPROTO_UDP : IPPROTO_TCP, addr: `198.51.${100 + (i >> 8)}.${i & 0xff}`, port: 80 + (i % 7) };
      big.push({ service: { key, scheduler: SCHEDULERS[i % SCHEDULERS.length], flags: 0, timeout: 0, netmask: 0xffffffff }, dests: destsFor(key, i) });
    }
    const m0 = dp.messagesSent();
    const results = await dp.apply(opsFor(big));
    assert.ok(results.every((r) => r.ok), 'every op applied');
    const m1 = dp.messagesSent();
    const read = await dp.readAll();
    t.diagnostic(`programming sent ${m1 - m0} messages; the read sent ${dp.messagesSent() - m1}`);
    assert.equal(read.length, 1000);
    assert.equal(read.reduce((n, e) => n + e.dests.length, 0), 4000);
    assert.deepEqual(normalise(read), normalise(big));
    assert.equal(ipvsadm('-Sn').trim().split('\n').length, 5000);
  });

  it('refuses an unprivileged caller with the CAP_NET_ADMIN message, no stack trace', () => {
    const open = new URL('../../../netlink/open.js', import.meta.url).href;
    const script = `import(${JSON.stringify(open)}).then(m=>m.openDataplane({kind:'netlink'})).then(()=>{console.log('OPENED');process.exit(0)},e=>{console.log(e.name+': '+e.message);process.exit(3)})`;
    // Every capability dropped (an empty bounding set leaves even uid 0 without CAP_NET_ADMIN after exec). The uid
    // stays, so the build stays readable where the checkout is a 0700 folder (mktemp's, /root), as CI clones it.
    const r = spawnSync('setpriv', ['--clear-groups', '--inh-caps=-all', '--bounding-set=-all', process.execPath, '-e', script], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 3, r.stdout + r.stderr);
    assert.equal(r.stdout.trim(), 'DataplaneUnavailableError: needs CAP_NET_ADMIN: run as root or grant the capability');
  });

  it('reads, starts and stops connection-sync daemons as ipvsadm sees them', async () => {
    const nl = dp as NetlinkDataplane;
    sh('ip link add lbtsync0 type dummy; ip link set lbtsync0 multicast on up');
    try {
      await nl.newDaemon({ state: 1, mcastIfn: 'lbtsync0', syncId: 5 });
      ipvsadm('--start-daemon', 'backup', '--mcast-interface', 'lbtsync0', '--syncid', '6');
      const daemons = (await nl.listDaemons()).sort((a, b) => String(a.state).localeCompare(String(b.state)));
      assert.deepEqual(
        daemons.map((d) => [d.state, d.mcastIfn, d.syncId]),
        [['backup', 'lbtsync0', 6], ['master', 'lbtsync0', 5]],
      );
      assert.equal(daemons[0].mcastPort, 8848, 'default sync port, decoded in host order');
      assert.equal(daemons[0].mcastGroup, '224.0.0.81', 'default sync group');
      const listed = ipvsadm('-L', '--daemon');
      assert.match(listed, /master sync daemon \(mcast=lbtsync0, syncid=5/);
      assert.match(listed, /backup sync daemon \(mcast=lbtsync0, syncid=6/);
      await nl.delDaemon(1);
      await nl.delDaemon(2);
      assert.deepEqual(await nl.listDaemons(), []);
      assert.equal(ipvsadm('-L', '--daemon').trim(), '');
    } finally {
      spawnSync('ipvsadm', ['--stop-daemon', 'master']);
      spawnSync('ipvsadm', ['--stop-daemon', 'backup']);
      spawnSync('ip', ['link', 'del', 'lbtsync0']);
    }
  });

  describe('counters after real traffic through a NAT service', () => {
    const VIP = '10.10.9.1';
    const key: ServiceKey = { af: AF_INET, protocol: IPPROTO_TCP, addr: VIP, port: 80 };
    const CONNECTIONS = 20;
    let server: ReturnType<typeof spawn> | undefined;

    before(async () => {
      await dp.flush();
      sh(`
        ip netns add lbtc; ip netns add lbtb
        ip link add lbtvc type veth peer name eth0 netns lbtc
        ip link add lbtvb type veth peer name eth0 netns lbtb
        ip addr add 10.10.1.1/24 dev lbtvc; ip link set lbtvc up
        ip addr add 10.10.2.1/24 dev lbtvb; ip link set lbtvb up
        ip addr add ${VIP}/32 dev lo; ip link set lo up
        ip -n lbtc addr add 10.10.1.2/24 dev eth0; ip -n lbtc link set eth0 up; ip -n lbtc link set lo up
        ip -n lbtc route add default via 10.10.1.1
        ip -n lbtb addr add 10.10.2.2/24 dev eth0; ip -n lbtb link set eth0 up; ip -n lbtb link set lo up
        ip -n lbtb route add default via 10.10.2.1
        sysctl -qw net.ipv4.ip_forward=1
      `);
      server = spawn('ip', ['netns', 'exec', 'lbtb', 'socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'PIPE'], { stdio: 'ignore' });
      const results = await dp.apply([
        { op: 'newService', service: { key, scheduler: 'rr', flags: SVC_F_PERSISTENT, timeout: 60, netmask: 0xffffffff } },
        { op: 'newDest', key, dest: { addr: '10.10.2.2', port: 8080, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 } },
      ]);
      assert.ok(results.every((r) => r.ok), JSON.stringify(results));
      // Wait (bounded) for the backend to listen.
      for (let i = 0; i < 100; i++) {
        if (spawnSync('ip', ['netns', 'exec', 'lbtb', 'sh', '-c', 'grep -q ":1F90 " /proc/net/tcp']).status === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      // A bounded client: CONNECTIONS echo exchanges of 1000 bytes each, to the VIP only (echo-client.ts).
      const client = echoClientScript(VIP, 80, CONNECTIONS);
      const r = spawnSync('ip', ['netns', 'exec', 'lbtc', process.execPath, '-e', client], { encoding: 'utf8', timeout: 180_000 });
      assert.equal(r.status, 0, r.stderr);
    });

    after(() => {
      server?.kill();
      spawnSync('sh', ['-c', `ip netns del lbtc; ip netns del lbtb; ip addr del ${VIP}/32 dev lo`]);
    });

    it('lbctl and ipvsadm --stats --exact report the same counters', async () => {
      // The kernel (6.1) publishes counters from its estimator timer, every 2 s: wait (bounded) for all the
      // connections to show, then one more period so the last FIN/ACK packets are in, then read both tools.
      for (let i = 0; i < 50 && (await dp.readAll())[0].service.stats!.conns < BigInt(CONNECTIONS); i++)
        await new Promise((r) => setTimeout(r, 200));
      await new Promise((r) => setTimeout(r, 2500));
      const [entry] = await dp.readAll();
      const stats = parseListing(ipvsadm('-Ln', '--stats', '--exact'));
      const conns = parseListing(ipvsadm('-Ln'));
      const persist = parseListing(ipvsadm('-Ln', '--persistent-conn'));
      const id = listedServiceId(key);
      const cols = (s: NonNullable<IpvsService['stats']>) => [s.conns, s.inPkts, s.outPkts, s.inBytes, s.outBytes].map(String);
      assert.equal(entry.service.stats!.conns, BigInt(CONNECTIONS));
      assert.ok(entry.service.stats!.inBytes >= BigInt(CONNECTIONS * 1000));
      assert.deepEqual(stats.get(id)!.rest, cols(entry.service.stats!));
      const [d] = entry.dests;
      const did = listedDestId(AF_INET, d.addr, d.port);
      assert.deepEqual(stats.get(id)!.dests.get(did), cols(d.stats!));
      assert.deepEqual(conns.get(id)!.dests.get(did)!.slice(2), [String(d.activeConns), String(d.inactConns)]);
      assert.equal(d.activeConns! + d.inactConns!, CONNECTIONS);
      assert.ok(d.persistConns! >= 1, 'the persistence template counts');
      assert.equal(persist.get(id)!.dests.get(did)![1], String(d.persistConns));

      // A read without counters (a drift check's, a status's) is the same table less the stats: the connection
      // counts stay, since they are attributes of their own in the kernel's reply.
      const [plain] = await dp.readAll({ counters: false });
      const { stats: serviceStats, ...service } = entry.service;
      assert.ok(serviceStats);
      assert.deepEqual(plain.service, service);
      assert.deepEqual(plain.dests, entry.dests.map(({ stats: _, ...rest }) => rest));
      assert.equal(plain.dests[0].activeConns! + plain.dests[0].inactConns!, CONNECTIONS);
    });

    it('zero() clears the counters ipvsadm shows', async () => {
      await dp.zero(key);
      const stats = parseListing(ipvsadm('-Ln', '--stats', '--exact'));
      const id = listedServiceId(key);
      assert.deepEqual(stats.get(id)!.rest, ['0', '0', '0', '0', '0']);
      const [entry] = await dp.readAll();
      assert.equal(entry.service.stats!.conns, 0n);
      assert.equal(entry.dests[0].stats!.inBytes, 0n);
    });
  });
});

