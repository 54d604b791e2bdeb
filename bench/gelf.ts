// What GELF costs, and what a dead collector costs (issue 11's benchmark line; figures only, never pass/fail):
//  1. one log call carrying a commit's audit record (engine/observe/audit-log.ts, the real path), in this
//     process, stderr discarded: GELF off; UDP and TCP to a live loopback collector; UDP to a port nobody
//     listens on; TCP to a closed port. Per record: the caller's time (the synchronous part of log()), and the
//     process CPU until the sender's queue is empty (compression and sends included);
//  2. a one-weight commit straight to a real `lbctl daemon --lab` (its socket, as `lbctl shell` sends it), with
//     GELF off, to a closed TCP port, to a dead UDP port: median and p90 of the round trip.
// Loopback only. Run: node build/bench/run.js gelf   (or node build/bench/gelf.js)
//   LBCTL_BENCH_GELF_RECORDS (default 20000)  LBCTL_BENCH_GELF_COMMITS (default 60 per mode, over 3 rounds)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readRevisionConfig } from '../store/store.js';
import { DaemonConnection } from '../engine/daemon/client.js';
import type { DaemonInfo } from '../engine/daemon/protocol.js';
import type { CommitTransactionOutcome } from '../engine/commit-transaction.js';
import type { AuditRecord } from '../engine/audit.js';
import { logAudit } from '../engine/observe/audit-log.js';
import type { GelfSettings } from '../engine/observe/gelf-sender.js';
import { Logger } from '../engine/observe/logger.js';
import { closedPort, tcpCollector, udpCollector } from '../test/support/gelf-collectors.js';

export const needsKernel = false;

const RECORDS = Number(process.env.LBCTL_BENCH_GELF_RECORDS ?? 20_000);
const COMMITS = Number(process.env.LBCTL_BENCH_GELF_COMMITS ?? 60);
const ROUNDS = 3;
const LBCTL = fileURLToPath(new URL('../../bin/lbctl', import.meta.url));
const BATCH = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const RECORD: Omit<AuditRecord, 'time'> = {
  pid: 4242,
  user: 'alice',
  uid: 1000,
  session: '4242-abcdef',
  action: 'commit',
  result: 'ok',
  revisionBefore: 41,
  revisionAfter: 42,
  comment: 'raise web weight for the evening peak',
  diff: '[edit services web backends 198.51.100.11:80]\n-   weight: 100\n+   weight: 7\n',
  kernel: { ok: true, applied: ['editDest tcp 192.0.2.10:80 198.51.100.11:80 weight 7'] },
};

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];

async function logCost(label: string, settings: GelfSettings | null): Promise<string> {
  const logger = new Logger({ journal: true, write: () => {}, noteIntervalMs: 3_600_000 });
  logger.useGelf(settings);
  await sleep(200); // the connection (TCP) or the name lookup (UDP) settles first
  const time = new Date().toISOString();
  const perCall: number[] = [];
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let done = 0; done < RECORDS; done += BATCH) {
    const t = performance.now();
    for (let i = 0; i < BATCH; i++) logAudit(logger.log, { time, ...RECORD });
    perCall.push(((performance.now() - t) * 1000) / BATCH);
    // Let the sender work between bursts, as a daemon's event loop would.
    await new Promise((r) => setImmediate(r));
  }
  while (logger.stats().gelf.queued > 0 && performance.now() - t0 < 60_000) await sleep(5);
  const cpu = process.cpuUsage(cpu0);
  const g = logger.stats().gelf;
  logger.close();
  const cpuPerRecord = (cpu.user + cpu.system) / RECORDS;
  return `${label.padEnd(34)} ${pct(perCall, 50).toFixed(1).padStart(6)} µs ${pct(perCall, 90).toFixed(1).padStart(6)} µs ${cpuPerRecord.toFixed(1).padStart(8)} µs   sent ${g.sent}, dropped ${g.dropped}`;
}

async function withCollectors<T>(fn: (udpPort: number, tcpPort: number) => Promise<T>): Promise<T> {
  const udp = await udpCollector({ decode: false });
  const tcp = await tcpCollector(0, { decode: false });
  try {
    return await fn(udp.port, tcp.port);
  } finally {
    await udp.close();
    await tcp.close();
  }
}

async function commitLatency(gelf: string, commits: number): Promise<{ times: number[]; summary: string }> {
  const home = mkdtempSync(join(tmpdir(), 'lbctl-bench-gelf-'));
  const config = join(home, 'config');
  const state = join(home, 'state');
  mkdirSync(config, { recursive: true });
  mkdirSync(state);
  writeFileSync(
    join(config, 'config.yaml'),
    `node: {name: lbd}\nvip: 192.0.2.10\nobservability:\n  gelf: ${gelf}\nservices:\n  - name: web\n    ports: [80]\n    backends: [{address: 198.51.100.11, port: 80, weight: 100}]\n`,
  );
  let daemon: ChildProcess | null = null;
  try {
    daemon = spawn(process.execPath, [LBCTL, 'daemon', '--lab', '--config', config, '--state-dir', state], { env: { ...process.env, HOME: home }, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    daemon.stderr!.on('data', (d) => (log += d));
    let conn: DaemonConnection | null = null;
    for (let i = 0; i < 100 && !conn; i++) {
      conn = await DaemonConnection.connect(state, 1000);
      if (!conn) await sleep(100);
    }
    if (!conn) throw new Error(`the daemon did not answer: ${log}`);
    let n = (await conn.call<DaemonInfo>('hello')).runningRevision;
    let cand = readRevisionConfig(state, n)!; // a revision file may be a difference (store/revision-format.ts)
    const times: number[] = [];
    for (let k = 0; k < commits; k++) {
      cand = structuredClone(cand);
      cand.services[0].backends[0].weight = 10 + (k % 50);
      const t = performance.now();
      const out = await conn.call<CommitTransactionOutcome>('commit', {
        job: { candidate: cand, base: n, action: 'commit', comment: `bench ${k}`, record: { how: 'commit', meta: { origin: 'shell' } }, voice: 'shell' },
        identity: { user: 'bench' },
      });
      times.push(performance.now() - t);
      if (out.kind !== 'committed') throw new Error(`commit: ${out.kind}`);
      n = out.after;
    }
    conn.close();
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon!.once('exit', r));
    daemon = null;
    const summary = /gelf: \d+ record\(s\) sent, \d+ dropped since start/.exec(log)?.[0] ?? 'gelf: nothing sent';
    return { times, summary };
  } finally {
    if (daemon) daemon.kill('SIGKILL');
    rmSync(home, { recursive: true, force: true });
  }
}

export async function main(): Promise<string> {
  const out: string[] = [`node ${process.version}, ${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`];
  out.push(`1. one log call with a commit's audit record, ${RECORDS} records in bursts of ${BATCH}`);
  out.push(`${''.padEnd(34)} ${'call p50'.padStart(9)} ${'call p90'.padStart(9)} ${'CPU/record'.padStart(11)}`);
  const udpDead = await closedPort('udp');
  const tcpDead = await closedPort('tcp');
  const g = (protocol: 'udp' | 'tcp', port: number): GelfSettings => ({ protocol, host: '127.0.0.1', port, facility: 'lbctl' });
  out.push(await logCost('GELF off', null));
  await withCollectors(async (udpPort, tcpPort) => {
    out.push(await logCost('UDP, live collector', g('udp', udpPort)));
    out.push(await logCost('TCP, live collector', g('tcp', tcpPort)));
  });
  out.push(await logCost('UDP, nobody listens (dead)', g('udp', udpDead)));
  out.push(await logCost('TCP, closed port (dead)', g('tcp', tcpDead)));
  // The machine is shared: the modes take turns, ROUNDS times, so a burst of someone else's load spreads over all.
  const modes: Array<[string, string]> = [
    ['GELF off', '{enabled: false}'],
    ['TCP, closed port (dead)', `{enabled: true, host: 127.0.0.1, port: ${tcpDead}, protocol: tcp}`],
    ['UDP, nobody listens (dead)', `{enabled: true, host: 127.0.0.1, port: ${udpDead}, protocol: udp}`],
    // The same as the first: how far two identical runs differ here is the noise band of the figures above.
    ['GELF off (control)', '{enabled: false}'],
  ];
  const per = Math.ceil(COMMITS / ROUNDS);
  out.push(`2. a one-weight commit straight to lbctl daemon --lab: ${ROUNDS} rounds × ${per} commits per mode, modes in turn`);
  out.push(`${''.padEnd(34)} ${'p50'.padStart(10)} ${'p90'.padStart(10)}`);
  const times = new Map<string, number[]>(modes.map(([l]) => [l, []]));
  const summaries = new Map<string, string>();
  for (let r = 0; r < ROUNDS; r++) {
    for (const [label, gelf] of modes) {
      const res = await commitLatency(gelf, per);
      times.get(label)!.push(...res.times);
      summaries.set(label, res.summary);
    }
  }
  for (const [label] of modes) {
    const t = times.get(label)!;
    out.push(`${label.padEnd(34)} ${pct(t, 50).toFixed(1).padStart(7)} ms ${pct(t, 90).toFixed(1).padStart(7)} ms   last round: ${summaries.get(label)}`);
  }
  out.push(`load average at the end: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  return out.join('\n');
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  console.log(await main());
}
