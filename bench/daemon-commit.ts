// Benchmark (figures only, never pass/fail): `lbctl daemon` on the kernel with N services x 4 backends
// (LBCTL_BENCH_SERVICES, default 10,000), everything in a fresh network namespace (IPVS tables are per netns):
//  - reference: `ipvsadm -R` of the same table in its own fresh namespace, `ipvsadm -e` of one weight there,
//    `ipvsadm -Sn` of the table;
//  - the daemon's cold start (first use of the store included) until `hello` answers;
//  (d1) small tables: the daemon's own periodic drift check, inferred from the spacing of `hello.lastReconcile`
//      (then a config-only commit makes the interval an hour, so no check overlaps what follows);
//  (a) one-weight commits sent straight to the daemon over its socket (DaemonConnection.call('commit')): the
//      engine's netlink messages (result.messagesSent), the daemon-side durations, the daemon's CPU time, the
//      client's wall time, and the `hello` latency another client sees meanwhile; the store's part alone on a copy;
//  (e) small tables: a shell started during a commit: does it reach the daemon or fall back to in-process?
//  (b) the same change as a whole `lbctl shell -c '…; commit'` command, start to exit;
//  (c) the daemon's peak and current RSS (VmHWM, VmRSS);
//  (d) a full drift check: `lbctl status` through the daemon, the `status` request alone, `ipvsadm -Sn`.
// Run: node build/bench/run.js daemon-commit   (LBCTL_BENCH_SERVICES=200 to validate quickly; the LBCTL_BENCH_*
// switches below choose the parts; above 5,000 services only the essential ones run, a commit costs minutes).
// Addresses are documentation ranges (VIPs 192.0.2.0/24 and 203.0.113.0/24 on many ports, backends
// 198.51.100.0/24): table entries only, no traffic is sent. Emulated figures compare only with each other.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../config/model.js';
import { openStore } from '../store/store.js';
import { DaemonConnection } from '../engine/daemon/client.js';
import type { DaemonInfo } from '../engine/daemon/protocol.js';
import { decode, encode } from '../engine/daemon/protocol.js';
import { validateConfig } from '../config/validate.js';
import { configDelta } from '../config/delta.js';
import { BACKENDS, PER_FILE, backendOf, ipvsadmRules, vipOf, writeBigConfig } from './big-config.js';
import type { CommitTransactionOutcome } from '../engine/commit-transaction.js';
import type { HostCommitJob } from '../engine/host.js';
import { DaemonProcess, nowMs, pollUntil, runCli, sleep, writeLauncher } from '../test/kernel/suite/daemon-helpers.js';

const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const BIG = SERVICES > 5000;
/**
 * Measure the daemon's own periodic drift check (small tables): start with a short interval, watch two checks, then
 * a config-only commit raises the interval to an hour so that no check overlaps the commit figures. Big tables
 * (every commit costs minutes under emulation) start with the hour and report `lbctl status` as the full read.
 */
const MEASURE_RECONCILE = (process.env.LBCTL_BENCH_MEASURE_RECONCILE ?? (BIG ? '0' : '1')) === '1';
const SHORT_INTERVAL_MS = Number(process.env.LBCTL_BENCH_RECONCILE_MS ?? 20_000);
const QUIET_INTERVAL_MS = 3_600_000;
const DIRECT_COMMITS = Number(process.env.LBCTL_BENCH_DIRECT_COMMITS ?? (BIG ? 1 : 3));
const SHELL_COMMITS = Number(process.env.LBCTL_BENCH_SHELL_COMMITS ?? (BIG ? 1 : 2));
/** One more direct commit with a shell started beside it (does a CLI started meanwhile reach the daemon?). */
const PROBE_COMMIT = (process.env.LBCTL_BENCH_PROBE_COMMIT ?? (BIG ? '0' : '1')) === '1';
/** The store's part of a commit timed alone, on a copy (costs one more commit). */
const STORE_ALONE = (process.env.LBCTL_BENCH_STORE_ALONE ?? (BIG ? '0' : '1')) === '1';
const NS = `lbctl-bd-${process.pid}`;
const NS_REF = `lbctl-bdref-${process.pid}`;

const inNs = (ns: string, cmd: string, args: string[], input?: string) =>
  execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 29, ...(input !== undefined ? { input } : {}) });

async function timedAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, performance.now() - t0];
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const v = fn();
  return [v, performance.now() - t0];
}

/** CPU time (user + system) a process has used, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

function procStatus(pid: number): { hwm: string; rss: string } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const get = (k: string) => (new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? '?');
  const mb = (kb: string) => (kb === '?' ? '?' : `${(Number(kb) / 1024).toFixed(1)} MiB`);
  return { hwm: mb(get('VmHWM')), rss: mb(get('VmRSS')) };
}

const f1 = (x: number) => `${x.toFixed(1)} ms`;

/** The engine counters `hello` carries when the daemon exposes them (absent in older daemons). */
interface EngineCounters {
  fullReads: number;
  messagesSent: number;
  lastFullReadMs?: number;
  plans?: number;
  opsApplied?: number;
}
const countersOf = (h: DaemonInfo | null): EngineCounters | null => ((h as unknown as { engine?: EngineCounters | null } | null)?.engine ?? null);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function main(): Promise<string> {
  execFileSync('modprobe', ['ip_vs']);
  const root = mkdtempSync(join(tmpdir(), 'lbctl-bench-daemon-'));
  const cfgDir = join(root, 'config');
  const stateDir = join(root, 'state');
  mkdirSync(stateDir, { recursive: true });
  const launcher = writeLauncher(root);
  const rows: Array<[string, string, string]> = [];
  const row = (what: string, value: string, note = '') => {
    rows.push([what, value, note]);
    console.log(`  ${what}: ${value}${note ? `  (${note})` : ''}`);
  };
  const notes: string[] = [];
  let daemon: DaemonProcess | null = null;
  let conn: DaemonConnection | null = null;
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  console.log(
    `daemon-commit: ${SERVICES} services x ${BACKENDS} backends (${SERVICES * (BACKENDS + 1)} IPVS objects), kernel ${kernel}; ` +
      `${MEASURE_RECONCILE ? `drift checks every ${SHORT_INTERVAL_MS} ms until measured, then hourly` : 'drift checks hourly (not measured)'}; ` +
      `${DIRECT_COMMITS} direct + ${SHELL_COMMITS} shell commits${PROBE_COMMIT ? ' + 1 probe commit' : ''}${STORE_ALONE ? ' + the store part alone' : ''}`,
  );
  for (const ns of [NS, NS_REF]) {
    execFileSync('ip', ['netns', 'add', ns]);
    // With lo down the kernel calls every destination "not unicast" (EINVAL) in a fresh namespace. No traffic.
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  }
  try {
    // ---- the configuration files ----
    const [, genMs] = timed(() => writeBigConfig(cfgDir, stateDir, SERVICES, MEASURE_RECONCILE ? SHORT_INTERVAL_MS : QUIET_INTERVAL_MS));
    row('generate config files', f1(genMs), `${Math.ceil(SERVICES / PER_FILE)} files in config.d`);

    // ---- reference: ipvsadm in its own fresh namespace ----
    const rules = ipvsadmRules(SERVICES);
    const [, restoreMs] = timed(() => inNs(NS_REF, 'ipvsadm', ['-R'], rules));
    row('ipvsadm -R (fresh netns)', f1(restoreMs), `${rules.split('\n').length - 1} rules, one process`);
    const mid = Math.floor(SERVICES / 2);
    const { vip: midVip, port: midPort } = vipOf(mid);
    const b0 = backendOf(mid, 0);
    const [, editMs] = timed(() => inNs(NS_REF, 'ipvsadm', ['-e', '-t', `${midVip}:${midPort}`, '-r', `${b0.address}:${b0.port}`, '-m', '-w', '9']));
    row('ipvsadm -e one weight (ref netns)', f1(editMs), 'one process, one netlink change');
    const [savedRef, saveRefMs] = timed(() => inNs(NS_REF, 'ipvsadm', ['-Sn']));
    row('ipvsadm -Sn full table (ref netns)', f1(saveRefMs), `${savedRef.trim().split('\n').length} lines`);
    execFileSync('ip', ['netns', 'del', NS_REF]);

    // ---- cold start ----
    daemon = DaemonProcess.start(launcher, cfgDir, stateDir, { netns: NS });
    const info = await daemon.waitHello(30 * 60_000);
    if (!info) throw new Error(`the daemon did not answer hello; its log:\n${daemon.tail()}`);
    const coldMs = nowMs() - daemon.startedAtMs;
    const coldLine = daemon.log.find((l) => l.includes('cold start:')) ?? '';
    row('daemon cold start until hello answers', f1(coldMs), `first use of the store included; ${/\((\d+) operation/.exec(coldLine)?.[1] ?? '?'} kernel operations; pid ${daemon.pid}`);
    const [savedNs] = timed(() => inNs(NS, 'ipvsadm', ['-Sn']));
    row('kernel after cold start', `${savedNs.trim().split('\n').length} ipvsadm -Sn lines`, `ipvsadm -R made ${savedRef.trim().split('\n').length}`);
    const afterStart = procStatus(daemon.pid);
    row('daemon RSS after cold start', `VmRSS ${afterStart.rss}`, `VmHWM ${afterStart.hwm}`);

    conn = await DaemonConnection.connect(stateDir, 10_000);
    if (!conn) throw new Error('cannot connect to the daemon socket');
    const c = conn;
    const d = daemon;
    const hello = await c.call<DaemonInfo>('hello');
    const helloKeys = Object.keys(hello).sort().join(', ');
    const exposesMetrics = countersOf(hello) !== null;
    const store = await openStore({ stateDir, configPath: cfgDir, readOnly: true });
    const [runningRev, readRevMs] = timed(() => store.running());
    row('read running revision (client, store file)', f1(readRevMs), `revision ${runningRev.number}`);
    let base = hello.runningRevision;
    let candidate: Config = runningRev.config;
    const stampOf = async () => {
      const h = await c.call<DaemonInfo>('hello', undefined, 30 * 60_000).catch(() => null);
      return h?.lastReconcile ? Date.parse(h.lastReconcile) : null;
    };
    /** Wait (bounded) until lastReconcile has changed `n` times; the stamps seen, the first one included. */
    const watchStamps = async (n: number, timeoutMs: number) => {
      const stamps: number[] = [];
      await pollUntil(async () => {
        const st = await stampOf();
        if (st !== null && st !== stamps[stamps.length - 1]) stamps.push(st);
        return stamps.length > n ? true : null;
      }, timeoutMs, 250);
      return stamps;
    };

    /** One commit sent straight to the daemon, as shell/commit-workflow.ts builds it. */
    const directCommit = async (label: string, change: (cfg: Config) => void) => {
      // Sent as the shell sends it: the difference from the base revision (config/delta.ts), not the whole
      // candidate. The previous candidate says what the base revision says (services in another order, which the
      // delta does not depend on).
      const before = candidate;
      candidate = structuredClone(candidate);
      change(candidate);
      const delta = configDelta(before, candidate);
      const job: Omit<HostCommitJob, 'candidate'> & { delta: unknown } = {
        delta,
        base,
        action: 'commit',
        comment: `bench ${label}`,
        record: { how: 'commit', meta: { origin: 'shell', user: 'root', uid: 0 } },
        voice: 'shell',
      };
      const params = { job, identity: { user: 'root', uid: 0, session: 'bench' } };
      const [wire, encodeMs] = timed(() => encode(params));
      const [, decodeMs] = timed(() => decode(wire));
      const h0 = await c.call<DaemonInfo>('hello');
      const e0 = countersOf(h0);
      const cpu0 = cpuMs(d.pid);
      const t0 = performance.now();
      const out = await c.call<CommitTransactionOutcome>('commit', params);
      const wall = performance.now() - t0;
      const cpu = cpuMs(d.pid) - cpu0;
      const h1 = await c.call<DaemonInfo>('hello');
      const e1 = countersOf(h1);
      // The counters are the engine's totals: a periodic drift check that ran meanwhile is counted in them too.
      const checkRan = h0.lastReconcile !== h1.lastReconcile;
      const engine = e0 && e1 ? { fullReads: e1.fullReads - e0.fullReads, messagesSent: e1.messagesSent - e0.messagesSent, checkRan } : null;
      if (out.kind !== 'committed') throw new Error(`${label}: ${out.kind}`);
      base = out.after;
      const r = out.result;
      return { wall, cpu, encodeMs, decodeMs, bytes: Buffer.byteLength(wire), msgs: r?.messagesSent ?? 0, dur: r?.durations ?? null, applied: r?.applied.length ?? 0, after: out.after, engine };
    };
    const describeCommit = (x: Awaited<ReturnType<typeof directCommit>>) =>
      `messagesSent ${x.msgs}, ${x.applied} op applied; ${x.engine ? `hello counters: ${x.engine.fullReads} full read(s), ${x.engine.messagesSent} netlink message(s) during it${x.engine.checkRan ? ' (a periodic drift check ran meanwhile)' : ''}; ` : ''}daemon: ${x.dur ? `plan ${f1(x.dur.planMs)}, apply ${f1(x.dur.applyMs)}, engine total ${f1(x.dur.totalMs)}` : 'kernel untouched'}, CPU used ${x.cpu} ms; ` +
      `request ${(x.bytes / 1e6).toFixed(2)} MB (encode ${f1(x.encodeMs)}, decode ${f1(x.decodeMs)} here); revision ${x.after}`;

    // ---- (d, part 1) the daemon's own periodic drift check ----
    if (MEASURE_RECONCILE) {
      // lastReconcile is stamped when a check completes; the next starts one interval later, so consecutive stamps
      // are (interval + one check) apart. The first stamp is the cold start's.
      const stamps = await watchStamps(2, 3 * SHORT_INTERVAL_MS + 15 * 60_000);
      const gaps = stamps.slice(1).map((x, k) => x - stamps[k] - SHORT_INTERVAL_MS);
      const e = countersOf(await c.call<DaemonInfo>('hello'));
      row(
        '(d) daemon periodic drift check (inferred)',
        gaps.length ? f1(median(gaps)) : 'not observed',
        `lastReconcile gaps minus the ${SHORT_INTERVAL_MS} ms interval: ${gaps.map((g) => g.toFixed(0)).join(', ')} ms (timer lateness included; no commit running)` +
          (e?.lastFullReadMs !== undefined ? `; engine.lastFullReadMs ${f1(e.lastFullReadMs)}, fullReads so far ${e.fullReads}` : ''),
      );
      const quiet = await directCommit('interval', (cfg) => {
        cfg.daemon.reconcile_interval_ms = QUIET_INTERVAL_MS;
      });
      row('config-only commit (reconcile interval -> 1 h)', f1(quiet.wall), describeCommit(quiet));
      // The check already scheduled still runs once; after it, none for an hour.
      await watchStamps(1, SHORT_INTERVAL_MS + 15 * 60_000);
    }

    // ---- (a) one-weight commits straight over the socket ----
    const direct: Array<Awaited<ReturnType<typeof directCommit>>> = [];
    for (let k = 0; k < DIRECT_COMMITS; k++) {
      // A second connection asks `hello` all along: how long does a client wait for the daemon during a commit?
      let probing = true;
      const latencies: number[] = [];
      const probe = (async () => {
        const pc = await DaemonConnection.connect(stateDir, 60_000);
        if (!pc) return;
        while (probing) {
          const t0 = performance.now();
          await pc.call('hello', undefined, 30 * 60_000).catch(() => null);
          latencies.push(performance.now() - t0);
          await sleep(50);
        }
        pc.close();
      })();
      const x = await directCommit(`direct ${k}`, (cfg) => {
        cfg.services.find((s) => s.name === `s${mid}`)!.backends[0].weight = 20 + k;
      });
      probing = false;
      await probe;
      direct.push(x);
      row(`(a) direct commit #${k + 1}: client wall time`, f1(x.wall), describeCommit(x));
      row(
        `(a) direct commit #${k + 1}: hello latency meanwhile`,
        latencies.length ? `max ${f1(Math.max(...latencies))}` : 'no answer',
        `${latencies.length} hello round trips on a second connection; clients give up after 2000 ms and run in-process`,
      );
    }
    const kernelWeight = inNs(NS, 'ipvsadm', ['-Sn']).split('\n').find((l) => l.includes(`${midVip}:${midPort} -r ${b0.address}:${b0.port}`));
    row('(a) direct commit: median client wall', f1(median(direct.map((x) => x.wall))), `median engine total ${f1(median(direct.map((x) => x.dur?.totalMs ?? 0)))}; kernel now: ${kernelWeight?.trim() ?? '?'}`);
    row(
      '(a) kernel dumps during a commit',
      exposesMetrics ? direct.map((x) => String(x.engine?.fullReads ?? '?')).join('/') : 'not exposed',
      exposesMetrics
        ? `engine.fullReads delta in hello around each commit; netlink messages ${direct.map((x) => String(x.engine?.messagesSent ?? '?')).join('/')}`
        : `hello has only {${helloKeys}}: no engine metrics (fullReads) over the socket; evidence instead: messagesSent ${direct.map((x) => x.msgs).join('/')} per commit (a dump of this table is >= ${SERVICES + 1} request/reply rounds) and engine total << a full read`,
    );
    if (!exposesMetrics)
      notes.push(
        "To count dumps directly the daemon would need to expose the engine's metrics (EngineMetrics: fullReads, lastFullReadMs, applies, opsApplied) " +
          "and the dataplane's messagesSent()/sendCalls() counters, e.g. in `hello` or a read-only `metrics` method, plus the duration and time of the last periodic drift check.",
      );

    if (PROBE_COMMIT) {
      // A CLI command started while the daemon commits: does it reach the daemon, or fall back to in-process?
      const started = performance.now();
      const commitP = directCommit('probe', (cfg) => {
        cfg.services.find((s) => s.name === `s${mid}`)!.backends[0].weight = 30;
      });
      await sleep(1000);
      const v = await runCli(launcher, ['shell', '--config', cfgDir, '--state-dir', stateDir, '-c', 'show version'], { netns: NS, timeoutMs: 30 * 60_000 });
      const x = await commitP;
      const engineLine = v.stdout.split('\n').find((l) => l.startsWith('Engine:'))?.trim() ?? `exit ${v.code}`;
      row(
        '(e) shell started 1 s into a direct commit',
        engineLine,
        `shell ${f1(v.ms)}, ended ${f1(performance.now() - started - x.wall)} ${performance.now() - started - x.wall >= 0 ? 'after' : 'before'} the commit's reply; commit wall ${f1(x.wall)}`,
      );
    }

    if (STORE_ALONE) {
      // Where the rest of the wall time goes: the store's part of the transaction (render + validate the files, write
      // the revision and the files), timed on a copy of the state and configuration in this process.
      const copyState = join(root, 'copy-state');
      const copyCfg = join(root, 'copy-config');
      cpSync(stateDir, copyState, { recursive: true, filter: (p) => !p.endsWith('lbctl.sock') && !p.includes('/locks') });
      cpSync(cfgDir, copyCfg, { recursive: true });
      const [copyStore, openMs] = await timedAsync(() => openStore({ stateDir: copyState, configPath: copyCfg }));
      const cand = structuredClone(copyStore.running().config);
      cand.services.find((s) => s.name === `s${mid}`)!.backends[0].weight = 33;
      const [res, storeMs] = await timedAsync(() => copyStore.commit(cand, copyStore.running().number, { origin: 'shell', user: 'root', uid: 0 }));
      row('(a) store part alone: commit of the same change', f1(storeMs), `${res.kind}; on a copy, in the bench process (openStore of the copy: ${f1(openMs)})`);
      const [, validateMs] = timed(() => validateConfig(cand));
      row('(a) validateConfig of the candidate alone', f1(validateMs), 'in the bench process');
      rmSync(copyState, { recursive: true, force: true });
      rmSync(copyCfg, { recursive: true, force: true });
    }

    // ---- (b) the same change as a whole shell command ----
    const shellRuns: number[] = [];
    for (let k = 0; k < SHELL_COMMITS; k++) {
      const cpu0 = cpuMs(d.pid);
      const r = await runCli(
        launcher,
        ['shell', '--config', cfgDir, '--state-dir', stateDir, '-c', `configure private; service s${mid}; backend ${b0.address} port ${b0.port} weight ${40 + k}; commit`],
        { netns: NS, timeoutMs: 30 * 60_000 },
      );
      if (r.code !== 0 || !/committed successfully/.test(r.stdout)) throw new Error(`shell commit ${k}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      shellRuns.push(r.ms);
      const cpu = cpuMs(d.pid) - cpu0;
      row(`(b) lbctl shell -c '…; commit' #${k + 1}, start to exit`, f1(r.ms), `daemon CPU used meanwhile ${cpu} ms; ${r.stdout.split('\n').find((l) => l.includes('committed successfully'))?.trim() ?? ''}`);
    }
    row('(b) ipvsadm -e, same change (ref netns, above)', f1(editMs), `ratio shell/ipvsadm ${(median(shellRuns) / editMs).toFixed(0)}x; direct-socket/ipvsadm ${(median(direct.map((x) => x.wall)) / editMs).toFixed(1)}x`);
    const v = await runCli(launcher, ['shell', '--config', cfgDir, '--state-dir', stateDir, '-c', 'show version'], { netns: NS, timeoutMs: 30 * 60_000 });
    row('lbctl shell -c "show version" (startup + hello)', f1(v.ms), v.stdout.split('\n').find((l) => l.startsWith('Engine:'))?.trim() ?? '');

    // ---- (c) memory ----
    const mem = procStatus(daemon.pid);
    row('(c) daemon VmHWM (peak RSS)', mem.hwm, `after cold start + ${DIRECT_COMMITS + SHELL_COMMITS + (PROBE_COMMIT ? 1 : 0) + (MEASURE_RECONCILE ? 1 : 0)} commits`);
    row('(c) daemon VmRSS (current)', mem.rss);

    // ---- (d) a full drift check ----
    const st = await runCli(launcher, ['status', '--config', cfgDir, '--state-dir', stateDir], { netns: NS, timeoutMs: 30 * 60_000 });
    row('(d) lbctl status through the daemon, start to exit', f1(st.ms), `exit ${st.code}; ${st.stdout.trim().split('\n').pop() ?? ''}`);
    {
      // The same through the socket alone (no CLI start-up): the daemon re-reads the whole table, then compares.
      const t0 = performance.now();
      const rep = await conn.call<{ inSync: boolean; services: unknown[] }>('status', { config: null }, 30 * 60_000);
      const wall = performance.now() - t0;
      const e = countersOf(await conn.call<DaemonInfo>('hello'));
      row(
        "(d) 'status' request straight to the daemon (full read + compare)",
        f1(wall),
        `inSync ${rep.inSync}, ${rep.services.length} services${e?.lastFullReadMs !== undefined ? `; engine.lastFullReadMs ${f1(e.lastFullReadMs)}` : ''}`,
      );
    }
    const [savedNow, saveNsMs] = timed(() => inNs(NS, 'ipvsadm', ['-Sn']));
    row('(d) ipvsadm -Sn full table (daemon netns)', f1(saveNsMs), `${savedNow.trim().split('\n').length} lines`);
    const mem2 = procStatus(daemon.pid);
    row('(c) daemon VmHWM / VmRSS at the end', `${mem2.hwm} / ${mem2.rss}`);
  } finally {
    conn?.close();
    if (daemon) {
      const r = await daemon.stop('SIGTERM', 120_000);
      if (r.signal === 'SIGKILL') notes.push('the daemon did not stop on SIGTERM within 120 s; it was SIGKILLed');
    }
    await sleep(100);
    for (const ns of [NS, NS_REF]) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      } catch {
        /* already gone */
      }
    }
    rmSync(root, { recursive: true, force: true });
  }
  const w = [Math.max(...rows.map((r) => r[0].length)), Math.max(...rows.map((r) => r[1].length))];
  const table = rows.map(([a, b, c]) => `${a.padEnd(w[0])}  ${b.padStart(w[1])}  ${c}`).join('\n');
  return [`\ndaemon-commit: ${SERVICES} services x ${BACKENDS} backends, kernel ${kernel} (emulated figures: compare ratios only)`, table, ...notes.map((n) => `note: ${n}`)].join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (s) => console.log(s),
    (e) => {
      console.error(e instanceof Error ? e.stack ?? e.message : e);
      process.exit(1);
    },
  );
}
