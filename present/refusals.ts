// The operator's words for a refused commit, in the two voices lbctl speaks: the shell's `% …` sentences and
// `lbctl apply`'s `lbctl: …` lines. One module, because the daemon must say exactly what an in-process commit
// says: it is handed `describeInVoice` and tells each refusal in the voice the client asked for.
import { describeConfigError, formatConfigError } from '../config/errors.js';
import { staleBaseMessage } from '../store/store-format.js';
import type { Store } from '../store/store.js';
import { kernelOfApply } from '../engine/audit.js';
import type { Refusal } from '../engine/commit-transaction.js';
import type { ApplyResult } from '../engine/engine.js';
import { describeFailure } from '../engine/explain.js';
import type { CommitVoice } from '../engine/host.js';
import { exclusiveLockMessage } from '../locks/exclusive-lock.js';

export function describeInVoice(voice: CommitVoice, r: Refusal, store: Store): string {
  return voice === 'shell' ? describeShellRefusal(r, store) : describeApplyRefusal(r);
}

/** The shell's words for each refusal of the commit transaction (thrown as the command's error, and audited). */
export function describeShellRefusal(r: Refusal, store: Store): string {
  switch (r.kind) {
    case 'lock':
      return `% Commit refused: ${r.error.message}`;
    case 'invalid': {
      const n = r.errors.length;
      const head = `% Validation failed: ${n} problem${n === 1 ? '' : 's'}; nothing was committed.`;
      return [head, ...r.errors.map((e) => '  ' + describeConfigError(e))].join('\n');
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
      return [`the configuration does not validate; ${untouched}`, ...r.errors.map((e) => describeConfigError(e))].join('\n');
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
