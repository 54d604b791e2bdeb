// `commit`, `commit check`, `commit confirmed N` (and the commit of an exec `rollback N`): one run of the commit
// transaction on the session's engine (engine/commit-transaction.ts, the one `lbctl apply` runs too: lock →
// checks → plan → kernel apply, all or nothing → store CAS on the base revision → undo if the store refuses →
// audit), and the lines the shell prints for its outcome. A refusal arrives already in the shell's words
// (present/refusals.ts) and is thrown as the command's error. The plan is printed folded as `lbctl apply` prints
// it (a port range is one block); the audit keeps every operation.
import type { Config } from '../../config/model.js';
import type { CommitMeta, Origin } from '../../store/store.js';
import { CommitRefusedError, type CommitTransactionOutcome } from '../../engine/commit-transaction.js';
import { ensureConfirmGuard } from '../../engine/confirm-guard.js';
import { recordedUser } from '../../config/identity.js';
import { CommandError, type CommandOutput, type ModeContext } from '../../modes/types.js';
import { clashLines, type PlanStep } from '../../engine/plan.js';
import { driftRepair, type DriftRepair } from '../../engine/drift-repair.js';
import type { ApplyResult } from '../../engine/engine.js';
import { compactLines } from '../../present/plan.js';
import { auditWarning, type WorkflowContext } from './context.js';

export interface CommitJob {
  candidate: Config;
  base: number;
  origin: Origin;
  comment?: string;
  check?: boolean;
  /** `commit full`: the whole kernel table is read before planning. */
  full?: boolean;
  confirmMinutes?: number;
  /** The audit action (commit, or rollback for exec `rollback N`). */
  action: 'commit' | 'rollback';
}

type Outcome<K extends CommitTransactionOutcome['kind']> = Extract<CommitTransactionOutcome, { kind: K }>;

export class CommitRunner {
  constructor(private readonly wf: WorkflowContext) {}

  /** One commit at a time per state directory, kernel apply and store write together (the engine's transaction). */
  async run(ctx: ModeContext, job: CommitJob): Promise<CommandOutput> {
    this.wf.requireStore();
    const { opts } = this.wf;
    // A store opened read-only (the state directory is not writable for this user) cannot take a commit.
    if (opts.storeError) throw new CommandError(`% Commit impossible: ${opts.storeError}.`);
    // The base revision's configuration, read once: the daemon is sent the difference from it, and the drift
    // repair is told from it after the commit.
    const base = this.baseConfig(job.base);
    let tx: CommitTransactionOutcome;
    try {
      tx = await opts.engine.commit(
        {
          candidate: job.candidate,
          base: job.base,
          action: job.action,
          ...(job.comment !== undefined ? { comment: job.comment } : {}),
          ...(job.check ? { check: true } : {}),
          ...(job.full ? { full: true } : {}),
          // What `commit check` lists is what `commit` applies: with the configuration unchanged, the drift repair.
          applyWhenUnchanged: true,
          record: { how: 'commit', meta: this.meta(job) },
          // A confirmed commit's guard starts before the kernel changes: if this shell dies anywhere after, the
          // guard is already there to roll the change back at the deadline (or finish what the kill left).
          ...(job.confirmMinutes !== undefined && !job.check ? { onKernelPending: () => this.startGuard() } : {}),
          voice: 'shell',
          // The store keeps the candidate as the new revision instead of copying 10,000 services: the session
          // never changes a candidate in place (every edit makes a new one, modes/edit.ts), and the store freezes it.
          handOver: true,
          ...base,
        },
        this.wf.auditIdentity(),
      );
    } catch (e) {
      if (e instanceof CommitRefusedError) throw new CommandError(e.auditError ? `${e.message}\n${auditWarning(e.auditError)}` : e.message);
      // The daemon died under the commit: not a bug of this shell, and the outcome is for the operator to check.
      if ((e as Error)?.name === 'DaemonGoneError') throw new CommandError(`% Commit outcome unknown: ${(e as Error).message}.`);
      throw e;
    }
    const warn = tx.auditError ? auditWarning(tx.auditError) : null;
    const drift = (steps: PlanStep[]) => (steps.length ? driftRepair(steps, base.baseConfig ?? null, job.candidate) : null);
    if (tx.kind === 'check') return { text: checkLines(tx, drift(tx.plan.steps), warn).join('\n') };
    if (tx.confirm) this.startGuard();
    const applied = tx.result?.ok ? tx.result.plan.steps : [];
    if (tx.kind === 'no-changes') return { text: noChangesLines(tx, drift(applied), warn).join('\n') };
    ctx.backend.refresh?.({ revision: tx.after, config: job.candidate });
    return { text: committedLines(tx, drift(applied), warn).join('\n') };
  }

  /**
   * The base revision's configuration as the store holds it, so that a daemon is sent only the difference: the
   * session's running configuration when that is the base (the usual case: no file to read back), else the store's.
   */
  private baseConfig(base: number): { baseConfig?: Config } {
    const { backend } = this.wf.opts;
    if (backend.runningRevision() === base) return { baseConfig: backend.running() };
    try {
      const config = this.wf.requireStore().get(base)?.config;
      return config ? { baseConfig: config } : {};
    } catch {
      return {}; // unreadable here: the whole candidate goes
    }
  }

  private meta(job: CommitJob): CommitMeta {
    const id = this.wf.opts.identity;
    return {
      origin: job.origin,
      user: recordedUser(id),
      uid: id.uid,
      ...(id.sudoUser ? { sudoUser: id.sudoUser } : {}),
      session: this.wf.sessionId,
      ...(job.comment !== undefined ? { comment: job.comment } : {}),
      ...(job.confirmMinutes !== undefined ? { confirmMinutes: job.confirmMinutes } : {}),
    };
  }

  private startGuard(): void {
    const { opts } = this.wf;
    try {
      if (opts.ensureGuard) opts.ensureGuard();
      else ensureConfirmGuard({ stateDir: opts.stateDir, configPath: opts.configPath, lab: opts.lab });
    } catch {
      /* the next lbctl process that opens the store enforces it (checked again at every start-up) */
    }
  }
}

/** The services a drift repair touches: `service web`, `services a, b, c, d, e and 3 more`. */
function repairedServices(d: DriftRepair): string {
  const shown = d.services.slice(0, 5).join(', ');
  const more = d.services.length > 5 ? ` and ${d.services.length - 5} more` : '';
  return `service${d.services.length === 1 ? '' : 's'} ${shown}${more}`;
}

/**
 * What of the operations repairs drift, said alike by `commit check` (`when: 'check'`) and `commit`: all of them
 * when the configuration is unchanged, else how many. Nothing when none does, or when they cannot be told apart.
 */
function driftLines(d: DriftRepair | null, unchanged: boolean, when: 'check' | 'commit'): string[] {
  if (!d || d.ops === 0) return [];
  const [is, repair] = when === 'check' ? ['differs', 'would repair'] : ['differed', 'repaired'];
  const why = `the kernel ${is} from the running configuration (${repairedServices(d)})`;
  if (unchanged) return [`% No configuration changes; ${when === 'check' ? 'a commit would repair' : 'the commit repaired'} drift: ${why}.`];
  return [`% ${d.ops} of these ${repair} drift: ${why}.`];
}

/** `commit check`: what a commit would send, and whether it would be refused. */
function checkLines(tx: Outcome<'check'>, drift: DriftRepair | null, warn: string | null): string[] {
  const n = tx.plan.steps.length;
  return [
    n ? `Kernel operations a commit would apply (${n}):` : 'No kernel operations needed.',
    ...compactLines(tx.plan).map((o) => `  ${o}`),
    ...driftLines(drift, tx.diff === '', 'check'),
    // A declared service whose identity a foreign service holds: the commit would be refused; say so now.
    ...clashLines(tx.plan),
    ...(tx.confirmed ? [`% Commit of revision ${tx.confirmed.revision} confirmed.`] : []),
    (tx.plan.clashes ?? []).some((c) => c.programmed)
      ? '% Configuration check failed: a commit would be refused (a declared service clashes with a foreign one, see above).'
      : '% Configuration check succeeded.',
    ...(warn ? [warn] : []),
  ];
}

/** The operations a commit applied, folded as `commit check` listed them. */
function appliedLines(result: ApplyResult | null): string[] {
  const n = result?.ok ? result.applied.length : 0;
  return n && result ? [`Kernel operations applied (${n}):`, ...compactLines(result.plan).map((o) => `  ${o}`)] : [];
}

/**
 * A commit of a candidate equal to running: the kernel is still made equal to it (the drift repair `commit check`
 * listed), and it may confirm, or re-arm, a `commit confirmed`.
 */
function noChangesLines(tx: Outcome<'no-changes'>, drift: DriftRepair | null, warn: string | null): string[] {
  const repaired = driftLines(drift, true, 'commit');
  return [
    ...appliedLines(tx.result),
    ...(tx.confirmed && !tx.confirm ? [`% Commit of revision ${tx.confirmed.revision} confirmed.`] : []),
    ...(tx.confirm ? [`% Resetting confirmed-commit timeout to ${tx.confirm.minutes} minute(s).`] : []),
    ...(repaired.length ? repaired : ['% No configuration changes to commit.']),
    ...(warn ? [warn] : []),
  ];
}

/** A new running revision: the kernel operations applied, the confirm deadline if any, the revision. */
function committedLines(tx: Outcome<'committed'>, drift: DriftRepair | null, warn: string | null): string[] {
  return [
    ...appliedLines(tx.result),
    ...driftLines(drift, false, 'commit'),
    ...(tx.confirmed && !tx.confirm ? [`% Commit of revision ${tx.confirmed.revision} confirmed.`] : []),
    ...(tx.confirm
      ? [`% Commit confirmed: revision ${tx.after} will be rolled back to revision ${tx.confirm.previousRevision} in ${tx.confirm.minutes} minute(s) unless confirmed with "commit".`]
      : []),
    `% Configuration committed successfully (revision ${tx.after}).`,
    ...(warn ? [warn] : []),
  ];
}
