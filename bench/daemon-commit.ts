// Benchmark (figures only, never pass/fail): `lbctl daemon` on the kernel with N services x 4 backends
// (LBCTL_BENCH_SERVICES, default 10,000), everything in a fresh network namespace (IPVS tables are per netns):
//  - reference: `ipvsadm -R` of the same table in its own fresh namespace, `ipvsadm -e` of one weight there,
//    `ipvsadm -Sn` of the table;
//  - the daemon's cold start (first use of the store included) until `hello` answers;
//  (a) one-weight commits sent straight to the daemon over its socket (DaemonConnection.call('commit')): the
//      engine's netlink messages (result.messagesSent), the daemon-side durations and the client's wall time;
//  (b) the same change as a whole `lbctl shell -c '…; commit'` command, start to exit;
//  (c) the daemon's peak and current RSS (VmHWM, VmRSS);
//  (d) a full drift check: `lbctl status` through the daemon, the daemon's own periodic check (inferred from the
//      spacing of `hello.lastReconcile`), beside `ipvsadm -Sn` of the same table.
// Run: node build/bench/run.js daemon-commit   (LBCTL_BENCH_SERVICES=200 to validate quickly)
// Addresses are documentation ranges (VIPs 192.0.2.0/24 and 203.0.113.0/24 on many ports, backends
// 198.51.100.0/24): table entries only, no traffic is sent. Emulated figures compare only with each other.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from '../config/model.js';
import { openStore } from '../config/store.js';
import { DaemonConnection } from '../engine/daemon/client.js';
import type { DaemonInfo } from '../engine/daemon/protocol.js';
import { decode, encode } from '../engine/daemon/protocol.js';
import { validateConfig } from '../config/validate.js';
import type { CommitTransactionOutcome } from '../engine/commit-transaction.js';
import type { HostCommitJob } from '../engine/host.js';
import { DaemonProcess, nowMs, pollUntil, runCli, sleep, writeLauncher } from '../test/kernel/suite/daemon-helpers.js';

const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const BACKENDS = 4;
const PER_FILE = 100;
/** Long enough that the periodic check rarely overlaps a measurement; the check itself is measured at the end. */
const RECONCILE_MS = Number(process.env.LBCTL_BENCH_RECONCILE_MS ?? (SERVICES >= 2000 ? 60_000 : 10_000));
const DIRECT_COMMITS = 3;
const SHELL_COMMITS = 2;
const NS = `lbctl-bd-${process.pid}`;
const NS_REF = `lbctl-bdref-${process.pid}`;

/** Service i: a documentation VIP (two /24s) on port 10000 + i / 500; backends 198.51.100.x:8080+j. */
function vipOf(i: number): { vip: string; port: number } {
  const slot = i % 500;
  const vip = slot < 250 ? `192.0.2.${slot + 1}` : `203.0.113.${slot - 249}`;
  return { vip, port: 10_000 + Math.floor(i / 500) };
}
const backendOf = (i: number, j: number) => ({ address: `198.51.100.${1 + ((i * BACKENDS + j) % 250)}`, port: 8080 + j, weight: 1 + j });

function writeConfig(dir: string, stateDir: string): void {
  mkdirSync(join(dir, 'config.d'), { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      '# bench/daemon-commit.ts',
      'node:',
      '  name: benchlb',
      'daemon:',
      `  reconcile_interval_ms: ${RECONCILE_MS}`,
      '  limits:',
      `    max_services: ${Math.max(SERVICES, 10_000)}`,
      'observability:',
      '  prometheus: {enabled: false}',
      '  audit:',
      `    path: ${join(stateDir, 'audit.jsonl')}`,
      '',
    ].join('\n'),
  );
  for (let f = 0; f * PER_FILE < SERVICES; f++) {
    const lines = ['services:'];
    for (let i = f * PER_FILE; i < Math.min(SERVICES, (f + 1) * PER_FILE); i++) {
      const { vip, port } = vipOf(i);
      lines.push(`  - name: s${i}`, `    vip: ${vip}`, `    ports: [${port}]`, '    scheduler: wrr', '    health: {enabled: false}', '    backends:');
      for (let j = 0; j < BACKENDS; j++) {
        const b = backendOf(i, j);
        lines.push(`      - {address: ${b.address}, port: ${b.port}, weight: ${b.weight}}`);
      }
    }
    writeFileSync(join(dir, 'config.d', `${String(f).padStart(4, '0')}.yaml`), lines.join('\n') + '\n');
  }
}

function ipvsadmRules(): string {
  const lines: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const { vip, port } = vipOf(i);
    lines.push(`-A -t ${vip}:${port} -s wrr`);
    for (let j = 0; j < BACKENDS; j++) {
      const b = backendOf(i, j);
      lines.push(`-a -t ${vip}:${port} -r ${b.address}:${b.port} -m -w ${b.weight}`);
    }
  }
  return lines.join('\n') + '\n';
}

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
  console.log(`daemon-commit: ${SERVICES} services x ${BACKENDS} backends (${SERVICES * (BACKENDS + 1)} IPVS objects), kernel ${kernel}, reconcile interval ${RECONCILE_MS} ms`);
  for (const ns of [NS, NS_REF]) {
    execFileSync('ip', ['netns', 'add', ns]);
    // With lo down the kernel calls every destination "not unicast" (EINVAL) in a fresh namespace. No traffic.
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
  }
  try {
    // ---- the configuration files ----
    const [, genMs] = timed(() => writeConfig(cfgDir, stateDir));
    row('generate config files', f1(genMs), `${Math.ceil(SERVICES / PER_FILE)} files in config.d`);

    // ---- reference: ipvsadm in its own fresh namespace ----
    const rules = ipvsadmRules();
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

    // ---- (a) one-weight commits straight over the socket ----
    conn = await DaemonConnection.connect(stateDir, 10_000);
    if (!conn) throw new Error('cannot connect to the daemon socket');
    const hello = await conn.call<DaemonInfo>('hello');
    const helloKeys = Object.keys(hello).sort().join(', ');
    const exposesMetrics = 'metrics' in hello || 'engine' in hello;
    const store = await openStore({ stateDir, configPath: cfgDir, readOnly: true });
    const [runningRev, readRevMs] = timed(() => store.running());
    row('read running revision (client, store file)', f1(readRevMs), `revision ${runningRev.number}`);
    let base = hello.runningRevision;
    let candidate: Config = runningRev.config;
    const direct: Array<{ wall: number; cpu: number; encodeMs: number; decodeMs: number; bytes: number; msgs: number; d: { planMs: number; applyMs: number; undoMs: number; totalMs: number }; applied: number; after: number }> = [];
    for (let k = 0; k < DIRECT_COMMITS; k++) {
      candidate = structuredClone(candidate);
      const svc = candidate.services.find((s) => s.name === `s${mid}`)!;
      svc.backends[0].weight = 20 + k;
      const job: HostCommitJob = {
        candidate,
        base,
        action: 'commit',
        comment: `bench direct ${k}`,
        record: { how: 'commit', meta: { origin: 'shell', user: 'root', uid: 0 } },
        voice: 'shell',
      };
      const [wire, encodeMs] = timed(() => encode({ job, identity: { user: 'root', uid: 0, session: 'bench' } }));
      const [, decodeMs] = timed(() => decode(wire));
      const cpu0 = cpuMs(daemon.pid);
      const t0 = performance.now();
      const out = await conn.call<CommitTransactionOutcome>('commit', { job, identity: { user: 'root', uid: 0, session: 'bench' } });
      const wall = performance.now() - t0;
      const cpu = cpuMs(daemon.pid) - cpu0;
      if (out.kind !== 'committed' || !out.result) throw new Error(`direct commit ${k}: ${out.kind}`);
      base = out.after;
      direct.push({ wall, cpu, encodeMs, decodeMs, bytes: Buffer.byteLength(wire), msgs: out.result.messagesSent, d: out.result.durations, applied: out.result.applied.length, after: out.after });
    }
    const kernelWeight = inNs(NS, 'ipvsadm', ['-Sn']).split('\n').find((l) => l.includes(`${midVip}:${midPort} -r ${b0.address}:${b0.port}`));
    for (const [k, c] of direct.entries())
      row(
        `(a) direct commit #${k + 1}: client wall time`,
        f1(c.wall),
        `messagesSent ${c.msgs}, ${c.applied} op applied; daemon: plan ${f1(c.d.planMs)}, apply ${f1(c.d.applyMs)}, engine total ${f1(c.d.totalMs)}, CPU used ${c.cpu} ms; ` +
          `request ${(c.bytes / 1e6).toFixed(2)} MB (encode ${f1(c.encodeMs)}, decode ${f1(c.decodeMs)} here); revision ${c.after}`,
      );
    row('(a) direct commit: median client wall', f1(median(direct.map((c) => c.wall))), `median engine total ${f1(median(direct.map((c) => c.d.totalMs)))}; kernel now: ${kernelWeight?.trim() ?? '?'}`);
    row(
      '(a) kernel dumps during a commit',
      exposesMetrics ? 'see hello' : 'not exposed',
      `hello has only {${helloKeys}}: no engine metrics (fullReads) over the socket; evidence instead: messagesSent ${direct.map((c) => c.msgs).join('/')} per commit (a dump of this table is >= ${SERVICES + 1} request/reply rounds) and engine total << a full read`,
    );
    {
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
    }
    if (!exposesMetrics)
      notes.push(
        "To count dumps directly the daemon would need to expose the engine's metrics (EngineMetrics: fullReads, lastFullReadMs, applies, opsApplied) " +
          "and the dataplane's messagesSent()/sendCalls() counters, e.g. in `hello` or a read-only `metrics` method, plus the duration and time of the last periodic drift check.",
      );

    // ---- (b) the same change as a whole shell command ----
    const shellRuns: number[] = [];
    for (let k = 0; k < SHELL_COMMITS; k++) {
      const cpu0 = cpuMs(daemon.pid);
      const r = await runCli(
        launcher,
        ['shell', '--config', cfgDir, '--state-dir', stateDir, '-c', `configure private; service s${mid}; backend ${b0.address} port ${b0.port} weight ${40 + k}; commit`],
        { netns: NS, timeoutMs: 30 * 60_000 },
      );
      if (r.code !== 0 || !/committed successfully/.test(r.stdout)) throw new Error(`shell commit ${k}: exit ${r.code}\n${r.stdout}\n${r.stderr}`);
      shellRuns.push(r.ms);
      const cpu = cpuMs(daemon.pid) - cpu0;
      row(`(b) lbctl shell -c '…; commit' #${k + 1}, start to exit`, f1(r.ms), `daemon CPU used meanwhile ${cpu} ms; ${r.stdout.split('\n').find((l) => l.includes('committed successfully'))?.trim() ?? ''}`);
    }
    row('(b) ipvsadm -e, same change (ref netns, above)', f1(editMs), `ratio shell/ipvsadm ${(median(shellRuns) / editMs).toFixed(0)}x; direct-socket/ipvsadm ${(median(direct.map((c) => c.wall)) / editMs).toFixed(1)}x`);
    const v = await runCli(launcher, ['shell', '--config', cfgDir, '--state-dir', stateDir, '-c', 'show version'], { netns: NS, timeoutMs: 30 * 60_000 });
    row('lbctl shell -c "show version" (startup + hello)', f1(v.ms), v.stdout.split('\n').find((l) => l.startsWith('Engine:'))?.trim() ?? '');

    // ---- (c) memory ----
    const mem = procStatus(daemon.pid);
    row('(c) daemon VmHWM (peak RSS)', mem.hwm, `after cold start + ${DIRECT_COMMITS + SHELL_COMMITS} commits`);
    row('(c) daemon VmRSS (current)', mem.rss);

    // ---- (d) a full drift check ----
    const st = await runCli(launcher, ['status', '--config', cfgDir, '--state-dir', stateDir], { netns: NS, timeoutMs: 30 * 60_000 });
    row('(d) lbctl status through the daemon, start to exit', f1(st.ms), `exit ${st.code}; ${st.stdout.trim().split('\n').pop() ?? ''}`);
    const [savedNow, saveNsMs] = timed(() => inNs(NS, 'ipvsadm', ['-Sn']));
    row('(d) ipvsadm -Sn full table (daemon netns)', f1(saveNsMs), `${savedNow.trim().split('\n').length} lines`);
    // The daemon's own check: lastReconcile is stamped when a check completes and the next one starts one interval
    // later, so consecutive stamps are (interval + one check) apart.
    const stamps: number[] = [];
    const deadline = nowMs() + 3 * RECONCILE_MS + 10 * 60_000;
    await pollUntil(async () => {
      const h = await conn!.call<DaemonInfo>('hello', undefined, 60_000).catch(() => null);
      const s = h?.lastReconcile ? Date.parse(h.lastReconcile) : null;
      if (s !== null && s !== stamps[stamps.length - 1]) stamps.push(s);
      return stamps.length >= 3 ? true : null;
    }, deadline - nowMs(), 250);
    const gaps = stamps.slice(1).map((s, k) => s - stamps[k] - RECONCILE_MS);
    // The first stamp may be the cold start's; only gaps between two periodic checks count.
    const checks = gaps.slice(1);
    row(
      '(d) daemon periodic drift check (inferred)',
      checks.length ? f1(median(checks)) : gaps.length ? `${f1(gaps[gaps.length - 1])} (one gap)` : 'not observed',
      `gap between lastReconcile stamps minus the ${RECONCILE_MS} ms interval; gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms (timer lateness included)`,
    );
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
