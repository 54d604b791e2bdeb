// Entry of the detached `commit confirmed` guard:
//   node build/engine/confirm-guard-main.js --state-dir DIR --config PATH [--lab]
// Started by ensureConfirmGuard(); its stdio is closed, so it logs to STATE/confirm-guard.log.
// LBCTL_CONFIRM_POLL_MS overrides how often it re-reads the pending record (tests; default 1000 ms).
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { guardFileLogger, runGuard } from './confirm-guard.js';
import { reapplyAfterExpiry } from './confirm-rollback.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: { 'state-dir': { type: 'string' }, config: { type: 'string' }, lab: { type: 'boolean' } },
    strict: true,
  });
  if (!values['state-dir'] || !values.config) {
    process.stderr.write('usage: confirm-guard-main.js --state-dir DIR --config PATH [--lab]\n');
    return 2;
  }
  const stateDir = resolve(values['state-dir']);
  const configPath = resolve(values.config);
  const lab = Boolean(values.lab);
  const log = guardFileLogger(stateDir);
  const poll = Number(process.env.LBCTL_CONFIRM_POLL_MS);
  try {
    const exit = await runGuard({
      stateDir,
      configPath,
      pollMs: Number.isFinite(poll) && poll > 0 ? poll : undefined,
      log,
      rollback: async (expiry) => {
        const kernel = await reapplyAfterExpiry(expiry, { stateDir, lab, log });
        log(kernel ? `kernel: ${kernel.ok ? `${kernel.applied.length} operation(s) in effect` : `FAILED: ${kernel.failed}`}` : 'kernel: nothing to re-apply');
      },
    });
    log(`exit: ${exit}`);
    return 0;
  } catch (err) {
    log(`guard failed: ${(err as Error).stack ?? err}`);
    return 1;
  }
}

process.exitCode = await main();
