// EnginePort over the control socket: what a command calls when a daemon answers for its state directory. Each
// method is one request; a refusal comes back as data with the daemon's words for the caller's voice (the daemon
// holds the same words), so the caller prints exactly what an in-process commit would have printed.
import type { Config } from '../../config/model.js';
import { configDelta } from '../../config/delta.js';
import type { ApplyResult } from '../engine.js';
import type { IpvsTableEntry, ReadOptions } from '../../netlink/dataplane.js';
import { CommitRefusedError, type AuditIdentity, type CommitTransactionOutcome, type Refusal } from '../commit-transaction.js';
import type { DataplaneSummary, EngineHello, EnginePort, HostCommitJob, SyncView, SyncViewOptions } from '../host.js';
import type { Plan } from '../plan.js';
import { CompileError } from '../compile.js';
import type { StatusReport } from '../status.js';
import type { HaSnapshot } from '../ha/types.js';
import { DaemonConnection, DaemonError, DaemonGoneError } from './client.js';
import type { DaemonInfo } from './protocol.js';

export class DaemonPort implements EnginePort {
  readonly mode = 'daemon' as const;

  private constructor(
    private readonly conn: DaemonConnection,
    readonly info: DaemonInfo,
  ) {}

  /** The daemon of `stateDir`, or null when none answers `hello` within `timeoutMs`. */
  static async connect(stateDir: string, timeoutMs = 2000): Promise<DaemonPort | null> {
    const conn = await DaemonConnection.connect(stateDir, timeoutMs);
    if (!conn) return null;
    try {
      const info = await conn.call<DaemonInfo>('hello', undefined, timeoutMs);
      return new DaemonPort(conn, info);
    } catch {
      conn.close();
      return null;
    }
  }

  async hello(): Promise<EngineHello> {
    const i = await this.ask<DaemonInfo>('hello');
    return { mode: 'daemon', pid: i.pid, startedAt: i.startedAt, uptimeMs: i.uptimeMs, runningRevision: i.runningRevision, inSync: i.inSync };
  }

  table(opts?: ReadOptions): Promise<IpvsTableEntry[]> {
    return this.ask('table', opts?.counters === false ? { counters: false } : undefined);
  }

  dataplaneInfo(): Promise<DataplaneSummary> {
    return this.ask('dataplaneInfo');
  }

  async owned(): Promise<string[]> {
    return this.ask('owned');
  }

  planDisable(config: Config | null): Promise<Plan> {
    return this.ask('planDisable', { config });
  }

  disable(config: Config | null): Promise<ApplyResult> {
    return this.ask('disable', { config });
  }

  status(config: Config | null): Promise<StatusReport> {
    return this.ask('status', { config });
  }

  syncView(config: Config | null, opts: SyncViewOptions = {}): Promise<SyncView> {
    return this.ask('syncView', { config, table: opts.table === true, ...(opts.counters === false ? { counters: false } : {}) });
  }

  plan(config: Config, opts: { adopt?: boolean } = {}): Promise<Plan> {
    return this.ask('plan', { config, adopt: opts.adopt === true });
  }

  async commit(job: HostCommitJob, identity: AuditIdentity): Promise<CommitTransactionOutcome> {
    // onKernelPending is the in-process caller's: the daemon enforces confirm deadlines itself.
    const { baseConfig, onKernelPending: _local, ...whole } = job;
    // The difference from the base revision, when the caller has it: a one-weight change at 10,000 services is a
    // few hundred bytes instead of 10 MB to encode, send and decode. The daemon rebuilds the same candidate.
    const delta = baseConfig ? configDelta(baseConfig, job.candidate) : null;
    try {
      if (delta) {
        const { candidate: _whole, ...rest } = whole;
        try {
          return await this.ask('commit', { job: { ...rest, delta }, identity });
        } catch (e) {
          if (!(e instanceof DaemonError && e.type === 'delta-base')) throw e;
        }
      }
      return await this.ask('commit', { job: whole, identity });
    } catch (e) {
      if (e instanceof DaemonError && e.type === 'refused')
        throw new CommitRefusedError(e.wire.refusal as Refusal, e.message, e.wire.auditError ?? null);
      if (e instanceof DaemonGoneError)
        throw new DaemonGoneError(
          `the daemon (pid ${this.info.pid}) went away during the commit (${e.message}); whether revision ${job.base + 1} was recorded is not known here: ` +
            `when the daemon is back it makes the kernel match the running revision ('show system commit' shows it)`,
        );
      throw e;
    }
  }

  /** The daemon's HA picture; null when it runs no watcher (or is older than the `ha` request). */
  async ha(): Promise<HaSnapshot | null> {
    try {
      return await this.ask<HaSnapshot | null>('ha');
    } catch (e) {
      if (e instanceof DaemonError && e.type === 'unknown-method') return null;
      throw e;
    }
  }

  /** One request; the daemon's CompileError comes back as one, so callers handle both engines alike. */
  private async ask<T>(method: string, params?: unknown): Promise<T> {
    try {
      return await this.conn.call<T>(method, params);
    } catch (e) {
      if (e instanceof DaemonError && e.type === 'compile') throw new CompileError(e.wire.problems ?? [e.message]);
      throw e;
    }
  }

  async close(): Promise<void> {
    this.conn.close();
  }
}
