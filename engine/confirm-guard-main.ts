// Entry of the detached `commit confirmed` guard:
//   node build/engine/confirm-guard-main.js --state-dir DIR --config PATH [--lab]
// Started by ensureConfirmGuard(); its stdio is closed, so it logs to STATE/confirm-guard.log. It polls the
// pending record every DEFAULT_GUARD_POLL_MS (1 s) and reads no environment variable; tests that want a shorter
// poll start a launcher of their own (test/support/hooked-guard.ts) that calls confirmGuardMain with `pollMs`.
import { confirmGuardMain } from './confirm-guard.js';

process.exitCode = await confirmGuardMain(process.argv.slice(2));
