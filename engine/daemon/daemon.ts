// `lbctl daemon`: the long-lived engine host of one state directory.
//
//   start   daemon lock (one per state directory) → revision store → engine host (one full read of the table)
//           → cold start: make the kernel run the running revision → control socket → READY=1
//   loop    every daemon.reconcile_interval_ms: read the table, heal drift in lbctl's own services (foreign ones
//           are never touched); after a failure, exponential backoff with jitter (never a spin)
//   confirm the `commit confirmed` deadline: checked every second from the store's durable record, so a daemon
//           restarted after a SIGKILL enforces a deadline set before it (the detached guard steps aside while a
//           daemon holds the lock: engine/confirm-guard.ts)
//   SIGHUP  re-read the configuration files: a valid edit becomes a revision (origin file) and is applied;
//           invalid files keep the running configuration and every located error is logged
//   SIGTERM stop: close the socket, leave IPVS as it is (--flush-on-stop removes what lbctl owns), release the lock
//   health  after the cold start, the health checks of the running configuration (health-runner.ts); their
//           targets follow every commit, reload, confirm rollback and revision followed from the store (unchanged
//           targets keep their state); a verdict goes to the engine's event path at once; stopped on shutdown
//   vrrp    before the cold start, the HA watcher of the running `ha` section (ha-runner.ts), so the cold start
//           already programs by role; a transition goes to the engine's event path at once (Engine.setVrrp), is
//           logged and audited (action vrrp); a changed `ha` section is passed on; stopped on shutdown
//   metrics after the cold start, the Prometheus exporter on observability.prometheus.bind:port (metrics-server.ts,
//           engine/observability/); re-bound when a commit changes the address; stopped on shutdown
//
// Everything the daemon changes goes through its one EngineHost, so commits from the socket, drift repairs and
// confirm rollbacks are serialised by the engine and planned against one cache: no kernel dump per commit.
import { warmCommitPath } from '../warm-up.js';
import { isDeepStrictEqual } from 'node:util';
import { formatConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import type { Config } from '../../config/model.js';
import { fingerprintFiles, locateConfig } from '../../store/store-files.js';
import { openStore, osIdentity, type Store } from '../../store/store.js';
import { acquireDaemonLock } from '../../locks/daemon-lock.js';
import { acquireLock, LockHeldError, type HeldLock } from '../../locks/lock.js';
import { describeHolder } from '../../locks/holder.js';
import type { Dataplane } from '../../netlink/dataplane.js';
import { Backoff, type BackoffOptions } from '../backoff.js';
import type { Engine } from '../engine.js';
import { CommitRefusedError, commitTransactionLockPath } from '../commit-transaction.js';
import { reapplyAfterExpiry } from '../confirm-rollback.js';
import { openHostDataplane } from '../host-dataplane.js';
import { EngineHost, type DescribeRefusal } from '../host.js';
import { appendAudit, auditPath, auditRotation, kernelOfApply, type AuditRecord } from '../audit.js';
import type { ApplyResult } from '../engine.js';
import type { SchedulerOptions } from '../health/index.js';
import { HealthRunner, type HealthEvent, type RampTimers } from './health-runner.js';
import { HaRunner, type HaEvent, type HaWatcherFactory } from './ha-runner.js';
import { defaultHaWatcher } from './ha-factory.js';
import { healthRoutes } from './health-requests.js';
import { drainRoutes, DRAIN_FOLLOW_MS, DAEMON_DRAIN_IDENTITY } from './drain-requests.js';
import type { Log } from './log.js';
import type { Notifier } from './notify.js';
import type { IdentifyPeer } from './peer.js';
import { socketPath, type DaemonInfo } from './protocol.js';
import { ControlServer, type ControlServerOptions } from './server.js';
import { loadLibc } from '../../netlink/libc.js';
import { Exporter } from '../observability/exporter.js';
import { MetricsServer } from './metrics-server.js';

export interface DaemonOptions {
  stateDir: string;
  configPath: string;
  lab: boolean;
  version: string;
  describe: DescribeRefusal;
  /** The views the control socket renders (present/views.ts), handed over like the refusal words. */
  views?: ControlServerOptions['views'];
  log: Log;
  notifier: Notifier;
  /** systemd's watchdog period (half of WatchdogSec), or null. */
  watchdogMs: number | null;
  /** On stop, remove every service lbctl owns. Default: leave the kernel as it is. */
  flushOnStop?: boolean;
  /** Group of the control socket (default lbctl-admin when it exists). */
  socketGroup?: string | null;
  /** Overrides daemon.reconcile_interval_ms. */
  reconcileIntervalMs?: number;
  /** How often the confirm deadline is checked (default 1000 ms). */
  confirmPollMs?: number;
  backoff?: BackoffOptions;
  /** How often the daemon looks whether a commit over the socket changed the running configuration (200 ms). */
  healthFollowMs?: number;
  /** Told the running configuration at start and after each change (the logger follows observability.gelf). */
  onRunningConfig?: (config: Config) => void;
  // ---- injected by tests ----
  /** The health scheduler's prober, timers, randomness (default: the real ones). */
  healthScheduler?: SchedulerOptions;
  healthRampTimers?: RampTimers;
  /** Builds the HA watcher for an `ha` section (default: the real one). */
  haWatcher?: HaWatcherFactory;
  openDataplane?: () => Promise<Dataplane>;
  identify?: IdentifyPeer;
  now?: () => Date;
}

export class Daemon {
  private lock: HeldLock | null = null;
  private store: Store | null = null;
  private host: EngineHost | null = null;
  private server: ControlServer | null = null;
  private health: HealthRunner | null = null;
  private ha: HaRunner | null = null;
  /** The configuration whose targets the health checks run (compared by identity: configurations are never edited in place). */
  private healthConfig: Config | null = null;
  /** The configuration onRunningConfig was last told. */
  private toldConfig: Config | null = null;
  /** Scrape-time series and event metrics; built before the host so that the engine's applies are counted. */
  private readonly exporter: Exporter;
  private metricsServer: MetricsServer | null = null;
  /** The configuration whose observability.prometheus the exporter serves on (compared by identity). */
  private metricsConfig: Config | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly backoff: Backoff;
  private readonly startedAt: Date;
  private running: { number: number; config: Config } = { number: 0, config: null as unknown as Config };
  private lastReconcile: Date | null = null;
  private stopping = false;
  private reloading: Promise<void> | null = null;
  private confirmBusy = false;
  private readonly now: () => Date;
  /** Settles when the daemon has stopped (after stop()). */
  readonly stopped: Promise<void>;
  private resolveStopped!: () => void;

  constructor(private readonly opts: DaemonOptions) {
    this.now = opts.now ?? (() => new Date());
    this.startedAt = this.now();
    this.backoff = new Backoff(opts.backoff ?? { baseMs: 500, maxMs: 60_000 });
    this.stopped = new Promise((r) => (this.resolveStopped = r));
    this.exporter = new Exporter({
      sources: {
        table: () => (this.host ? this.host.table() : Promise.resolve([])),
        config: () => this.runningConfig(),
        health: () => this.health?.states() ?? null,
        ha: () => this.host?.ha() ?? Promise.resolve(null),
        engine: () => ({ runningRevision: this.currentRevision(), inSync: this.inSyncNow(), driftRepairs: this.host?.counters()?.driftRepairs ?? null }),
      },
      onReadError: (e) => opts.log('error', `prometheus exporter: the IPVS table could not be read: ${e.message}`),
    });
  }

  async start(): Promise<void> {
    const { stateDir, log } = this.opts;
    this.lock = await acquireDaemonLock(stateDir, undefined, (err) => log('error', `daemon lock compromised: ${err.message}`));
    try {
      this.store = await openStore({ stateDir, configPath: this.opts.configPath, keepRunning: true, watchConfigFiles: true, ...(this.opts.now ? { now: this.opts.now } : {}) });
      this.host = new EngineHost({
        mode: 'daemon',
        stateDir,
        lab: this.opts.lab,
        store: this.store,
        describe: this.opts.describe,
        openDataplane: this.opts.openDataplane ?? (() => openHostDataplane({ stateDir, lab: this.opts.lab })),
        // The daemon is the one lbctl writer while it runs: its cache is kept current by what it applies and by
        // the periodic read, so a commit plans without a dump.
        readBeforeCommit: false,
        ha: () => this.ha?.snapshot() ?? null,
        engine: { onApply: (r) => this.exporter.observeApply(r) },
        onCommit: (result) => this.exporter.observeCommit(result),
        ...(this.opts.now ? { now: this.opts.now } : {}),
      });
      const revision = this.store.running();
      this.running = { number: revision.number, config: revision.config };
      this.host.noteRevision(revision.number);
      this.tellConfig();
      const expired = this.store.openReport.expiredConfirm;
      if (expired) {
        log('warning', `commit confirmed of revision ${expired.replaced.number} by ${expired.expired.user} expired while no daemon ran: rolled back to revision ${revision.number}`);
        await reapplyAfterExpiry(expired, { stateDir, lab: this.opts.lab, apply: (c) => this.host!.applyRunning(c), log: (m) => log('warning', m) });
      }
      // Before the health checks open their sockets: loading the libc binding lists every open handle.
      try {
        loadLibc();
      } catch {
        /* no binding: the lab still runs; SO_PEERCRED then refuses clients with the reason */
      }
      await this.startHa();
      await this.coldStart();
      const recovered = this.host.recovered;
      if (recovered) log(recovered.result.ok ? 'warning' : 'error', `recovered an interrupted ${recovered.record.why} (pid ${recovered.record.pid}): the kernel runs revision ${recovered.revision}${recovered.result.ok ? '' : `, but the kernel refused: ${recovered.result.failed?.message ?? recovered.result.dataplaneError ?? 'unknown error'}`}`);
      this.startHealth();
      this.metricsServer = new MetricsServer({ source: this.exporter, log });
      await this.followMetrics();
      const routes = { ...healthRoutes(() => this.health), ...drainRoutes(() => this.host) };
      const serverOptions = {
        path: socketPath(stateDir),
        host: this.host,
        info: () => this.info(),
        ...(this.opts.socketGroup !== undefined ? { group: this.opts.socketGroup } : {}),
        ...(this.opts.identify ? { identify: this.opts.identify } : {}),
        log,
        handlers: routes,
        ...(this.opts.views ? { views: this.opts.views } : {}),
      };
      this.server = new ControlServer(serverOptions);
      await this.server.listen();
    } catch (e) {
      await this.teardown();
      throw e;
    }
    this.scheduleReconcile(this.interval());
    this.scheduleConfirmCheck();
    this.scheduleHealthFollow();
    this.scheduleDrainFollow();
    if (this.opts.watchdogMs) {
      const t = setInterval(() => this.opts.notifier.watchdog(), this.opts.watchdogMs);
      this.timers.add(t);
    }
    this.opts.notifier.ready(this.statusLine());
    log('info', `lbctl daemon ${this.opts.version} ready: pid ${process.pid}, state ${stateDir}, ${this.opts.lab ? 'lab dataplane' : 'kernel IPVS'}, running revision ${this.running.number}, socket ${socketPath(stateDir)}`);
    // Right after the start, before a first commit: what that commit would build otherwise (engine/warm-up.ts).
    const warm: NodeJS.Timeout = setTimeout(() => {
      this.timers.delete(warm);
      const running = this.running;
      if (!running) return;
      const host = this.host;
      warmCommitPath(running.config, {
        previewFiles: (candidate) => this.store?.previewFiles(candidate),
        plan: (candidate) => host?.rehearseCommit(candidate),
      });
    }, 0);
    this.timers.add(warm);
  }

  /** Make the kernel run the running revision (after a reboot, a crash, or hand edits made while we were down). */
  private async coldStart(): Promise<void> {
    const result = await this.host!.applyRunning(this.running.config);
    if (!result.ok) {
      // Keep running: the reconcile loop retries with backoff, and `lbctl status` shows what is wrong.
      this.host!.noteInSync(false);
      this.opts.log('error', `cold start: the kernel refused revision ${this.running.number}: ${result.refused ?? result.failed?.message ?? result.dataplaneError ?? 'unknown error'}`);
      return;
    }
    this.lastReconcile = this.now();
    this.host!.noteInSync(true);
    this.opts.log('info', `cold start: revision ${this.running.number} programmed (${result.applied.length} operation(s))`);
  }

  /** The health checks: only the daemon probes (in --lab, loopback only). */
  private startHealth(): void {
    const host = this.host!;
    this.health = new HealthRunner({
      lab: this.opts.lab,
      setVerdicts: async (verdicts) => (await host.engine()).setVerdicts(verdicts),
      log: this.opts.log,
      onTransition: (e) => this.auditHealth(e),
      onProbe: (type, result) => this.exporter.observeProbe(type, result),
      ...(this.opts.healthScheduler ? { scheduler: this.opts.healthScheduler } : {}),
      ...(this.opts.healthRampTimers ? { rampTimers: this.opts.healthRampTimers } : {}),
    });
    this.followHealth();
  }

  /** The HA watcher; its first picture reaches the engine before the cold start programs anything. */
  private async startHa(): Promise<void> {
    const host = this.host!;
    this.ha = new HaRunner({
      create: this.opts.haWatcher ?? defaultHaWatcher,
      setVrrp: async (states) => (await host.engine()).setVrrp(states),
      log: this.opts.log,
      onTransition: (e) => this.auditVrrp(e),
    });
    try {
      await this.ha.start(this.running.config.ha);
    } catch (e) {
      // Without a picture every instance is unknown: what is programmed stays (engine/ha/programming.ts).
      this.opts.log('error', `vrrp: the HA watcher did not start: ${(e as Error).message}; services of master-only instances are kept as they are`);
    }
  }

  /** One audit record per VRRP transition (engine/audit.ts action `vrrp`). */
  private auditVrrp(e: HaEvent): void {
    const t = e.transition;
    this.auditEvent('vrrp', e.message, e.result, {
      vrrp: { instance: t.instance, from: t.from, to: t.to, source: t.source, summary: e.summary, ...(t.reason !== undefined ? { reason: t.reason } : {}) },
    });
  }

  /** Give the health checks the running configuration's targets if it changed (a commit, reload, rollback). */
  private followHealth(): void {
    const config = this.runningConfig();
    this.ha?.follow(config);
    if (!this.health || !config || config === this.healthConfig) return;
    this.healthConfig = config;
    this.health.update(config).catch((e: Error) => this.opts.log('error', `health: the verdicts could not be given to the engine: ${e.message}`));
  }

  /** onRunningConfig, when the running configuration changed (compared by identity, as followHealth does). */
  private tellConfig(): void {
    const config = this.runningConfig();
    if (!this.opts.onRunningConfig || !config || config === this.toldConfig) return;
    this.toldConfig = config;
    this.opts.onRunningConfig(config);
  }

  private scheduleHealthFollow(): void {
    this.schedule(() => {
      this.followHealth();
      this.tellConfig();
      void this.followMetrics();
      this.scheduleHealthFollow();
    }, this.opts.healthFollowMs ?? 200);
  }

  /** Drains waiting for their connections to end move on by themselves while the daemon runs (audited). */
  private scheduleDrainFollow(): void {
    this.schedule(() => {
      const drains = this.host?.drains;
      const step = drains && (drains.waiting() || drains.interrupted()) ? drains.advance(DAEMON_DRAIN_IDENTITY).catch((e) => this.opts.log('warning', `drains: ${(e as Error).message}`)) : Promise.resolve();
      void step.then(() => this.scheduleDrainFollow());
    }, DRAIN_FOLLOW_MS);
  }

  /** Serve the exporter where the running configuration says (a commit may have moved it, or turned it off). */
  private async followMetrics(): Promise<void> {
    const config = this.runningConfig();
    if (!this.metricsServer || !config || config === this.metricsConfig) return;
    this.metricsConfig = config;
    const p = config.observability.prometheus;
    if (p.enabled) {
      this.exporter.startDefaultMetrics();
      await this.metricsServer.listen(p.bind, p.port);
    }
    else await this.metricsServer.close();
  }

  /** One audit record per health transition (engine/audit.ts action `health`). */
  private auditHealth(e: HealthEvent): void {
    this.auditEvent('health', e.message, e.result, {
      health: { target: e.target, from: e.from, to: e.to, backends: e.backends, ...(e.reason !== undefined ? { reason: e.reason } : {}) },
    });
  }

  /** An event the daemon itself acted on (no operator behind it): recorded under the daemon's own identity. */
  private auditEvent(action: 'health' | 'vrrp', message: string, result: ApplyResult | null, detail: Pick<AuditRecord, 'health' | 'vrrp'>): void {
    const who = osIdentity();
    appendAudit(auditPath({ stateDir: this.opts.stateDir, config: this.runningConfig(), lab: this.opts.lab }), {
      user: who.user,
      ...(who.uid !== undefined ? { uid: who.uid } : {}),
      action,
      result: result && !result.ok ? 'failed' : 'ok',
      revisionBefore: this.currentRevision(),
      revisionAfter: this.currentRevision(),
      comment: message.replace(new RegExp(`^${action}: `), ''),
      ...(result ? { kernel: kernelOfApply(result) } : {}),
      ...detail,
    }, auditRotation(this.runningConfig()));
  }

  info(): Omit<DaemonInfo, 'peer'> {
    const now = this.now();
    return {
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      uptimeMs: now.getTime() - this.startedAt.getTime(),
      version: this.opts.version,
      stateDir: this.opts.stateDir,
      lab: this.opts.lab,
      runningRevision: this.currentRevision(),
      inSync: this.inSyncNow(),
      lastReconcile: this.lastReconcile?.toISOString() ?? null,
      engine: this.host?.counters() ?? null,
    };
  }

  /** What the store says runs (a directory listing: a commit beside the daemon shows at once). */
  private currentRevision(): number {
    try {
      if (this.store) return this.store.runningNumber();
    } catch {
      /* the store's own error shows elsewhere */
    }
    return this.host?.revision() ?? this.running.number;
  }

  private inSyncNow(): boolean | null {
    // A confirm deadline that has passed and is not yet rolled back: the kernel runs a revision nobody confirmed.
    try {
      const pending = this.store?.pendingConfirm();
      if (pending && new Date(pending.deadline).getTime() <= this.now().getTime()) return false;
    } catch {
      return null;
    }
    return this.host?.inSync ?? null;
  }

  private statusLine(): string {
    const inSync = this.inSyncNow();
    return `revision ${this.currentRevision()}, ${inSync === null ? 'not checked yet' : inSync ? 'in sync' : 'NOT in sync'}`;
  }

  private interval(): number {
    return this.opts.reconcileIntervalMs ?? this.runningConfig()?.daemon?.reconcile_interval_ms ?? 30_000;
  }

  /** What the engine runs now (a commit over the socket changes it), else what the daemon started with. */
  private runningConfig(): Config | null {
    return this.host?.runningConfig() ?? this.running.config;
  }

  private schedule(fn: () => void, ms: number): void {
    if (this.stopping) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    this.timers.add(t);
  }

  private scheduleReconcile(ms: number): void {
    this.schedule(() => void this.reconcileOnce().then((next) => this.scheduleReconcile(next)), ms);
  }

  /** One drift check; returns the delay until the next one. */
  async reconcileOnce(): Promise<number> {
    const host = this.host;
    if (!host || this.stopping) return this.interval();
    // A commit in flight (this daemon's, or an in-process one beside it) changes the kernel first and the store
    // second, under the transaction lock: between the two the kernel is ahead of the store, and "repairing" it
    // would undo that commit. Such a cycle is skipped; the next one sees both changed.
    let txLock: HeldLock;
    try {
      txLock = await acquireLock({ name: 'drift check', path: commitTransactionLockPath(this.opts.stateDir), holder: describeHolder(), waitMs: 0 });
    } catch (e) {
      if (e instanceof LockHeldError) return Math.min(this.interval(), 1000);
      const delay = this.backoff.fail();
      this.opts.log('error', `drift check: the transaction lock cannot be taken: ${(e as Error).message}; next try in ${delay} ms`);
      return delay;
    }
    const t0 = performance.now();
    let observed = false;
    try {
      const engine = await host.engine();
      this.followStore(engine);
      const result = await engine.reconcile();
      this.exporter.observeReconcile((performance.now() - t0) / 1000, !result || result.ok);
      observed = true;
      if (result && !result.ok) throw new Error(result.refused ?? result.failed?.message ?? result.dataplaneError ?? 'apply failed');
      if (result && result.applied.length) this.opts.log('warning', `drift repaired: ${result.applied.length} kernel operation(s) (${result.applied.map((o) => o.op).join(', ')})`);
      host.noteInSync(true);
      this.lastReconcile = this.now();
      this.backoff.succeed();
      return this.interval();
    } catch (e) {
      if (!observed) this.exporter.observeReconcile((performance.now() - t0) / 1000, false);
      host.noteInSync(false);
      const delay = this.backoff.fail();
      this.opts.log('error', `drift check failed (attempt ${this.backoff.attempts}): ${(e as Error).message}; next try in ${delay} ms`);
      return delay;
    } finally {
      await txLock.release().catch(() => {});
    }
  }

  /**
   * A revision committed outside the daemon (a shell opened before the daemon started, an `lbctl apply` racing
   * its start) is followed, so that a drift check converges to what the store says runs, never back to an older
   * revision. The check is a directory listing; the revision is read only when it changed.
   */
  private followStore(engine: Engine): void {
    if (!this.store || !this.host) return;
    const n = this.store.runningNumber();
    if (n === this.host.revision()) return;
    const r = this.store.running();
    this.running = { number: r.number, config: r.config };
    this.host.noteRevision(r.number);
    engine.adopt(r.config);
    this.opts.log('info', `revision ${r.number} was committed outside the daemon (origin ${r.origin}${r.user ? ` by ${r.user}` : ''}): following it`);
    this.followHealth();
  }

  private scheduleConfirmCheck(): void {
    this.schedule(() => void this.checkConfirm().finally(() => this.scheduleConfirmCheck()), this.opts.confirmPollMs ?? 1000);
  }

  /** Roll back a `commit confirmed` whose deadline passed (the store's record is durable: it survives restarts). */
  async checkConfirm(): Promise<void> {
    if (this.confirmBusy || !this.store || !this.host) return;
    this.confirmBusy = true;
    try {
      const pending = this.store.pendingConfirm();
      if (!pending || new Date(pending.deadline).getTime() > this.now().getTime()) return;
      const expiry = await this.store.expireConfirmIfDue(this.now());
      if (!expiry) return;
      const kernel = await reapplyAfterExpiry(expiry, {
        stateDir: this.opts.stateDir,
        lab: this.opts.lab,
        apply: (c) => this.host!.applyRunning(c),
        log: (m) => this.opts.log('warning', m),
      });
      const now = this.store.running();
      this.running = { number: now.number, config: now.config };
      this.host.noteRevision(now.number);
      this.followHealth();
      this.opts.log(
        kernel && !kernel.ok ? 'error' : 'warning',
        `commit confirmed: revision ${expiry.expired.revision} by ${expiry.expired.user} was not confirmed by ${expiry.expired.deadline}; rolled back to revision ${now.number}` +
          (kernel && !kernel.ok ? `; the kernel could not be set back: ${kernel.failed ?? 'unknown error'}` : ''),
      );
      this.opts.notifier.status(this.statusLine());
    } catch (e) {
      this.opts.log('error', `commit confirmed deadline: ${(e as Error).message}`);
    } finally {
      this.confirmBusy = false;
    }
  }

  /** SIGHUP: adopt valid hand edits of the configuration files; log every error of invalid ones. */
  reload(): Promise<void> {
    this.reloading ??= this.reloadNow().finally(() => {
      this.reloading = null;
    });
    return this.reloading;
  }

  private async reloadNow(): Promise<void> {
    const { log, notifier } = this.opts;
    if (!this.store || !this.host || this.stopping) return;
    notifier.reloading();
    try {
      const loc = locateConfig(this.opts.configPath);
      const before = fingerprintFiles(loc);
      const loaded = loadConfig(this.opts.configPath);
      if (!loaded.config || loaded.errors.length) {
        const n = loaded.errors.length;
        log('error', `reload: the configuration files have ${n} error(s); the running configuration (revision ${this.store.running().number}) stays:`);
        for (const e of loaded.errors) log('error', `  ${formatConfigError(e)}`);
        return;
      }
      const fingerprints = fingerprintFiles(loc);
      if (!isDeepStrictEqual(before, fingerprints)) {
        log('warning', 'reload: the configuration files changed while being read; nothing changed (send SIGHUP again)');
        return;
      }
      const who = osIdentity();
      const base = this.store.running().number;
      try {
        const tx = await this.host.commit(
          {
            candidate: loaded.config,
            base,
            action: 'apply',
            comment: 'daemon reload (SIGHUP)',
            record: { how: 'file', meta: { comment: 'daemon reload (SIGHUP)' }, fingerprints },
            voice: 'apply',
          },
          { user: who.user, ...(who.uid !== undefined ? { uid: who.uid } : {}) },
        );
        if (tx.kind === 'committed') {
          this.running = { number: tx.after, config: loaded.config };
          this.followHealth();
          log('info', `reload: the files became revision ${tx.after} (origin file); ${tx.result?.applied.length ?? 0} kernel operation(s)`);
        } else log('info', `reload: the files equal the running configuration (revision ${base}); nothing to do`);
      } catch (e) {
        if (e instanceof CommitRefusedError) log('error', `reload refused; the running configuration stays:\n${e.message}`);
        else throw e;
      }
    } catch (e) {
      log('error', `reload failed: ${(e as Error).message}; the running configuration stays`);
    } finally {
      notifier.ready(this.statusLine());
    }
  }

  /** SIGTERM/SIGINT: stop serving; the kernel keeps its table unless --flush-on-stop. */
  async stop(signal = 'stop'): Promise<void> {
    if (this.stopping) return this.stopped;
    this.stopping = true;
    this.opts.notifier.stopping();
    this.opts.log('info', `stopping (${signal})${this.opts.flushOnStop ? ': removing the services lbctl owns' : '; IPVS is left as it is'}`);
    await this.reloading?.catch(() => {});
    if (this.opts.flushOnStop && this.host) {
      const result = await this.host.disable(this.runningConfig()).catch((e: Error) => ({ ok: false, applied: [], failed: { message: e.message } }));
      if (!result.ok) this.opts.log('error', `--flush-on-stop: ${result.failed?.message ?? 'the kernel refused'}`);
      else this.opts.log('info', `--flush-on-stop: removed ${result.applied.length} service(s)`);
    }
    await this.teardown();
    this.resolveStopped();
    return this.stopped;
  }

  private async teardown(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await this.health?.stop().catch(() => {});
    this.health = null;
    await this.ha?.stop().catch(() => {});
    this.ha = null;
    await this.metricsServer?.close().catch(() => {});
    this.metricsServer = null;
    await this.server?.close().catch(() => {});
    this.server = null;
    await this.host?.close().catch(() => {});
    this.host = null;
    this.store?.close();
    await this.lock?.release().catch(() => {});
    this.lock = null;
    this.opts.notifier.close();
  }
}
