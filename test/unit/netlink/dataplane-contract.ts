// The dataplane contract: one suite of node:test tests that every Dataplane must pass. It runs against the
// in-memory IPVS (memory.test.ts) and against the kernel's IPVS inside the VM (test/kernel/suite/ipvs-contract.test.ts),
// so the two implementations cannot drift apart. Every test starts from an empty table.
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
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
  type Dataplane,
  type IpvsDest,
  type IpvsOp,
  type IpvsService,
  type OpResult,
  type ServiceKey,
} from '../../../netlink/dataplane.js';

export const tcpKey = (addr: string, port: number): ServiceKey => ({ af: AF_INET, protocol: IPPROTO_TCP, addr, port });

export function svc(key: ServiceKey, over: Partial<IpvsService> = {}): IpvsService {
  return { key, scheduler: 'wlc', flags: 0, timeout: 0, netmask: key.af === AF_INET ? 0xffffffff : 128, ...over };
}

export function dest(addr: string, port: number, over: Partial<IpvsDest> = {}): IpvsDest {
  return { addr, port, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0, ...over };
}

function codes(results: OpResult[]): string[] {
  return results.map((r) => (r.ok ? 'ok' : r.code));
}

async function one(dp: Dataplane, op: IpvsOp): Promise<string> {
  const [r] = await dp.apply([op]);
  return r.ok ? 'ok' : r.code;
}

async function rejectsWith(p: Promise<unknown>, code: string) {
  await assert.rejects(p, (e: { code?: string }) => {
    assert.equal(e.code, code);
    return true;
  });
}

/** Fields written, as they read back (reads add stats and connection counts). */
function written(d: IpvsDest) {
  return { addr: d.addr, port: d.port, af: d.af, fwdMethod: d.fwdMethod, weight: d.weight, uThresh: d.uThresh, lThresh: d.lThresh, tunType: d.tunType ?? 0, tunPort: d.tunPort ?? 0, tunFlags: d.tunFlags ?? 0 };
}
function serviceWritten(s: IpvsService) {
  return { key: s.key, scheduler: s.scheduler, flags: s.flags, timeout: s.timeout, netmask: s.netmask, peName: s.peName };
}

export function dataplaneContract(name: string, open: () => Promise<Dataplane>): void {
  describe(`dataplane contract: ${name}`, () => {
    let dp: Dataplane;
    before(async () => {
      dp = await open();
    });
    after(async () => {
      await dp.flush();
      await dp.close();
    });
    beforeEach(async () => {
      await dp.flush();
    });

    it('reports an IPVS version and a connection table size', async () => {
      const info = await dp.info();
      assert.match(info.version, /^\d+\.\d+\.\d+$/);
      assert.ok(info.connTabSize > 0);
    });

    it('creates a service and reads it back with HASHED masked and zero stats', async () => {
      const s = svc(tcpKey('192.0.2.10', 80), { scheduler: 'wrr' });
      assert.deepEqual(codes(await dp.apply([{ op: 'newService', service: s }])), ['ok']);
      const got = await dp.getService(s.key);
      assert.ok(got);
      assert.deepEqual(serviceWritten(got), serviceWritten(s));
      assert.equal(got.flags & 0x2, 0, 'HASHED must be masked');
      assert.equal(got.stats?.conns, 0n);
      assert.equal(got.stats?.inBytes, 0n);
      const all = await dp.listServices();
      assert.equal(all.length, 1);
      assert.deepEqual(serviceWritten(all[0]), serviceWritten(s));
    });

    it('answers EEXIST for a duplicate service, ESRCH for set/del/zero of a missing one', async () => {
      const s = svc(tcpKey('192.0.2.10', 80));
      assert.deepEqual(codes(await dp.apply([{ op: 'newService', service: s }, { op: 'newService', service: s }])), ['ok', 'EEXIST']);
      const missing = tcpKey('192.0.2.11', 80);
      assert.deepEqual(
        codes(await dp.apply([{ op: 'setService', service: svc(missing) }, { op: 'delService', key: missing }])),
        ['ESRCH', 'ESRCH'],
      );
      await rejectsWith(dp.zero(missing), 'ESRCH');
      assert.equal(await dp.getService(missing), null);
    });

    it('answers ENOENT for an unknown scheduler or persistence engine, EINVAL for a name too long', async () => {
      assert.equal(await one(dp, { op: 'newService', service: svc(tcpKey('192.0.2.10', 80), { scheduler: 'nosuch' }) }), 'ENOENT');
      assert.equal(await one(dp, { op: 'newService', service: svc(tcpKey('192.0.2.10', 80), { peName: 'nosuch' }) }), 'ENOENT');
      assert.equal(await one(dp, { op: 'newService', service: svc(tcpKey('192.0.2.10', 80), { scheduler: 'x'.repeat(16) }) }), 'EINVAL');
      assert.deepEqual(await dp.listServices(), []);
    });

    it('checks duplicates before the scheduler, as the kernel does (EEXIST wins over ENOENT)', async () => {
      const k = tcpKey('192.0.2.10', 80);
      assert.equal(await one(dp, { op: 'newService', service: svc(k) }), 'ok');
      assert.equal(await one(dp, { op: 'newService', service: svc(k, { scheduler: 'nosuch' }) }), 'EEXIST');
    });

    it('keeps every scheduler name it accepts', async () => {
      const names = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh'];
      const ops: IpvsOp[] = names.map((scheduler, i) => ({ op: 'newService', service: svc(tcpKey('192.0.2.10', 1000 + i), { scheduler }) }));
      assert.deepEqual(codes(await dp.apply(ops)), names.map(() => 'ok'));
      const byPort = new Map((await dp.listServices()).map((s) => [(s.key as { port: number }).port, s.scheduler]));
      names.forEach((n, i) => assert.equal(byPort.get(1000 + i), n));
    });

    it('stores flags, persistence timeout and netmask (IPv4 mask bytes, IPv6 prefix length)', async () => {
      const v4 = svc(tcpKey('192.0.2.10', 443), { scheduler: 'sh', flags: SVC_F_PERSISTENT | SVC_F_SCHED1 | SVC_F_SCHED2, timeout: 300, netmask: 0xffffff00 });
      const v6 = svc({ af: AF_INET6, protocol: IPPROTO_UDP, addr: '2001:db8::10', port: 53 }, { flags: SVC_F_PERSISTENT | SVC_F_ONEPACKET, timeout: 60, netmask: 64 });
      assert.deepEqual(codes(await dp.apply([{ op: 'newService', service: v4 }, { op: 'newService', service: v6 }])), ['ok', 'ok']);
      assert.deepEqual(serviceWritten((await dp.getService(v4.key))!), serviceWritten(v4));
      assert.deepEqual(serviceWritten((await dp.getService(v6.key))!), serviceWritten(v6));
    });

    it('refuses an IPv6 prefix length outside 1..128 with EINVAL', async () => {
      const k: ServiceKey = { af: AF_INET6, protocol: IPPROTO_TCP, addr: '2001:db8::1', port: 80 };
      assert.equal(await one(dp, { op: 'newService', service: svc(k, { netmask: 0 }) }), 'EINVAL');
      assert.equal(await one(dp, { op: 'newService', service: svc(k, { netmask: 129 }) }), 'EINVAL');
    });

    it('identifies services by fwmark (v4 and v6) and by tcp/udp/sctp address and port', async () => {
      const keys: ServiceKey[] = [
        { af: AF_INET, fwmark: 7 },
        { af: AF_INET6, fwmark: 7 },
        { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 80 },
        { af: AF_INET, protocol: IPPROTO_UDP, addr: '192.0.2.10', port: 80 },
        { af: AF_INET, protocol: IPPROTO_SCTP, addr: '192.0.2.10', port: 80 },
        { af: AF_INET6, protocol: IPPROTO_SCTP, addr: '2001:db8::10', port: 80 },
      ];
      assert.deepEqual(codes(await dp.apply(keys.map((k) => ({ op: 'newService', service: svc(k) })))), keys.map(() => 'ok'));
      const read = (await dp.listServices()).map((s) => JSON.stringify(s.key)).sort();
      assert.deepEqual(read, keys.map((k) => JSON.stringify(k)).sort());
    });

    it('reads IPv6 addresses back in canonical form', async () => {
      const k: ServiceKey = { af: AF_INET6, protocol: IPPROTO_TCP, addr: '2001:DB8:0:0:0:0:0:A', port: 80 };
      assert.equal(await one(dp, { op: 'newService', service: svc(k) }), 'ok');
      const [s] = await dp.listServices();
      assert.equal((s.key as { addr: string }).addr, '2001:db8::a');
      assert.ok(await dp.getService({ ...k, addr: '2001:db8::a' }));
    });

    it('replaces a service on set (scheduler, flags, persistence engine removed)', async () => {
      const k: ServiceKey = { af: AF_INET, protocol: IPPROTO_UDP, addr: '192.0.2.20', port: 5060 };
      assert.equal(await one(dp, { op: 'newService', service: svc(k, { scheduler: 'rr', flags: SVC_F_PERSISTENT, timeout: 30, peName: 'sip' }) }), 'ok');
      assert.equal((await dp.getService(k))?.peName, 'sip');
      const next = svc(k, { scheduler: 'lc', flags: SVC_F_ONEPACKET, timeout: 0 });
      assert.equal(await one(dp, { op: 'setService', service: next }), 'ok');
      assert.deepEqual(serviceWritten((await dp.getService(k))!), serviceWritten(next));
    });

    it('stores destinations with full 32-bit weights, thresholds and forwarding methods', async () => {
      const k = tcpKey('192.0.2.10', 80);
      const ds = [
        dest('10.0.0.1', 8080, { weight: 0 }),
        dest('10.0.0.2', 8080, { weight: 1, uThresh: 100, lThresh: 50 }),
        dest('10.0.0.3', 80, { weight: 65536, fwdMethod: FWD_DROUTE }),
        dest('10.0.0.4', 80, { weight: 2147483647, fwdMethod: FWD_TUNNEL, tunType: TUN_IPIP }),
        dest('10.0.0.5', 80, { fwdMethod: FWD_TUNNEL, tunType: TUN_GUE, tunPort: 6080, tunFlags: 1 }),
        dest('10.0.0.6', 80, { fwdMethod: FWD_TUNNEL, tunType: TUN_GRE, tunFlags: 1 }),
      ];
      const results = await dp.apply([{ op: 'newService', service: svc(k) }, ...ds.map((d): IpvsOp => ({ op: 'newDest', key: k, dest: d }))]);
      assert.deepEqual(codes(results), ['ok', ...ds.map(() => 'ok')]);
      const got = (await dp.listDests(k)).sort((a, b) => a.addr.localeCompare(b.addr));
      assert.deepEqual(got.map(written), ds.map(written));
      for (const d of got) {
        assert.equal(d.activeConns, 0);
        assert.equal(d.inactConns, 0);
        assert.equal(d.persistConns, 0);
        assert.equal(d.stats?.conns, 0n);
      }
    });

    it('answers ERANGE for weights that do not fit a signed int and for l_thresh > u_thresh', async () => {
      const k = tcpKey('192.0.2.10', 80);
      const results = await dp.apply([
        { op: 'newService', service: svc(k) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80, { weight: 2147483648 }) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80, { weight: -1 }) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80, { uThresh: 10, lThresh: 11 }) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80, { uThresh: 0, lThresh: 1 }) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80) },
        { op: 'setDest', key: k, dest: dest('10.0.0.1', 80, { weight: 4294967295 }) },
        { op: 'setDest', key: k, dest: dest('10.0.0.1', 80, { uThresh: 5, lThresh: 6 }) },
      ]);
      assert.deepEqual(codes(results), ['ok', 'ERANGE', 'ERANGE', 'ERANGE', 'ERANGE', 'ok', 'ERANGE', 'ERANGE']);
      assert.equal((await dp.listDests(k))[0].weight, 1);
    });

    it('answers EEXIST, ENOENT and ESRCH on destinations as the kernel does', async () => {
      const k = tcpKey('192.0.2.10', 80);
      const gone = tcpKey('192.0.2.99', 80);
      const results = await dp.apply([
        { op: 'newService', service: svc(k) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80) },
        { op: 'setDest', key: k, dest: dest('10.0.0.2', 80) },
        { op: 'delDest', key: k, dest: { addr: '10.0.0.2', port: 80 } },
        { op: 'newDest', key: gone, dest: dest('10.0.0.1', 80) },
        { op: 'setDest', key: gone, dest: dest('10.0.0.1', 80) },
        { op: 'delDest', key: gone, dest: { addr: '10.0.0.1', port: 80 } },
        { op: 'setDest', key: k, dest: dest('10.0.0.1', 80, { weight: 9 }) },
        { op: 'delDest', key: k, dest: { addr: '10.0.0.1', port: 80 } },
        { op: 'delDest', key: k, dest: { addr: '10.0.0.1', port: 80 } },
      ]);
      assert.deepEqual(codes(results), ['ok', 'ok', 'EEXIST', 'ENOENT', 'ENOENT', 'ESRCH', 'ESRCH', 'ESRCH', 'ok', 'ok', 'ENOENT']);
      assert.deepEqual(await dp.listDests(k), []);
    });

    it('refuses destination addresses that are not unicast, and a GUE tunnel without a port (EINVAL)', async () => {
      const k = tcpKey('192.0.2.10', 80);
      const k6: ServiceKey = { af: AF_INET6, protocol: IPPROTO_TCP, addr: '2001:db8::1', port: 80 };
      const results = await dp.apply([
        { op: 'newService', service: svc(k) },
        { op: 'newService', service: svc(k6) },
        { op: 'newDest', key: k, dest: dest('0.0.0.0', 80) },
        { op: 'newDest', key: k, dest: dest('224.0.0.1', 80) },
        { op: 'newDest', key: k, dest: dest('255.255.255.255', 80) },
        { op: 'newDest', key: k6, dest: dest('::', 80) },
        { op: 'newDest', key: k6, dest: dest('ff02::1', 80) },
        { op: 'newDest', key: k6, dest: dest('fe80::1', 80) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80, { fwdMethod: FWD_TUNNEL, tunType: TUN_GUE }) },
      ]);
      assert.deepEqual(codes(results), ['ok', 'ok', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL', 'EINVAL']);
    });

    it('accepts remote checksum offload on GUE and (kernel 6.1 does not refuse it) on GRE tunnels', async () => {
      const k = tcpKey('192.0.2.10', 80);
      const results = await dp.apply([
        { op: 'newService', service: svc(k) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80, { fwdMethod: FWD_TUNNEL, tunType: TUN_GRE, tunFlags: 2 }) },
        { op: 'newDest', key: k, dest: dest('10.0.0.2', 80, { fwdMethod: FWD_TUNNEL, tunType: TUN_GUE, tunPort: 6080, tunFlags: 2 }) },
      ]);
      assert.deepEqual(codes(results), ['ok', 'ok', 'ok']);
      const got = (await dp.listDests(k)).sort((a, b) => a.addr.localeCompare(b.addr));
      assert.deepEqual(got.map((d) => [d.tunType, d.tunFlags]), [[TUN_GRE, 2], [TUN_GUE, 2]]);
    });

    it('allows a destination of the other family only with tunnel forwarding', async () => {
      const k = tcpKey('192.0.2.10', 80);
      const results = await dp.apply([
        { op: 'newService', service: svc(k) },
        { op: 'newDest', key: k, dest: dest('2001:db8::5', 80, { af: AF_INET6 }) },
        { op: 'newDest', key: k, dest: dest('2001:db8::5', 80, { af: AF_INET6, fwdMethod: FWD_TUNNEL }) },
      ]);
      assert.deepEqual(codes(results), ['ok', 'EINVAL', 'ok']);
      const [d] = await dp.listDests(k);
      assert.equal(d.af, AF_INET6);
      assert.equal(d.addr, '2001:db8::5');
      assert.equal(await one(dp, { op: 'delDest', key: k, dest: { addr: '2001:db8::5', port: 80, af: AF_INET6 } }), 'ok');
    });

    it('deletes destinations with their service', async () => {
      const k = tcpKey('192.0.2.10', 80);
      await dp.apply([
        { op: 'newService', service: svc(k) },
        { op: 'newDest', key: k, dest: dest('10.0.0.1', 80) },
        { op: 'delService', key: k },
        { op: 'newService', service: svc(k) },
      ]);
      assert.deepEqual(await dp.listDests(k), []);
      assert.deepEqual(await dp.listDests(tcpKey('192.0.2.77', 1)), [], 'a missing service has no destinations and no error');
    });

    it('refuses input the wire cannot carry with EINVAL / EAFNOSUPPORT and sends nothing for it', async () => {
      const before = dp.messagesSent();
      const results = await dp.apply([
        { op: 'newService', service: svc(tcpKey('192.0.2.10', 70000)) },
        { op: 'newService', service: svc(tcpKey('not-an-address', 80)) },
        { op: 'newService', service: svc({ af: 3 as 2, protocol: IPPROTO_TCP, addr: '192.0.2.1', port: 1 }) },
      ]);
      assert.deepEqual(codes(results), ['EINVAL', 'EINVAL', 'EAFNOSUPPORT']);
      assert.equal(dp.messagesSent(), before);
    });

    it('attempts every op of a batch, returns results in order, and counts one message per op', async () => {
      const ops: IpvsOp[] = [];
      const expected: string[] = [];
      for (let i = 0; i < 300; i++) {
        const k = tcpKey('192.0.2.10', 10000 + i);
        ops.push({ op: 'newService', service: svc(k, { scheduler: 'rr' }) });
        ops.push({ op: 'newDest', key: k, dest: dest('10.0.1.1', 80, { weight: i }) });
        expected.push('ok', 'ok');
        if (i % 50 === 0) {
          ops.push({ op: 'newService', service: svc(k) }); // EEXIST in the middle of the batch
          expected.push('EEXIST');
        }
      }
      const before = dp.messagesSent();
      const results = await dp.apply(ops);
      assert.equal(dp.messagesSent() - before, ops.length);
      assert.equal(results.length, ops.length);
      assert.deepEqual(codes(results), expected);
      const beforeRead = dp.messagesSent();
      const table = await dp.readAll();
      assert.equal(dp.messagesSent() - beforeRead, 1 + 300, 'one service dump + one dest dump per service');
      assert.equal(table.length, 300);
      for (const e of table) {
        const i = (e.service.key as { port: number }).port - 10000;
        assert.deepEqual(e.dests.map((d) => d.weight), [i]);
      }
    });

    it('reads and sets the connection timeouts (0 leaves a value unchanged)', async () => {
      const t0 = await dp.getTimeouts();
      assert.ok(t0.tcp > 0 && t0.tcpFin > 0 && t0.udp > 0);
      try {
        await dp.setTimeouts({ tcp: 1234, udp: 0 });
        assert.deepEqual(await dp.getTimeouts(), { tcp: 1234, tcpFin: t0.tcpFin, udp: t0.udp });
      } finally {
        await dp.setTimeouts(t0);
      }
      assert.deepEqual(await dp.getTimeouts(), t0);
    });

    it('zeroes counters of one service and of all, and flushes the table', async () => {
      const a = tcpKey('192.0.2.10', 80);
      const b = tcpKey('192.0.2.10', 81);
      await dp.apply([{ op: 'newService', service: svc(a) }, { op: 'newService', service: svc(b) }]);
      await dp.zero(a);
      await dp.zero();
      assert.equal((await dp.getService(a))?.stats?.conns, 0n);
      await dp.flush();
      assert.deepEqual(await dp.listServices(), []);
    });
  });
}
