// TEST-ONLY launcher: `node build/test/support/hooked-lbctl.js [HOOK OPTIONS] -- LBCTL ARGS…` installs the hooks
// (test/support/hooks.ts) through the production injection points, then runs the real CLI, main(argv) of
// cli/main.ts, exactly as bin/lbctl does. With --guard-poll-ms, the confirm guard a `commit confirmed` starts is
// hooked-guard.js with that poll interval (and --clock-file, if given).
import { HOOKED_GUARD, hookArgs, installHooks, parseHookArgs } from './hooks.js';
import { setConfirmGuardLauncher } from '../../engine/confirm-guard.js';
import { main } from '../../cli/main.js';

const { hooks, rest } = parseHookArgs(process.argv.slice(2));
await installHooks(hooks);
// The guard runs on the real clock, or on the clock file's (which the test can move later). A fixed offset is
// not passed on: tests commit `confirmed 1` with the clock 54 s behind so that the guard acts 6 s later.
if (hooks.guardPollMs) {
  const { guardPollMs, clockFile } = hooks;
  setConfirmGuardLauncher({ entry: HOOKED_GUARD, args: hookArgs({ guardPollMs, clockFile }) });
}
process.exitCode = await main(rest);
