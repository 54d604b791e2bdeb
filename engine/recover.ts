// Finishing what a killed process left between the kernel and the store (store/kernel-pending.ts). Every engine
// host runs this when it first opens the dataplane, so the daemon, a shell, `lbctl apply` and `lbctl status` all
// do: the kernel is made to run the store's running revision, the audit trail says what happened, and the record
// goes. The store is the side to trust: a commit it recorded stands (the kernel is re-applied to make sure), one it
// did not record is taken out of the kernel, and a recorded confirm rollback is carried out.
import type { Store } from '../store/store.js';
import { osIdentity } from '../store/store.js';
import { clearKernelPending, readKernelPending, type KernelPending } from '../store/kernel-pending.js';
import { acquireLock, LockHeldError } from '../locks/lock.js';
import { describeHolder, pidAlive } from '../locks/holder.js';
import { appendAudit, auditPath, auditRotation, kernelOfApply } from './audit.js';
import { commitTransactionLockPath } from './commit-transaction.js';
import type { ApplyResult, Engine } from './engine.js';

export interface Recovery {
  record: KernelPending;
  /** The running revision the kernel was made to run. */
  revision: number;
  /** The commit reached the store before its writer died (false: it was undone; null: a confirm rollback). */
  landed: boolean | null;
  result: ApplyResult;
}

/**
 * If a dead writer left a kernel-pending record, make the kernel run the running revision. Null when there was
 * nothing to do (no record, its writer still alive or in its transaction, or this host cannot write the store).
 */
export async function recoverInterrupted(opts: { stateDir: string; lab: boolean; store: Store | null; engine: Engine }): Promise<Recovery | null> {
  const { stateDir, store, engine } = opts;
  if (!store) return null;
  const first = readKernelPending(stateDir);
  if (!first || stillRunning(first)) return null;
  let lock;
  try {
    lock = await acquireLock({ name: 'recovery', path: commitTransactionLockPath(stateDir), holder: describeHolder(), waitMs: 0 });
  } catch (e) {
    if (e instanceof LockHeldError) return null; // a transaction is in flight: its own end clears the record
    throw e;
  }
  try {
    const record = readKernelPending(stateDir);
    if (!record || stillRunning(record)) return null;
    const running = store.running();
    const result = await engine.commit(running.config);
    const landed = record.why === 'confirm-rollback' ? null : running.number > record.base;
    const who = osIdentity();
    const story =
      record.why === 'confirm-rollback'
        ? `the rollback of an unconfirmed commit (revision ${running.number}) was recorded but the kernel was not set back: done now`
        : landed
          ? `a commit by ${record.user} (revision ${running.number}) was recorded but its writer (pid ${record.pid}) died before finishing: the kernel was re-applied to match it`
          : `a commit by ${record.user} (pid ${record.pid}) changed the kernel but died before recording revision ${record.base + 1}: the kernel was set back to revision ${running.number}`;
    appendAudit(
      auditPath({ stateDir, config: running.config, lab: opts.lab }),
      {
        user: who.user,
        ...(who.uid !== undefined ? { uid: who.uid } : {}),
        action: 'recover',
        result: result.ok ? 'ok' : 'failed',
        revisionBefore: record.base,
        revisionAfter: running.number,
        comment: story + (record.comment ? ` (its comment: ${record.comment})` : ''),
        kernel: kernelOfApply(result),
      },
      auditRotation(running.config),
    );
    if (result.ok) clearKernelPending(stateDir);
    return { record, revision: running.number, landed, result };
  } finally {
    await lock.release().catch(() => {});
  }
}

/** The writer may still finish it: alive, and not this process (whose own unfinished step is not in flight). */
function stillRunning(r: KernelPending): boolean {
  return r.pid > 0 && r.pid !== process.pid && pidAlive(r.pid);
}
