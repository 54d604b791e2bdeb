// One commit transaction, run by the engine host (engine/host.ts) for every caller: the shell's `commit`
// (shell/commit-workflow.ts), `lbctl apply` (cli/commands/apply.ts) and the daemon's reload, in-process or in the
// daemon, so that all change the kernel under the same rules:
//
//   lock (locks/shell-commit.lock: one kernel writer per state directory)
//   → checks that cost nothing (validation, `configure exclusive` held by someone else, stale base revision)
//   → compile + plan + transactional kernel apply, once, against the host's cached table (Engine: all or nothing)
//   → store compare-and-swap of exactly the configuration that was applied
//   → if the store refuses after all: put the kernel back to what the store says is running
//   → audit record.
//
// The kernel goes before the store so that a revision is never recorded that the kernel refused. The refusals are
// checked before the kernel is touched, so the compensating undo is needed only for a race inside that window.
// The store re-checks the stale base and the exclusive lock under its own lock: that is the compare-and-swap
// itself, not a repeat.
//
// The words are the caller's: every refusal is handed to the caller's `describe` as data, and its text goes both
// into the thrown error and into the audit record, so the shell keeps its `% …` sentences and `lbctl apply` its own.
import { join } from 'node:path';
import type { Config } from '../config/model.js';
import type { ConfigError } from '../config/errors.js';
import { renderCompare } from '../config/diff.js';
import type { CommitMeta, PendingConfirm, Revision, RevisionListEntry, Store } from '../store/store.js';
import { validateConfig } from '../config/validate.js';
import { exclusiveLockHolder } from '../locks/exclusive-lock.js';
import { describeHolder, type LockHolder } from '../locks/holder.js';
import { acquireLock, type HeldLock } from '../locks/lock.js';
import { locksDir } from '../locks/paths.js';
import { appendAudit, auditPath, auditRotation, kernelOfApply, type AuditAction, type AuditKernel, type AuditRecord } from './audit.js';
import type { Engine, ApplyResult } from './engine.js';
import type { Plan } from './plan.js';
import { clearKernelPending, markKernelPending } from '../store/kernel-pending.js';

/** The lock every kernel-changing commit of a state directory takes (the shell named it first). */
export const COMMIT_TRANSACTION_LOCK = 'shell-commit.lock';

export function commitTransactionLockPath(stateDir: string): string {
  return join(locksDir(stateDir), COMMIT_TRANSACTION_LOCK);
}

/** Who the audit record names. */
export interface AuditIdentity {
  user: string;
  uid?: number;
  sudoUser?: string;
  session?: string;
}

/** Why a transaction stopped, as data: the caller turns it into its own words. */
export type Refusal =
  | { kind: 'lock'; error: Error }
  | { kind: 'invalid'; errors: ConfigError[] }
  | { kind: 'exclusive'; holder: LockHolder }
  | { kind: 'stale'; running: Revision; base: number; between: RevisionListEntry[] }
  | { kind: 'dataplane'; error: Error }
  | { kind: 'compile'; error: Error }
  /** The kernel refused an operation (the engine undid the rest). */
  | { kind: 'kernel'; result: ApplyResult }
  /** The store refused; `undone` is set when the kernel had been changed and was (or was not) put back. */
  | { kind: 'store'; error: unknown; undone?: boolean; result?: ApplyResult };

/** Thrown for every refusal and failure; `message` is the caller's `describe` text. */
export class CommitRefusedError extends Error {
  constructor(
    readonly refusal: Refusal,
    message: string,
    /** Set when the audit record of the refusal could not be written. */
    readonly auditError: string | null,
  ) {
    super(message);
    this.name = 'CommitRefusedError';
  }
}

export interface CommitTransactionOptions {
  stateDir: string;
  store: Store;
  lab: boolean;
  /**
   * The host's started engine (engine/host.ts): its cached table is what the plan is made against. Opening it
   * may fail (no IPVS, no permission): that is the `dataplane` refusal.
   */
  engine: () => Promise<Engine>;
  /**
   * Read the whole table into the cache before planning. An in-process host beside other writers wants it; the
   * daemon, the only writer, keeps its cache current instead (no dump per commit).
   */
  readBeforeCommit?: boolean;
  /**
   * With readBeforeCommit: true when the host can vouch that its cache holds what it last applied, which is the
   * running revision, and that no other lbctl writer acted since (engine/host.ts). Only the services the commit
   * plans are re-read then (Engine.refreshForCommit); otherwise, and for `commit check`, `commit full` and a
   * commit without changes (the drift repair), the whole table.
   */
  cacheVouched?: (running: Revision) => boolean;
  /**
   * Asked right after `engine()`: true when that call opened the engine, whose start read of the whole table (and
   * the ownership record) was made under this transaction's lock a moment ago, so that no read before the commit
   * (nor `commit full`'s) is needed again: a one-shot `lbctl apply` or `lbctl shell -c '…; commit'` dumped the
   * table twice (at 10,000 services in the kernel VM, about 10 s each).
   */
  startReadFresh?: () => boolean;
  /** Who is committing (audit) and which session may hold `configure exclusive` (undefined: nobody may). */
  identity: AuditIdentity;
  /** How long to wait for another commit's lock (default 60 s). */
  lockWaitMs?: number;
}

export interface CommitTransactionJob {
  candidate: Config;
  /** The revision the candidate was based on (compare-and-swap). */
  base: number;
  action: AuditAction;
  comment?: string;
  /** Validate and plan only: nothing applied; the store confirms a pending `commit confirmed`. */
  check?: boolean;
  /**
   * `commit full`: read the whole table (and the ownership record) before planning, even in a host that keeps its
   * cache current (the daemon), so that drift nobody announced yet is repaired too.
   */
  full?: boolean;
  /**
   * How the store records it: `commit` renders the configuration files from the candidate (the shell);
   * `file` records the files the candidate was loaded from, with their fingerprints (`lbctl apply`).
   */
  record: { how: 'commit'; meta: CommitMeta } | { how: 'file'; meta: Omit<CommitMeta, 'origin' | 'confirmMinutes'>; fingerprints: Record<string, string> };
  /**
   * Apply to the kernel even when the candidate equals the running configuration, repairing drift (`lbctl apply`,
   * and the shell's `commit`, so that it applies what `commit check` lists).
   */
  applyWhenUnchanged?: boolean;
  /** Take over foreign kernel services whose identity the candidate declares (`lbctl apply --adopt`). */
  adopt?: boolean;
  /**
   * The caller gives the candidate away and never touches it again (the daemon's decoded request): the store
   * may keep it as the running configuration without a copy.
   */
  handOver?: boolean;
  /** The caller's words for a refusal (the same text is thrown and audited, without a leading `% `). */
  describe: (r: Refusal) => string;
  /**
   * Called once the kernel-pending record is durable, before the kernel is touched (in-process hosts only; a
   * daemon enforces deadlines itself). A `commit confirmed` starts its guard here: a kill at any later step then
   * leaves a live guard that finishes the change or rolls it back (engine/confirm-guard.ts), not a deadline that
   * waits for the next lbctl to open.
   */
  onKernelPending?: () => void;
}

interface Common {
  before: number;
  diff: string;
  /** Set when the audit record could not be written. */
  auditError: string | null;
}

export type CommitTransactionOutcome =
  | (Common & { kind: 'check'; plan: Plan; confirmed: PendingConfirm | null })
  | (Common & {
      kind: 'no-changes';
      /** The kernel apply, when one ran (applyWhenUnchanged, or a race): it may have repaired drift. */
      result: ApplyResult | null;
      confirm: PendingConfirm | null;
      confirmed: PendingConfirm | null;
    })
  | (Common & {
      kind: 'committed';
      after: number;
      /** Null when the kernel was left alone (the candidate equalled running, yet the store recorded a revision). */
      result: ApplyResult | null;
      kernel: AuditKernel;
      confirm: PendingConfirm | null;
      confirmed: PendingConfirm | null;
    });

/**
 * Append one audit record for this identity; returns the error text when it could not be written. Where the
 * trail is and how it rotates are the running configuration's: `given` when the caller holds it (a one-shot
 * command's store reads a whole revision file for every `running()`: 10 MB of JSON at 10,000 services), else
 * read from the store.
 */
export function writeAuditRecord(
  opts: { stateDir: string; store: Store | null; lab: boolean; identity: AuditIdentity },
  record: Omit<AuditRecord, 'time' | 'user'>,
  given?: Config,
): string | null {
  let running: Config | null = given ?? null;
  if (given === undefined) {
    try {
      running = opts.store?.running().config ?? null;
    } catch {
      /* the default path */
    }
  }
  const id = opts.identity;
  try {
    appendAudit(auditPath({ stateDir: opts.stateDir, config: running, lab: opts.lab }), {
      user: id.user,
      ...(id.uid !== undefined ? { uid: id.uid } : {}),
      ...(id.sudoUser ? { sudoUser: id.sudoUser } : {}),
      ...(id.session ? { session: id.session } : {}),
      ...record,
    }, auditRotation(running));
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Runs one commit transaction (see the top of this file). Throws CommitRefusedError for every refusal. */
export async function runCommitTransaction(opts: CommitTransactionOptions, job: CommitTransactionJob): Promise<CommitTransactionOutcome> {
  let lock: HeldLock;
  try {
    lock = await acquireLock({
      name: 'shell commit',
      path: commitTransactionLockPath(opts.stateDir),
      holder: describeHolder(opts.identity.session ? { session: opts.identity.session } : {}),
      waitMs: opts.lockWaitMs ?? 60_000,
    });
  } catch (e) {
    // Not audited: nothing was looked at yet (as the shell always did).
    const refusal: Refusal = { kind: 'lock', error: e as Error };
    throw new CommitRefusedError(refusal, job.describe(refusal), null);
  }
  try {
    return await locked(opts, job);
  } finally {
    await lock.release().catch(() => {});
  }
}

async function locked(opts: CommitTransactionOptions, job: CommitTransactionJob): Promise<CommitTransactionOutcome> {
  const { store } = opts;
  const running = store.running();
  const before = running.number;
  const cand = job.candidate;
  // The running configuration under this lock: `running` until this transaction records `cand`, which is then
  // the running one (the lock keeps every other commit out; the audit settings may be what `cand` changed).
  let runningConfig = running.config;
  const audit = (record: Omit<AuditRecord, 'time' | 'user'>) => writeAuditRecord(opts, record, runningConfig);
  const action: AuditAction = job.check ? 'check' : job.action;
  // Declared with its type so that the compiler knows a call never returns (control-flow narrowing).
  const refuse: (r: Refusal, extra?: Partial<AuditRecord>, result?: AuditRecord['result']) => never = (r, extra = {}, result = 'refused') => {
    const message = job.describe(r);
    const auditError = audit({
      action,
      result,
      revisionBefore: before,
      revisionAfter: before,
      ...(job.comment !== undefined ? { comment: job.comment } : {}),
      ...extra,
      error: message.replace(/^% /, ''),
    });
    throw new CommitRefusedError(r, message, auditError);
  };

  // ---- checks first: nothing below this block runs unless the store would take the commit now ----
  const errors = validateConfig(cand);
  await letOthersRun();
  if (errors.length) refuse({ kind: 'invalid', errors });
  const holder = exclusiveLockHolder(opts.stateDir);
  if (holder && (opts.identity.session === undefined || holder.session !== opts.identity.session)) refuse({ kind: 'exclusive', holder });
  if (running.number !== job.base) {
    const between = store.list().filter((r) => r.number > job.base && r.number <= running.number);
    refuse({ kind: 'stale', running, base: job.base, between });
  }

  let engine: Engine;
  try {
    engine = await opts.engine();
    // An engine this call opened has read the whole table and the ownership record just now, under this lock.
    if (opts.startReadFresh?.() !== true) {
      if (job.full) await engine.reread({ ownership: true });
      else if (opts.readBeforeCommit) await engine.refreshForCommit(cand, { whole: job.check === true || !opts.cacheVouched?.(running) });
    }
  } catch (e) {
    refuse({ kind: 'dataplane', error: e as Error });
  }
  {
    const diff = renderCompare(running.config, cand);
    await letOthersRun();
    const isCompileError = (e: unknown) => (e as Error)?.name === 'CompileError';

    if (job.check) {
      let plan: Plan;
      try {
        plan = engine.plan(cand, undefined, { adopt: job.adopt === true, former: running.config });
      } catch (e) {
        if (!isCompileError(e)) throw e;
        refuse({ kind: 'compile', error: e as Error });
      }
      const confirmed = await store.confirm(job.record.meta.user);
      const auditError = audit({ action: 'check', result: 'ok', revisionBefore: before, revisionAfter: before, diff });
      if (confirmed) audit({ action: 'confirm', result: 'ok', revisionBefore: before, revisionAfter: before });
      return { kind: 'check', before, diff, plan, confirmed, auditError };
    }

    // renderCompare is empty exactly when the semantic diff is (configsEqual's test): one diff, not two.
    const unchanged = diff === '';
    let result: ApplyResult | null = null;
    // Durable before the kernel is touched, removed once kernel and store agree again (store/kernel-pending.ts):
    // a kill in between leaves it for the next start to finish (engine/recover.ts).
    let pending = false;
    const settled = () => {
      if (pending) clearKernelPending(opts.stateDir);
      pending = false;
    };
    if (!unchanged || job.applyWhenUnchanged) {
      markKernelPending(opts.stateDir, {
        why: 'commit',
        pid: process.pid,
        user: opts.identity.user,
        since: new Date().toISOString(),
        base: before,
        ...(job.comment !== undefined ? { comment: job.comment } : {}),
        ...(job.record.how === 'commit' && job.record.meta.confirmMinutes ? { confirmMinutes: job.record.meta.confirmMinutes } : {}),
      });
      pending = true;
      try {
        job.onKernelPending?.();
      } catch {
        /* best effort: every later start finds the record too */
      }
      // One compile and one plan: the engine's commit plans against its cache and applies that plan.
      try {
        result = await engine.commit(cand, { adopt: job.adopt === true, former: running.config });
      } catch (e) {
        if (!isCompileError(e)) throw e;
        settled(); // nothing was sent
        refuse({ kind: 'compile', error: e as Error });
      }
      // A refused apply is undone by the engine itself; one that could not be restored stays pending.
      if (!result.ok) {
        if (result.applied.length === 0 || result.restored) settled();
        refuse({ kind: 'kernel', result }, { diff, kernel: kernelOfApply(result) }, 'failed');
      }
    }
    const kernel = result ? kernelOfApply(result) : undefined;
    const changedKernel = !!result && result.applied.length > 0;

    let outcome: StoreOutcome;
    try {
      await letOthersRun();
      outcome = await recordInStore(store, job, cand);
    } catch (e) {
      if (!changedKernel) {
        settled();
        refuse({ kind: 'store', error: e });
      }
      // The store refused after the kernel changed: put the kernel back to what the store says is running.
      // revert (not a plain commit) so services this commit adopted go back to their owner as they were.
      const now = store.running();
      const undo = await engine.revert(result!, now.config).catch((err: Error) => ({ ok: false, error: err.message }));
      if ('ok' in undo && undo.ok) settled();
      refuse({ kind: 'store', error: e, undone: 'ok' in undo && undo.ok, result: result! }, { kernel, diff });
    }

    // Cleared after the audit record: a kill before it leaves the record, and recovery tells the audit the story.
    if (outcome.kind === 'no-changes') {
      const auditError = audit({
        action: job.action,
        result: changedKernel ? 'ok' : 'no-changes',
        revisionBefore: before,
        revisionAfter: before,
        ...(job.comment !== undefined ? { comment: job.comment } : {}),
        ...(outcome.confirm ? { confirmMinutes: outcome.confirm.minutes, deadline: outcome.confirm.deadline } : {}),
        ...(changedKernel ? { kernel } : {}),
      });
      settled();
      return { kind: 'no-changes', before, diff, result, confirm: outcome.confirm, confirmed: outcome.confirmed, auditError };
    }
    const after = outcome.revision;
    runningConfig = cand;
    const committedKernel: AuditKernel = kernel ?? { ok: true, applied: [] };
    const auditError = audit({
      action: job.action,
      result: 'ok',
      revisionBefore: before,
      revisionAfter: after,
      ...(job.comment !== undefined ? { comment: job.comment } : {}),
      ...(outcome.confirm ? { confirmMinutes: outcome.confirm.minutes, deadline: outcome.confirm.deadline } : {}),
      diff,
      kernel: committedKernel,
    });
    settled();
    return { kind: 'committed', before, after, diff, result, kernel: committedKernel, confirm: outcome.confirm, confirmed: outcome.confirmed, auditError };
  }
}

/**
 * Lets the event loop serve what waits (a `hello` on another connection, the watchdog) between the phases of a
 * commit, each of which runs to its end without yielding: at 10,000 services a phase takes a tenth of a second
 * natively and seconds under emulation. The transaction lock keeps other commits out meanwhile.
 */
function letOthersRun(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

type StoreOutcome =
  | { kind: 'no-changes'; confirm: PendingConfirm | null; confirmed: PendingConfirm | null }
  | { kind: 'committed'; revision: number; confirm: PendingConfirm | null; confirmed: PendingConfirm | null };

/** The store's compare-and-swap of exactly `cand` (the configuration just applied), in the job's way. */
async function recordInStore(store: Store, job: CommitTransactionJob, cand: Config): Promise<StoreOutcome> {
  if (job.record.how === 'commit') {
    const o = await store.commit(cand, job.base, job.record.meta, { handOver: job.handOver === true });
    if (o.kind === 'no-changes') return { kind: 'no-changes', confirm: o.confirm, confirmed: o.confirmed };
    return { kind: 'committed', revision: o.revision.number, confirm: o.confirm, confirmed: o.confirmed };
  }
  const o = await store.recordFileRevision(job.record.meta, { loaded: { config: cand, fingerprints: job.record.fingerprints }, baseRevision: job.base });
  if (o.kind === 'invalid') throw new Error(o.errors.map((e) => e.message).join('; '));
  if (o.kind === 'no-changes') return { kind: 'no-changes', confirm: null, confirmed: null };
  return { kind: 'committed', revision: o.revision.number, confirm: null, confirmed: o.confirmed };
}
