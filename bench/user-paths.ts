// The commands a user types, timed whole (process start to exit) with their peak RSS, on the host with `--lab`
// (no kernel, no VM: where most development happens). Figures only, never pass or fail.
//   N services × 4 backends (LBCTL_BENCH_SERVICES, default 10,000; 100 services per file in config.d/):
//   - lbctl validate; cold lbctl apply (first use of the store included);
//   - lbctl show ipvs; lbctl status; lbctl shell -c 'show version' (start to first answer);
//   - a one-weight commit: lbctl shell -c '…; commit' in-process; the same with a daemon running; one commit
//     in an already open shell (a -c with two commits minus one with one); straight to the daemon's socket;
//   - the daemon's resident memory after start and after the commits.
// Run: node build/bench/run.js user-paths   (or node build/bench/user-paths.js). The kernel figures beside
// ipvsadm are bench/daemon-commit.ts (in the VM). Peak RSS comes from GNU time (/usr/bin/time) when present.
// Addresses are documentation ranges; --lab sends nothing anywhere.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DaemonConnection } from '../engine/daemon/client.js';
import { readRevisionConfig } from '../store/store.js';
import type { Config } from '../config/model.js';
import { BACKENDS, PER_FILE, backendOf, writeBigConfig } from './big-config.js';
import { installedDaemon } from './installed-daemon.js';
import type { DaemonInfo } from '../engine/daemon/protocol.js';
import type { CommitTransactionOutcome } from '../engine/commit-transaction.js';

export const needsKernel = false;

const BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const GNU_TIME = '/usr/bin/time';

const lbctlArgv = () => [process.execPath, join(BUILD_DIR, 'test', 'integration', 'shell', 'fixtures', 'launch.js')];

interface Run {
  ms: number;
  rssMiB: number | null;
  code: number | null;
  stdout: string;
}

/** One whole command, start to exit, with its peak RSS (GNU time's %M) when available. */
function run(args: string[], env: NodeJS.ProcessEnv): Run {
  const timed = existsSync(GNU_TIME);
  const argv = timed ? [GNU_TIME, '-f', 'lbctl-bench-maxrss=%M', ...lbctlArgv(), ...args] : [...lbctlArgv(), ...args];
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { env: { ...env, LBCTL_LAUNCH: '1' }, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  const m = /lbctl-bench-maxrss=(\d+)/.exec(r.stderr ?? '');
  return { ms, rssMiB: m ? Number(m[1]) / 1024 : null, code: r.status, stdout: r.stdout ?? '' };
}

const rows: string[] = [];
function row(label: string, r: Run | string, note = ''): void {
  const figure = typeof r === 'string' ? r : `${r.ms.toFixed(0).padStart(8)} ms  ${r.rssMiB === null ? '   ? MiB' : `${r.rssMiB.toFixed(0).padStart(4)} MiB`}${r.code === 0 ? '' : `  exit ${r.code}`}`;
  const line = `  ${label.padEnd(58)} ${figure}${note ? `  ${note}` : ''}`;
  rows.push(line);
  console.log(line);
}

function vmStatus(pid: number): { rss: number; hwm: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

type DeltaOf = (base: Config, cand: Config) => unknown;
let configDelta: DeltaOf | null = null;

export async function main(): Promise<string> {
  configDelta = await import('../config/delta.js').then((m: { configDelta: DeltaOf }) => m.configDelta).catch(() => null);
  const root = mkdtempSync(join(tmpdir(), 'lbctl-bench-paths-'));
  const home = join(root, 'home');
  const cfg = join(root, 'config');
  const state = join(root, 'state');
  mkdirSync(home);
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.LBCTL_STATE_DIR;
  delete env.LBCTL_CONFIG;
  const common = ['--lab', '--config', cfg, '--state-dir', state];
  const mid = Math.floor(SERVICES / 2);
  const b0 = backendOf(mid, 0);
  const weightCmd = (w: number) => `backend ${b0.address} port ${b0.port} weight ${w}`;
  let daemon: ReturnType<typeof spawn> | null = null;
  try {
    console.log(`user-paths (host, --lab): ${SERVICES} services x ${BACKENDS} backends, ${PER_FILE} per file; node ${process.version}`);
    writeBigConfig(cfg, state, SERVICES, 3_600_000);
    row('lbctl validate', run(['validate', '--config', cfg], env));
    row('cold lbctl apply (first use of the store)', run(['apply', ...common], env));
    row('lbctl show ipvs', run(['show', 'ipvs', '--lab', '--state-dir', state], env));
    row('lbctl status', run(['status', ...common], env));
    row("lbctl shell -c 'show version' (start to answer)", run(['shell', ...common, '-c', 'show version'], env));
    const one = run(['shell', ...common, '-c', `configure private; service s${mid}; ${weightCmd(11)}; commit`], env);
    row("one-weight commit: lbctl shell -c '…; commit', no daemon", one);
    const two = run(['shell', ...common, '-c', `configure private; service s${mid}; ${weightCmd(12)}; commit; ${weightCmd(13)}; commit`], env);
    row('one-weight commit in an open shell, no daemon', `${(two.ms - one.ms).toFixed(0).padStart(8)} ms`, '(a -c with two commits minus one with one)');

    // The daemon as dist/systemd/lbctl.service starts it: its node (V8) flags and environment (bench/installed-daemon.ts).
    const installed = installedDaemon(BUILD_DIR);
    console.log(`  (the daemon as installed: node ${installed.nodeFlags.join(' ') || '(no flags)'}, ${Object.entries(installed.env).map(([k, v]) => `${k}=${v}`).join(' ') || 'no variables'})`);
    daemon = spawn(lbctlArgv()[0], [...installed.nodeFlags, ...lbctlArgv().slice(1), 'daemon', ...common], { env: { ...env, ...installed.env, LBCTL_LAUNCH: '1' }, stdio: ['ignore', 'ignore', 'pipe'] });
    const t0 = performance.now();
    let conn: DaemonConnection | null = null;
    while (!conn && performance.now() - t0 < 10 * 60_000) {
      conn = await DaemonConnection.connect(state, 1000);
      if (!conn) await new Promise((r) => setTimeout(r, 200));
    }
    if (!conn) throw new Error('the daemon did not answer');
    let hello = await conn.call<DaemonInfo>('hello');
    row('daemon start until hello answers', `${(performance.now() - t0).toFixed(0).padStart(8)} ms`);
    const started = vmStatus(daemon.pid!);
    const oneD = run(['shell', ...common, '-c', `configure private; service s${mid}; ${weightCmd(21)}; commit`], env);
    row("one-weight commit: lbctl shell -c '…; commit', daemon", oneD);
    const twoD = run(['shell', ...common, '-c', `configure private; service s${mid}; ${weightCmd(22)}; commit; ${weightCmd(23)}; commit`], env);
    row('one-weight commit in an open shell, daemon', `${(twoD.ms - oneD.ms).toFixed(0).padStart(8)} ms`, '(two commits minus one)');
    hello = await conn.call<DaemonInfo>('hello');
    const base = readRevisionConfig(state, hello.runningRevision)!; // a revision file may be a difference (store/revision-format.ts)
    const times: number[] = [];
    let n = hello.runningRevision;
    let prev = base;
    for (let k = 0; k < 3; k++) {
      const cand = structuredClone(prev);
      cand.services.find((s) => s.name === `s${mid}`)!.backends[0].weight = 30 + k;
      // Sent as the shell sends it (a delta), or whole by a build that predates deltas (for before/after figures).
      const delta = configDelta ? configDelta(prev, cand) : null;
      prev = cand;
      const t = performance.now();
      const out = await conn.call<CommitTransactionOutcome>('commit', {
        job: { ...(delta ? { delta } : { candidate: cand }), base: n, action: 'commit', record: { how: 'commit', meta: { origin: 'shell' } }, voice: 'shell' },
        identity: { user: 'bench' },
      });
      times.push(performance.now() - t);
      if (out.kind !== 'committed') throw new Error(`direct commit: ${out.kind}`);
      n = out.after;
    }
    row(`one-weight commit straight to the daemon (socket, ${configDelta ? 'delta' : 'whole candidate'})`, `${times.map((t) => t.toFixed(0)).join(' / ').padStart(8)} ms`, 'three in a row');
    row('lbctl status, daemon', run(['status', ...common], env));
    row('lbctl show ipvs, daemon', run(['show', 'ipvs', '--lab', '--state-dir', state], env));
    const end = vmStatus(daemon.pid!);
    row('daemon RSS after start / after the commits (peak)', `${started.rss.toFixed(0)} MiB / ${end.rss.toFixed(0)} MiB (${end.hwm.toFixed(0)} MiB)`);
    conn.close();
  } finally {
    if (daemon) {
      daemon.kill('SIGTERM');
      await new Promise((r) => daemon!.once('exit', r));
    }
    rmSync(root, { recursive: true, force: true });
  }
  return '';
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await main();
}
