// What the confirm guard does after the store rolled back an unconfirmed commit: re-apply the restored
// configuration to the kernel through a fresh engine (all or nothing, as every commit), and write the audit record
// (action confirm-timeout) with the diff and the kernel's answer. The store alone never touches the kernel.
import type { Config } from '../config/model.js';
import { renderCompare } from '../config/diff.js';
import { openStore, osIdentity, readRevisionConfig, type ConfirmExpiry } from '../store/store.js';
import { openHostDataplane } from './host-dataplane.js';
import { EngineHost } from './host.js';
import { clearKernelPending } from '../store/kernel-pending.js';
import { appendAudit, auditPath, auditRotation, kernelOfApply, type AuditKernel } from './audit.js';
import type { ApplyResult } from './engine.js';

export { LAB_TABLE_FILE } from './host-dataplane.js';

export interface ReapplyOptions {
  stateDir: string;
  lab?: boolean;
  /** Attempts at the kernel apply (a dataplane error may be passing: a busy netlink socket). */
  attempts?: number;
  /** Injectable kernel step for tests: applies `config`, returns the engine's result. */
  apply?: (config: Config) => Promise<ApplyResult>;
  /** Pause before attempt i+1 is retryDelayMs × i (default 500). */
  retryDelayMs?: number;
  log?: (message: string) => void;
}

/** A one-shot engine host of this state directory (lab table or kernel) commits `config`. */
async function applyThroughEngine(stateDir: string, lab: boolean, config: Config): Promise<ApplyResult> {
  const host = new EngineHost({
    mode: 'in-process',
    stateDir,
    lab,
    openDataplane: () => openHostDataplane({ stateDir, lab }),
    store: null,
    describe: () => '',
    readBeforeCommit: false,
  });
  try {
    return await host.applyRunning(config);
  } finally {
    await host.close();
  }
}

/**
 * The guard's answer to a kernel-pending record whose writer died: a host with the writable store opens the
 * dataplane, which finishes the change as every start does (engine/recover.ts: the kernel runs the running
 * revision, audited as recover). Returns what happened, in words for the guard's log.
 */
export async function recoverLeftChange(opts: { stateDir: string; configPath: string; lab: boolean }): Promise<string> {
  const store = await openStore({ stateDir: opts.stateDir, configPath: opts.configPath });
  const host = new EngineHost({
    mode: 'in-process',
    stateDir: opts.stateDir,
    lab: opts.lab,
    openDataplane: () => openHostDataplane({ stateDir: opts.stateDir, lab: opts.lab }),
    store,
    describe: () => '',
    readBeforeCommit: false,
  });
  try {
    await host.engine();
    if (host.recoveryError) throw new Error(host.recoveryError);
    const r = host.recovered;
    if (!r) return 'nothing left to do (another process finished it)';
    if (!r.result.ok) throw new Error(`the kernel refused revision ${r.revision}: ${kernelOfApply(r.result).failed ?? 'unknown error'}`);
    return `the kernel now runs revision ${r.revision} (${r.result.applied.length} operation(s))`;
  } finally {
    await host.close();
  }
}

/** The rollback action of the guard: kernel re-apply (retried) + one audit record. Returns the kernel outcome. */
export async function reapplyAfterExpiry(expiry: ConfirmExpiry, opts: ReapplyOptions): Promise<AuditKernel | null> {
  const log = opts.log ?? (() => {});
  const restored = expiry.revision;
  const who = osIdentity();
  const replacedConfig = readRevisionConfig(opts.stateDir, expiry.replaced.number);
  const target = restored?.config ?? replacedConfig;
  let kernel: AuditKernel | null = null;
  let error: string | undefined;
  if (restored) {
    const attempts = Math.max(1, opts.attempts ?? 3);
    const apply = opts.apply ?? ((c: Config) => applyThroughEngine(opts.stateDir, Boolean(opts.lab), c));
    for (let i = 1; i <= attempts; i++) {
      try {
        const result = await apply(restored.config);
        kernel = kernelOfApply(result);
        if (result.ok) break;
        error = kernel.failed ?? 'the kernel refused the rollback';
      } catch (err) {
        error = (err as Error).message;
        kernel = { ok: false, applied: [], failed: error };
      }
      log(`kernel re-apply attempt ${i}/${attempts} failed: ${error}`);
      if (i < attempts) await new Promise((r) => setTimeout(r, (opts.retryDelayMs ?? 500) * i));
    }
    if (kernel?.ok) error = undefined;
  }
  appendAudit(auditPath({ stateDir: opts.stateDir, config: target, lab: opts.lab }), {
    user: who.user,
    ...(who.uid !== undefined ? { uid: who.uid } : {}),
    action: 'confirm-timeout',
    result: !restored ? 'no-changes' : kernel?.ok ? 'ok' : 'failed',
    revisionBefore: expiry.replaced.number,
    revisionAfter: restored ? restored.number : expiry.replaced.number,
    comment: restored?.comment ?? `commit ${expiry.expired.revision} by ${expiry.expired.user} was not confirmed; running already equalled revision ${expiry.expired.previousRevision}`,
    deadline: expiry.expired.deadline,
    ...(restored && replacedConfig ? { diff: renderCompare(replacedConfig, restored.config) } : {}),
    ...(kernel ? { kernel } : {}),
    ...(error ? { error } : {}),
  }, auditRotation(target));
  // The store recorded the rollback with a kernel-pending record (store/kernel-pending.ts): the kernel now
  // follows, so it goes. A kernel that refused keeps it, for the next start to try again.
  if (!restored || kernel?.ok) clearKernelPending(opts.stateDir);
  return kernel;
}
