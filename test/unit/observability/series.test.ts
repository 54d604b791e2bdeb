// The exporter's series from plain data: labels from the running configuration's names and the kernel's ids,
// u64 counters to numbers, the service row (backend="") apart from the backend rows, foreign services left out,
// health per backend (port-0 backends on the service's ports), VRRP states, the engine's state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IpvsStats, IpvsTableEntry } from '../../../netlink/dataplane.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP } from '../../../netlink/dataplane.js';
import { declaredServiceNames } from '../../../engine/host.js';
import { counterValue, engineSeries, haSeries, healthSeries, ipvsSeries, type HealthStates, type SeriesSet } from '../../../engine/observability/series.js';
import type { HaSnapshot, VrrpInstanceState } from '../../../engine/ha/types.js';
import { config, service, web } from '../engine/helpers.js';

function stats(conns: bigint, inPkts: bigint, outPkts: bigint, inBytes: bigint, outBytes: bigint): IpvsStats {
  return { conns, inPkts, outPkts, inBytes, outBytes, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
}

const BIG = 2n ** 40n + 7n;

const cfg = config({
  services: [
    web(),
    service('dns', { vip: '2001:db8::53', protocol: 'udp', ports: [53], backends: [{ address: '2001:db8::1', port: 0, weight: 1 }] }),
  ],
});

const table: IpvsTableEntry[] = [
  {
    service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 }, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff, stats: stats(30n, 300n, 200n, BIG, 9000n) },
    dests: [
      { addr: '10.0.1.1', port: 8080, fwdMethod: 0, weight: 100, uThresh: 0, lThresh: 0, activeConns: 3, inactConns: 1, stats: stats(20n, 200n, 150n, BIG - 5n, 6000n) },
      { addr: '10.0.1.2', port: 8080, fwdMethod: 0, weight: 0, uThresh: 0, lThresh: 0, activeConns: 2, inactConns: 4, stats: stats(10n, 100n, 50n, 5n, 3000n) },
    ],
  },
  {
    service: { key: { af: AF_INET6, protocol: IPPROTO_UDP, addr: '2001:0db8::0053', port: 53 }, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 128, stats: stats(1n, 2n, 3n, 4n, 5n) },
    dests: [{ addr: '2001:db8::1', port: 53, fwdMethod: 0, weight: 1, uThresh: 0, lThresh: 0, activeConns: 0, inactConns: 0, stats: stats(1n, 2n, 3n, 4n, 5n) }],
  },
  // Someone else's service (Docker, a human): not lbctl's to name.
  {
    service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '172.17.0.1', port: 443 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff, stats: stats(9n, 9n, 9n, 9n, 9n) },
    dests: [{ addr: '172.17.0.2', port: 443, fwdMethod: 0, weight: 1, uThresh: 0, lThresh: 0, stats: stats(9n, 9n, 9n, 9n, 9n) }],
  },
];

function value(out: SeriesSet, name: string, labels: Record<string, string>): number | undefined {
  const hits = (out.get(name) ?? []).filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  assert.ok(hits.length <= 1, `${name} ${JSON.stringify(labels)} matches ${hits.length} series`);
  return hits[0]?.value;
}

describe('ipvsSeries', () => {
  it('labels the service row backend="" and each backend by address:port, from the configuration names', async () => {
    const out: SeriesSet = new Map();
    await ipvsSeries(table, declaredServiceNames(cfg), out);
    const svc = { service: 'web', vip: '10.0.0.10', port: '80', protocol: 'tcp' };
    assert.equal(value(out, 'lbctl_ipvs_connections_total', { ...svc, backend: '' }), 30);
    assert.equal(value(out, 'lbctl_ipvs_connections_total', { ...svc, backend: '10.0.1.1:8080' }), 20);
    assert.equal(value(out, 'lbctl_ipvs_packets_in_total', { ...svc, backend: '10.0.1.2:8080' }), 100);
    assert.equal(value(out, 'lbctl_ipvs_packets_out_total', { ...svc, backend: '' }), 200);
    assert.equal(value(out, 'lbctl_ipvs_bytes_out_total', { ...svc, backend: '10.0.1.1:8080' }), 6000);
    // u64 counters become numbers (exact below 2^53)
    assert.equal(value(out, 'lbctl_ipvs_bytes_in_total', { ...svc, backend: '' }), 2 ** 40 + 7);
    assert.equal(value(out, 'lbctl_ipvs_bytes_in_total', { ...svc, backend: '10.0.1.1:8080' }), 2 ** 40 + 2);
    // connection counts: per backend from the kernel, the service row their sum
    assert.equal(value(out, 'lbctl_ipvs_connections_active', { ...svc, backend: '' }), 5);
    assert.equal(value(out, 'lbctl_ipvs_connections_inactive', { ...svc, backend: '' }), 5);
    assert.equal(value(out, 'lbctl_ipvs_connections_active', { ...svc, backend: '10.0.1.2:8080' }), 2);
    // weight: backends only, the kernel's value (0 = quiesced)
    assert.equal(value(out, 'lbctl_backend_weight', { ...svc, backend: '10.0.1.2:8080' }), 0);
    assert.equal(value(out, 'lbctl_backend_weight', { ...svc, backend: '' }), undefined);
    assert.equal((out.get('lbctl_backend_weight') ?? []).length, 3);
  });

  it('spells IPv6 canonically with brackets, and leaves foreign services out', async () => {
    const out: SeriesSet = new Map();
    await ipvsSeries(table, declaredServiceNames(cfg), out);
    assert.equal(value(out, 'lbctl_ipvs_connections_total', { service: 'dns', vip: '2001:db8::53', port: '53', protocol: 'udp', backend: '[2001:db8::1]:53' }), 1);
    const conns = out.get('lbctl_ipvs_connections_total')!;
    assert.equal(conns.length, 5, 'web: 1 + 2, dns: 1 + 1; the foreign service has none');
    assert.ok(conns.every((s) => s.labels.vip !== '172.17.0.1'));
    for (const s of conns) assert.deepEqual(Object.keys(s.labels).sort(), ['backend', 'port', 'protocol', 'service', 'vip']);
  });

  it('yields between batches of entries', async () => {
    let pauses = 0;
    const big = Array.from({ length: 10 }, () => table[0]);
    await ipvsSeries(big, declaredServiceNames(cfg), new Map(), { yieldEvery: 3, pause: async () => void pauses++ });
    assert.equal(pauses, 3);
  });

  it('without a configuration every family is present and empty', async () => {
    const out: SeriesSet = new Map();
    await ipvsSeries(table, new Map(), out);
    assert.equal(out.size, 8);
    for (const [, v] of out) assert.equal(v.length, 0);
  });
});

describe('counterValue', () => {
  it('is exact to 2^53 and missing counters are 0', () => {
    assert.equal(counterValue(2n ** 53n), 2 ** 53);
    assert.equal(counterValue(undefined), 0);
    assert.equal(counterValue(18446744073709551615n), 18446744073709551615);
  });
});

describe('healthSeries', () => {
  const report: HealthStates = {
    backends: [
      { service: 'web', address: '10.0.1.1', port: 8080, state: 'up', transitions: 2 },
      { service: 'web', address: '10.0.1.2', port: 8080, state: 'down', transitions: 3 },
      { service: 'dns', address: '2001:0db8::1', port: 0, state: 'unknown', transitions: 0 },
    ],
    services: [{ service: 'web', healthy: 1, quorum: 2 }],
  };

  it('up is 1 unless the check says down; a port-0 backend is named with its service port, addresses canonical', () => {
    const out: SeriesSet = new Map();
    healthSeries(report, cfg, out);
    assert.equal(value(out, 'lbctl_backend_up', { service: 'web', backend: '10.0.1.1:8080' }), 1);
    assert.equal(value(out, 'lbctl_backend_up', { service: 'web', backend: '10.0.1.2:8080' }), 0);
    assert.equal(value(out, 'lbctl_backend_up', { service: 'dns', backend: '[2001:db8::1]:53' }), 1, 'unknown counts as up, as for the weights');
    assert.equal(value(out, 'lbctl_health_transitions_total', { service: 'web', backend: '10.0.1.2:8080' }), 3);
    assert.equal(value(out, 'lbctl_service_backends_healthy', { service: 'web' }), 1);
    assert.equal(value(out, 'lbctl_service_quorum', { service: 'web' }), 2);
  });

  it('no health runner: the families exist, empty', () => {
    const out: SeriesSet = new Map();
    healthSeries(null, cfg, out);
    assert.deepEqual([...out.keys()].sort(), ['lbctl_backend_up', 'lbctl_health_transitions_total', 'lbctl_service_backends_healthy', 'lbctl_service_quorum']);
    for (const [, v] of out) assert.equal(v.length, 0);
  });
});

describe('haSeries and engineSeries', () => {
  const inst = (name: string, state: VrrpInstanceState['state']): VrrpInstanceState => ({
    name, vrid: 1, interface: 'eth0', family: 'inet', state, since: new Date(0).toISOString(), source: 'event', vips: [], programs: true,
  });

  it('vrrp: 1 Master, 0 Backup, -1 unknown; no watcher, no series', () => {
    const snap: HaSnapshot = { source: 'frr', program: 'always', instances: [inst('a', 'master'), inst('b', 'backup'), inst('c', 'unknown')], summary: 'master' };
    const out: SeriesSet = new Map();
    haSeries(snap, out);
    assert.deepEqual(out.get('lbctl_vrrp_state'), [
      { labels: { vrrp_instance: 'a' }, value: 1 },
      { labels: { vrrp_instance: 'b' }, value: 0 },
      { labels: { vrrp_instance: 'c' }, value: -1 },
    ]);
    const none: SeriesSet = new Map();
    haSeries(null, none);
    assert.deepEqual(none.get('lbctl_vrrp_state'), []);
  });

  it('in sync unknown before the first check: no series', () => {
    const out: SeriesSet = new Map();
    engineSeries({ runningRevision: 7, inSync: null, driftRepairs: 4 }, out);
    assert.deepEqual(out.get('lbctl_running_revision'), [{ labels: {}, value: 7 }]);
    assert.deepEqual(out.get('lbctl_config_in_sync'), []);
    assert.deepEqual(out.get('lbctl_drift_repairs_total'), [{ labels: {}, value: 4 }]);
    engineSeries({ runningRevision: 7, inSync: false, driftRepairs: null }, out);
    assert.deepEqual(out.get('lbctl_config_in_sync'), [{ labels: {}, value: 0 }]);
  });
});
