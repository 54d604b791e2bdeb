// Benchmark (figures only, never pass/fail): one-weight commits straight to a kernel daemon's socket, for one or
// more lbctl builds alternated in one boot, beside `ipvsadm -e` in the same namespaces. What bench/daemon-commit.ts
// measures in detail for one build, reduced to what a before/after comparison needs:
//  - per build and round: a fresh network namespace, the daemon's cold start on N services × 4 backends, a 30 s
//    wait (the warm-up after the start), then K one-weight commits over the socket, one a second: each one's wall
//    time (client) and the daemon's CPU time (utime + stime from /proc, every thread), the daemon's VmRSS after
//    them, and three `ipvsadm -e` of one weight in the same namespace;
//  - a summary per build: the median of each round's last five commits (the first ones after a start still build
//    memos), and of every `ipvsadm -e`.
// Run: LBCTL_BENCH_BUILDS=/tmp/old/build,build node build/bench/run.js daemon-commit-ab
//   LBCTL_BENCH_ROUNDS (2), LBCTL_BENCH_COMMITS (8), LBCTL_BENCH_SERVICES (10,000);
//   LBCTL_BENCH_IDLE_S=N: after the commits, the daemon left idle for N s and its VmRSS read every 10 s (the steady
//   state: V8 gives memory back only after a while without work, its "memory reducer");
//   LBCTL_BENCH_CPU_PROF=1: each daemon runs under --cpu-prof, and its CPU during the last commits of each round is
//   printed as its top functions (bench/profile-summary.ts): the profile of the emulated machine, whose weights
//   differ from the host's (the profiler itself slows the commits: take the times from a run without it).
// Addresses are documentation ranges (bench/big-config.ts): table entries only, no traffic is sent.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { profileSummaryText } from './profile-summary.js';
import { installedDaemon } from './installed-daemon.js';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const THIS_BUILD = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const BUILDS = (process.env.LBCTL_BENCH_BUILDS ?? THIS_BUILD).split(',').filter(Boolean).map((b) => resolve(b));
const ROUNDS = Number(process.env.LBCTL_BENCH_ROUNDS ?? 2);
const COMMITS = Math.max(6, Number(process.env.LBCTL_BENCH_COMMITS ?? 8));
const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const TAIL = 5;
const CPU_PROF = process.env.LBCTL_BENCH_CPU_PROF === '1';
const IDLE_S = Number(process.env.LBCTL_BENCH_IDLE_S ?? 0);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Each build's own modules, loaded by path (typed loosely: a build may predate this one's types). */
const load = (build: string, rel: string): Promise<any> => import(pathToFileURL(join(build, rel)).href);

/** utime + stime of every thread of `pid`, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

interface Run {
  walls: number[];
  cpus: number[];
  rssMiB: number;
  /** With LBCTL_BENCH_IDLE_S: VmRSS (MiB) every 10 s of idling after the commits. */
  idleRssMiB: number[];
  edits: number[];
  /** With LBCTL_BENCH_CPU_PROF: the daemon's profile during the last commits. */
  profile?: string;
}

async function oneRun(build: string, ns: string): Promise<Run> {
  const H = await load(build, 'test/kernel/suite/daemon-helpers.js');
  const big = await load(build, 'bench/big-config.js');
  const { DaemonConnection } = await load(build, 'engine/daemon/client.js');
  const { readRevisionConfig } = await load(build, 'store/store.js');
  const { configDelta } = await load(build, 'config/delta.js');
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    // With lo down the kernel calls every destination "not unicast" (EINVAL) in a fresh namespace. No traffic.
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const root = mkdtempSync(join(tmpdir(), 'lbctl-bench-ab-'));
    const cfg = join(root, 'config');
    const state = join(root, 'state');
    mkdirSync(state, { recursive: true });
    big.writeBigConfig(cfg, state, SERVICES, 3_600_000);
    const launcher = H.writeLauncher(root);
    const profDir = join(root, 'cpu-profile');
    const prof = CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', profDir] : [];
    // The daemon as the build's systemd unit starts it (bench/installed-daemon.ts).
    const installed = installedDaemon(build);
    const d = spawn('ip', ['netns', 'exec', ns, process.execPath, ...prof, ...installed.nodeFlags, launcher, 'daemon', '--config', cfg, '--state-dir', state], { stdio: ['ignore', 'ignore', 'ignore'], env: { ...H.cleanEnv(), ...installed.env } });
    /** Each commit's span on the monotonic clock, in microseconds (what the profile's samples are stamped with). */
    const windows: Array<[number, number]> = [];
    const micros = () => Number(process.hrtime.bigint() / 1000n);
    let run: Run | null = null;
    try {
      let conn: any = null;
      const deadline = Date.now() + 30 * 60_000;
      while (!conn && Date.now() < deadline) {
        conn = await DaemonConnection.connect(state, 2000);
        if (!conn) await sleep(500);
      }
      if (!conn) throw new Error(`${build}: the daemon did not answer`);
      const hello = await conn.call('hello', undefined, 30 * 60_000);
      await sleep(30_000);
      const mid = Math.floor(SERVICES / 2);
      let prev = readRevisionConfig(state, hello.runningRevision);
      let base = hello.runningRevision as number;
      run = { walls: [], cpus: [], rssMiB: 0, idleRssMiB: [], edits: [] };
      for (let k = 0; k < COMMITS; k++) {
        // As the shell sends it: the difference from the base revision.
        const cand = structuredClone(prev);
        cand.services.find((s: { name: string }) => s.name === `s${mid + k}`).backends[0].weight = 30 + k;
        const delta = configDelta(prev, cand);
        prev = cand;
        await sleep(1000);
        const c0 = cpuMs(d.pid!);
        const t0 = performance.now();
        const w0 = micros();
        const out = await conn.call('commit', { job: { delta, base, action: 'commit', record: { how: 'commit', meta: { origin: 'shell' } }, voice: 'shell' }, identity: { user: 'bench' } }, 30 * 60_000);
        windows.push([w0, micros()]);
        run.walls.push(Math.round(performance.now() - t0));
        run.cpus.push(cpuMs(d.pid!) - c0);
        if (out.kind !== 'committed') throw new Error(`${build}: commit ${k}: ${out.kind}`);
        base = out.after;
      }
      const rssNow = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${d.pid}/status`, 'utf8'))![1]) / 1024;
      run.rssMiB = rssNow();
      const v = big.vipOf(mid);
      const b = big.backendOf(mid, 1);
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-e', '-t', `${v.vip}:${v.port}`, '-r', `${b.address}:${b.port}`, '-m', '-w', String(7 + i)]);
        run.edits.push(Math.round(performance.now() - t0));
      }
      for (let t = 10; t <= IDLE_S; t += 10) {
        await sleep(10_000);
        run.idleRssMiB.push(Math.round(rssNow()));
      }
      conn.close();
      return run;
    } finally {
      d.kill('SIGTERM');
      await new Promise((r) => d.once('exit', r));
      // The profile is written as the daemon exits: the main thread's is the one named ….0.001.cpuprofile.
      const main = CPU_PROF && existsSync(profDir) ? readdirSync(profDir).find((f) => /\.0\.0*1\.cpuprofile$/.test(f)) : undefined;
      if (run && main) run.profile = profileSummaryText(join(profDir, main), windows.slice(-TAIL));
    }
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

export async function main(): Promise<string> {
  execFileSync('modprobe', ['ip_vs']);
  console.log(`daemon-commit-ab: ${SERVICES} services x 4 backends; builds ${BUILDS.join(', ')}; ${ROUNDS} round(s) of ${COMMITS} commits each`);
  const runs = new Map<string, Run[]>(BUILDS.map((b) => [b, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, build] of BUILDS.entries()) {
      const run = await oneRun(build, `lbctl-ab-${process.pid}-${round}-${i}`);
      runs.get(build)!.push(run);
      console.log(`  round ${round} ${build}: commit wall ms ${run.walls.join(' ')} | daemon CPU ms ${run.cpus.join(' ')} | VmRSS ${run.rssMiB.toFixed(0)} MiB | ipvsadm -e ms ${run.edits.join(' ')}`);
      if (run.idleRssMiB.length) console.log(`  idle after the commits, VmRSS MiB every 10 s: ${run.idleRssMiB.join(' ')}`);
      if (run.profile) console.log(`  the daemon's CPU profile of its last ${TAIL} commits:\n${run.profile}`);
    }
  }
  const lines = ['', `summary (the last ${TAIL} commits of each round):`];
  for (const [build, rs] of runs) {
    const walls = rs.flatMap((r) => r.walls.slice(-TAIL));
    const cpus = rs.flatMap((r) => r.cpus.slice(-TAIL));
    const edits = rs.flatMap((r) => r.edits);
    lines.push(`  ${build}: commit ${Math.min(...walls)}-${Math.max(...walls)} ms (median ${median(walls)}), daemon CPU median ${median(cpus)} ms; ipvsadm -e median ${median(edits)} ms; ratio ${(median(walls) / median(edits)).toFixed(2)}x`);
  }
  return lines.join('\n');
}
