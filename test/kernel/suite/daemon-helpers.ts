// Helpers for driving a real `lbctl daemon` process against the kernel (test/kernel/suite/daemon.test.ts and
// bench/daemon-commit.ts): a launcher that runs the CLI compiled into THIS build folder, the daemon as a child
// process (its log kept), one-shot CLI commands with a bounded run time, `ipvsadm -Sn` normalised, a seeded PRNG
// and bounded polling. Nothing here sends traffic: every address is a table entry only.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { probeDaemon } from '../../../engine/daemon/client.js';
import type { DaemonInfo } from '../../../engine/daemon/protocol.js';
import assert from 'node:assert/strict';
import type { Config, PortSpec } from '../../../config/model.js';

const here = dirname(fileURLToPath(import.meta.url)); // <build>/test/kernel/suite
export const buildDir = resolve(here, '..', '..', '..');

/**
 * A launcher script running `<build>/cli/main.js` (what bin/lbctl does for build/), so that a suite compiled into
 * build-<name>/ drives its own CLI. Written once into `dir`.
 */
export function writeLauncher(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'lbctl-launcher.mjs');
  const entry = pathToFileURL(join(buildDir, 'cli', 'main.js')).href;
  writeFileSync(path, `const { main } = await import(${JSON.stringify(entry)});\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  return path;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const nowMs = () => Number(process.hrtime.bigint() / 1_000_000n);

/** Poll `probe` every `everyMs` until it returns a non-null value or `timeoutMs` passes (then null). */
export async function pollUntil<T>(probe: () => T | null | Promise<T | null>, timeoutMs: number, everyMs = 100): Promise<T | null> {
  const end = nowMs() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== null && v !== undefined) return v;
    if (nowMs() >= end) return null;
    await sleep(everyMs);
  }
}

/** mulberry32: a small seeded PRNG, so a failing trial can be replayed with the printed seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const ipvsadm = (...args: string[]) => execFileSync('ipvsadm', args, { encoding: 'utf8', maxBuffer: 1 << 28 });

/** `ipvsadm -Sn` as sorted lines, optionally without the lines that mention any of `exclude`. */
export function savedLines(exclude: string[] = [], ns?: string): string[] {
  const out = ns
    ? execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-Sn'], { encoding: 'utf8', maxBuffer: 1 << 28 })
    : ipvsadm('-Sn');
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .filter((l) => !exclude.some((x) => l.includes(x)))
    .sort();
}

/** The weight `ipvsadm -Sn` shows for one destination of one service, or null when it is absent. */
export function kernelWeight(lines: string[], service: string, dest: string): number | null {
  for (const l of lines) {
    const m = /^-a -[tuf] (\S+) -r (\S+) .*-w (\d+)/.exec(l);
    if (m && m[1] === service && m[2] === dest) return Number(m[3]);
  }
  return null;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Run the CLI (through the launcher) once; killed after `timeoutMs`. */
export function runCli(launcher: string, args: string[], opts: { timeoutMs?: number; netns?: string; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  const t0 = nowMs();
  const [cmd, argv] = opts.netns
    ? ['ip', ['netns', 'exec', opts.netns, process.execPath, launcher, ...args]]
    : [process.execPath, [launcher, ...args]];
  const child = spawn(cmd, argv as string[], { stdio: ['ignore', 'pipe', 'pipe'], env: opts.env ?? cleanEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, opts.timeoutMs ?? 120_000);
  return new Promise((res) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      res({ code, signal, stdout, stderr, ms: nowMs() - t0, timedOut });
    });
  });
}

/** The environment for lbctl children: no systemd notify socket, no inherited LBCTL_CONFIG/STATE_DIR. */
export function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  delete env.LBCTL_CONFIG;
  delete env.LBCTL_STATE_DIR;
  delete env.JOURNAL_STREAM;
  return env;
}

/** One `lbctl daemon` process; its stderr (the log) is kept in `log`. */
export class DaemonProcess {
  readonly log: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly startedAtMs = nowMs();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private partial = '';

  private constructor(
    readonly child: ChildProcess,
    readonly stateDir: string,
  ) {
    const take = (d: string) => {
      this.partial += d;
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        this.log.push(this.partial.slice(0, nl));
        this.partial = this.partial.slice(nl + 1);
      }
    };
    child.stdout!.setEncoding('utf8').on('data', take);
    child.stderr!.setEncoding('utf8').on('data', take);
    this.exited = new Promise((res) =>
      child.once('exit', (code, signal) => {
        if (this.partial) this.log.push(this.partial);
        this.partial = '';
        this.exitInfo = { code, signal };
        res(this.exitInfo);
      }),
    );
  }

  static start(launcher: string, configDir: string, stateDir: string, opts: { netns?: string; extraArgs?: string[] } = {}): DaemonProcess {
    const args = [launcher, 'daemon', '--config', configDir, '--state-dir', stateDir, ...(opts.extraArgs ?? [])];
    const child = opts.netns
      ? spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() })
      : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv() });
    return new DaemonProcess(child, stateDir);
  }

  get pid(): number {
    return this.child.pid!;
  }

  get alive(): boolean {
    return this.exitInfo === null;
  }

  /** Wait (bounded) until `hello` answers on the socket from this process; null if it did not (or it died). */
  async waitHello(timeoutMs = 90_000): Promise<DaemonInfo | null> {
    return pollUntil(async () => {
      if (!this.alive) return null;
      const info = await probeDaemon(this.stateDir, 2000);
      // Under `ip netns exec` the pid we hold is ip's, which execs node: the same pid.
      return info && info.pid === this.pid ? info : null;
    }, timeoutMs, 100).then((v) => (this.alive ? v : null));
  }

  /** Send a signal and wait (bounded) for the exit; SIGKILL as a last resort. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.alive) return this.exitInfo!;
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([this.exited, new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)))]);
    clearTimeout(timer);
    if (done) return done;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  tail(n = 30): string {
    return this.log.slice(-n).join('\n');
  }
}

/** Processes whose command line contains `needle`, as "pid args" (read from /proc). */
export function processesMatching(needle: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const args = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      if (args.includes(needle) && Number(name) !== process.pid) out.push(`${name} ${args}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

const hostPort = (addr: string, port: number) => (addr.includes(':') ? `[${addr}]:${port}` : `${addr}:${port}`);

function portsOf(specs: PortSpec[]): number[] {
  const out: number[] = [];
  for (const p of specs) {
    if (typeof p === 'number') out.push(p);
    else for (let n = p.from; n <= p.to; n++) out.push(n);
  }
  return out;
}

/**
 * What `ipvsadm -Sn` must show for a configuration, written here independently of lbctl's compiler, for the
 * shapes the kernel suite's daemon and crash tests use (vip + ports, tcp/udp, NAT, no persistence, no thresholds, every backend up).
 */
export function expectedSaved(c: Config): string[] {
  const lines: string[] = [];
  for (const s of c.services) {
    if (s.enabled === false) continue;
    const proto = s.protocol === 'udp' ? '-u' : '-t';
    const vip = s.vip ?? c.vip;
    assert.ok(vip, `service ${s.name} has a vip`);
    for (const port of portsOf([...(s.ports ?? []), ...(s.port_ranges ?? [])])) {
      const id = hostPort(vip!, port);
      lines.push(`-A ${proto} ${id} -s ${s.scheduler ?? 'wlc'}`);
      for (const b of s.backends ?? []) {
        if (b.enabled === false) continue;
        lines.push(`-a ${proto} ${id} -r ${hostPort(b.address, b.port || port)} -m -w ${b.weight ?? 1}`);
      }
    }
  }
  return lines.sort();
}
