// What the shell's modes need from the running system: the one small interface between modes/ and the engine
// (DESIGN.md: `modes → engine` through one small interface). Two hosts implement it: the in-process lab
// (shell/session-lab.ts) and, later, the daemon client. Issue 6 adds commit, rollback and sessions here.
import type { Config } from '../config/model.js';
import type { DataplaneSummary, EngineHello, IpvsTableEntry, ReadOptions, SyncView, SyncViewOptions } from '../engine/host.js';
import type { CommandOutput, ModeContext } from './types.js';
import type { HealthReport, ManualHealthRequest, ManualHealthResult } from '../present/health.js';
import type { HaSnapshot } from '../engine/host.js';
import type { DrainRequest, DrainResult, DrainRow } from '../present/drain.js';

export interface RevisionInfo {
  number: number;
  /** ISO-8601 time of the commit. */
  time?: string;
  user?: string;
  comment?: string;
}

export interface ShellBackend {
  /** The running configuration (defaults filled in). */
  running(): Config;
  /** Its revision number in the store (0 = the default configuration, nothing committed yet). */
  runningRevision(): number;
  /** The IPVS table the engine programs (the kernel, or the in-memory one under --lab), read now. */
  table(opts?: ReadOptions): Promise<IpvsTableEntry[]>;
  /**
   * The running configuration against the dataplane, per service and destination, from one read (with the table
   * of that read when asked), and what a killed or unconfirmed change left unsettled (`warnings`, already in
   * words). Absent: this host cannot tell (unit-test backends).
   */
  sync?(opts?: SyncViewOptions): Promise<SyncView & { warnings: string[] }>;
  /** The dataplane's kind and version (`show version`). */
  dataplaneInfo(): Promise<DataplaneSummary>;
  /** Which engine answers (daemon or this process), since when, the running revision, in sync or not. */
  engineStatus(): Promise<EngineHello>;
  /** lbctl version string. */
  readonly version: string;
  /** True when a daemon hosts the engine; false when the engine runs inside this shell process. */
  readonly daemonAttached: boolean;
  /**
   * The line above the prompt without braces (`master`, `backup`, `master,split-brain`, `unknown`), from the last
   * HA picture this backend saw; null when there is none to show (source none, no watcher).
   */
  role(): string | null;
  /**
   * The HA watcher's picture (`show vrrp`, and the role line, polled while the shell waits for input): the
   * daemon's, or the one this process runs; null when nothing watches here. Absent: this host has none to ask.
   */
  ha?(): Promise<HaSnapshot | null>;
  /** The system host name (the prompt when the configuration names no node). */
  systemHostname(): string;
  /** Revisions for `?` on revision numbers (issue 6 fills this in; may be empty). */
  revisions?(): RevisionInfo[];
  /**
   * Re-read the running configuration if another process committed (called before each command). `committed`:
   * this session's own commit just became revision `revision` with exactly `config`, which is then taken as the
   * running configuration when it still is, instead of reading back what was just written.
   */
  refresh?(committed?: { revision: number; config: Config }): void;
  /** The configuration of revision current−N (`show | compare rollback N`), null when it does not exist. */
  revisionConfig?(relative: number): Config | null;
  /** Messages for the operator from opening the backend (e.g. an expired `commit confirmed` rolled back). */
  startupNotices?(): string[];
  /**
   * The daemon's health checks (`show health`); null when no daemon runs, so no checks run (a shell never
   * probes). Absent: this host has no daemon to ask.
   */
  health?(service?: string): Promise<HealthReport | null>;
  /** Lab: set a backend's verdict by hand through the daemon; null when no daemon runs. */
  setHealth?(req: ManualHealthRequest): Promise<ManualHealthResult | null>;
  /** Drain a backend for maintenance, or resume it: the daemon's engine, else this process's. */
  drain?(req: DrainRequest): Promise<DrainResult>;
  /** The drains in force with their active connections now (advanced first). */
  drains?(service?: string): Promise<DrainRow[]>;
  /** The commit workflow (issue 6); absent in hosts without a revision store (unit-test backends). */
  commit?: CommitPort;
  close(): Promise<void>;
}

export type CandidateKind = 'shared' | 'private' | 'exclusive';

export interface CommitRequest {
  check?: boolean;
  /** `commit full`: read the whole kernel table first (a daemon plans from its cache otherwise). */
  full?: boolean;
  comment?: string;
  /** `commit confirmed [N]`. */
  confirmMinutes?: number;
  andQuit?: boolean;
  /** `commit and-others`: a script commits other sessions' changes of the shared candidate too. */
  andOthers?: boolean;
}

/**
 * What the commit workflow does for the modes (shell/commit-workflow.ts implements it). Each call returns what
 * the command prints; refusals are thrown as CommandError.
 */
export interface CommitPort {
  /** Around every command: load the shared candidate before, save it (and tell the registry) after. */
  beforeCommand(ctx: ModeContext): Promise<void>;
  afterCommand(ctx: ModeContext): Promise<void>;
  /** While the shell waits for input (polled): notices that must not wait for the next command. */
  whileIdle?(ctx: ModeContext): void;
  /** This session has uncommitted changes (in the shared candidate: items this session changed). */
  dirty(ctx: ModeContext): boolean;
  enterConfigure(ctx: ModeContext, kind: CandidateKind): Promise<CommandOutput>;
  /**
   * Leaves configuration mode (releases the exclusive lock, unregisters the session); a shared candidate stays,
   * and the returned note lists the uncommitted changes it keeps.
   */
  leaveConfigure(ctx: ModeContext): Promise<string | void>;
  /** A script stopped on an error: take this session's changes out of the shared candidate; lines to print. */
  abandon(ctx: ModeContext): Promise<string[]>;
  /** `rollback session ID`: take one session's changes out of the shared candidate. */
  rollbackSession(ctx: ModeContext, session: string): CommandOutput;
  /** Sessions with changes in the shared candidate (completion of `rollback session`). */
  sharedEditors(): { value: string; help: string }[];
  commit(ctx: ModeContext, req: CommitRequest): Promise<CommandOutput>;
  /** `abort`: discard the candidate (audited) and leave configuration mode. */
  abort(ctx: ModeContext): Promise<CommandOutput>;
  /** Configure-mode `rollback [N]`: load revision current−N into the candidate. */
  loadRollback(ctx: ModeContext, n: number): Promise<CommandOutput>;
  /** Exec `rollback N`: the diff and a [yes/no] question that commits it. */
  execRollback(ctx: ModeContext, n: number): Promise<CommandOutput>;
  update(ctx: ModeContext): Promise<CommandOutput>;
  load(ctx: ModeContext, how: 'merge' | 'override', file: string): Promise<CommandOutput>;
  commitList(): CommandOutput;
  commitChanges(n: number): CommandOutput;
  sessions(ctx: ModeContext): CommandOutput;
  audit(last?: number, detail?: boolean): CommandOutput;
  close(): Promise<void>;
}
