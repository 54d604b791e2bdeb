// The Prometheus exporter. One scrape is (1) the series built at scrape time from the kernel's table, the running
// configuration, the health report, the HA snapshot and the engine's state (series.ts), written by render.ts, and
// (2) prom-client's registry: the event metrics the daemon observes as they happen (reconcile durations, kernel
// operations, commits, probe latencies) and the process's default metrics. (1) is not given to prom-client: its
// generic formatter held the event loop for seconds at 10,000 services (render.ts says why).
//
// The kernel is read at most once per `minIntervalMs` (1 s): scrapes within it, and scrapes that arrive while a
// read is under way, share that read and its series. The read is the dataplane's own dump (EngineHost.table()),
// not an engine operation: it takes no engine lock, so a commit or a health verdict never waits for a scrape
// (the netlink socket interleaves their messages with the dump's, request by request).
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Config } from '../../config/model.js';
import type { IpvsOp, IpvsTableEntry } from '../../netlink/dataplane.js';
import type { ApplyResult } from '../engine.js';
import type { HaSnapshot } from '../ha/types.js';
import type { ProbeResult } from '../health/types.js';
import { declaredServiceNames } from '../host.js';
import { renderFamilies, type FamilyMeta, type RenderOptions } from './render.js';
import { engineSeries, haSeries, healthSeries, ipvsSeries, type BuildOptions, type EngineState, type HealthStates, type SeriesSet } from './series.js';

/** Where the scrape-time series come from (the daemon passes its host, store and runners). */
export interface ExporterSources {
  /** A fresh read of the table, counters included. */
  table(): Promise<IpvsTableEntry[]>;
  /** The running configuration (names the kernel's services). */
  config(): Config | null;
  health(): HealthStates | null;
  ha(): Promise<HaSnapshot | null>;
  engine(): EngineState;
}

export interface ExporterOptions {
  sources: ExporterSources;
  /** The kernel is read at most this often (default 1000 ms). */
  minIntervalMs?: number;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
  /** The process's default metrics (CPU, memory, event loop, GC): on by default, from startDefaultMetrics(). */
  defaultMetrics?: boolean;
  build?: BuildOptions;
  render?: RenderOptions;
  /** Told when the table cannot be read (the scrape still serves everything else). */
  onReadError?: (e: Error) => void;
}

/** Help text and type of every scrape-time family (series.ts builds their samples). */
const FAMILIES: FamilyMeta[] = ([
  ['lbctl_ipvs_connections_total', 'counter', 'Connections IPVS scheduled (STATS64 conns). backend="" is the service row.'],
  ['lbctl_ipvs_packets_in_total', 'counter', 'Packets in, client to backend (STATS64 inpkts). backend="" is the service row.'],
  ['lbctl_ipvs_packets_out_total', 'counter', 'Packets out, backend to client (STATS64 outpkts; 0 with DR or tunnel). backend="" is the service row.'],
  ['lbctl_ipvs_bytes_in_total', 'counter', 'Bytes in, client to backend (STATS64 inbytes). backend="" is the service row.'],
  ['lbctl_ipvs_bytes_out_total', 'counter', 'Bytes out, backend to client (STATS64 outbytes; 0 with DR or tunnel). backend="" is the service row.'],
  ['lbctl_ipvs_connections_active', 'gauge', 'Active (established) connections; the service row is the sum of its backends.'],
  ['lbctl_ipvs_connections_inactive', 'gauge', 'Inactive connections (not established, or closing); the service row is the sum of its backends.'],
  ['lbctl_backend_weight', 'gauge', 'The weight the kernel has for the backend now (0: quiesced, e.g. health down or inhibited).'],
  ['lbctl_backend_up', 'gauge', '1 when the engine counts the backend up (healthy, not yet checked, or no check), 0 when its check says down.'],
  ['lbctl_health_transitions_total', 'counter', 'Health state changes of the backend since its check started.'],
  ['lbctl_service_backends_healthy', 'gauge', 'Enabled backends of the service the engine counts up.'],
  ['lbctl_service_quorum', 'gauge', 'The fewest healthy backends the service needs (below it the sorry backend serves).'],
  ['lbctl_vrrp_state', 'gauge', 'VRRP state of the instance on this node: 1 Master, 0 Backup, -1 unknown.'],
  ['lbctl_running_revision', 'gauge', 'The running configuration revision.'],
  ['lbctl_config_in_sync', 'gauge', '1 when the last check found the kernel equal to the running configuration, 0 when not.'],
  ['lbctl_drift_repairs_total', 'counter', 'Kernel operations the periodic drift check sent to repair drift.'],
  ['lbctl_ipvs_read_ok', 'gauge', '1 when the exporter\'s last read of the IPVS table succeeded, 0 when it failed.'],
] as const).map(([name, type, help]) => ({ name, type, help }));

const OP_KIND: Record<IpvsOp['op'], string> = {
  newService: 'new_service',
  setService: 'set_service',
  delService: 'del_service',
  newDest: 'new_dest',
  setDest: 'set_dest',
  delDest: 'del_dest',
};

export class Exporter {
  readonly registry = new Registry();
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  /** The last build; `at` is null while it runs. */
  private current: { at: number | null; text: Promise<Buffer[]> } | null = null;
  private namesOf: { config: Config; names: Map<string, string> } | null = null;
  private readonly reconcile: Histogram<'result'>;
  private readonly probeLatency: Histogram<'type'>;
  private readonly commits: Counter<'result'>;
  private readonly kernelOps: Counter<'kind' | 'result'>;
  private defaultMetricsOn = false;

  constructor(private readonly opts: ExporterOptions) {
    this.now = opts.now ?? (() => performance.now());
    this.minIntervalMs = opts.minIntervalMs ?? 1000;
    const registers = [this.registry];
    this.reconcile = new Histogram({
      name: 'lbctl_reconcile_duration_seconds',
      help: 'Duration of a periodic drift check (full table read, plan, repairs), by result (ok, error).',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.probeLatency = new Histogram({
      name: 'lbctl_health_check_latency_seconds',
      help: 'Wall time of one health probe, from its start to its verdict, by check type.',
      labelNames: ['type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.commits = new Counter({
      name: 'lbctl_commits_total',
      help: 'Commit transactions the daemon ran, by result (committed, no_changes, check, refused, failed).',
      labelNames: ['result'],
      registers,
    });
    this.kernelOps = new Counter({
      name: 'lbctl_kernel_operations_total',
      help: 'IPVS operations the engine sent, by kind (new_service, set_dest, ...) and result (ok: in effect after the apply; failed: refused by the kernel, undo included).',
      labelNames: ['kind', 'result'],
      registers,
    });
  }

  /**
   * Start the process's default metrics (once; nothing with `defaultMetrics: false`). Called when the endpoint is
   * first served, not at construction: prom-client's event-loop-lag histogram samples the loop every 10 ms, and a
   * daemon with Prometheus off would wake 100 times a second for metrics nobody can read (seen under strace).
   */
  startDefaultMetrics(): void {
    if (this.opts.defaultMetrics === false || this.defaultMetricsOn) return;
    this.defaultMetricsOn = true;
    collectDefaultMetrics({ register: this.registry });
    // prom-client names three gauges `_total` (promtool rejects a gauge so named); each is the sum of its
    // by-type sibling (nodejs_active_handles{type}, …), so nothing is lost without them.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) this.registry.removeSingleMetric(name);
  }

  /** Whether the default metrics run (startDefaultMetrics was called and they are not switched off). */
  get defaultMetricsRunning(): boolean {
    return this.defaultMetricsOn;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The exposition text of one scrape, in chunks (at 10,000 services it is ~50 MB: never one string or buffer). */
  async metrics(): Promise<Buffer[]> {
    const [own, events] = await Promise.all([this.scrapeText(), this.registry.metrics()]);
    return [...own, Buffer.from(events)];
  }

  observeReconcile(seconds: number, ok: boolean): void {
    this.reconcile.observe({ result: ok ? 'ok' : 'error' }, seconds);
  }

  observeProbe(type: string, result: ProbeResult): void {
    this.probeLatency.observe({ type }, result.latencyMs / 1000);
  }

  observeCommit(result: 'committed' | 'no_changes' | 'check' | 'refused' | 'failed'): void {
    this.commits.inc({ result });
  }

  /** Every apply that sent something (the engine's onApply). */
  observeApply(r: ApplyResult): void {
    for (const op of r.applied) this.kernelOps.inc({ kind: OP_KIND[op.op], result: 'ok' });
    if (r.failed && !r.refused) this.kernelOps.inc({ kind: OP_KIND[r.failed.op.op], result: 'failed' });
    for (const u of r.undoFailures) this.kernelOps.inc({ kind: OP_KIND[u.op.op], result: 'failed' });
  }

  /**
   * The scrape-time families as text: at most one build per interval, counted from the end of the last build (a
   * scrape that waited for a long build gets that build, not another); concurrent callers share one build.
   */
  private scrapeText(): Promise<Buffer[]> {
    const now = this.now();
    if (this.current && (this.current.at === null || now - this.current.at < this.minIntervalMs)) return this.current.text;
    const current: { at: number | null; text: Promise<Buffer[]> } = { at: null, text: Promise.resolve([]) };
    current.text = this.build()
      .then((series) => renderFamilies(FAMILIES, series, this.opts.render))
      .then(
        (text) => {
          current.at = this.now();
          return text;
        },
        (e: unknown) => {
          // A build that fails is not kept: the next scrape tries again.
          if (this.current === current) this.current = null;
          throw e;
        },
      );
    this.current = current;
    return current.text;
  }

  private async build(): Promise<SeriesSet> {
    const { sources } = this.opts;
    const out: SeriesSet = new Map();
    let readOk = true;
    const [table, ha] = await Promise.all([
      sources.table().catch((e: Error) => {
        readOk = false;
        this.opts.onReadError?.(e);
        return [] as IpvsTableEntry[];
      }),
      sources.ha().catch(() => null),
    ]);
    const config = sources.config();
    await ipvsSeries(table, this.names(config), out, this.opts.build);
    healthSeries(sources.health(), config, out);
    haSeries(ha, out);
    engineSeries(sources.engine(), out);
    out.set('lbctl_ipvs_read_ok', [{ labels: {}, value: readOk ? 1 : 0 }]);
    return out;
  }

  /** serviceId → service name, compiled once per running configuration (configurations are never edited in place). */
  private names(config: Config | null): Map<string, string> {
    if (!config) return new Map();
    if (this.namesOf?.config !== config) this.namesOf = { config, names: declaredServiceNames(config) };
    return this.namesOf.names;
  }
}
