// TEST-ONLY launcher of the detached `commit confirmed` guard:
//   node build/test/support/hooked-guard.js [--guard-poll-ms N] [other hook options] -- --state-dir DIR --config PATH [--lab]
// Installs the hooks, then runs the real guard (confirmGuardMain of engine/confirm-guard.ts) with the poll interval.
import { installHooks, parseHookArgs } from './hooks.js';
import { confirmGuardMain } from '../../engine/confirm-guard.js';

const { hooks, rest } = parseHookArgs(process.argv.slice(2));
await installHooks(hooks);
process.exitCode = await confirmGuardMain(rest, hooks.guardPollMs ? { pollMs: hooks.guardPollMs } : {});
