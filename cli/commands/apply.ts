// `lbctl apply`: make the kernel's IPVS table match the configuration files, all or nothing, and record the
// files as a revision (origin `file`). `--dry-run` prints the plan and changes nothing.
//
// The apply is the same commit transaction as the shell's `commit` (engine/commit-transaction.ts): under the same
// lock, refused BEFORE the kernel is touched when another session holds `configure exclusive` or the running
// revision moved, and the revision recorded is exactly the configuration that was loaded and applied (never a
// second read of the files: an edit made meanwhile stays a hand edit, seen by the next apply or commit).
import { isDeepStrictEqual } from 'node:util';
import type { CliCommand, CliIO } from '../command.js';
import { UserError } from '../command.js';
import { resolveContext, type Context } from '../../config/context.js';
import { ensureLab, openContextDataplane, reportMissingConfiguration } from '../lab.js';
import { recordedUser, operatorIdentity } from '../../config/identity.js';
import { parseCommandArgs, reportErrors } from './validate.js';
import { CompileError } from '../../engine/compile.js';
import { CommitRefusedError, type CommitTransactionOutcome } from '../../engine/commit-transaction.js';
import { inProcessHost } from '../../engine/connect.js';
import { DaemonPort } from '../../engine/daemon/port.js';
import type { EnginePort } from '../../engine/host.js';
import type { Plan } from '../../engine/plan.js';
import { formatPlan } from '../../present/plan.js';
import type { ApplyResult } from '../../engine/engine.js';
import { describeInVoice } from '../../present/refusals.js';
import type { Config } from '../../config/model.js';
import { loadConfig, type LoadedFile } from '../../config/load.js';
import { fingerprintFiles, locateConfig } from '../../store/store-files.js';
import { openStore, type Store, type StoreOptions } from '../../store/store.js';
import type { Dataplane } from '../../netlink/dataplane.js';

const USAGE = `usage: lbctl apply [--dry-run] [--adopt] [--config DIR|FILE] [--state-dir DIR] [--lab]

Makes the kernel's IPVS table match the configuration files: computes the difference against the table (one
read), applies exactly that, all or nothing (if the kernel refuses an operation, what was already applied is
undone and the kernel is left as it was), then records the files as a new revision (origin "file").
Services lbctl does not own (Docker's, kube-proxy's, a human's) are never touched; they are listed as foreign.

Like a shell commit, it takes the commit lock and is refused before the kernel is touched while another session
holds "configure exclusive" (the holder is named). The revision recorded is the configuration that was applied.

Plan lines:  + add   ~ change   - remove

Options:
  --dry-run           print the plan only; change nothing
  --adopt             take over kernel services that are not lbctl's but whose identity (address, protocol,
                      port or fwmark) a configured service declares; without it such a clash refuses the apply
  --config DIR|FILE   configuration (default /etc/lbctl, env LBCTL_CONFIG)
  --state-dir DIR     revision store and ownership record (default /var/lib/lbctl, env LBCTL_STATE_DIR)
  --lab               in-memory IPVS kept in the state directory; config and state under ~/.lbctl-lab

Exit status: 0 applied (or nothing to do), 1 invalid configuration, refused (exclusive lock, a commit in
between) or the kernel refused (kernel restored), 2 bad usage.
`;

function printResult(r: ApplyResult, io: CliIO): void {
  const ms = r.durations.totalMs.toFixed(1);
  const n = r.applied.length;
  io.stdout(n ? `applied ${n} operation${n === 1 ? '' : 's'} in ${ms} ms (${r.messagesSent} netlink messages)\n` : 'no changes: the kernel already matches the configuration\n');
  if (r.racesResolved) io.stdout(`note: ${r.racesResolved} object(s) changed by someone else meanwhile were re-read and adjusted\n`);
}

/** The configuration and the fingerprints of exactly the bytes it was loaded from (retried if a file changes meanwhile). */
export interface LoadedFiles {
  config: Config;
  fingerprints: Record<string, string>;
  /** The files read (their data names the services of each): the store's first use records them as they are. */
  files?: LoadedFile[];
}

export function loadFilesSnapshot(configPath: string, io: CliIO): LoadedFiles | null {
  const loc = locateConfig(configPath);
  for (let attempt = 0; ; attempt++) {
    const before = fingerprintFiles(loc);
    const result = loadConfig(configPath);
    if (!result.config || result.errors.length) {
      reportErrors(result, configPath, io);
      return null;
    }
    const after = fingerprintFiles(loc);
    if (isDeepStrictEqual(before, after)) return { config: result.config, fingerprints: after, files: result.files };
    if (attempt >= 4) throw new UserError(`the configuration files keep changing while being read (${configPath}); try again`);
  }
}

/** Test hooks: the dataplane an in-process apply uses (default: the context's); `daemon: false` skips the daemon. */
export interface ApplyHooks {
  openDataplane?: () => Promise<Dataplane>;
  daemon?: boolean;
}

/** The apply itself (exported so that tests can run it in-process with hooks). */
export async function runApply(ctx: Context, io: CliIO, opts: { dryRun?: boolean; adopt?: boolean } & ApplyHooks = {}): Promise<number> {
  if (reportMissingConfiguration(ctx, io)) return 1;
  let loaded = loadFilesSnapshot(ctx.configPath, io);
  if (!loaded) return 1;
  // What was loaded from the files, for the store's first use (below): kept no longer than that.
  let justLoaded: StoreOptions['loadedFiles'] = loaded.files ? { config: loaded.config, fingerprints: loaded.fingerprints, files: loaded.files } : undefined;
  loaded = { config: loaded.config, fingerprints: loaded.fingerprints };
  const openDataplane = opts.openDataplane ?? (() => openContextDataplane(ctx));
  const daemon = opts.daemon === false ? null : await DaemonPort.connect(ctx.stateDir);
  if (daemon || opts.dryRun) justLoaded = undefined; // no store opened here

  if (opts.dryRun) {
    const port = daemon ?? inProcessHost({ stateDir: ctx.stateDir, lab: ctx.lab, store: null, describe: describeInVoice, openDataplane });
    try {
      io.stdout(formatPlan(await planOrExplain(port, loaded.config, opts.adopt === true)));
      io.stdout('dry run: nothing applied\n');
      return 0;
    } finally {
      await port.close();
    }
  }

  let port: EnginePort;
  let runningRevision: () => Promise<number>;
  if (daemon) {
    port = daemon;
    runningRevision = async () => (await daemon.hello()).runningRevision;
  } else {
    // Before the store is opened (which may create the state directory): a host without IPVS says so at once.
    await (await openDataplane()).close();
    let store: Store;
    try {
      // On first use the store records the files as revision 1: from what was just loaded, not a second load.
      store = await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath, loadedFiles: justLoaded });
    } catch (e) {
      io.stderr(`lbctl: the revision store cannot be opened: ${(e as Error).message}; nothing applied\n`);
      return 1;
    }
    justLoaded = undefined;
    port = inProcessHost({ stateDir: ctx.stateDir, lab: ctx.lab, store, describe: describeInVoice, openDataplane });
    // The number alone: running() would read and decode the whole revision file for it (this store keeps nothing).
    runningRevision = async () => store.runningNumber();
  }
  try {
    // The base revision is read after the files were loaded: a shell commit that rewrote the files in between would
    // otherwise be overwritten by the older files under a base that already includes it. If the files changed since
    // they were loaded, load them again (the compare-and-swap catches any commit after this point).
    const base = await runningRevision();
    if (!isDeepStrictEqual(fingerprintFiles(locateConfig(ctx.configPath)), loaded.fingerprints)) {
      loaded = loadFilesSnapshot(ctx.configPath, io);
      if (!loaded) return 1;
    }
    const identity = operatorIdentity({ env: io.env });
    let tx: CommitTransactionOutcome;
    try {
      tx = await port.commit(
        {
          candidate: loaded.config,
          base,
          action: 'apply',
          comment: 'lbctl apply',
          record: { how: 'file', meta: { comment: 'lbctl apply' }, fingerprints: loaded.fingerprints },
          applyWhenUnchanged: true,
          adopt: opts.adopt === true,
          voice: 'apply',
        },
        { user: recordedUser(identity), uid: identity.uid, ...(identity.sudoUser ? { sudoUser: identity.sudoUser } : {}) },
      );
    } catch (e) {
      if (!(e instanceof CommitRefusedError)) throw e;
      // The kernel was touched (and put back): show the plan that was tried, before saying why it was undone.
      const tried = e.refusal.kind === 'kernel' || e.refusal.kind === 'store' ? e.refusal.result : undefined;
      if (tried) io.stdout(formatPlan(tried.plan));
      for (const line of e.message.split('\n')) io.stderr(`lbctl: ${line}\n`);
      if (e.auditError) io.stderr(`lbctl: warning: the audit record could not be written: ${e.auditError}\n`);
      return 1;
    }
    if (tx.kind === 'check') return 0; // not asked for by apply
    if (tx.result) {
      io.stdout(formatPlan(tx.result.plan));
      printResult(tx.result, io);
    }
    if (tx.kind === 'committed') io.stdout(`recorded revision ${tx.after} (origin file)\n`);
    else io.stdout(`running revision ${tx.before} already holds these files\n`);
    if (tx.auditError) io.stderr(`lbctl: warning: the audit record could not be written: ${tx.auditError}\n`);
    return 0;
  } finally {
    await port.close();
  }
}

async function planOrExplain(port: EnginePort, config: Config, adopt: boolean): Promise<Plan> {
  try {
    return await port.plan(config, { adopt });
  } catch (e) {
    if (e instanceof CompileError || (e as Error).name === 'CompileError') throw new UserError(`cannot program this configuration: ${(e as Error).message}`);
    throw e;
  }
}

const apply: CliCommand = {
  name: 'apply',
  summary: "make the kernel's IPVS table match the configuration files (all or nothing)",
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('apply', argv, { 'dry-run': { type: 'boolean' }, adopt: { type: 'boolean' } }, 0);
    const ctx = resolveContext(values, io.env);
    const note = await ensureLab(ctx);
    if (note) io.stderr(note + '\n');
    return runApply(ctx, io, { dryRun: values['dry-run'] === true, adopt: values.adopt === true });
  },
};

export default apply;
