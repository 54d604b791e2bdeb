// Runs the kernel suite (test/kernel/suite) against a real IPVS kernel: inside the qemu guest on machines whose
// kernel lacks IPVS, directly on a host that has it. `npm run test:kernel`, part of `npm test`.
//
//   node build/test/kernel/run.js              the whole suite
//   node build/test/kernel/run.js ipvs-dump    only suite files whose name contains one of the words
//   node build/test/kernel/run.js --minutes 90 commit-crash
//                                              a longer cap (whole run and each test) for evidence runs
//
// Works from any build folder (build/, build-<name>/): paths derive from this file's own location.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeGuest, forwardedEnv, GuestError, hostHasIpvs, prepareGuest, runInGuest, VmDependencyError } from './vm.js';
import { shQuote } from './vm/guest-scripts.js';

// The caps: 25 minutes for the run, 10 for one test; `--minutes N` raises both to N (a 200-trial crash run).
const minutesArg = process.argv.indexOf('--minutes');
const LONG_MINUTES = minutesArg >= 0 ? Number(process.argv.splice(minutesArg, 2)[1]) : NaN;
if (minutesArg >= 0 && !(LONG_MINUTES > 0)) throw new Error('--minutes: a positive number of minutes is required');
const HARD_CAP_MS = (LONG_MINUTES > 0 ? LONG_MINUTES : 25) * 60_000;
const PER_TEST_TIMEOUT_MS = (LONG_MINUTES > 0 ? LONG_MINUTES : 10) * 60_000;

const here = dirname(fileURLToPath(import.meta.url)); // <build>/test/kernel
const buildDir = resolve(here, '..', '..');
const projectRoot = dirname(buildDir);
const suiteDir = join(here, 'suite');

/** The suite files to run: all, or those whose name contains one of the words given. */
function selectFiles(words: string[]): string[] {
  if (!existsSync(suiteDir)) throw new Error(`no kernel suite at ${suiteDir}: build first (npx tsc -p .)`);
  const all = readdirSync(suiteDir).filter((f) => f.endsWith('.test.js')).sort();
  if (words.length === 0) return [suiteDir];
  const chosen = all.filter((f) => words.some((w) => f.includes(w)));
  if (chosen.length === 0) throw new Error(`no kernel suite file matches ${words.join(', ')}; there are: ${all.join(', ')}`);
  return chosen.map((f) => join(suiteDir, f));
}

function nodeTestArgs(targets: string[]): string[] {
  // One file at a time: the IPVS table is global to the guest, parallel files would trample each other.
  // TAP reporter: its "# pass N" / "# fail N" summary lines are what CI reads.
  return ['--test', '--test-concurrency=1', '--test-reporter=tap', `--test-timeout=${PER_TEST_TIMEOUT_MS}`, ...targets];
}

async function runDirectly(targets: string[]): Promise<number> {
  console.log(`kernel suite: this host's kernel has IPVS; running directly (no VM) from ${buildDir}`);
  const child = spawn(process.execPath, nodeTestArgs(targets), { cwd: projectRoot, stdio: 'inherit' });
  const timer = setTimeout(() => {
    console.error(`kernel suite: hard cap of ${HARD_CAP_MS / 60_000} minutes reached, stopping`);
    child.kill('SIGKILL');
  }, HARD_CAP_MS);
  const code = await new Promise<number>((res) => child.once('close', (c, s) => res(c ?? (s ? 1 : 0))));
  clearTimeout(timer);
  return code;
}

async function runInVm(targets: string[]): Promise<number> {
  console.log(`kernel suite: booting ${describeGuest(prepareGuest())}`);
  console.log(`kernel suite: running ${targets.map((t) => t.slice(projectRoot.length + 1)).join(' ')} in the guest`);
  const started = Date.now();
  const command = [process.execPath, ...nodeTestArgs(targets)].map(shQuote).join(' ');
  const result = await runInGuest(command, {
    timeoutMs: HARD_CAP_MS, stream: process.stdout, cwd: projectRoot, env: forwardedEnv(),
  });
  if (result.output && !result.output.endsWith('\n')) process.stdout.write('\n');
  console.log(`kernel suite: guest finished in ${((Date.now() - started) / 1000).toFixed(1)} s, exit code ${result.code}`);
  return result.code;
}

async function main(): Promise<number> {
  const targets = selectFiles(process.argv.slice(2));
  return hostHasIpvs() ? runDirectly(targets) : runInVm(targets);
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    if (err instanceof VmDependencyError) {
      console.error(`kernel suite: cannot run: ${err.message}`);
      process.exitCode = 2;
    } else if (err instanceof GuestError) {
      console.error(`kernel suite: ${err.message}`);
      process.exitCode = 1;
    } else {
      console.error(`kernel suite: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    }
  },
);
