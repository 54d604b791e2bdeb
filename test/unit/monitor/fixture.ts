// A configuration and IPVS tables for the monitor's unit tests: two services (web: tcp 192.0.2.10:80 with two
// backends, dns: udp 192.0.2.53:53 with one), and samples whose counters the tests choose.
import { parseConfigText } from '../../../config/load.js';
import type { Config } from '../../../config/model.js';
import type { IpvsStats, IpvsTableEntry } from '../../../engine/host.js';
import type { HealthReport } from '../../../engine/health/report.js';
import type { MonitorSample } from '../../../present/monitor/rows.js';

export const CONFIG: Config = (() => {
  const r = parseConfigText(
    [
      'node: {name: lb1}',
      'services:',
      '  - {name: web, vip: 192.0.2.10, protocol: tcp, ports: [80], backends: [{address: 198.51.100.11, weight: 100}, {address: 198.51.100.12, weight: 50}]}',
      '  - {name: dns, vip: 192.0.2.53, protocol: udp, ports: [53], backends: [{address: 198.51.100.53}]}',
    ].join('\n'),
    'config.yaml',
  );
  if (!r.config) throw new Error(JSON.stringify(r.errors));
  return r.config;
})();

export function stats(conns: bigint, inPkts = 0n, outPkts = 0n, inBytes = 0n, outBytes = 0n): IpvsStats {
  return { conns, inPkts, outPkts, inBytes, outBytes, cps: 0n, inPps: 0n, outPps: 0n, inBps: 0n, outBps: 0n };
}

const dest = (addr: string, port: number, weight: number, s: IpvsStats, active = 0) => ({
  addr,
  port,
  fwdMethod: 0,
  weight,
  uThresh: 0,
  lThresh: 0,
  activeConns: active,
  inactConns: 0,
  stats: s,
});

/** The table with web's first backend at `web11` and the rest as given (service counters = sum of its dests). */
export function table(web11: IpvsStats, web12: IpvsStats = stats(0n), dns: IpvsStats = stats(0n), web12Weight = 50): IpvsTableEntry[] {
  const sum = (a: IpvsStats, b: IpvsStats): IpvsStats =>
    Object.fromEntries(Object.keys(a).map((k) => [k, a[k as keyof IpvsStats] + b[k as keyof IpvsStats]])) as unknown as IpvsStats;
  return [
    {
      service: { key: { af: 2, protocol: 6, addr: '192.0.2.10', port: 80 }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff, stats: sum(web11, web12) },
      dests: [dest('198.51.100.11', 80, 100, web11, 7), dest('198.51.100.12', 80, web12Weight, web12, 2)],
    },
    {
      service: { key: { af: 2, protocol: 17, addr: '192.0.2.53', port: 53 }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff, stats: dns },
      dests: [dest('198.51.100.53', 53, 1, dns)],
    },
  ];
}

export function sample(atMs: number, entries: IpvsTableEntry[], health: HealthReport | null = null): MonitorSample {
  return { atMs, entries, config: CONFIG, health, ha: null };
}

/** The daemon's report: 198.51.100.12 of web down (inhibited: weight 0 in IPVS), the rest up. */
export const HEALTH: HealthReport = {
  lab: true,
  generatedAt: '2026-01-01T00:00:00.000Z',
  services: [],
  rows: [
    { service: 'web', backend: '198.51.100.11', address: '198.51.100.11', port: 0, weight: 100, check: 'tcp', state: 'up', since: null, last: 'ok', latencyMs: 1, transitions: 0, probes: 1 },
    { service: 'web', backend: '198.51.100.12', address: '198.51.100.12', port: 0, weight: 50, check: 'tcp', state: 'down', since: null, last: 'refused', latencyMs: null, transitions: 1, probes: 3 },
    { service: 'dns', backend: '198.51.100.53', address: '198.51.100.53', port: 0, weight: 1, check: 'none', state: 'up', since: null, last: null, latencyMs: null, transitions: 0, probes: 0 },
  ],
};
