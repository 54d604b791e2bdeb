// Hosts for the session's ShellBackend. With no daemon attached (all of issue 5), the engine's view lives in
// this process: the running configuration from the revision store (or the files when the store cannot be
// opened, e.g. a non-root user on /var/lib/lbctl), and the dataplane: the lab's persisted in-memory IPVS under
// --lab, else the kernel, opened on first use so a shell starts even where IPVS is missing.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/model.js';
import { defaultConfig } from '../config/defaults.js';
import { loadConfig } from '../config/load.js';
import { freezeConfig, openStore, type Store } from '../store/store.js';
import { changedIndexesInPlace } from '../config/delta.js';
import { InvalidConfigFilesError } from '../store/store-types.js';
import { formatConfigError } from '../config/errors.js';
import { escapeControls } from '../present/visible.js';
import { systemNodeName } from '../present/first-lines.js';
import type { Dataplane } from '../engine/host.js';
import { emptyMemoryDataplane } from '../engine/host-dataplane.js';
import { lbctlVersion } from '../engine/version.js';
import { missingConfiguration, type Context } from '../config/context.js';
import { ensureLab } from '../config/lab.js';
import { connectEngine } from '../engine/connect.js';
import { describeInVoice } from '../present/refusals.js';
import { unsettledWarnings } from '../present/status.js';
import { unsettledChanges } from '../store/unsettled.js';
import type { ShellBackend } from '../modes/backend.js';
import { operatorIdentity, type OperatorIdentity } from '../config/identity.js';
import { CommitWorkflow } from './commit-workflow.js';
import { daemonHealth, setDaemonHealth } from '../engine/daemon/health-client.js';
import { drainBackend } from './drain-backend.js';
import { daemonHa } from '../engine/daemon/ha-client.js';
import { DaemonGoneError } from '../engine/daemon/client.js';
import type { HaSnapshot } from '../engine/host.js';
import type { HaWatcherLike } from '../engine/ha/types.js';
import type { Ha } from '../config/model.js';
import { isDeepStrictEqual } from 'node:util';

export type { ShellBackend } from '../modes/backend.js';

/** A fixed configuration and an in-memory table: unit tests, benchmarks, and anything without a store. */
export function createStaticBackend(opts: {
  config?: Config;
  revision?: number;
  dataplane?: Dataplane;
  hostname?: string;
  role?: string | null;
  daemonAttached?: boolean;
  /** The HA picture `show vrrp` and the role line ask for (absent: this backend has none to ask). */
  ha?: () => Promise<HaSnapshot | null>;
}): ShellBackend & { setRunning(config: Config, revision?: number): void } {
  let running = opts.config ?? defaultConfig();
  let revision = opts.revision ?? 0;
  const dp = opts.dataplane ?? emptyMemoryDataplane();
  const started = new Date();
  return {
    running: () => running,
    runningRevision: () => revision,
    table: (opts) => dp.readAll(opts),
    dataplaneInfo: async () => ({ kind: dp.kind, ...(await dp.info()) }),
    engineStatus: async () => ({
      mode: opts.daemonAttached ? 'daemon' : 'in-process',
      pid: process.pid,
      startedAt: started.toISOString(),
      uptimeMs: Date.now() - started.getTime(),
      runningRevision: revision,
      inSync: null,
    }),
    version: safeVersion(),
    daemonAttached: opts.daemonAttached ?? false,
    role: () => opts.role ?? null,
    ...(opts.ha ? { ha: opts.ha } : {}),
    systemHostname: () => opts.hostname ?? 'lbctl',
    setRunning(config, rev) {
      running = config;
      if (rev !== undefined) revision = rev;
    },
    close: async () => {
      await dp.close();
    },
  };
}

export interface ContextBackendExtras {
  /** The operator (default: operatorIdentity()). */
  identity?: OperatorIdentity;
  /** The in-process engine's dataplane (default: the lab table or the kernel). Tests inject faults. */
  openDataplane?: () => Promise<Dataplane>;
  /** false: never use a daemon, even when one answers (tests that compare both engines). */
  daemon?: boolean;
  /** Start the commit-confirmed guard (default ensureConfirmGuard). */
  ensureGuard?: () => void;
  /** The terminal face (true) or line mode (false, the default): see WorkflowOptions.interactive. */
  interactive?: boolean;
  /** The watcher this shell runs for display when no daemon answers (default: the real one). */
  haWatcher?: (ha: Ha) => HaWatcherLike | Promise<HaWatcherLike>;
}

/**
 * A watcher of the shell's own, so `show vrrp` and the role line work without a daemon (display only: with no
 * daemon nothing follows VRRP into IPVS, and `show vrrp` says what it sees). Started on first use, follows the
 * running `ha` section, stopped when a daemon appears or the shell ends.
 */
class LocalHaWatcher {
  private watcher: HaWatcherLike | null = null;
  private ha: Ha | null = null;

  /** One call at a time: the role poll and a `show vrrp` must not start two watchers. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly create: (ha: Ha) => HaWatcherLike | Promise<HaWatcherLike>) {}

  snapshot(ha: Ha | undefined): Promise<HaSnapshot | null> {
    const next = this.chain.then(() => this.snapshotNow(ha));
    this.chain = next.catch(() => {});
    return next;
  }

  private async snapshotNow(ha: Ha | undefined): Promise<HaSnapshot | null> {
    if (!ha || ha.source === 'none') {
      await this.stop();
      return ha ? { source: 'none', program: ha.program, instances: [], summary: 'none' } : null;
    }
    if (!this.watcher) {
      const w = await this.create(ha);
      await w.start();
      this.watcher = w;
      this.ha = ha;
    } else if (!isDeepStrictEqual(ha, this.ha)) {
      this.ha = ha;
      await this.watcher.update(ha);
    }
    return this.watcher.snapshot();
  }

  async stop(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    this.ha = null;
    await w?.stop().catch(() => {});
  }
}

/** The backend for `lbctl shell` in this context (lab or system paths), with its commit workflow. */
export async function createContextBackend(
  ctx: Context,
  env: NodeJS.ProcessEnv = process.env,
  extras: ContextBackendExtras = {},
): Promise<ShellBackend> {
  if (ctx.lab) await ensureLab(ctx);
  let store: Store | null = null;
  let storeError: string | undefined;
  let running: Config = defaultConfig();
  let revision = 0;
  // No configuration directory: say so, and write nothing (not even a first revision of the defaults). Creating
  // one is an operator's decision: `lbctl init`.
  const missing = missingConfiguration(ctx);
  try {
    if (missing) throw new MissingConfigurationError(missing.why);
    // keepRunning: a shell lives for many commands; the running revision is parsed once per revision, not at
    // every look (at 10,000 services a revision is a 6 MB checkpoint plus its difference).
    store = await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath, keepRunning: true });
    const r = store.running();
    running = r.config;
    revision = r.number;
  } catch (e) {
    storeError = storeOpenError(e);
    store = null;
    // A user who may read but not write the state directory (read-only operators) still sees the history.
    try {
      if (!hasRevisions(ctx.stateDir)) throw new Error('no revisions'); // a read-only open of nothing: defaults
      store = await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath, readOnly: true, keepRunning: true });
      const r = store.running();
      running = r.config;
      revision = r.number;
    } catch {
      store = null;
    }
  }
  if (!store) {
    // No store (permissions, first use without a state dir): read the files, revision unknown (0).
    try {
      const loaded = loadConfig(ctx.configPath);
      if (loaded.config) running = loaded.config;
    } catch {
      /* no configuration at all: the defaults */
    }
  }
  let lastSignature: string | null = storeSignature(ctx.stateDir);
  const engine = await connectEngine({
    stateDir: ctx.stateDir,
    lab: ctx.lab,
    store,
    describe: describeInVoice,
    ...(extras.openDataplane ? { openDataplane: extras.openDataplane } : {}),
    ...(extras.daemon === false ? { daemon: false } : {}),
  });
  const startupNotices = store && !missing ? await enforceConfirmAtStart(store, ctx, extras.ensureGuard) : [];
  // No store at all and no configuration that loads: what the shell shows are the defaults, which must be said.
  if (!store && !missing && storeError) startupNotices.unshift(`% Showing the defaults: ${storeError}.`);
  if (missing) startupNotices.unshift(`% ${capitalised(missing.why)}: showing the defaults. ${capitalised(missing.hint)}.`);
  const identity = extras.identity ?? operatorIdentity({ env });
  // The watcher and its FRR/keepalived drivers, the confirm guard and the rollback are loaded when first needed:
  // most sessions never need them, and every module loaded here delays the first prompt (docs/output.md).
  const local = new LocalHaWatcher(extras.haWatcher ?? (async (ha) => new (await import('../engine/ha/watcher.js')).HaWatcher(ha)));
  const backend: ShellBackend = {
    running: () => running,
    runningRevision: () => revision,
    table: (opts) => engine.table(opts),
    // A daemon judges against its own running revision (no configuration crosses the socket); in this process,
    // against the revision this shell shows.
    sync: async (opts) => ({
      ...(await engine.syncView(engine.mode === 'daemon' ? null : running, opts)),
      warnings: unsettledWarnings(unsettledChanges(ctx.stateDir)),
    }),
    dataplaneInfo: () => engine.dataplaneInfo(),
    engineStatus: () => engine.hello(),
    version: safeVersion(),
    daemonAttached: engine.mode === 'daemon',
    role: () => null,
    // The daemon's watcher (over the engine's connection, else a new one: a daemon started or restarted since);
    // with no daemon, a watcher of this shell's own, for display only (it programs nothing).
    ha: async () => {
      if (engine.mode === 'daemon') {
        try {
          return await engine.ha();
        } catch (e) {
          if (!(e instanceof DaemonGoneError)) throw e;
        }
      }
      const fromDaemon = await daemonHa(ctx.stateDir);
      if (fromDaemon) {
        await local.stop();
        return fromDaemon;
      }
      return local.snapshot(running.ha);
    },
    systemHostname: systemNodeName,
    startupNotices: () => startupNotices,
    refresh(committed) {
      if (!store) return;
      // Reading the running revision costs tens of ms with 10,000 services: only when the store's directories
      // changed (a commit adds a revision file and renames its intent record in the state directory).
      const signature = storeSignature(ctx.stateDir);
      if (signature !== null && signature === lastSignature) return;
      lastSignature = signature;
      // This session's own commit of a change in place (the same services in the same order, some replaced: a
      // weight, a backend): the revision holds exactly the candidate it sent (the store keeps a candidate changed
      // in place as it is; a daemon rebuilds the same list from the difference), so it need not be read back; at
      // 10,000 services every 16th revision is a whole 6 MB file. A commit that adds, removes or moves services is
      // read back: the store records services in the order of their files. Taken only while that revision is
      // still the running one after the signature was taken: a commit by anyone else changes the signature, and
      // the next command reads it.
      try {
        if (
          committed &&
          committed.revision === revision + 1 &&
          changedIndexesInPlace(running.services, committed.config.services) !== null &&
          store.runningNumber() === committed.revision
        ) {
          running = freezeConfig(committed.config);
          revision = committed.revision;
          return;
        }
      } catch {
        /* read it below */
      }
      try {
        const r = store.running();
        if (r.number !== revision) {
          running = r.config;
          revision = r.number;
        }
      } catch {
        /* keep what we have */
      }
    },
    revisions: () => (store ? store.list().map((r) => ({ number: r.number, time: r.time, user: r.user, comment: r.comment })) : []),
    revisionConfig: (n: number) => (store ? (store.getRelative(n)?.config ?? null) : null),
    // Health lives in the daemon only: each request asks it anew (one started after this shell is found).
    health: (service?: string) => daemonHealth(ctx.stateDir, service),
    setHealth: (req) => setDaemonHealth(ctx.stateDir, req),
    ...drainBackend(ctx.stateDir, engine, identity),
    close: async () => {
      await local.stop();
      await engine.close();
    },
  };
  backend.commit = new CommitWorkflow({
    stateDir: ctx.stateDir,
    configPath: ctx.configPath,
    lab: ctx.lab,
    store,
    ...(storeError ? { storeError } : {}),
    ...(missing ? { noConfiguration: `${missing.why}. ${capitalised(missing.hint)}` } : {}),
    backend,
    identity,
    engine,
    ...(extras.ensureGuard ? { ensureGuard: extras.ensureGuard } : {}),
    interactive: extras.interactive === true,
  });
  return backend;
}

/**
 * A pending `commit confirmed` must be enforced even when its shell died: a deadline that passed while nobody
 * watched was rolled back by openStore (re-apply the kernel here); one still running gets a guard if it has none.
 */
async function enforceConfirmAtStart(store: Store, ctx: Context, ensureGuard?: () => void): Promise<string[]> {
  const notices: string[] = [];
  const expired = store.openReport.expiredConfirm;
  if (expired) {
    // The operator must learn both that his change is gone and whether the kernel followed (it is audited too).
    const { reapplyAfterExpiry } = await import('../engine/confirm-rollback.js');
    const kernel = await reapplyAfterExpiry(expired, { stateDir: ctx.stateDir, lab: ctx.lab }).catch((e: Error) => ({
      ok: false,
      applied: [],
      failed: e.message,
    }));
    const by = expired.expired.user;
    notices.push(`% Commit of revision ${expired.replaced.number} by ${by} was not confirmed; automatic rollback complete (revision ${store.running().number}).`);
    if (kernel && !kernel.ok) {
      notices.push(`% WARNING: the kernel could not be set back: ${kernel.failed ?? 'unknown error'}; run 'lbctl status' and 'lbctl apply'.`);
    }
  }
  if (store.pendingConfirm()) {
    try {
      if (ensureGuard) ensureGuard();
      else (await import('../engine/confirm-guard.js')).ensureConfirmGuard({ stateDir: ctx.stateDir, configPath: ctx.configPath, lab: ctx.lab });
    } catch {
      /* the next process tries again */
    }
  }
  return notices;
}



/** Modification times of the state directory and its revisions/ (null when they cannot be read). */
function storeSignature(stateDir: string): string | null {
  try {
    return `${statSync(stateDir).mtimeMs}|${statSync(join(stateDir, 'revisions')).mtimeMs}`;
  } catch {
    return null;
  }
}

function safeVersion(): string {
  try {
    return lbctlVersion();
  } catch {
    return 'unknown';
  }
}
export { createContextBackend as createLabBackend };

class MissingConfigurationError extends Error {}

/** Why the store could not be opened writable, in one line (shown when configuring and at start-up). */
function storeOpenError(e: unknown): string {
  if (e instanceof MissingConfigurationError) return e.message;
  if (e instanceof InvalidConfigFilesError && e.errors.length > 0) {
    const more = e.errors.length > 1 ? ` (and ${e.errors.length - 1} more)` : '';
    return `the configuration does not load: ${escapeControls(formatConfigError(e.errors[0]))}${more}; 'lbctl validate' lists every error`;
  }
  return `the revision store cannot be opened: ${escapeControls((e as Error).message.split('\n')[0])}`;
}

/** Whether the store has recorded anything yet (a read-only open of an empty state directory shows nothing). */
function hasRevisions(stateDir: string): boolean {
  try {
    return readdirSync(join(stateDir, 'revisions')).some((f) => f.endsWith('.json'));
  } catch {
    return false;
  }
}

const capitalised = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
