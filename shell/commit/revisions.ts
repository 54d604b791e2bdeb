// Moving the candidate between revisions and files: `abort` (discard it, audited), configure-mode `rollback N`
// (load revision current−N into it), exec `rollback N` (commit an older revision after a yes/no), `update` (carry
// the candidate's changes onto the new running revision, three-way) and `load merge|override FILE`.
import { renderCompare } from '../../config/diff.js';
import { configsEqual } from '../../config/equal.js';
import { formatConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/load.js';
import { TOP_LEVEL_KEYS } from '../../config/schema.js';
import { formatConflict, loadMergeResult, loadOverride, mergeConfigs } from '../../config/merge.js';
import { choiceQuestion, CommandError, type CommandOutput, type ModeContext } from '../../modes/types.js';
import type { CommitRunner } from './commit-run.js';
import type { ConfigureSession } from './configure-session.js';
import type { WorkflowContext } from './context.js';

export class RevisionCommands {
  constructor(
    private readonly wf: WorkflowContext,
    private readonly configure: ConfigureSession,
    private readonly runner: CommitRunner,
  ) {}

  async abort(ctx: ModeContext): Promise<CommandOutput> {
    const running = ctx.backend.running();
    const shared = this.configure.kind === 'shared';
    const before = ctx.hasCandidate() ? ctx.candidate() : running;
    const r = await this.configure.discard(ctx);
    // What was thrown away: the whole candidate, or (shared) this session's items, whose values went back.
    const after = shared && r.undone.length ? (r.after ?? running) : running;
    const warn = this.wf.writeAudit({
      action: 'abort',
      result: 'ok',
      revisionBefore: ctx.backend.runningRevision(),
      revisionAfter: ctx.backend.runningRevision(),
      diff: shared && !r.undone.length ? '' : renderCompare(after, before),
    });
    const head = !shared
      ? '% Uncommitted changes discarded.'
      : r.undone.length
        ? `% Your uncommitted changes were discarded (${r.undone.join(', ')}).`
        : '% You made no uncommitted changes; nothing discarded.';
    const kept = r.kept.length ? [`% Kept, because another session changed them after you: ${r.kept.join(', ')}.`] : [];
    return { text: [head, ...kept, ...(r.note ? [r.note] : []), ...(warn ? [warn] : [])].join('\n') };
  }

  private relative(n: number) {
    const store = this.wf.requireStore();
    const rev = store.getRelative(n);
    if (!rev) throw new CommandError(`% rollback ${n}: there is no revision current-${n} (${store.list().length} revisions kept).`);
    return rev;
  }

  async loadRollback(ctx: ModeContext, n: number): Promise<CommandOutput> {
    if (n === 0) {
      // The shared candidate holds other sessions' work too: only this session's changes go.
      if (this.configure.kind === 'shared') return this.configure.discardOwn(ctx);
      ctx.resetCandidate();
      return { text: '% Candidate reset to the running configuration.' };
    }
    const rev = this.relative(n);
    ctx.setCandidate(structuredClone(rev.config), this.wf.requireStore().running().number);
    return { text: `% Loaded revision ${rev.number} (rollback ${n}) into the candidate; review with "show | compare", then "commit".` };
  }

  async execRollback(ctx: ModeContext, n: number): Promise<CommandOutput> {
    const rev = this.relative(n);
    const running = this.wf.requireStore().running();
    const diff = renderCompare(running.config, rev.config).trimEnd();
    if (configsEqual(running.config, rev.config)) return { text: `% Revision ${rev.number} equals the running configuration; nothing to roll back.` };
    return {
      text: `Rolling back to revision ${rev.number} (rollback ${n}) changes the running configuration:\n${diff}`,
      question: choiceQuestion(`Commit revision ${rev.number} now? [yes/no]`, [
        {
          words: ['yes', 'y'],
          run: (c) =>
            this.runner.run(c, {
              candidate: structuredClone(rev.config),
              base: running.number,
              origin: 'rollback',
              action: 'rollback',
              comment: `rollback ${n} to revision ${rev.number}`,
            }),
        },
        { words: ['no', 'n'], run: () => ({ text: '% Rollback cancelled.' }) },
      ]),
    };
  }

  async update(ctx: ModeContext): Promise<CommandOutput> {
    const store = this.wf.requireStore();
    const running = store.running();
    const base = ctx.candidateBase();
    if (base === running.number) return { text: `% The candidate is already based on the running revision ${base}.` };
    const baseRev = store.get(base);
    if (!baseRev) throw new CommandError(`% update: base revision ${base} was pruned; use "rollback 0" and redo the changes.`);
    const { merged, conflicts } = mergeConfigs(baseRev.config, ctx.candidate(), running.config);
    ctx.setCandidate(merged, running.number);
    this.configure.rebased(running.number);
    this.wf.writeAudit({
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
    // An empty file (or only comments) "loads" as an empty configuration: for override that would delete every
    // service, for merge it would do nothing and say it did. Either way it is the wrong file.
    if (result.files.every((f) => isEmptyData(f.data !== undefined ? f.data : f.doc.toJS())))
      throw new CommandError(`% load ${how} ${file}: the file holds no configuration (no ${TOP_LEVEL_KEYS.join(':, ')}: section); the candidate is unchanged.`);
    const next = how === 'merge' ? loadMergeResult(ctx.candidate(), result) : loadOverride(ctx.candidate(), result.config);
    if (!next) throw new CommandError(`% load ${how} ${file}: the file does not load; the candidate is unchanged.`);
    ctx.setCandidate(next);
    this.wf.writeAudit({ action: 'load', result: 'ok', comment: `load ${how} ${file}`, revisionBefore: ctx.candidateBase(), revisionAfter: ctx.candidateBase() });
    return { text: `% Loaded ${file} into the candidate (${how}); "show | compare" shows the difference.` };
  }
}

function isEmptyData(data: unknown): boolean {
  return data === null || data === undefined || (typeof data === 'object' && !Array.isArray(data) && Object.keys(data).length === 0);
}
