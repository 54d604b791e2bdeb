// Shell figures (prints numbers; never passes or fails on time):
//  1. time from starting `lbctl shell --lab` to its first prompt, measured in a real terminal (tmux: the
//     moment the prompt is on the screen, polled every 5 ms), and for comparison the line-mode approximation
//     (`lbctl shell --lab -c ''`: process start to exit, no terminal);
//  2. TAB (session.complete) and `?` (session.help) latency with 10,000 services in the configuration, calling
//     the session directly.
// Run directly (`node build/bench/shell-startup.js`) or through bench/run.js. Needs no kernel.
//   --compare BUILD   measure the start-up of another build too (say a copy of the build before a change:
//                     `git archive OLD | tar -x -C /tmp/old && cd /tmp/old && npx tsc -p .`, then
//                     `--compare /tmp/old/build`), alternating the two so both see the same machine load
//   --startup-only    skip the TAB and `?` latency (which loads LBCTL_BENCH_SERVICES services)
//   --startup-services N   time the start-ups with N services × 4 backends (bench/big-config.ts) instead of the
//                     example configuration
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openSession } from '../shell/open-session.js';
import { resolveContext } from '../config/context.js';
import { writeBigConfig } from './big-config.js';

const BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO_ROOT = dirname(BUILD_DIR);
const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const STARTS = 5;
const PROBES = 200;

export const needsKernel = false;

/** `node <build>/cli/main.js` through the test launcher, so a build-NAME/ folder measures itself. */
function lbctl(build: string): string[] {
  return [process.execPath, join(build, 'test', 'integration', 'shell', 'fixtures', 'launch.js')];
}

interface LabDirs {
  root: string;
  config: string;
  state: string;
}

/**
 * A lab that has run before, as a balancer in service has: the example configuration (or `services` × 4
 * backends), and the store with its running revision (made by one untimed `show version` of the same build). A
 * first start ever also creates the lab; that is not what an operator meets each day. Starts only read it, so
 * one lab serves every start of a build.
 */
function labDirs(build: string, services: number): LabDirs {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-bench-shell-'));
  const config = join(root, 'config');
  mkdirSync(join(root, 'state'));
  const lab = { root, config, state: join(root, 'state') };
  if (services > 0) writeBigConfig(config, lab.state, services, 60_000);
  else cpSync(join(REPO_ROOT, 'dist', 'examples'), config, { recursive: true });
  const [node, launcher] = lbctl(build);
  const r = spawnSync(node, [launcher, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', 'show version'], {
    env: { ...process.env, LBCTL_LAUNCH: '1', HOME: lab.root },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`preparing the lab failed (${r.status}): ${r.stderr}`);
  return lab;
}

function stats(samples: number[]): string {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
  return `median ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, min ${s[0].toFixed(2)} ms, max ${s[s.length - 1].toFixed(2)} ms (n=${s.length})`;
}

/**
 * One start of `lbctl shell --lab` in tmux: milliseconds until the prompt is on the screen. With `build` null,
 * the same for `printf '#'`: what tmux and the polling cost by themselves.
 */
async function startupInTmux(build: string | null, lab: LabDirs, i: number): Promise<number> {
  const socket = `lbctl-bench-${process.pid}-${i}`;
  // ink renders only its last frame when it sees CI, so the terminal run goes without it.
  const env = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', 'LBCTL_LAUNCH=1', `HOME=${lab.root}`, 'NO_COLOR=1'];
  const args = ['shell', '--lab', '--config', lab.config, '--state-dir', lab.state];
  const cmd = build === null ? `printf 'lb1#'` : [...env, ...lbctl(build), ...args].map((a) => `'${a}'`).join(' ');
  const t0 = performance.now();
  execFileSync('tmux', ['-L', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '120', '-y', '40', `${cmd}; sleep 60`]);
  const socketPath = execFileSync('tmux', ['-L', socket, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).trim();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const screen = execFileSync('tmux', ['-L', socket, 'capture-pane', '-p'], { encoding: 'utf8' });
      if (/#\s*$/.test(screen.trimEnd())) break;
      if (Date.now() > deadline) throw new Error(`no prompt after 60 s:\n${screen}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - t0;
  } finally {
    spawnSync('tmux', ['-L', socket, 'kill-server']);
    rmSync(socketPath, { force: true }); // tmux leaves its socket file behind
  }
}

/** One `lbctl shell --lab -c ''`: milliseconds from start to exit. */
function startupLineMode(build: string, lab: LabDirs): number {
  const [node, launcher] = lbctl(build);
  const t0 = performance.now();
  const r = spawnSync(node, [launcher, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', ''], {
    env: { ...process.env, LBCTL_LAUNCH: '1', HOME: lab.root },
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`lbctl shell -c '' failed (${r.status}): ${r.stderr}`);
  return ms;
}

/** Both start-ups of each build, the builds taking turns, STARTS times. */
async function startups(builds: string[], services: number): Promise<{ baseline: number[]; builds: Map<string, { tmux: number[] | string; line: number[] }> }> {
  const tmux = spawnSync('tmux', ['-V']).status === 0;
  const out = new Map(builds.map((b) => [b, { tmux: tmux ? ([] as number[]) : 'tmux not installed', line: [] as number[] }]));
  const labs = new Map(builds.map((b) => [b, labDirs(b, services)]));
  const baseline: number[] = [];
  try {
    for (let i = 0; i < STARTS; i++) {
      if (tmux) baseline.push(await startupInTmux(null, labs.get(builds[0])!, i));
      for (const b of builds) {
        const figures = out.get(b)!;
        if (typeof figures.tmux !== 'string') figures.tmux.push(await startupInTmux(b, labs.get(b)!, i));
        figures.line.push(startupLineMode(b, labs.get(b)!));
      }
    }
  } finally {
    for (const lab of labs.values()) rmSync(lab.root, { recursive: true, force: true });
  }
  return { baseline, builds: out };
}

function bigLab(n: number): { root: string; config: string; state: string } {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-bench-big-'));
  const config = join(root, 'config');
  mkdirSync(join(config, 'config.d'), { recursive: true });
  writeFileSync(join(config, 'config.yaml'), `node:\n  name: big\ndaemon:\n  limits:\n    max_services: ${n * 2}\n`);
  const lines = ['services:'];
  for (let i = 0; i < n; i++) {
    lines.push(
      `  - name: svc${String(i).padStart(5, '0')}`,
      `    vip: 10.${Math.floor(i / 62500)}.${Math.floor(i / 250) % 250}.${(i % 250) + 1}`,
      `    protocol: tcp`,
      `    ports: [80]`,
      `    backends:`,
      `      - address: 192.168.${i % 250}.${(i % 200) + 1}`,
    );
  }
  writeFileSync(join(config, 'config.d', 'bulk.yaml'), lines.join('\n') + '\n');
  mkdirSync(join(root, 'state'));
  return { root, config, state: join(root, 'state') };
}

async function completionLatency(): Promise<string[]> {
  const lab = bigLab(SERVICES);
  const out: string[] = [];
  try {
    const t0 = performance.now();
    const session = await openSession({
      context: resolveContext({ lab: true, config: lab.config, 'state-dir': lab.state }, { HOME: lab.root }),
      interactive: false,
      env: { HOME: lab.root },
    });
    out.push(`session open with ${SERVICES} services (load, validate, lab engine): ${(performance.now() - t0).toFixed(0)} ms`);
    const probes: Array<[string, (line: string) => unknown, string]> = [
      ['TAB', (l) => session.complete(l), 'show service svc0999'],
      ['TAB', (l) => session.complete(l), 'show service svc'],
      ['TAB', (l) => session.complete(l), 'conf'],
      ['?', (l) => session.help(l), 'show service '],
      ['?', (l) => session.help(l), 'show service svc12'],
      ['?', (l) => session.help(l), 'show '],
    ];
    for (const [kind, call, line] of probes) {
      call(line); // warm-up
      const samples: number[] = [];
      for (let i = 0; i < PROBES; i++) {
        const t = performance.now();
        call(line);
        samples.push(performance.now() - t);
      }
      out.push(`${kind.padEnd(3)} ${JSON.stringify(line).padEnd(26)} ${stats(samples)}`);
    }
    await session.close();
  } finally {
    rmSync(lab.root, { recursive: true, force: true });
  }
  return out;
}

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : (process.argv[i + 1] ?? '');
}

export async function main(): Promise<void> {
  const other = option('--compare');
  const builds = [BUILD_DIR, ...(other ? [resolve(other)] : [])];
  const services = Number(option('--startup-services') ?? 0);
  const measured = await startups(builds, services);
  const what = services > 0 ? `${services} services × 4 backends` : 'example config';
  if (measured.baseline.length) console.log(`tmux alone (printf a prompt, same polling): ${stats(measured.baseline)}`);
  for (const [build, figures] of measured.builds) {
    console.log(`shell-startup: build ${build}`);
    console.log(
      typeof figures.tmux === 'string'
        ? `  start → first prompt, real terminal (tmux 120x40): skipped, ${figures.tmux}`
        : `  start → first prompt, real terminal (tmux 120x40, ${what}): ${stats(figures.tmux)}`,
    );
    console.log(`  line-mode approximation (lbctl shell --lab -c '', start → exit, no terminal): ${stats(figures.line)}`);
  }
  if (process.argv.includes('--startup-only')) return;
  for (const line of await completionLatency()) console.log(line);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
