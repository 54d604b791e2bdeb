// TEST-ONLY launcher: `node build/test/support/hooked-lbctl.js [HOOK OPTIONS] -- LBCTL ARGS…` installs the hooks
// (test/support/hooks.ts) through the production injection points, then runs the real CLI, main(argv) of
// cli/main.ts, exactly as bin/lbctl does. With --guard-poll-ms, the confirm guard a `commit confirmed` starts is
// hooked-guard.js with that poll interval.
import { HOOKED_GUARD, hookArgs, installHooks, parseHookArgs } from './hooks.js';
import { setConfirmGuardLauncher } from '../../engine/confirm-guard.js';
import { main } from '../../cli/main.js';

const { hooks, rest } = parseHookArgs(process.argv.slice(2));
await installHooks(hooks);
if (hooks.guardPollMs) setConfirmGuardLauncher({ entry: HOOKED_GUARD, args: hookArgs({ guardPollMs: hooks.guardPollMs }) });
process.exitCode = await main(rest);
