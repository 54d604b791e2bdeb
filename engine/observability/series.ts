// The exporter's series, built from plain data: the kernel's table (with STATS64 counters), the running
// configuration's names, the health report, the HA snapshot and the engine's counters. Pure: no I/O, no
// prom-client; engine/observability/exporter.ts hands the result to prom-client's registry.
//
// One metric name carries both levels of the IPVS table: a service's own row has `backend=""`, a backend's row
// names it (`10.0.0.1:8080`). The kernel keeps a service's counters apart from its backends' (a removed backend's
// traffic stays in the service), so the service row is not the sum of today's backends; select a level with
// `{backend=""}` or `{backend!=""}` (docs/metrics.md).
import type { Config } from '../../config/model.js';
import type { IpvsStats, IpvsTableEntry, ServiceKey } from '../../netlink/dataplane.js';
import { AF_INET6 } from '../../netlink/dataplane.js';
import { protocolName } from '../../netlink/describe.js';
import { canonical, familyOfCached, hostPort, serviceId } from '../identity.js';
import type { HaSnapshot } from '../ha/types.js';

export type Labels = Record<string, string>;
export interface Sample {
  labels: Labels;
  value: number;
}

/** Metric name → its samples. Every name the builders know is present (possibly empty), so HELP/TYPE stay stable. */
export type SeriesSet = Map<string, Sample[]>;

export const IPVS_COUNTERS = {
  lbctl_ipvs_connections_total: 'conns',
  lbctl_ipvs_packets_in_total: 'inPkts',
  lbctl_ipvs_packets_out_total: 'outPkts',
  lbctl_ipvs_bytes_in_total: 'inBytes',
  lbctl_ipvs_bytes_out_total: 'outBytes',
} as const satisfies Record<string, keyof IpvsStats>;

export const IPVS_GAUGES = ['lbctl_ipvs_connections_active', 'lbctl_ipvs_connections_inactive', 'lbctl_backend_weight'] as const;

/** `tcp` / `udp` / `sctp`, the VIP and the port; a fwmark service has `protocol="fwmark"` and its mark as `vip`. */
export function serviceLabels(name: string, key: ServiceKey): Labels {
  if ('fwmark' in key) return { service: name, vip: `fwmark:${key.fwmark}${key.af === AF_INET6 ? '/inet6' : ''}`, port: '0', protocol: 'fwmark' };
  return { service: name, vip: canonical(key.af, key.addr), port: String(key.port), protocol: protocolName(key.protocol) };
}

/**
 * A u64 counter as a sample value. Prometheus values are float64: exact to 2^53 (8 PiB of bytes), beyond that
 * rounded, which rate() does not notice.
 */
export function counterValue(v: bigint | undefined): number {
  return v === undefined ? 0 : Number(v);
}

export interface BuildOptions {
  /** Called every `batch` table entries so a 10,000-service table does not hold the event loop in one block. */
  yieldEvery?: number;
  pause?: () => Promise<void>;
}

const immediate = () => new Promise<void>((r) => setImmediate(r));

/**
 * The IPVS families, for the services the running configuration declares (`names`: serviceId → configuration
 * service name). Services lbctl does not declare (Docker's, kube-proxy's, a human's) are not exported: their
 * names are not ours to give, and their cardinality is not ours to bound.
 */
export async function ipvsSeries(table: readonly IpvsTableEntry[], names: ReadonlyMap<string, string>, out: SeriesSet, opts: BuildOptions = {}): Promise<void> {
  const fams = [...Object.keys(IPVS_COUNTERS), ...IPVS_GAUGES].map((n) => {
    const list: Sample[] = [];
    out.set(n, list);
    return list;
  });
  const [conns, pin, pout, bin, bout, active, inactive, weight] = fams;
  const every = opts.yieldEvery ?? 500;
  const pause = opts.pause ?? immediate;
  let n = 0;
  for (const entry of table) {
    if (++n % every === 0) await pause();
    const name = names.get(serviceId(entry.service.key));
    if (name === undefined) continue;
    const svc = serviceLabels(name, entry.service.key);
    const s = entry.service.stats;
    const labels = { ...svc, backend: '' };
    conns.push({ labels, value: counterValue(s?.conns) });
    pin.push({ labels, value: counterValue(s?.inPkts) });
    pout.push({ labels, value: counterValue(s?.outPkts) });
    bin.push({ labels, value: counterValue(s?.inBytes) });
    bout.push({ labels, value: counterValue(s?.outBytes) });
    // IPVS keeps connection counts per destination only: the service's are its backends' sum.
    let act = 0;
    let inact = 0;
    for (const d of entry.dests) {
      act += d.activeConns ?? 0;
      inact += d.inactConns ?? 0;
    }
    active.push({ labels, value: act });
    inactive.push({ labels, value: inact });
    for (const d of entry.dests) {
      const af = d.af ?? entry.service.key.af;
      const bl = { ...svc, backend: hostPort(af, canonical(af, d.addr), d.port) };
      const ds = d.stats;
      conns.push({ labels: bl, value: counterValue(ds?.conns) });
      pin.push({ labels: bl, value: counterValue(ds?.inPkts) });
      pout.push({ labels: bl, value: counterValue(ds?.outPkts) });
      bin.push({ labels: bl, value: counterValue(ds?.inBytes) });
      bout.push({ labels: bl, value: counterValue(ds?.outBytes) });
      active.push({ labels: bl, value: d.activeConns ?? 0 });
      inactive.push({ labels: bl, value: d.inactConns ?? 0 });
      weight.push({ labels: bl, value: d.weight });
    }
  }
}

/** What the health runner tells the metrics (engine/daemon/health-runner.ts states()). */
export interface HealthStates {
  backends: ReadonlyArray<{ service: string; address: string; port: number; state: 'up' | 'down' | 'unknown'; transitions: number }>;
  services: ReadonlyArray<{ service: string; healthy: number; quorum: number }>;
}

/**
 * Health, per backend of the running configuration (`backend` spelled as in the IPVS series: the backend's
 * port, or the service's ports when it has none, one series each) and per service (healthy count and quorum).
 * `up` is what the engine acts on: a backend whose check has not answered yet (unknown) or that has no check
 * counts as up, as it does for the weights.
 */
export function healthSeries(health: HealthStates | null, config: Config | null, out: SeriesSet): void {
  const up: Sample[] = [];
  const transitions: Sample[] = [];
  const healthy: Sample[] = [];
  const quorum: Sample[] = [];
  out.set('lbctl_backend_up', up);
  out.set('lbctl_health_transitions_total', transitions);
  out.set('lbctl_service_backends_healthy', healthy);
  out.set('lbctl_service_quorum', quorum);
  if (!health) return;
  const services = new Map((config?.services ?? []).map((s) => [s.name, s]));
  for (const b of health.backends) {
    const ports = b.port ? [b.port] : servicePorts(services.get(b.service));
    const af = familyOfCached(b.address) ?? (b.address.includes(':') ? AF_INET6 : 2);
    const address = canonical(af, b.address);
    for (const port of ports) {
      const labels = { service: b.service, backend: hostPort(af, address, port) };
      up.push({ labels, value: b.state === 'down' ? 0 : 1 });
      transitions.push({ labels, value: b.transitions });
    }
  }
  for (const s of health.services) {
    const labels = { service: s.service };
    healthy.push({ labels, value: s.healthy });
    quorum.push({ labels, value: s.quorum });
  }
}

/** The ports a port-0 backend takes in the kernel: each of its service's ports (ranges expanded, as compiled). */
function servicePorts(svc: Config['services'][number] | undefined): number[] {
  if (!svc || svc.fwmark !== undefined) return [0];
  const ports: number[] = [];
  for (const p of [...svc.ports, ...svc.port_ranges]) {
    if (typeof p === 'number') ports.push(p);
    else for (let n = p.from; n <= p.to; n++) ports.push(n);
  }
  return ports.length ? ports : [0];
}

/**
 * `lbctl_vrrp_state{vrrp_instance}`: 1 Master, 0 Backup, -1 unknown. No watcher (null): no series. The label is
 * not `instance`: Prometheus gives every target an `instance` label and would rename ours `exported_instance`.
 */
export function haSeries(ha: HaSnapshot | null, out: SeriesSet): void {
  const list: Sample[] = [];
  out.set('lbctl_vrrp_state', list);
  for (const i of ha?.instances ?? []) list.push({ labels: { vrrp_instance: i.name }, value: i.state === 'master' ? 1 : i.state === 'backup' ? 0 : -1 });
}

export interface EngineState {
  runningRevision: number;
  /** Null before the first check: no series (an alert on 0 must not fire during start-up). */
  inSync: boolean | null;
  /** Operations the periodic drift check sent to heal drift (engine/metrics.ts driftRepairs). */
  driftRepairs: number | null;
}

export function engineSeries(state: EngineState, out: SeriesSet): void {
  out.set('lbctl_running_revision', [{ labels: {}, value: state.runningRevision }]);
  out.set('lbctl_config_in_sync', state.inSync === null ? [] : [{ labels: {}, value: state.inSync ? 1 : 0 }]);
  out.set('lbctl_drift_repairs_total', state.driftRepairs === null ? [] : [{ labels: {}, value: state.driftRepairs }]);
}
