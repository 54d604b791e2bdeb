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
import { resolveContext, type Context } from '../context.js';
import { ensureLab, openContextDataplane, startCommandEngine } from '../lab.js';
import { recordedUser, operatorIdentity } from '../identity.js';
import { parseCommandArgs, reportErrors } from './validate.js';
import { CompileError } from '../../engine/compile.js';
import { CommitRefusedError, runCommitTransaction, type CommitTransactionOutcome, type Refusal } from '../../engine/commit-transaction.js';
import { describeFailure } from '../../engine/explain.js';
import { formatPlan, type Plan } from '../../engine/plan.js';
import type { Engine } from '../../engine/engine.js';
import type { ApplyResult } from '../../engine/engine.js';
import type { Config } from '../../config/model.js';
import { loadConfig } from '../../config/load.js';
import { fingerprintFiles, locateConfig } from '../../config/store-files.js';
import { staleBaseMessage } from '../../config/store-format.js';
import { openStore, type Store } from '../../config/store.js';
import { formatConfigError } from '../../config/errors.js';
import { exclusiveLockMessage } from '../../locks/exclusive-lock.js';
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

/** The lines `lbctl:` prints for a kernel refusal (the engine already undid what it had applied). */
function kernelFailureLines(r: ApplyResult): string[] {
  const out: string[] = [];
  // lbctl's own refusal (a declared service clashes with a foreign one) is not the kernel's: say it as it is.
  if (r.refused) out.push(r.refused);
  else if (r.failed) out.push(`the kernel refused: ${describeFailure(r.failed)}`);
  if (r.dataplaneError) out.push(`the dataplane failed: ${r.dataplaneError}`);
  if (r.rolledBack && r.restored && r.undoFailures.length === 0) out.push('every operation already applied was undone: the kernel is as it was');
  else if (r.rolledBack && r.restored) out.push('undo needed a full re-read, after which the kernel was restored');
  else if (r.rolledBack) out.push('WARNING: the kernel could not be fully restored; run `lbctl status` and `lbctl apply` again');
  return out;
}

/** `lbctl apply`'s words for each refusal of the commit transaction (printed after `lbctl: `, and audited). */
export function describeApplyRefusal(r: Refusal): string {
  const untouched = 'nothing applied: the kernel was not touched';
  switch (r.kind) {
    case 'lock':
      return `another commit is in progress: ${r.error.message}; ${untouched}`;
    case 'invalid':
      return [`the configuration does not validate; ${untouched}`, ...r.errors.map((e) => formatConfigError(e))].join('\n');
    case 'exclusive':
      return `${exclusiveLockMessage(r.holder)}; apply refused, ${untouched}`;
    case 'stale':
      return `the running configuration changed while the files were loaded (${staleBaseMessage(r.running, r.base, r.between)}); apply refused, ${untouched}; run it again`;
    case 'dataplane':
      return r.error.message.split('\n')[0];
    case 'compile':
      return `cannot program this configuration: ${r.error.message}`;
    case 'kernel':
      return kernelFailureLines(r.result).join('\n');
    case 'store': {
      const why = (r.error as Error)?.message ?? String(r.error);
      if (r.undone === undefined) return `recording the revision was refused: ${why}`;
      return r.undone
        ? `recording the revision was refused after the kernel was changed: ${why}; the kernel changes were undone (it runs the running revision again)`
        : `recording the revision was refused after the kernel was changed: ${why}; WARNING: the kernel changes could NOT be undone; run \`lbctl status\``;
    }
  }
}

/** The configuration and the fingerprints of exactly the bytes it was loaded from (retried if a file changes meanwhile). */
export interface LoadedFiles {
  config: Config;
  fingerprints: Record<string, string>;
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
    if (isDeepStrictEqual(before, after)) return { config: result.config, fingerprints: after };
    if (attempt >= 4) throw new UserError(`the configuration files keep changing while being read (${configPath}); try again`);
  }
}

/** Test hooks: the dataplane the transaction uses (default: the context's, opened under the commit lock). */
export interface ApplyHooks {
  openDataplane?: () => Promise<Dataplane>;
}

/** The apply itself (exported so that tests can run it in-process with hooks). */
export async function runApply(ctx: Context, io: CliIO, opts: { dryRun?: boolean; adopt?: boolean } & ApplyHooks = {}): Promise<number> {
  let loaded = loadFilesSnapshot(ctx.configPath, io);
  if (!loaded) return 1;
  const openDataplane = opts.openDataplane ?? (() => openContextDataplane(ctx));

  if (opts.dryRun) {
    const host = await startCommandEngine(ctx);
    try {
      io.stdout(formatPlan(planOrExplain(host.engine, loaded.config, opts.adopt === true)));
      io.stdout('dry run: nothing applied\n');
      return 0;
    } finally {
      await host.close();
    }
  }

  // Before the store is opened (which may create the state directory): a host without IPVS says so at once.
  await (await openDataplane()).close();

  let store: Store;
  try {
    store = await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath });
  } catch (e) {
    io.stderr(`lbctl: the revision store cannot be opened: ${(e as Error).message}; nothing applied\n`);
    return 1;
  }
  // The base revision is read after the files were loaded: a shell commit that rewrote the files in between would
  // otherwise be overwritten by the older files under a base that already includes it. If the files changed since
  // they were loaded, load them again (the compare-and-swap catches any commit after this point).
  const base = store.running().number;
  if (!isDeepStrictEqual(fingerprintFiles(locateConfig(ctx.configPath)), loaded.fingerprints)) {
    loaded = loadFilesSnapshot(ctx.configPath, io);
    if (!loaded) return 1;
  }
  const identity = operatorIdentity({ env: io.env });
  let tx: CommitTransactionOutcome;
  try {
    tx = await runCommitTransaction(
      {
        stateDir: ctx.stateDir,
        store,
        lab: ctx.lab,
        openDataplane,
        identity: { user: recordedUser(identity), uid: identity.uid, ...(identity.sudoUser ? { sudoUser: identity.sudoUser } : {}) },
      },
      {
        candidate: loaded.config,
        base,
        action: 'apply',
        comment: 'lbctl apply',
        record: { how: 'file', meta: { comment: 'lbctl apply' }, fingerprints: loaded.fingerprints },
        applyWhenUnchanged: true,
        adopt: opts.adopt === true,
        describe: describeApplyRefusal,
        onPlan: (plan) => io.stdout(formatPlan(plan)),
      },
    );
  } catch (e) {
    if (!(e instanceof CommitRefusedError)) throw e;
    for (const line of e.message.split('\n')) io.stderr(`lbctl: ${line}\n`);
    if (e.auditError) io.stderr(`lbctl: warning: the audit record could not be written: ${e.auditError}\n`);
    return 1;
  }
  if (tx.kind === 'check') return 0; // not asked for by apply
  if (tx.result) printResult(tx.result, io);
  if (tx.kind === 'committed') io.stdout(`recorded revision ${tx.after} (origin file)\n`);
  else io.stdout(`running revision ${tx.before} already holds these files\n`);
  if (tx.auditError) io.stderr(`lbctl: warning: the audit record could not be written: ${tx.auditError}\n`);
  return 0;
}

function planOrExplain(engine: Engine, config: Config, adopt: boolean): Plan {
  try {
    return engine.plan(config, undefined, { adopt });
  } catch (e) {
    if (e instanceof CompileError) throw new UserError(`cannot program this configuration: ${e.message}`);
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
