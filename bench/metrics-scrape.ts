// Benchmark (figures only, never pass/fail): one Prometheus scrape of `lbctl daemon` at N services x 4 backends
// (LBCTL_BENCH_SERVICES, default 10,000), over HTTP as Prometheus does it:
//  - the first scrape (compiles the names of the running configuration, reads the table, builds and formats every
//    series): wall time to the whole body, bytes served, sample lines, the daemon's CPU time;
//  - a scrape with Accept-Encoding: gzip, as Prometheus sends it (bytes on the wire, the daemon's CPU time);
//  - three concurrent scrapes a second later (one read shared);
//  - meanwhile another client asks `hello` on the control socket again and again: the longest wait is how long
//    a scrape holds the daemon's event loop in one piece (commits and verdicts wait at most that long);
//  - the daemon's RSS before and after.
// On the host it runs `--lab` (the lab's table: every counter 0, so the body is smaller than with real traffic,
// where each counter's digits add up to ~10 bytes a line). `node build/bench/run.js --vm metrics-scrape` runs it in
// the kernel VM against real IPVS (the guest is thrown away after the run: the daemon uses its own namespace).
// Addresses are documentation ranges: table entries only, nothing is sent to them.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DaemonConnection } from '../engine/daemon/client.js';
import { BACKENDS, writeBigConfig } from './big-config.js';
import { freePort } from '../test/integration/health/servers.js';

export const needsKernel = false;

const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const IN_VM = process.env.LBCTL_IN_VM === '1';
const BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const LAUNCHER = join(BUILD_DIR, 'test', 'support', 'hooked-lbctl.js');

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Scrape {
  ms: number;
  firstByteMs: number;
  bytes: number;
  body: string;
}

/** One GET /metrics, as Prometheus sends it. */
function scrape(port: number, gzip = false): Promise<Scrape> {
  return new Promise((resolveScrape, reject) => {
    const t0 = performance.now();
    let firstByteMs = 0;
    // agent: false: a fresh connection each time (a reused one can race the server's keep-alive timeout).
    const headers = gzip ? { 'Accept-Encoding': 'gzip' } : {};
    const req = request({ host: '127.0.0.1', port, path: '/metrics', timeout: 20 * 60_000, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => {
        if (!firstByteMs) firstByteMs = performance.now() - t0;
        chunks.push(d);
      });
      res.on('end', () => {
        const ms = performance.now() - t0;
        const buf = Buffer.concat(chunks);
        resolveScrape({ ms, firstByteMs, bytes: buf.length, body: gzip ? '' : buf.toString('utf8') });
      });
    });
    req.on('timeout', () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
    req.end();
  });
}

function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function rssMiB(pid: number): string {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return `VmRSS ${(kb('VmRSS') / 1024).toFixed(0)} MiB (VmHWM ${(kb('VmHWM') / 1024).toFixed(0)} MiB)`;
}

export async function main(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-bench-metrics-'));
  const cfg = join(root, 'config');
  const state = join(root, 'state');
  mkdirSync(state, { recursive: true });
  mkdirSync(join(root, 'home'));
  const rows: string[] = [];
  const row = (label: string, value: string) => {
    const line = `  ${label.padEnd(60)} ${value}`;
    rows.push(line);
    console.log(line);
  };
  let daemon: ChildProcess | null = null;
  let conn: DaemonConnection | null = null;
  const port = await freePort();
  writeBigConfig(cfg, state, SERVICES, 3_600_000);
  const yaml = readFileSync(join(cfg, 'config.yaml'), 'utf8').replace('prometheus: {enabled: false}', `prometheus: {enabled: true, bind: 127.0.0.1, port: ${port}}`);
  writeFileSync(join(cfg, 'config.yaml'), yaml);
  const where = IN_VM ? `kernel ${execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim()} (VM, emulated)` : 'host, --lab';
  console.log(`metrics-scrape (${where}): ${SERVICES} services x ${BACKENDS} backends; node ${process.version}`);
  try {
    const args = [LAUNCHER, '--', 'daemon', '--config', cfg, '--state-dir', state, ...(IN_VM ? [] : ['--lab'])];
    if (IN_VM) execFileSync('modprobe', ['ip_vs']);
    let log = '';
    daemon = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: join(root, 'home') } });
    daemon.stdout!.on('data', (d) => (log += d));
    daemon.stderr!.on('data', (d) => (log += d));
    const t0 = performance.now();
    for (let i = 0; i < 40 * 60 * 10 && !conn; i++) {
      if (daemon.exitCode !== null) throw new Error(`the daemon exited ${daemon.exitCode}: ${log}`);
      conn = await DaemonConnection.connect(state, 500).catch(() => null);
      if (!conn) await sleep(100);
    }
    if (!conn) throw new Error(`the daemon did not answer: ${log}`);
    row('daemon start until the socket answers', `${(performance.now() - t0).toFixed(0)} ms`);
    const pid = daemon.pid!;
    row('daemon RSS before the first scrape', rssMiB(pid));
    const scrapeHere = scrape; // (one name for every scrape below)

    // A second client asks `hello` all along: the longest answer is the longest block of the event loop.
    const c = conn;
    let probing = true;
    const waits: number[] = [];
    const prober = (async () => {
      while (probing) {
        const h0 = performance.now();
        await c.call('hello', undefined, 20 * 60_000);
        waits.push(performance.now() - h0);
        await sleep(5);
      }
    })();
    const cpu0 = cpuMs(pid);
    const first = await scrapeHere(port);
    const cpu = cpuMs(pid) - cpu0;
    probing = false;
    await prober;
    const lines = first.body.split('\n').filter((l) => l && !l.startsWith('#'));
    const lbctlLines = lines.filter((l) => l.startsWith('lbctl_ipvs_') || l.startsWith('lbctl_backend_'));
    row('first scrape (read + build + format), whole body', `${first.ms.toFixed(0)} ms (first byte ${first.firstByteMs.toFixed(0)} ms)`);
    row('  bytes served', `${first.bytes} (${(first.bytes / 1e6).toFixed(2)} MB), ${lines.length} samples, ${lbctlLines.length} IPVS/backend samples`);
    row('  daemon CPU time for it', `${cpu} ms`);
    row('  longest hello wait meanwhile (event loop held)', `${Math.max(0, ...waits).toFixed(0)} ms over ${waits.length} hellos (median ${median(waits).toFixed(1)} ms)`);
    await sleep(1100);
    const zc0 = cpuMs(pid);
    const zipped = await scrapeHere(port, true);
    row('a scrape with Accept-Encoding: gzip (as Prometheus sends)', `${zipped.ms.toFixed(0)} ms, ${zipped.bytes} bytes on the wire, daemon CPU ${cpuMs(pid) - zc0} ms`);
    await sleep(1100);
    const tc = performance.now();
    const three = await Promise.all([scrapeHere(port), scrapeHere(port), scrapeHere(port)]);
    row('three concurrent scrapes a second later (one read shared)', `${(performance.now() - tc).toFixed(0)} ms for all three (${three.map((s) => s.ms.toFixed(0)).join(' / ')} ms)`);
    row('daemon RSS after the scrapes', rssMiB(pid));
  } finally {
    probingStop(conn);
    if (daemon && daemon.exitCode === null) {
      const gone = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGKILL');
      await gone;
    }
    rmSync(root, { recursive: true, force: true });
  }
  return `metrics-scrape (${where}), ${SERVICES} services x ${BACKENDS} backends:\n${rows.join('\n')}`;
}

function probingStop(conn: DaemonConnection | null): void {
  try {
    conn?.close();
  } catch {
    /* closing */
  }
}

function median(xs: number[]): number {
  if (!xs.length) return 0;
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}
