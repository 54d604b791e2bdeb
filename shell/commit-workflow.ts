// The commit workflow of one shell session (issue 6): the CommitPort the modes call. It ties together the
// revision store (config/store.ts), a fresh engine per commit on the context's dataplane (kernel, or the lab's
// persisted in-memory table), the audit trail, the sessions registry, the exclusive lock, the shared candidate
// file and the commit-confirmed guard.
//
// A commit is one run of engine/commit-transaction.ts, the transaction `lbctl apply` runs too: lock → checks
// (validation, `configure exclusive`, stale base) → plan → kernel apply (all or nothing) → store CAS on the base
// revision → undo the kernel if the store still refuses → audit. This file supplies the shell's words for each
// refusal and prints the plan folded as `lbctl apply` does (a port range is one block; the audit keeps every op).
import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/model.js';
import { defaultConfig } from '../config/defaults.js';
import { renderCompare } from '../config/diff.js';
import { configsEqual } from '../config/equal.js';
import { formatConfigError } from '../config/errors.js';
import { loadConfig } from '../config/load.js';
import { formatConflict, loadMergeResult, loadOverride, mergeConfigs } from '../config/merge.js';
import { staleBaseMessage } from '../config/store-format.js';
import type { CommitMeta, Origin, PendingConfirm, Store } from '../config/store.js';
import { auditPath, formatAudit, kernelOfApply, readAudit, type AuditKernel, type AuditRecord } from '../engine/audit.js';
import {
  CommitRefusedError,
  runCommitTransaction,
  writeAuditRecord,
  type AuditIdentity,
  type CommitTransactionOutcome,
  type Refusal,
} from '../engine/commit-transaction.js';
import { ensureConfirmGuard } from '../engine/confirm-guard.js';
import { pendingConfirmNotice } from '../engine/confirm-notice.js';
import { clashLines, compactLines } from '../engine/plan.js';
import { formatSessions, listSessions, registerSession, type SessionHandle } from '../engine/sessions.js';
import { recordedUser, type OperatorIdentity } from '../cli/identity.js';
import type { Dataplane } from '../netlink/dataplane.js';
import { acquireExclusiveLock, exclusiveLockHolder, exclusiveLockMessage } from '../locks/exclusive-lock.js';
import { acquireLock, LockHeldError, type HeldLock } from '../locks/lock.js';
import { describeHolder } from '../locks/holder.js';
import { locksDir } from '../locks/paths.js';
import type { CandidateKind, CommitPort, CommitRequest, ShellBackend } from '../modes/backend.js';
import { CommandError, type CommandOutput, type ModeContext } from '../modes/types.js';

export const SHARED_CANDIDATE_FILE = 'candidate-shared.json';

export interface WorkflowOptions {
  stateDir: string;
  configPath: string;
  lab: boolean;
  /** The opened store (null: none; with storeError set: opened read-only, no commits), and why not writable. */
  store: Store | null;
  storeError?: string;
  backend: ShellBackend;
  identity: OperatorIdentity;
  /** A fresh dataplane for one commit (closed after it). */
  openDataplane: () => Promise<Dataplane>;
  /** Told after the kernel changed (the session's display dataplane re-reads the lab table). */
  onKernelChanged?: () => Promise<void>;
  /** Start the commit-confirmed guard (default ensureConfirmGuard; tests point it at the build). */
  ensureGuard?: () => void;
}

interface CommitJob {
  candidate: Config;
  base: number;
  origin: Origin;
  comment?: string;
  check?: boolean;
  confirmMinutes?: number;
  /** The audit action (commit, or rollback for exec `rollback N`). */
  action: 'commit' | 'rollback';
}

interface SharedCandidate {
  base: number;
  config: Config;
}

export class CommitWorkflow implements CommitPort {
  readonly sessionId = `${process.pid}-${randomBytes(3).toString('hex')}`;
  private kind: CandidateKind | null = null;
  private registry: SessionHandle | null = null;
  private exclusive: HeldLock | null = null;
  private sharedLock: HeldLock | null = null;
  /** The shared candidate as loaded before this command (to see whether the command changed it). */
  private sharedLoaded: Config | null = null;
  private lastPending: PendingConfirm | null = null;

  constructor(private readonly opts: WorkflowOptions) {}

  // ---- around every command ----

  async beforeCommand(ctx: ModeContext): Promise<void> {
    if (this.kind === 'shared') await this.loadShared(ctx);
  }

  async afterCommand(ctx: ModeContext): Promise<void> {
    try {
      if (this.kind === 'shared' && this.sharedLock) this.saveShared(ctx);
    } finally {
      await this.releaseShared();
    }
    if (this.registry) {
      try {
        const f = ctx.frames[ctx.frames.length - 1];
        this.registry.update({ dirty: this.dirty(ctx), path: f.kind === 'service' ? ['services', f.name] : [] });
      } catch {
        /* the registry is informative: never fail a command for it */
      }
    }
    this.noticeConfirm(ctx);
  }

  private noticeConfirm(ctx: ModeContext): void {
    const store = this.opts.store;
    if (!store) return;
    let pending: PendingConfirm | null = null;
    try {
      pending = store.pendingConfirm();
    } catch {
      return;
    }
    if (pending) ctx.notify(pendingConfirmNotice(pending));
    else if (this.lastPending) {
      try {
        const running = store.running();
        if (running.origin === 'confirm-timeout')
          ctx.notify(`% Commit was not confirmed; automatic rollback complete (revision ${running.number}).`);
      } catch {
        /* nothing to say */
      }
    }
    this.lastPending = pending;
  }

  dirty(ctx: ModeContext): boolean {
    if (!ctx.hasCandidate()) return false;
    return !configsEqual(ctx.candidate(), ctx.backend.running());
  }

  // ---- the shared candidate: one file for every `configure` (shared) session, edited under a lock ----

  private sharedPath(): string {
    return join(this.opts.stateDir, SHARED_CANDIDATE_FILE);
  }

  private async loadShared(ctx: ModeContext): Promise<void> {
    if (!this.sharedLock) {
      try {
        this.sharedLock = await acquireLock({
          name: 'shared candidate',
          path: join(locksDir(this.opts.stateDir), 'candidate-shared.lock'),
          holder: describeHolder({ session: this.sessionId }),
          waitMs: 10_000,
        });
      } catch (e) {
        throw new CommandError(`% The shared candidate is busy: ${(e as Error).message}`);
      }
    }
    const shared = this.readShared();
    if (shared) ctx.setCandidate(shared.config, shared.base);
    else ctx.resetCandidate();
    this.sharedLoaded = shared ? ctx.candidate() : null;
  }

  private readShared(): SharedCandidate | null {
    try {
      return JSON.parse(readFileSync(this.sharedPath(), 'utf8')) as SharedCandidate;
    } catch {
      return null;
    }
  }

  private saveShared(ctx: ModeContext): void {
    if (!ctx.hasCandidate()) {
      if (this.sharedLoaded) this.dropShared();
      return;
    }
    const cand = ctx.candidate();
    if (cand === this.sharedLoaded) return;
    if (configsEqual(cand, ctx.backend.running())) return this.dropShared();
    const tmp = `${this.sharedPath()}.lbctl-tmp-${process.pid}-${randomBytes(3).toString('hex')}`;
    writeFileSync(tmp, JSON.stringify({ base: ctx.candidateBase(), config: cand }) + '\n', { mode: 0o640 });
    renameSync(tmp, this.sharedPath());
  }

  private dropShared(): void {
    try {
      unlinkSync(this.sharedPath());
    } catch {
      /* already gone */
    }
  }

  private async releaseShared(): Promise<void> {
    const lock = this.sharedLock;
    this.sharedLock = null;
    this.sharedLoaded = null;
    if (lock) await lock.release().catch(() => {});
  }

  // ---- entering and leaving configuration mode ----

  async enterConfigure(ctx: ModeContext, kind: CandidateKind): Promise<CommandOutput> {
    const store = this.opts.store;
    if (kind === 'exclusive') {
      try {
        this.exclusive = await acquireExclusiveLock(this.opts.stateDir, describeHolder({ session: this.sessionId }));
      } catch (e) {
        if (e instanceof LockHeldError) throw new CommandError(`% ${e.message}`);
        throw new CommandError(`% configure exclusive: ${(e as Error).message}`);
      }
    }
    const lines = ['Entering configuration mode.'];
    if (kind === 'shared') {
      await this.loadShared(ctx);
      this.kind = kind;
      if (this.sharedLoaded && !configsEqual(this.sharedLoaded, ctx.backend.running()))
        lines.push('The shared candidate has uncommitted changes ("show | compare" shows them).');
    } else {
      this.kind = kind;
      ctx.resetCandidate();
      lines.push(`${kind === 'exclusive' ? 'Exclusive' : 'Private'} candidate based on revision ${ctx.candidateBase()}.`);
    }
    try {
      this.registry = registerSession(this.opts.stateDir, {
        kind,
        id: this.sessionId,
        user: recordedUser(this.opts.identity),
        ...(kind !== 'shared' ? { baseRevision: ctx.candidateBase() } : {}),
      });
      const others = listSessions(this.opts.stateDir).filter((e) => e.id !== this.sessionId);
      if (others.length)
        lines.push(formatSessions(others, { exclusiveSession: exclusiveLockHolder(this.opts.stateDir)?.session }).trimEnd());
    } catch {
      this.registry = null; // a state directory we may not write: the session works, unlisted
    }
    if (!store) lines.push(`% Note: commits are not possible: ${this.opts.storeError ?? 'the revision store is not available'}.`);
    ctx.enter({ kind: 'configure' });
    return { text: lines.join('\n') };
  }

  async leaveConfigure(ctx: ModeContext): Promise<void> {
    this.kind = null;
    ctx.resetCandidate();
    await this.releaseLocks();
  }

  private async releaseLocks(): Promise<void> {
    try {
      this.registry?.close();
    } catch {
      /* gone already */
    }
    this.registry = null;
    const ex = this.exclusive;
    this.exclusive = null;
    if (ex) await ex.release().catch(() => {});
  }

  async close(): Promise<void> {
    this.kind = null;
    await this.releaseShared();
    await this.releaseLocks();
  }

  // ---- commit ----

  private requireStore(): Store {
    if (!this.opts.store) throw new CommandError(`% ${this.opts.storeError ?? 'the revision store is not available'}.`);
    return this.opts.store;
  }

  async commit(ctx: ModeContext, req: CommitRequest): Promise<CommandOutput> {
    const out = await this.commitJob(ctx, {
      candidate: ctx.candidate(),
      base: ctx.candidateBase(),
      origin: 'shell',
      action: 'commit',
      ...(req.check ? { check: true } : {}),
      ...(req.comment !== undefined ? { comment: req.comment } : {}),
      ...(req.confirmMinutes !== undefined ? { confirmMinutes: req.confirmMinutes } : {}),
    });
    if (!req.check) {
      // The candidate is now running: the next edit starts again from it.
      if (this.kind === 'shared') this.dropShared();
      ctx.resetCandidate();
      this.registry?.update({ baseRevision: ctx.backend.runningRevision(), dirty: false });
      if (req.andQuit) {
        await this.leaveConfigure(ctx);
        ctx.end();
      }
    }
    return out;
  }

  private meta(job: CommitJob): CommitMeta {
    const id = this.opts.identity;
    return {
      origin: job.origin,
      user: recordedUser(id),
      uid: id.uid,
      ...(id.sudoUser ? { sudoUser: id.sudoUser } : {}),
      session: this.sessionId,
      ...(job.comment !== undefined ? { comment: job.comment } : {}),
      ...(job.confirmMinutes !== undefined ? { confirmMinutes: job.confirmMinutes } : {}),
    };
  }

  private writeAudit(record: Omit<AuditRecord, 'time' | 'user'>): string | null {
    const err = writeAuditRecord({ stateDir: this.opts.stateDir, store: this.opts.store, lab: this.opts.lab, identity: this.auditIdentity() }, record);
    return err ? auditWarning(err) : null;
  }

  /**
   * One commit at a time per state directory, kernel apply and store write together: the transaction itself
   * (lock, checks, plan, kernel, store, undo, audit) is engine/commit-transaction.ts, shared with `lbctl apply`.
   */
  private async commitJob(ctx: ModeContext, job: CommitJob): Promise<CommandOutput> {
    const store = this.requireStore();
    // A store opened read-only (the state directory is not writable for this user) cannot take a commit.
    if (this.opts.storeError) throw new CommandError(`% Commit impossible: ${this.opts.storeError}.`);
    let tx: CommitTransactionOutcome;
    try {
      tx = await runCommitTransaction(
        { stateDir: this.opts.stateDir, store, lab: this.opts.lab, openDataplane: this.opts.openDataplane, identity: this.auditIdentity() },
        {
          candidate: job.candidate,
          base: job.base,
          action: job.action,
          ...(job.comment !== undefined ? { comment: job.comment } : {}),
          ...(job.check ? { check: true } : {}),
          record: { how: 'commit', meta: this.meta(job) },
          describe: (r) => describeRefusal(r, store),
        },
      );
    } catch (e) {
      if (e instanceof CommitRefusedError) throw new CommandError(e.auditError ? `${e.message}\n${auditWarning(e.auditError)}` : e.message);
      throw e;
    }
    const warn = tx.auditError ? auditWarning(tx.auditError) : null;
    if (tx.kind === 'check') {
      const n = tx.plan.steps.length;
      const lines = [
        n ? `Kernel operations a commit would apply (${n}):` : 'No kernel operations needed.',
        ...compactLines(tx.plan).map((o) => `  ${o}`),
        // A declared service whose identity a foreign service holds: the commit would be refused; say so now.
        ...clashLines(tx.plan),
        ...(tx.confirmed ? [`% Commit of revision ${tx.confirmed.revision} confirmed.`] : []),
        (tx.plan.clashes ?? []).some((c) => c.programmed)
          ? '% Configuration check failed: a commit would be refused (a declared service clashes with a foreign one, see above).'
          : '% Configuration check succeeded.',
        ...(warn ? [warn] : []),
      ];
      return { text: lines.join('\n') };
    }
    if (tx.kind === 'no-changes') {
      if (tx.confirm) this.startGuard();
      const lines = [
        ...(tx.confirmed && !tx.confirm ? [`% Commit of revision ${tx.confirmed.revision} confirmed.`] : []),
        ...(tx.confirm ? [`% Resetting confirmed-commit timeout to ${tx.confirm.minutes} minute(s).`] : []),
        '% No configuration changes to commit.',
        ...(warn ? [warn] : []),
      ];
      return { text: lines.join('\n') };
    }
    const after = tx.after;
    if (tx.confirm) this.startGuard();
    ctx.backend.refresh?.();
    await this.opts.onKernelChanged?.().catch(() => {});
    // The plan folded as `lbctl apply` prints it (a port range is one block); the audit keeps every operation.
    const applied = tx.kernel.applied.length;
    const lines = [
      ...(applied && tx.result ? [`Kernel operations applied (${applied}):`, ...compactLines(tx.result.plan).map((o) => `  ${o}`)] : []),
      ...(tx.confirmed && !tx.confirm ? [`% Commit of revision ${tx.confirmed.revision} confirmed.`] : []),
      ...(tx.confirm
        ? [`% Commit confirmed: revision ${after} will be rolled back to revision ${tx.confirm.previousRevision} in ${tx.confirm.minutes} minute(s) unless confirmed with "commit".`]
        : []),
      `% Configuration committed successfully (revision ${after}).`,
      ...(warn ? [warn] : []),
    ];
    return { text: lines.join('\n') };
  }

  private auditIdentity(): AuditIdentity {
    const id = this.opts.identity;
    return { user: recordedUser(id), uid: id.uid, ...(id.sudoUser ? { sudoUser: id.sudoUser } : {}), session: this.sessionId };
  }

  private startGuard(): void {
    try {
      if (this.opts.ensureGuard) this.opts.ensureGuard();
      else ensureConfirmGuard({ stateDir: this.opts.stateDir, configPath: this.opts.configPath, lab: this.opts.lab });
    } catch {
      /* the next lbctl process that opens the store enforces it (checked again at every start-up) */
    }
  }

  // ---- abort, rollback, update, load ----

  async abort(ctx: ModeContext): Promise<CommandOutput> {
    const running = ctx.backend.running();
    const diff = ctx.hasCandidate() ? renderCompare(running, ctx.candidate()) : '';
    const warn = this.writeAudit({
      action: 'abort',
      result: 'ok',
      revisionBefore: ctx.backend.runningRevision(),
      revisionAfter: ctx.backend.runningRevision(),
      diff,
    });
    if (this.kind === 'shared') this.dropShared();
    await this.leaveConfigure(ctx);
    ctx.end();
    return { text: ['% Uncommitted changes discarded.', ...(warn ? [warn] : [])].join('\n') };
  }

  private relative(n: number) {
    const store = this.requireStore();
    const rev = store.getRelative(n);
    if (!rev) throw new CommandError(`% rollback ${n}: there is no revision current-${n} (${store.list().length} revisions kept).`);
    return rev;
  }

  async loadRollback(ctx: ModeContext, n: number): Promise<CommandOutput> {
    if (n === 0) {
      ctx.resetCandidate();
      return { text: '% Candidate reset to the running configuration.' };
    }
    const rev = this.relative(n);
    ctx.setCandidate(structuredClone(rev.config), this.requireStore().running().number);
    return { text: `% Loaded revision ${rev.number} (rollback ${n}) into the candidate; review with "show | compare", then "commit".` };
  }

  async execRollback(ctx: ModeContext, n: number): Promise<CommandOutput> {
    const rev = this.relative(n);
    const running = this.requireStore().running();
    const diff = renderCompare(running.config, rev.config).trimEnd();
    if (configsEqual(running.config, rev.config)) return { text: `% Revision ${rev.number} equals the running configuration; nothing to roll back.` };
    return {
      text: `Rolling back to revision ${rev.number} (rollback ${n}) changes the running configuration:\n${diff}`,
      question: {
        prompt: `Commit revision ${rev.number} now? [yes/no]`,
        answer: async (reply, c) => {
          const r = reply.trim().toLowerCase();
          if (r !== 'yes' && r !== 'y') return { text: '% Rollback cancelled.' };
          return this.commitJob(c, {
            candidate: structuredClone(rev.config),
            base: running.number,
            origin: 'rollback',
            action: 'rollback',
            comment: `rollback ${n} to revision ${rev.number}`,
          });
        },
      },
    };
  }

  async update(ctx: ModeContext): Promise<CommandOutput> {
    const store = this.requireStore();
    const running = store.running();
    const base = ctx.candidateBase();
    if (base === running.number) return { text: `% The candidate is already based on the running revision ${base}.` };
    const baseRev = store.get(base);
    if (!baseRev) throw new CommandError(`% update: base revision ${base} was pruned; use "rollback 0" and redo the changes.`);
    const { merged, conflicts } = mergeConfigs(baseRev.config, ctx.candidate(), running.config);
    ctx.setCandidate(merged, running.number);
    this.registry?.update({ baseRevision: running.number });
    this.writeAudit({
      action: 'update',
      result: conflicts.length ? 'refused' : 'ok',
      revisionBefore: base,
      revisionAfter: running.number,
      ...(conflicts.length ? { error: `${conflicts.length} conflict(s): ${conflicts.map(formatConflict).join('; ')}` } : {}),
    });
    const lines = [`% Candidate updated from revision ${base} to revision ${running.number}.`];
    if (conflicts.length) {
      lines.push(`% ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'} (your value was kept; resolve, then commit):`);
      for (const c of conflicts) lines.push(`  ${formatConflict(c)}`);
    } else lines.push('% No conflicts.');
    return { text: lines.join('\n') };
  }

  async load(ctx: ModeContext, how: 'merge' | 'override', file: string): Promise<CommandOutput> {
    const result = loadConfig(file);
    if (!result.config || result.errors.length) {
      const n = result.errors.length;
      throw new CommandError(
        [`% load ${how} ${file}: ${n} error${n === 1 ? '' : 's'}; the candidate is unchanged.`, ...result.errors.map((e) => '  ' + formatConfigError(e))].join('\n'),
      );
    }
    const next = how === 'merge' ? loadMergeResult(ctx.candidate(), result) : loadOverride(ctx.candidate(), result.config);
    if (!next) throw new CommandError(`% load ${how} ${file}: the file does not load; the candidate is unchanged.`);
    ctx.setCandidate(next);
    this.writeAudit({ action: 'load', result: 'ok', comment: `load ${how} ${file}`, revisionBefore: ctx.candidateBase(), revisionAfter: ctx.candidateBase() });
    return { text: `% Loaded ${file} into the candidate (${how}); "show | compare" shows the difference.` };
  }

  // ---- looking ----

  commitList(): CommandOutput {
    const list = this.requireStore().list();
    return {
      table: {
        columns: [
          { title: 'Rel', align: 'right' },
          { title: 'Rev', align: 'right' },
          { title: 'Id' },
          { title: 'Time' },
          { title: 'User' },
          { title: 'Origin' },
          { title: 'Comment', shrink: true },
          { title: 'Confirm' },
        ],
        rows: list.map((r) => [
          String(r.relative),
          String(r.number),
          r.id,
          r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
          r.sudoUser ? `${r.sudoUser}(${r.user})` : r.user,
          r.origin,
          r.comment ?? '',
          r.pendingConfirm ? 'pending' : '',
        ]),
      },
      data: list,
    };
  }

  commitChanges(n: number): CommandOutput {
    const store = this.requireStore();
    const rev = store.get(n);
    if (!rev) throw new CommandError(`% Revision ${n} does not exist (or was pruned).`);
    const prevEntry = store.list().find((r) => r.number < n);
    const prev = prevEntry ? store.get(prevEntry.number)?.config : defaultConfig();
    const head = `Revision ${rev.number} (id ${rev.id}) by ${rev.user} at ${rev.time}, origin ${rev.origin}${rev.comment ? `, comment '${rev.comment}'` : ''}:`;
    const diff = renderCompare(prev ?? defaultConfig(), rev.config).trimEnd();
    return { text: `${head}\n${diff || '(no changes)'}`, data: { revision: rev.number, diff } };
  }

  sessions(_ctx: ModeContext): CommandOutput {
    const text = formatSessions(listSessions(this.opts.stateDir), {
      ...(this.registry ? { self: this.registry.id } : {}),
      exclusiveSession: exclusiveLockHolder(this.opts.stateDir)?.session,
    });
    return { text: text.trimEnd() };
  }

  audit(last?: number, detail?: boolean): CommandOutput {
    let running: Config | null = null;
    try {
      running = this.opts.store?.running().config ?? null;
    } catch {
      /* default path */
    }
    const r = readAudit(auditPath({ stateDir: this.opts.stateDir, config: running, lab: this.opts.lab }), last ? { last } : {});
    return { text: formatAudit(r.records, { skipped: r.skipped, detail }).trimEnd(), data: r.records };
  }
}

function auditWarning(error: string): string {
  return `% Warning: the audit record could not be written: ${error}`;
}

/** The shell's sentence for each refusal of the commit transaction (also what the audit record says). */
function describeRefusal(r: Refusal, store: Store): string {
  switch (r.kind) {
    case 'lock':
      return `% Commit refused: ${r.error.message}`;
    case 'invalid': {
      const n = r.errors.length;
      const head = `% Validation failed: ${n} problem${n === 1 ? '' : 's'}; nothing was committed.`;
      return [head, ...r.errors.map((e) => '  ' + formatConfigError(e))].join('\n');
    }
    case 'exclusive':
      return `% ${exclusiveLockMessage(r.holder)}; commit refused.`;
    case 'stale':
      return `% Candidate configuration needs to be updated before commit. Use the "update" command.\n% ${staleBaseMessage(r.running, r.base, r.between)}`;
    case 'dataplane':
      return `% Commit impossible: the IPVS dataplane cannot be opened: ${r.error.message.split('\n')[0]}`;
    case 'compile':
      return `% Commit refused: ${r.error.message}`;
    case 'kernel': {
      const k = kernelOfApply(r.result);
      const restored = r.result.restored ? 'the kernel was restored' : 'the kernel could NOT be fully restored (the reconcile will retry)';
      let before: number | string = '?';
      try {
        before = store.running().number;
      } catch {
        /* unknown */
      }
      return `% Commit failed: the kernel refused ${k.failed ?? 'an operation'}; ${restored}; running is unchanged (revision ${before}).`;
    }
    case 'store': {
      const text = storeRefusal(r.error);
      if (r.undone === undefined) return text;
      return `${text}\n% ${r.undone ? 'the kernel changes were undone' : 'the kernel changes could NOT be undone (the reconcile will retry)'}.`;
    }
  }
}

/** An operator sentence for a store refusal (stale base, exclusive lock, hand edits, invalid files, lock busy). */
function storeRefusal(e: unknown): string {
  const err = e as Error & { code?: string; errors?: { length: number }[] };
  if (err?.code === 'ESTALEBASE')
    return `% Candidate configuration needs to be updated before commit. Use the "update" command.\n% ${err.message}`;
  if (err?.code === 'EINVALIDFILES' && Array.isArray((err as { errors?: unknown[] }).errors))
    return [`% Commit refused: ${err.message}`, ...((err as unknown as { errors: Parameters<typeof formatConfigError>[0][] }).errors.map((x) => '  ' + formatConfigError(x)))].join('\n');
  return `% Commit refused: ${err?.message ?? String(e)}`;
}

export type { AuditKernel };
