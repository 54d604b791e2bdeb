// TEST-ONLY hooks for lbctl processes. Production lbctl reads no environment variable that changes time, identity
// or crash behaviour; tests inject those through the production modules' injection points instead:
//   store/atomic.ts        setAtomicStepHook((step, label) => …)   crash at step N, trace, stretched steps
//   store/store.ts          setStoreClock(() => Date)               the clock of every store the process opens
//   config/identity.ts         setPretendIdentity({ user, uid, groups }) a pretend operator (reduce-only)
//   engine/confirm-guard    setConfirmGuardLauncher({ entry, args }) the guard a commit confirmed starts;
//                           confirmGuardMain(argv, { pollMs })       its poll interval
// A child process gets its hooks as leading arguments of a test launcher (hooked-lbctl.js, hooked-guard.js, or a
// fixture that calls installHooks itself), ended by `--`:
//   node build/test/support/hooked-lbctl.js --crash-at-step 7 --trace-steps -- shell --lab -c '…'
import { fileURLToPath } from 'node:url';

export interface TestHooks {
  /** SIGKILL this process right after its N-th disk-changing step (store/atomic.ts step()). */
  crashAtStep?: number;
  /** Sleep this long after every step (randomly timed kills from outside then land all over a commit). */
  stepDelayMs?: number;
  /** Write `step N LABEL` to stderr after every step. */
  traceSteps?: boolean;
  /** The clock of every revision store the process opens runs this far from the real one (negative: behind). */
  clockOffsetMs?: number;
  /**
   * Like clockOffsetMs, but the offset (ms) is read from this file at every look at the clock, so a test can move
   * the time of a process that is already running (a detached confirm guard) by rewriting the file.
   */
  clockFile?: string;
  /** A pretend operator (only ever reduces privileges; commits still record the real user). */
  identity?: { user: string; uid?: number; groups?: string[] };
  /** The confirm guard's poll interval; for hooked-lbctl: the guard its commits start runs hooked-guard.js with it. */
  guardPollMs?: number;
}

/** The compiled launchers beside this module. */
export const HOOKED_LBCTL = fileURLToPath(new URL('./hooked-lbctl.js', import.meta.url));
export const HOOKED_GUARD = fileURLToPath(new URL('./hooked-guard.js', import.meta.url));

/** The launcher arguments for `hooks`, ending with `--` (the program's own arguments follow). */
export function hookArgs(hooks: TestHooks): string[] {
  const a: string[] = [];
  if (hooks.crashAtStep) a.push('--crash-at-step', String(hooks.crashAtStep));
  if (hooks.stepDelayMs) a.push('--step-delay-ms', String(hooks.stepDelayMs));
  if (hooks.traceSteps) a.push('--trace-steps');
  if (hooks.clockOffsetMs !== undefined) a.push('--clock-offset-ms', String(hooks.clockOffsetMs));
  if (hooks.clockFile) a.push('--clock-file', hooks.clockFile);
  if (hooks.identity) a.push('--identity', JSON.stringify(hooks.identity));
  if (hooks.guardPollMs) a.push('--guard-poll-ms', String(hooks.guardPollMs));
  a.push('--');
  return a;
}

function num(option: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || value === '' || !Number.isFinite(n)) throw new Error(`${option}: a number is required (got ${value})`);
  return n;
}

/** Splits leading hook options (up to `--`, or to the first argument that is not one) from the program's argv. */
export function parseHookArgs(argv: string[]): { hooks: TestHooks; rest: string[] } {
  const hooks: TestHooks = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') return { hooks, rest: argv.slice(i + 1) };
    if (a === '--crash-at-step') hooks.crashAtStep = num(a, argv[++i]);
    else if (a === '--step-delay-ms') hooks.stepDelayMs = num(a, argv[++i]);
    else if (a === '--trace-steps') hooks.traceSteps = true;
    else if (a === '--clock-offset-ms') hooks.clockOffsetMs = num(a, argv[++i]);
    else if (a === '--clock-file') hooks.clockFile = argv[++i];
    else if (a === '--identity') hooks.identity = JSON.parse(argv[++i] ?? '') as TestHooks['identity'];
    else if (a === '--guard-poll-ms') hooks.guardPollMs = num(a, argv[++i]);
    else break;
  }
  return { hooks, rest: argv.slice(i) };
}

/**
 * Installs `hooks` in this process through the production injection points (modules loaded only when needed, so
 * a crash-test child pays for the store alone). The guard poll interval is not installed here: hooked-lbctl
 * points the guard launcher at hooked-guard.js, and hooked-guard passes it to confirmGuardMain.
 */
export async function installHooks(hooks: TestHooks): Promise<void> {
  const { crashAtStep, stepDelayMs, traceSteps } = hooks;
  if (crashAtStep || stepDelayMs || traceSteps) {
    const { setAtomicStepHook } = await import('../../store/atomic.js');
    const sleepCell = new Int32Array(new SharedArrayBuffer(4));
    setAtomicStepHook((n, label) => {
      if (traceSteps) process.stderr.write(`step ${n} ${label}\n`);
      if (crashAtStep && crashAtStep > 0 && n === crashAtStep) process.kill(process.pid, 'SIGKILL');
      if (stepDelayMs && stepDelayMs > 0) Atomics.wait(sleepCell, 0, 0, stepDelayMs);
    });
  }
  if (hooks.clockOffsetMs !== undefined) {
    const offset = hooks.clockOffsetMs;
    const { setStoreClock } = await import('../../store/store.js');
    setStoreClock(() => new Date(Date.now() + offset));
  }
  if (hooks.clockFile) {
    const file = hooks.clockFile;
    const { readFileSync } = await import('node:fs');
    const { setStoreClock } = await import('../../store/store.js');
    setStoreClock(() => new Date(Date.now() + Number(readFileSync(file, 'utf8').trim() || 0)));
  }
  if (hooks.identity) {
    const { parsePretendIdentity, setPretendIdentity } = await import('../../config/identity.js');
    setPretendIdentity(parsePretendIdentity(JSON.stringify(hooks.identity), '--identity'));
  }
}
