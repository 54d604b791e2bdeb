// Runs one benchmark module against a real IPVS kernel: inside the qemu guest when this host's kernel lacks
// IPVS, directly otherwise. Benchmarks print figures; they never pass or fail on time.
//
//   node build/bench/run.js                  lists the benchmarks
//   node build/bench/run.js NAME [ARGS...]   runs bench/NAME (its `export async function main()`)
//   --host / --vm before NAME                force where it runs
//
// A benchmark that needs no kernel (pure planning, terminal start-up) says so with `export const needsKernel =
// false` and runs on the host: emulated figures would only blur it. Everything else needs IPVS, so it runs
// directly on a host whose kernel has it, else in the VM.
//
// Paths derive from this file's location, so it works from build/ and from build-<name>/.
import { readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describeGuest, forwardedEnv, GuestError, hostHasIpvs, prepareGuest, runInGuest, VmDependencyError } from '../test/kernel/vm.js';
import { shQuote } from '../test/kernel/vm/guest-scripts.js';

const here = dirname(fileURLToPath(import.meta.url)); // <build>/bench
const projectRoot = resolve(here, '..', '..');
const thisFile = fileURLToPath(import.meta.url);
const timeoutMs = Number(process.env.LBCTL_BENCH_TIMEOUT_MIN ?? 40) * 60_000;

function benchmarks(): string[] {
  return readdirSync(here)
    .filter((f) => f.endsWith('.js') && f !== 'run.js')
    .map((f) => f.slice(0, -'.js'.length))
    .sort();
}

interface BenchModule {
  main?: () => unknown;
  needsKernel?: boolean;
}

async function load(name: string): Promise<BenchModule> {
  const mod = (await import(pathToFileURL(join(here, `${name}.js`)).href)) as BenchModule;
  if (typeof mod.main !== 'function') throw new Error(`bench/${name} does not export an async function main()`);
  return mod;
}

async function runHere(mod: BenchModule): Promise<void> {
  const figures = await mod.main!();
  if (figures !== undefined) console.log(typeof figures === 'string' ? figures : JSON.stringify(figures, null, 2));
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const where = args[0] === '--host' || args[0] === '--vm' ? args.shift() : undefined;
  const [name] = args;
  const available = benchmarks();
  if (!name) {
    console.log(`usage: node ${thisFile.slice(projectRoot.length + 1)} [--host|--vm] NAME [ARGS...]`);
    console.log(`benchmarks: ${available.length ? available.join(', ') : '(none built yet)'}`);
    return 2;
  }
  if (!available.includes(name)) {
    console.error(`bench: no benchmark '${name}'; available: ${available.join(', ') || '(none)'}`);
    return 2;
  }
  const mod = await load(name);
  const wantsKernel = where ? where === '--vm' : mod.needsKernel !== false;
  if (process.env.LBCTL_IN_VM === '1' || !wantsKernel || (where !== '--vm' && hostHasIpvs())) {
    await runHere(mod);
    return 0;
  }
  console.log(`bench: booting ${describeGuest(prepareGuest())}`);
  console.log('bench: figures taken under emulation compare only with other figures from the same guest');
  const command = [process.execPath, thisFile, ...args].map(shQuote).join(' ');
  const result = await runInGuest(command, { timeoutMs, stream: process.stdout, cwd: projectRoot, env: forwardedEnv() });
  return result.code;
}

main().then(
  (code) => { process.exitCode = code; },
  (err: unknown) => {
    const prefix = err instanceof VmDependencyError ? 'cannot run: ' : '';
    console.error(`bench: ${prefix}${err instanceof Error ? err.message : String(err)}`);
    process.exitCode = err instanceof VmDependencyError ? 2 : 1;
    if (!(err instanceof VmDependencyError || err instanceof GuestError) && err instanceof Error && err.stack) console.error(err.stack);
  },
);
