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

/** mulberry32, seeded: a failing trial can be replayed with the printed seed. */
export { prng } from '../../support/prng.js';

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

  /** `nodeFlags` (before the launcher) and `env` (added): a benchmark gives the unit's (bench/installed-daemon.ts). */
  static start(launcher: string, configDir: string, stateDir: string, opts: { netns?: string; extraArgs?: string[]; nodeFlags?: string[]; env?: Record<string, string> } = {}): DaemonProcess {
    const args = [...(opts.nodeFlags ?? []), launcher, 'daemon', '--config', configDir, '--state-dir', stateDir, ...(opts.extraArgs ?? [])];
    const child = opts.netns
      ? spawn('ip', ['netns', 'exec', opts.netns, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...cleanEnv(), ...opts.env } })
      : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...cleanEnv(), ...opts.env } });
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

const hostPort = (addr: string, port: number) => (addr.includes(':') ? `[${addr.toLowerCase()}]:${port}` : `${addr}:${port}`);

/** The ports of `ports`/`port_ranges` entries: 80, `7543-7814` (as written in a file) or {from, to}. */
function portsOf(specs: (PortSpec | string)[]): number[] {
  const out: number[] = [];
  for (const p of specs) {
    const [from, to] = typeof p === 'number' ? [p, p] : typeof p === 'string' ? p.split('-').map(Number) : [p.from, p.to];
    for (let n = from; n <= (to ?? from); n++) if (!out.includes(n)) out.push(n);
  }
  return out;
}

/** `24` → `255.255.255.0`. */
function dottedMask(len: number): string {
  const n = (0xffffffff << (32 - len)) >>> 0;
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** One IPVS service a configured service becomes: its `ipvsadm -S` identity, its port (0: fwmark), its family. */
interface ExpectedService {
  id: string;
  port: number;
  v6: boolean;
}

/**
 * The IPVS services of one configured service, as ipvsadm names them: `-t|-u|--sctp-service ADDR:PORT` per port,
 * or `-f MARK` (`-6` for IPv6; the mark printed as a signed int, so 4294967295 is -1). A fwmark service's family is
 * its first backend's (IPv4 without backends), as docs/config.md says.
 */
function expectedServices(c: Config, s: Config['services'][number]): ExpectedService[] {
  if (s.fwmark !== undefined && s.fwmark !== null) {
    const first = (s.backends ?? [])[0]?.address;
    const v6 = first !== undefined && first.includes(':');
    return [{ id: `-f ${s.fwmark | 0}${v6 ? ' -6' : ''}`, port: 0, v6 }];
  }
  const vip = s.vip ?? c.vip;
  assert.ok(vip, `service ${s.name} has a vip`);
  const flag = s.protocol === 'udp' ? '-u' : s.protocol === 'sctp' ? '--sctp-service' : '-t';
  return portsOf([...(s.ports ?? []), ...(s.port_ranges ?? [])]).map((port) => ({ id: `${flag} ${hostPort(vip!, port)}`, port, v6: vip!.includes(':') }));
}

interface ExpectedDest {
  addr: string;
  port: number;
  weight: number;
  u: number;
  l: number;
}

/**
 * The destinations of one IPVS service: every enabled backend (port 0 = the service port), with the weight it
 * has when no check has spoken (its own); a service with a sorry server below its quorum (healthy = enabled with
 * weight > 0, quorum 1 when absent) gives every backend weight 0 and adds the sorry server with weight 1.
 * Thresholds: the backend's own, else the service's, else 0 (the sorry server has only the service's).
 */
function expectedDests(s: Config['services'][number], port: number): ExpectedDest[] {
  const live = (s.backends ?? []).filter((b) => b.enabled !== false);
  const sorry = s.sorry === undefined ? null : parseSorryText(s.sorry);
  const healthy = live.filter((b) => (b.weight ?? 1) > 0).length;
  const lost = sorry !== null && healthy < (s.quorum ?? 1);
  const out: ExpectedDest[] = live.map((b) => ({
    addr: b.address,
    port: b.port || port,
    weight: lost ? 0 : (b.weight ?? 1),
    u: b.u_threshold ?? s.u_threshold ?? 0,
    l: b.l_threshold ?? s.l_threshold ?? 0,
  }));
  if (lost) out.push({ addr: sorry!.address, port: sorry!.port || port, weight: 1, u: s.u_threshold ?? 0, l: s.l_threshold ?? 0 });
  return out;
}

function parseSorryText(t: string): { address: string; port: number } {
  const v6 = /^\[(.+)\](?::(\d+))?$/.exec(t);
  if (v6) return { address: v6[1], port: Number(v6[2] ?? 0) };
  const v4 = /^([\d.]+)(?::(\d+))?$/.exec(t);
  if (v4) return { address: v4[1], port: Number(v4[2] ?? 0) };
  return { address: t, port: 0 };
}

/**
 * What `ipvsadm -Sn` must show for a configuration, written here independently of lbctl's compiler from
 * docs/config.md and ipvsadm's save format (ipvsadm.c print_service_entry): `-A ID -s SCHED [-p T [-M MASK]]
 * [-b FLAGS]` (the mask only when not /32 or /128; flags fallback before port), then `-a ID -r DEST -m|-g|-i -w W`
 * (tunnels add `--tun-type ipip`, `--tun-type gue --tun-port P --tun-CSUM` or `--tun-type gre --tun-CSUM`).
 * Thresholds are not in the save format: see expectedThresholds. No check has spoken (a fresh apply).
 */
export function expectedSaved(c: Config): string[] {
  const lines: string[] = [];
  for (const s of c.services) {
    if (s.enabled === false) continue;
    const fwd = { dr: '-g', tunnel: '-i' }[s.forwarding?.method as string] ?? '-m';
    let tunnel = '';
    if (fwd === '-i') {
      const t = s.forwarding.tunnel;
      const csum = ` --tun-${t?.csum ?? 'nocsum'}`;
      tunnel = t?.type === 'gue' ? ` --tun-type gue --tun-port ${t.port}${csum}` : t?.type === 'gre' ? ` --tun-type gre${csum}` : ' --tun-type ipip';
    }
    const sched = s.scheduler ?? 'wlc';
    for (const svc of expectedServices(c, s)) {
      let head = `-A ${svc.id} -s ${sched}`;
      if (s.persistence) {
        head += ` -p ${s.persistence.timeout ?? 300}`;
        const m = s.persistence.netmask;
        if (svc.v6 && m !== undefined && m !== 128) head += ` -M ${m}`;
        if (!svc.v6 && m !== undefined) {
          const dotted = typeof m === 'number' ? dottedMask(m) : m;
          if (dotted !== '255.255.255.255') head += ` -M ${dotted}`;
        }
      }
      const flags = [`${sched}-fallback`, `${sched}-port`].filter((f) => (s.scheduler_flags as string[] | undefined)?.includes(f));
      if (flags.length > 0) head += ` -b ${flags.join(',')}`;
      lines.push(head);
      for (const d of expectedDests(s, svc.port)) lines.push(`-a ${svc.id} -r ${hostPort(d.addr, d.port)} ${fwd} -w ${d.weight}${tunnel}`);
    }
  }
  return lines.sort();
}

/** Per destination `ID -r DEST u=U l=L`, for comparing with thresholdLines() (`ipvsadm -Ln --thresholds`). */
export function expectedThresholds(c: Config): string[] {
  const lines: string[] = [];
  for (const s of c.services) {
    if (s.enabled === false) continue;
    for (const svc of expectedServices(c, s)) for (const d of expectedDests(s, svc.port)) lines.push(`${svc.id} -r ${hostPort(d.addr, d.port)} u=${d.u} l=${d.l}`);
  }
  return lines.sort();
}

/** `ipvsadm -Ln --thresholds` as expectedThresholds writes it (the service named as in `ipvsadm -S`). */
export function thresholdLines(): string[] {
  const lines: string[] = [];
  let service = '';
  for (const l of ipvsadm('-Ln', '--thresholds').split('\n')) {
    const svc = /^(TCP|UDP|SCTP) +(\S+)/.exec(l);
    const fwm = /^FWM +(-?\d+)( IPv6)?/.exec(l);
    if (svc) service = `${{ TCP: '-t', UDP: '-u', SCTP: '--sctp-service' }[svc[1]]} ${svc[2]}`;
    else if (fwm) service = `-f ${fwm[1]}${fwm[2] ? ' -6' : ''}`;
    const dest = /^ {2}-> (\S+) +(\d+) +(\d+)/.exec(l);
    if (dest) lines.push(`${service} -r ${dest[1]} u=${dest[2]} l=${dest[3]}`);
  }
  return lines.sort();
}
