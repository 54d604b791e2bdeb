// The engine host: one long-lived owner of the dataplane (kernel or lab), the Engine, its ownership record and its
// actual-state cache. Everything that changes or reads IPVS on behalf of an operator goes through one: the daemon
// keeps one for its whole life; without a daemon, the shell keeps one for its session and `lbctl apply`/`status`
// for one command. What they call is `EnginePort`, which the daemon's socket client implements too, so a command
// behaves the same whichever engine answers.
//
// The host opens the dataplane on first use, so a shell starts (and shows its configuration) on a machine where
// IPVS is missing; the first command that needs the kernel says why it cannot have it.
import type { Config } from '../config/model.js';
import type { Store } from '../store/store.js';
import type { Dataplane, IpvsTableEntry, ReadOptions } from '../netlink/dataplane.js';

// The table's vocabulary, for those above the engine that show it (they reach netlink/ only through here).
export type { Dataplane, IpvsService, IpvsStats, IpvsTableEntry, ReadOptions } from '../netlink/dataplane.js';
export { AF_INET, SVC_F_PERSISTENT } from '../netlink/dataplane.js';
// How the views above name kernel objects, so that what they print matches what the engine plans.
export { destId, serviceId } from './identity.js';
export { backendRef } from './inputs.js';
// The in-sync judgement the shell's views print.
export type { DestStatus, ServiceStatus, StatusReport } from './status.js';
// The HA watcher's picture, for `show vrrp` and the role line.
export type { HaSnapshot, VrrpInstanceState } from './ha/types.js';

/**
 * The kernel service ids a configuration declares, with the configuration service that declares each (what
 * `show ipvs` prints as the owner). An uncompilable configuration declares nothing.
 */
export function declaredServiceNames(config: Config): Map<string, string> {
  try {
    return new Map([...compile(config).declared].map(([id, d]) => [id, d.name]));
  } catch {
    return new Map();
  }
}
import {
  commitTransactionLockPath,
  CommitRefusedError,
  runCommitTransaction,
  type AuditIdentity,
  type CommitTransactionJob,
  type CommitTransactionOutcome,
  type Refusal,
} from './commit-transaction.js';
import { compile } from './compile.js';
import { readTableYielding } from './table-read.js';
import { Engine, type ApplyResult, type EngineOptions } from './engine.js';
import type { EngineMetrics } from './metrics.js';
import type { Plan } from './plan.js';
import type { StatusReport } from './status.js';
import type { HaSnapshot } from './ha/types.js';
import { acquireLock } from '../locks/lock.js';
import { describeHolder } from '../locks/holder.js';
import { appendAudit, auditPath, auditRotation, kernelOfApply } from './audit.js';
import { osIdentity } from '../store/store.js';
import { recoverInterrupted, type Recovery } from './recover.js';
import { Drains } from './drain/drains.js';
import type { AdminState } from './inputs.js';
import { OWNERSHIP_FILE } from './ownership.js';
import { DRAINS_FILE } from './drain/drain-file.js';
import { KERNEL_PENDING_FILE } from '../store/kernel-pending.js';
import { fileIdentity } from './file-identity.js';
import { join } from 'node:path';

/** Whose words a refusal is told in: the shell's `% …` sentences, or `lbctl apply`'s. */
export type CommitVoice = 'shell' | 'apply';

/** A commit as data (it crosses the daemon's socket): the transaction job without the caller's callbacks. */
export type HostCommitJob = Omit<CommitTransactionJob, 'describe'> & {
  voice: CommitVoice;
  /**
   * The configuration of revision `base`, when the caller has it (read from the store): a daemon port then sends
   * only the difference from it (config/delta.ts), not the whole candidate. Never sent itself.
   */
  baseConfig?: Config;
};

/** Turns a refusal into the voice's words; supplied by whoever builds the host (the words live in present/refusals.ts). */
export type DescribeRefusal = (voice: CommitVoice, refusal: Refusal, store: Store) => string;

export interface DataplaneSummary {
  kind: Dataplane['kind'];
  version: string;
  connTabSize: number;
}

/** Which engine answers, for `show version`, `show system status` and `lbctl status`. */
export interface EngineHello {
  mode: 'daemon' | 'in-process';
  pid: number;
  startedAt: string;
  uptimeMs: number;
  runningRevision: number;
  /** Null when unknown (no drift check has run yet, or the kernel cannot be read). */
  inSync: boolean | null;
}

/** The shell's views of the dataplane: per service and destination, in sync or not; the table of the same read. */
export interface SyncView {
  report: StatusReport;
  /** The table that read found (counters included), when asked for. */
  table?: IpvsTableEntry[];
}

export interface SyncViewOptions {
  /** Return the table read as well. */
  table?: boolean;
  /** With the table's counters (default true). */
  counters?: boolean;
}

/** What the shell and the CLI may ask of an engine, in-process or in the daemon. */
export interface EnginePort {
  readonly mode: 'daemon' | 'in-process';
  hello(): Promise<EngineHello>;
  /** The dataplane's table as it is now (a fresh read, counters included unless `counters` is false): `show ipvs`. */
  table(opts?: ReadOptions): Promise<IpvsTableEntry[]>;
  dataplaneInfo(): Promise<DataplaneSummary>;
  /** The ids (serviceId) of the kernel services lbctl owns. */
  owned(): Promise<string[]>;
  /** What `disable` would remove (no kernel change). */
  planDisable(config: Config | null): Promise<Plan>;
  /** Remove every service lbctl owns; until the next commit nothing is programmed again. */
  disable(config: Config | null): Promise<ApplyResult>;
  /** `config` (null: the running one) against the kernel read now. Throws CompileError. */
  status(config: Config | null): Promise<StatusReport>;
  /**
   * `status` with each service's destinations judged, and (`table`) the table of the same read: one kernel read
   * per view, never one per service. `counters` false: the table without its counters (a view that does not show
   * them). Throws CompileError.
   */
  syncView(config: Config | null, opts?: SyncViewOptions): Promise<SyncView>;
  /** What a commit of `config` would send (no kernel change). Throws CompileError. */
  plan(config: Config, opts?: { adopt?: boolean }): Promise<Plan>;
  /** The commit transaction. Throws CommitRefusedError with the refusal as data and the voice's words. */
  commit(job: HostCommitJob, identity: AuditIdentity): Promise<CommitTransactionOutcome>;
  /** The VRRP picture (`show vrrp`, the `{master}` line, `monitor`); null when no HA watcher runs here. */
  ha(): Promise<HaSnapshot | null>;
  close(): Promise<void>;
}

export interface EngineHostOptions {
  mode: 'daemon' | 'in-process';
  stateDir: string;
  lab: boolean;
  openDataplane: () => Promise<Dataplane>;
  /** The revision store commits are recorded in; null: this host cannot commit (read-only operator). */
  store: Store | null;
  describe: DescribeRefusal;
  /**
   * Re-read the whole table before each commit. An in-process host may live beside other writers (a second
   * shell, a hand `ipvsadm`); the daemon is the only lbctl writer and keeps its cache current instead.
   */
  readBeforeCommit: boolean;
  /** Passed to the Engine (reconcile timers, apply observer). */
  engine?: Partial<Omit<EngineOptions, 'dataplane' | 'stateDir'>>;
  /** The HA watcher's picture, when one runs beside this host (the daemon's, or an in-process shell's). */
  ha?: () => HaSnapshot | null;
  /** Told the result of every commit transaction (the daemon's metrics). */
  onCommit?: (result: 'committed' | 'no_changes' | 'check' | 'refused' | 'failed') => void;
  now?: () => Date;
}

export class EngineHost implements EnginePort {
  readonly mode: 'daemon' | 'in-process';
  private dataplane: Dataplane | null = null;
  private engineInstance: Engine | null = null;
  private opening: Promise<Engine> | null = null;
  private readonly startedAt: Date;
  private lastInSync: boolean | null = null;
  /** What the first open finished for a killed process (engine/recover.ts), for whoever wants to say so. */
  recovered: Recovery | null = null;
  recoveryError: string | null = null;
  /** The running revision as this host last knew it (reading the store's revision file costs ms at scale). */
  private knownRevision: number | null = null;
  /** After a commit of this host: the revision it applied and the other writers' files then (see commit). */
  private vouched: { revision: number; stamp: string } | null = null;
  /** The start read is the next status's or commit's own (see engine's keepStartRead). */
  private startReadKept = false;
  /** The maintenance drains of this state directory (STATE/drains.json), programmed by this host's engine. */
  readonly drains: Drains;

  constructor(private readonly opts: EngineHostOptions) {
    this.mode = opts.mode;
    this.startedAt = (opts.now ?? (() => new Date()))();
    this.drains = new Drains({
      stateDir: opts.stateDir,
      lab: opts.lab,
      config: () => this.drainConfig(),
      // Connection counts only: a drain's question is whether connections remain.
      table: () => this.table({ counters: false }),
      apply: (admin) => this.applyAdmin(admin),
      exclusive: (f) => this.underCommitLock('drain', f),
      declared: declaredServiceNames,
      now: () => (opts.now ?? (() => new Date()))(),
    });
  }

  get store(): Store | null {
    return this.opts.store;
  }

  /**
   * The started engine (opens the dataplane and reads the table once, on first use). `startRead`: given the table
   * of that first read (counters included) when this call opens the engine and nothing changed the kernel since
   * (no recovery applied): a view that opens the host shows it rather than dumping a second time.
   * `keepStartRead`: a one-shot command that opens the host first (to finish a killed process's change before it
   * reads anything else) and asks for its status next: that status takes the start read as its own, when this
   * call opened the engine and the host was asked for nothing in between.
   */
  engine(opts: { startRead?: (table: IpvsTableEntry[]) => void; startCounters?: boolean; keepStartRead?: boolean } = {}): Promise<Engine> {
    if (this.engineInstance) {
      this.startReadKept = false;
      // Another process drained or resumed (a shell beside this one): the next apply programs it.
      if (this.drains.changed()) this.engineInstance.noteAdmin(this.drains.admin());
      return Promise.resolve(this.engineInstance);
    }
    this.opening ??= (async () => {
      const dp = await this.opts.openDataplane();
      const engine = new Engine({ ...this.opts.engine, dataplane: dp, stateDir: this.opts.stateDir });
      engine.noteAdmin(this.drains.admin());
      let table: IpvsTableEntry[] | null;
      try {
        // A table only for a view that shows it; anything else reads into the cache alone (no counters).
        table = await engine.start({ table: opts.startRead !== undefined, counters: opts.startCounters });
      } catch (e) {
        await dp.close().catch(() => {});
        throw e;
      }
      this.dataplane = dp;
      this.engineInstance = engine;
      // A change a killed process left between the kernel and the store is finished before anything else.
      try {
        const recovered = await recoverInterrupted({ stateDir: this.opts.stateDir, lab: this.opts.lab, store: this.opts.store, engine });
        if (recovered) this.recovered = recovered;
      } catch (e) {
        this.recoveryError = (e as Error).message;
      }
      if (!this.recovered && !this.recoveryError) {
        if (table) opts.startRead?.(table);
        this.startReadKept = opts.keepStartRead === true;
      }
      return engine;
    })().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  /** What the engine runs (null before its first commit in this process). */
  runningConfig(): Config | null {
    return this.engineInstance?.runningConfig() ?? null;
  }

  /** The engine's counters and the dataplane's messages sent so far; null before the dataplane opened. */
  counters(): (EngineMetrics & { messagesSent: number }) | null {
    if (!this.engineInstance || !this.dataplane) return null;
    return { ...this.engineInstance.metrics, messagesSent: this.dataplane.messagesSent() };
  }

  /** True once the dataplane is open (a host that never needed the kernel has none). */
  get opened(): boolean {
    return this.engineInstance !== null;
  }

  /** The running revision: the last this host committed or was told, else the store's. */
  revision(): number {
    return this.knownRevision ?? this.readRevision();
  }

  /** Tell the host which revision runs (the daemon after a cold start, a reload or a confirm rollback). */
  noteRevision(n: number): void {
    this.knownRevision = n;
  }

  /** Remember the last drift check's verdict (the daemon's loop reports it here). */
  noteInSync(inSync: boolean | null): void {
    this.lastInSync = inSync;
  }

  /** The last verdict: a drift check, a status, a commit that applied (null: none yet). */
  get inSync(): boolean | null {
    return this.lastInSync;
  }

  async hello(): Promise<EngineHello> {
    const now = (this.opts.now ?? (() => new Date()))();
    const revision = this.mode === 'daemon' ? this.revision() : this.readRevision();
    return {
      mode: this.mode,
      pid: process.pid,
      startedAt: this.startedAt.toISOString(),
      uptimeMs: now.getTime() - this.startedAt.getTime(),
      runningRevision: revision,
      inSync: this.lastInSync,
    };
  }

  /** In-process hosts share the store with other processes: always read it. */
  private readRevision(): number {
    try {
      return this.opts.store?.running().number ?? 0;
    } catch {
      return 0;
    }
  }

  async table(opts?: ReadOptions): Promise<IpvsTableEntry[]> {
    await this.engine();
    // Not readAll(): at 10,000 services its dump held the event loop throughout (table-read.ts).
    return readTableYielding(this.dataplane!, { read: opts });
  }

  async dataplaneInfo(): Promise<DataplaneSummary> {
    await this.engine();
    const info = await this.dataplane!.info();
    return { kind: this.dataplane!.kind, version: info.version, connTabSize: info.connTabSize };
  }

  async owned(): Promise<string[]> {
    return [...(await this.engine()).ownedIds()];
  }

  async planDisable(config: Config | null): Promise<Plan> {
    const engine = await this.engine();
    await engine.reread();
    return engine.planDisable(config);
  }

  /**
   * Remove every service lbctl owns. Like a commit it changes the kernel, so it goes through the same discipline:
   * under the commit transaction lock (a commit racing it made lbctl's own services look foreign), planned from a
   * fresh read of the table and of the ownership record, and audited (`disable`). `identity`: who asked (the
   * daemon passes its peer); default this process's user.
   */
  async disable(config: Config | null, identity?: AuditIdentity): Promise<ApplyResult> {
    return this.underCommitLock('disable', async () => {
      const engine = await this.engine();
      if (this.opts.readBeforeCommit) await engine.reread({ ownership: true });
      const result = await engine.disable(config);
      this.lastInSync = null;
      this.auditDisable(result, config, identity);
      return result;
    });
  }

  /** `f` under the commit transaction lock: a commit racing it would plan from a table about to change. */
  private async underCommitLock<T>(name: string, f: () => Promise<T>): Promise<T> {
    const lock = await acquireLock({ name, path: commitTransactionLockPath(this.opts.stateDir), holder: describeHolder(), waitMs: 60_000 });
    try {
      return await f();
    } finally {
      await lock.release().catch(() => {});
    }
  }

  /** The configuration drains are matched against: the daemon's running one; the store's for an in-process host. */
  private drainConfig(): Config | null {
    if (this.mode === 'daemon' && this.engineInstance?.runningConfig()) return this.engineInstance.runningConfig();
    try {
      return this.opts.store?.running().config ?? null;
    } catch {
      return null;
    }
  }

  /**
   * Program the running configuration with the drains' AdminState. The daemon's engine knows what runs; an
   * in-process host may be behind another shell's commit, so it re-reads the table and applies the store's
   * running revision (under the commit lock, held by the caller).
   */
  private async applyAdmin(admin: AdminState): Promise<ApplyResult | null> {
    const engine = await this.engine();
    if (!this.opts.readBeforeCommit) return engine.setAdmin(admin);
    await engine.reread({ ownership: true });
    engine.noteAdmin(admin);
    const config = this.drainConfig();
    return config ? engine.commit(config) : null;
  }

  private auditDisable(result: ApplyResult, config: Config | null, identity: AuditIdentity | undefined): void {
    const who = identity ?? (({ user, uid }) => ({ user, ...(uid !== undefined ? { uid } : {}) }))(osIdentity());
    const revision = this.mode === 'daemon' ? this.revision() : this.readRevision();
    try {
      appendAudit(
        auditPath({ stateDir: this.opts.stateDir, config, lab: this.opts.lab }),
        {
          user: who.user,
          ...(who.uid !== undefined ? { uid: who.uid } : {}),
          action: 'disable',
          result: !result.ok ? 'failed' : result.applied.length ? 'ok' : 'no-changes',
          revisionBefore: revision,
          revisionAfter: revision,
          comment: `removed ${result.ok ? result.applied.length : 0} service(s) lbctl owns`,
          kernel: kernelOfApply(result),
        },
        auditRotation(config),
      );
    } catch {
      /* the kernel change stands; an unwritable trail is said by the next commit, which must write it */
    }
  }

  async status(config: Config | null): Promise<StatusReport> {
    // A host opened by this very call, or by the caller's engine({ keepStartRead }) just before, has just read the
    // table (and the ownership record): no second read (at 10,000 services in the kernel VM, a second dump of ~10 s).
    const kept = this.takeStartRead();
    const opened = this.opened;
    const engine = await this.engine();
    if (opened && !kept) await engine.reread();
    const report = engine.status(config ?? engine.runningConfig() ?? this.opts.store?.running().config ?? null);
    if (config === null) this.lastInSync = report.inSync;
    return report;
  }

  async syncView(config: Config | null, opts: SyncViewOptions = {}): Promise<SyncView> {
    const opened = this.opened;
    // The table shown is the one this call read, counters included when shown: the engine's cache keeps none.
    const counters = opts.counters !== false;
    let table: IpvsTableEntry[] | undefined;
    const engine = await this.engine(opts.table ? { startRead: (t) => (table = t), startCounters: counters } : {});
    // Another process may have committed since this host opened (a second shell): its services are lbctl's too.
    // Yielding: at 10,000 services a daemon's dump must not hold its event loop (table-read.ts), as `table` does not.
    // A host opened by this very call has just read both (a one-shot `lbctl show ipvs`): no second read, unless
    // that read is not one to show (another caller opened the host, or a recovery changed the kernel since).
    const reread = { ownership: this.opts.readBeforeCommit, yielding: true };
    if (opts.table && (opened || !table)) table = await engine.refresh({ ...reread, counters });
    else if (opened) await engine.reread(reread);
    const report = engine.status(config ?? engine.runningConfig() ?? this.opts.store?.running().config ?? null, { dests: true });
    if (config === null || this.mode === 'in-process') this.lastInSync = report.inSync;
    return { report, ...(opts.table ? { table } : {}) };
  }

  async plan(config: Config, opts: { adopt?: boolean } = {}): Promise<Plan> {
    const engine = await this.engine();
    if (this.opts.readBeforeCommit) await engine.reread();
    return engine.plan(config, undefined, { adopt: opts.adopt === true });
  }

  /**
   * The plan a commit of `candidate` would make from the change alone, when the engine is open (null otherwise
   * or when that commit would plan the whole configuration): nothing is sent or counted. The daemon's warm-up
   * rehearses its first commit with it (engine/warm-up.ts).
   */
  rehearseCommit(candidate: Config): Plan | null {
    return this.engineInstance?.rehearseCommit(candidate) ?? null;
  }

  /** A revision's configuration from this host's store (the running one is kept parsed), or null. */
  revisionConfig(n: number): Config | null {
    return this.opts.store?.get(n)?.config ?? null;
  }

  async commit(job: HostCommitJob, identity: AuditIdentity): Promise<CommitTransactionOutcome> {
    const store = this.opts.store;
    if (!store) throw new Error('this engine host has no writable revision store');
    const { voice, baseConfig: _base, ...rest } = job;
    let outcome: CommitTransactionOutcome;
    try {
      outcome = await runCommitTransaction(
        {
          stateDir: this.opts.stateDir,
          store,
          lab: this.opts.lab,
          identity,
          // A commit that opens the host has its read: the start read, taken under the commit's lock just now.
          engine: () => this.engine({ keepStartRead: true }),
          startReadFresh: () => this.takeStartRead(),
          readBeforeCommit: this.opts.readBeforeCommit,
          cacheVouched: (running) => this.vouched !== null && this.vouched.revision === running.number && this.vouched.stamp === this.writersStamp(),
        },
        { ...rest, describe: (r) => this.opts.describe(voice, r, store) },
      );
    } catch (e) {
      this.opts.onCommit?.(e instanceof CommitRefusedError ? 'refused' : 'failed');
      throw e;
    }
    this.opts.onCommit?.(outcome.kind === 'no-changes' ? 'no_changes' : outcome.kind);
    if (outcome.kind !== 'check' && outcome.result?.ok) this.lastInSync = true;
    if (outcome.kind === 'committed') this.knownRevision = outcome.after;
    // What this host's cache can vouch for at its next commit: the revision it applied, and the files other lbctl
    // writers change when they touch the kernel without a new revision (a disable, a drain, a killed writer's
    // kernel-pending record). Any difference at the next commit makes it read the whole table again.
    this.vouched =
      outcome.kind !== 'check' && outcome.result?.ok !== false && outcome.kind !== 'no-changes'
        ? { revision: outcome.after, stamp: this.writersStamp() }
        : null;
    return outcome;
  }

  /** Whether the engine's start read is still the last thing asked of this host (and forget it: once only). */
  private takeStartRead(): boolean {
    const kept = this.startReadKept;
    this.startReadKept = false;
    return kept;
  }

  /** Identities of the files other lbctl writers leave when they change the kernel beside this host. */
  private writersStamp(): string {
    return [OWNERSHIP_FILE, DRAINS_FILE, KERNEL_PENDING_FILE].map((f) => fileIdentity(join(this.opts.stateDir, f)) ?? '-').join(' ');
  }

  async ha(): Promise<HaSnapshot | null> {
    return this.opts.ha?.() ?? null;
  }

  /** Make the kernel run `config` (the daemon's cold start, a confirm rollback). */
  async applyRunning(config: Config): Promise<ApplyResult> {
    const engine = await this.engine();
    const result = await engine.commit(config);
    if (result.ok) this.lastInSync = true;
    return result;
  }

  async close(): Promise<void> {
    const engine = this.engineInstance ?? (await this.opening?.catch(() => null)) ?? null;
    this.engineInstance = null;
    if (engine) await engine.close().catch(() => {});
    const dp = this.dataplane;
    this.dataplane = null;
    if (dp) await dp.close().catch(() => {});
  }
}
