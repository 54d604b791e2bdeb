// The user paths of issue 13 timed whole (start to exit) on the real kernel, lbctl beside ipvsadm in ONE boot,
// with peak RSS (GNU time's %M; the daemon's VmHWM/VmRSS from /proc). Figures only, never pass or fail.
//   For each size in LBCTL_BENCH_SIZES (default "1000,10000"; services × 4 backends, bench/big-config.ts) and each
//   lbctl build in LBCTL_BENCH_BUILDS (comma list of compiled trees holding cli/main.js, e.g. /tmp/b0/build;
//   default: the build this file is in), in a FRESH network namespace per (size, build), own config/state dirs:
//   - lbctl validate; cold lbctl apply (vs ipvsadm -R in its own fresh namespace);
//   - lbctl show ipvs, lbctl shell -c 'show ipvs', show ipvs in an open shell, lbctl status (vs ipvsadm -Ln);
//   - the shell's first prompt (a real terminal: script(1)'s pty, the prompt seen on the screen);
//   - a one-weight commit (vs ipvsadm -e): lbctl shell -c '…; commit'; in an already open shell (a line-mode shell
//     on a pipe: the line `backend … weight N` and `commit` written, until "committed successfully"); then the same
//     with a daemon running, and straight to the daemon's socket (a delta, or the whole candidate for a build
//     without config/delta.js), with the netlink messages and kernel dumps the daemon's counters show;
//   - the daemon's RSS once started and at the end (steady state, peak).
// Run: node build/bench/run.js vm-user-paths (boots the kernel VM when this host lacks IPVS), or on the host
// `node build/bench/vm-user-paths.js`, which boots it the same way and also writes LBCTL_BENCH_OUT there (a file
// written inside the guest vanishes at power-off; under run.js take the `vm-user-paths-json:` line instead).
//   LBCTL_BENCH_SIZES=200 to validate quickly; LBCTL_BENCH_TIMEOUT_MIN (whole boot, default 40);
//   LBCTL_BENCH_CMD_TIMEOUT_MIN (one command, default 30); LBCTL_BENCH_SLOW_S (default 120): a build whose
//   single commit took longer skips the open-shell commits and runs one direct commit, not three.
// Addresses are documentation ranges: table entries only, no packet is sent anywhere.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Config } from '../config/model.js';
import type { DaemonInfo } from '../engine/daemon/protocol.js';
import { BACKENDS, backendOf, ipvsadmRules, vipOf, writeBigConfig } from './big-config.js';
import { DaemonProcess, cleanEnv, nowMs, sleep } from '../test/kernel/suite/daemon-helpers.js';
import { installedDaemon } from './installed-daemon.js';

export const needsKernel = true;

const THIS_BUILD = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SIZES = (process.env.LBCTL_BENCH_SIZES ?? '1000,10000').split(',').map(Number).filter((n) => n > 0);
const BUILDS = (process.env.LBCTL_BENCH_BUILDS ?? THIS_BUILD).split(',').filter(Boolean).map((b) => resolve(b));
const CMD_TIMEOUT_MS = Number(process.env.LBCTL_BENCH_CMD_TIMEOUT_MIN ?? 30) * 60_000;
const SLOW_MS = Number(process.env.LBCTL_BENCH_SLOW_S ?? 120) * 1000;
/** How long the daemon is left alone after the views before its steady-state RSS is read. */
const IDLE_MS = Number(process.env.LBCTL_BENCH_IDLE_S ?? 30) * 1000;
const GNU_TIME = '/usr/bin/time';
const JSON_TAG = 'vm-user-paths-json: ';

/** One measurement: wall time of the whole thing, its peak RSS when known, a note. */
interface Cell {
  ms: number | null;
  rssMiB?: number | null;
  note?: string;
  code?: number | null;
}
const skipped = (note: string): Cell => ({ ms: null, note });

interface Proc {
  ms: number;
  code: number | null;
  stdout: string;
  stderr: string;
  rssMiB: number | null;
}

/** `ip netns exec NS [/usr/bin/time -f …] ARGV`, start to exit; stdin written whole when given. */
function runTimed(ns: string, argv: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Proc> {
  const timed = existsSync(GNU_TIME);
  const full = ['netns', 'exec', ns, ...(timed ? [GNU_TIME, '-f', 'vmb-maxrss=%M'] : []), ...argv];
  const t0 = performance.now();
  const child = spawn('ip', full, { stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? cleanEnv() });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  child.stdin.on('error', () => {});
  child.stdin.end(opts.input ?? '');
  const timer = setTimeout(() => child.kill('SIGKILL'), CMD_TIMEOUT_MS);
  return new Promise((res) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      const m = /vmb-maxrss=(\d+)/.exec(stderr);
      res({ ms: performance.now() - t0, code, stdout, stderr, rssMiB: m ? Number(m[1]) / 1024 : null });
    }),
  );
}

/** A commit command's cell: also says when the output lacks "committed successfully". */
const commitCell = (p: Proc, note = ''): Cell => {
  const c = cellOf(p, note);
  return p.code === 0 && !/committed successfully/.test(p.stdout) ? { ...c, note: `${c.note ? `${c.note}; ` : ''}no "committed successfully" in the output: ${p.stdout.trim().split('\n').slice(-2).join(' | ').slice(0, 200)}` } : c;
};
const cellOf = (p: Proc, note = ''): Cell => ({ ms: p.ms, rssMiB: p.rssMiB, code: p.code, note: p.code === 0 ? note : `exit ${p.code}: ${(p.stderr.replace(/vmb-maxrss=\d+/, '').trim() || p.stdout.trim()).split('\n').slice(-2).join(' | ').slice(0, 200)}` });

function procStatus(pid: number): { rss: number; hwm: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) / 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return null;
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function netnsAdd(name: string): void {
  execFileSync('ip', ['netns', 'add', name]);
  // With lo down the kernel calls every destination "not unicast" (EINVAL) in a fresh namespace. No traffic.
  execFileSync('ip', ['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
}
function netnsDel(name: string): void {
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    /* already gone */
  }
}

/** bin/lbctl for any build directory: a script importing `<build>/cli/main.js` and running its main(argv). */
function launcherFor(build: string, dir: string): string {
  const path = join(dir, 'lbctl.mjs');
  writeFileSync(path, `const { main } = await import(${JSON.stringify(pathToFileURL(join(build, 'cli', 'main.js')).href)});\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  return path;
}

/**
 * A line-mode `lbctl shell` on a pipe (no terminal), kept open: `send` writes lines and waits until the output
 * matches `until` for the `nth` time in all (counted over the whole session).
 */
class PipedShell {
  out = '';
  readonly closed: Promise<Proc>;
  private readonly child;
  private readonly t0 = performance.now();
  constructor(ns: string, argv: string[]) {
    const timed = existsSync(GNU_TIME);
    this.child = spawn('ip', ['netns', 'exec', ns, ...(timed ? [GNU_TIME, '-f', 'vmb-maxrss=%M'] : []), ...argv], { stdio: ['pipe', 'pipe', 'pipe'], env: cleanEnv() });
    let stderr = '';
    this.child.stdout.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    this.child.stdin.on('error', () => {});
    this.closed = new Promise((res) =>
      this.child.once('close', (code) => {
        const m = /vmb-maxrss=(\d+)/.exec(stderr);
        res({ ms: performance.now() - this.t0, code, stdout: this.out, stderr, rssMiB: m ? Number(m[1]) / 1024 : null });
      }),
    );
  }
  count(re: RegExp): number {
    return this.out.match(new RegExp(re.source, 'g'))?.length ?? 0;
  }
  /** Write `lines`, wait until `until` has matched `nth` times; the wait in ms, or null on timeout / exit. */
  async send(lines: string, until: RegExp, nth: number, timeoutMs = CMD_TIMEOUT_MS): Promise<number | null> {
    let exited = false;
    void this.closed.then(() => (exited = true));
    const t0 = performance.now();
    this.child.stdin.write(lines);
    while (this.count(until) < nth) {
      if (exited || performance.now() - t0 > timeoutMs) return null;
      await sleep(2);
    }
    return performance.now() - t0;
  }
  async end(): Promise<Proc> {
    this.child.stdin.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 120_000);
    const p = await this.closed;
    clearTimeout(timer);
    return p;
  }
}

/** The interactive shell in a pty (script(1)): time until the prompt is on the screen, then `exit`. */
async function firstPrompt(ns: string, argv: string[]): Promise<Cell> {
  if (!existsSync('/usr/bin/script')) return skipped('no script(1) for a terminal');
  const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
  const inner = `stty cols 160 rows 50; exec ${existsSync(GNU_TIME) ? `${GNU_TIME} -f vmb-maxrss=%M ` : ''}${argv.map(q).join(' ')}`;
  const t0 = performance.now();
  const child = spawn('ip', ['netns', 'exec', ns, 'script', '-qfec', inner, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...cleanEnv(), TERM: 'xterm-256color' } });
  let out = '';
  let promptMs: number | null = null;
  let readyMs: number | null = null;
  child.stdin.on('error', () => {});
  const plain = () => out.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    const text = plain();
    if (promptMs === null && /benchlb\S*[#>]/.test(text)) promptMs = performance.now() - t0;
    // The session is open once the banner's engine line is shown (ink paints the prompt after it).
    if (promptMs !== null && readyMs === null && /Engine: /.test(text)) {
      readyMs = performance.now() - t0;
      setTimeout(() => child.stdin.write('exit\r'), 300);
    }
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), CMD_TIMEOUT_MS);
  const code = await new Promise<number | null>((res) => child.once('close', (c) => res(c)));
  clearTimeout(timer);
  const m = /vmb-maxrss=(\d+)/.exec(out);
  return { ms: promptMs, rssMiB: m ? Number(m[1]) / 1024 : null, code, note: readyMs !== null ? `banner's engine line at ${(readyMs as number).toFixed(0)} ms` : `no engine line; exit ${code}` };
}

type Row = { path: string; ref: string | null; lbctl: Cell[] };

async function importFrom<T>(build: string, rel: string): Promise<T | null> {
  const file = join(build, rel);
  return existsSync(file) ? ((await import(pathToFileURL(file).href)) as T) : null;
}

interface DaemonConn {
  call<T>(method: string, params?: unknown, timeoutMs?: number): Promise<T>;
  close(): void;
}
interface Counters {
  fullReads: number;
  messagesSent: number;
}
const countersOf = (h: DaemonInfo | null): Counters | null => ((h as unknown as { engine?: Counters | null } | null)?.engine ?? null);

/** Everything for one build at one size; `cells` keyed by row path. */
async function measureBuild(build: string, size: number, tag: string, ref: Record<string, Cell>): Promise<Map<string, Cell>> {
  const cells = new Map<string, Cell>();
  const put = (path: string, c: Cell) => {
    cells.set(path, c);
    const r = ref[REF_OF[path] ?? ''];
    console.log(`  [${tag}] ${path}: ${fmtCell(c)}${r?.ms && c.ms ? `  (${(c.ms / r.ms).toFixed(2)}x ${REF_OF[path]})` : ''}`);
  };
  const root = mkdtempSync(join(tmpdir(), `lbctl-vmb-${tag}-`));
  const cfg = join(root, 'config');
  const state = join(root, 'state');
  const home = join(root, 'home');
  mkdirSync(state, { recursive: true });
  mkdirSync(home);
  const launcher = launcherFor(build, root);
  const lbctl = [process.execPath, launcher];
  const common = ['--config', cfg, '--state-dir', state];
  const env = { ...cleanEnv(), HOME: home };
  const ns = `vmb-${tag}`;
  const mid = Math.floor(size / 2);
  const b0 = backendOf(mid, 0);
  const weightLine = (w: number) => `backend ${b0.address} port ${b0.port} weight ${w}`;
  const committed = /committed successfully/;
  let daemon: DaemonProcess | null = null;
  let conn: DaemonConn | null = null;
  netnsAdd(ns);
  try {
    writeBigConfig(cfg, state, size, 3_600_000);
    const run = (args: string[], input?: string) => runTimed(ns, [...lbctl, ...args], { env, input });
    put('lbctl validate', cellOf(await run(['validate', '--config', cfg])));
    put('cold lbctl apply', cellOf(await run(['apply', ...common])));
    const sip = await run(['show', 'ipvs', '--state-dir', state, '--config', cfg]);
    put('lbctl show ipvs', cellOf(sip, `${sip.stdout.split('\n').length} lines`));
    put("lbctl shell -c 'show ipvs'", cellOf(await run(['shell', ...common, '-c', 'show ipvs'])));
    put('lbctl status', cellOf(await run(['status', ...common])));
    put('shell first prompt (terminal)', await firstPrompt(ns, [...lbctl, 'shell', ...common]));
    put("lbctl shell -c 'show version'", cellOf(await run(['shell', ...common, '-c', 'show version'])));

    const one = await run(['shell', ...common, '-c', `configure private; service s${mid}; ${weightLine(11)}; commit`]);
    put("commit: lbctl shell -c '…; commit', no daemon", commitCell(one));
    const slow = one.ms > SLOW_MS;
    await openShell('no daemon', slow, 12);

    // ---- the daemon, in the same namespace (the kernel already holds the table) ----
    // With the node flags the build's systemd unit gives the daemon: the daemon as installed.
    const installed = installedDaemon(build);
    daemon = DaemonProcess.start(launcher, cfg, state, { netns: ns, nodeFlags: installed.nodeFlags, env: installed.env });
    const info = await daemon.waitHello(CMD_TIMEOUT_MS);
    if (!info) throw new Error(`the daemon did not answer hello; its log:\n${daemon.tail()}`);
    put('daemon start until hello (table in place)', { ms: nowMs() - daemon.startedAtMs });
    const started = procStatus(daemon.pid);
    const client = await importFrom<{ DaemonConnection: { connect(stateDir: string, ms: number): Promise<DaemonConn | null> } }>(build, 'engine/daemon/client.js');
    conn = (await client!.DaemonConnection.connect(state, 10_000))!;
    if (!conn) throw new Error('cannot connect to the daemon socket');
    const c = conn;
    const counters = async () => countersOf(await c.call<DaemonInfo>('hello', undefined, CMD_TIMEOUT_MS).catch(() => null));
    const countedNote = (e0: Counters | null, e1: Counters | null) => (e0 && e1 ? `${e1.messagesSent - e0.messagesSent} netlink msg, ${e1.fullReads - e0.fullReads} dump(s) (daemon counters)` : 'daemon exposes no counters');

    let e0 = await counters();
    const oneD = await run(['shell', ...common, '-c', `configure private; service s${mid}; ${weightLine(21)}; commit`]);
    put("commit: lbctl shell -c '…; commit', daemon", commitCell(oneD, countedNote(e0, await counters())));
    await openShell('daemon', slow || oneD.ms > SLOW_MS, 22, counters, countedNote);

    // Straight to the socket, as the shell sends it: a delta from the running revision, or the whole candidate.
    const deltaMod = await importFrom<{ configDelta: (a: Config, b: Config) => unknown }>(build, 'config/delta.js');
    const storeMod = (await importFrom<{ readRevisionConfig?: (s: string, n: number) => Config | null; openStore: (o: unknown) => Promise<{ running(): { config: Config } }> }>(build, 'store/store.js'))!;
    const hello = await c.call<DaemonInfo>('hello');
    let base = hello.runningRevision;
    let prev: Config = storeMod.readRevisionConfig ? storeMod.readRevisionConfig(state, base)! : (await storeMod.openStore({ stateDir: state, configPath: cfg, readOnly: true })).running().config;
    const direct: number[] = [];
    const notes: string[] = [];
    try {
      for (let k = 0; k < (slow ? 1 : 3); k++) {
        const cand = structuredClone(prev);
        cand.services.find((s) => s.name === `s${mid}`)!.backends[0].weight = 30 + k;
        const delta = deltaMod ? deltaMod.configDelta(prev, cand) : null;
        prev = cand;
        e0 = await counters();
        const t = performance.now();
        const out = await c.call<{ kind: string; after: number; result?: { messagesSent?: number } }>(
          'commit',
          { job: { ...(delta ? { delta } : { candidate: cand }), base, action: 'commit', record: { how: 'commit', meta: { origin: 'shell', user: 'root', uid: 0 } }, voice: 'shell' }, identity: { user: 'root', uid: 0, session: 'bench' } },
          CMD_TIMEOUT_MS,
        );
        direct.push(performance.now() - t);
        if (out.kind !== 'committed') throw new Error(`direct commit: ${out.kind}`);
        base = out.after;
        notes.push(`result.messagesSent ${out.result?.messagesSent ?? '?'}; ${countedNote(e0, await counters())}`);
      }
    } catch (e) {
      // A build whose commit request differs: say so, and go on with the other paths.
      notes.push(`stopped: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    }
    put('commit: straight to the daemon socket', { ms: direct.length ? median(direct) : null, rssMiB: procStatus(daemon.pid)?.hwm ?? null, note: `RSS: the daemon's VmHWM so far; ${deltaMod ? 'delta' : 'whole candidate'}; ${direct.map((t) => t.toFixed(0)).join(' / ')} ms; ${notes[notes.length - 1]}` });
    put('lbctl status, daemon', cellOf(await run(['status', ...common])));
    put('lbctl show ipvs, daemon', cellOf(await run(['show', 'ipvs', '--state-dir', state, '--config', cfg])));
    const end = procStatus(daemon.pid);
    // The steady state: the daemon left alone for a while after the views (V8 gives memory back when idle).
    await sleep(IDLE_MS);
    const idle = procStatus(daemon.pid);
    put('daemon RSS: after start / at the end', {
      ms: null,
      rssMiB: end?.hwm ?? null,
      note: `VmRSS ${started?.rss.toFixed(0)} MiB after start, ${end?.rss.toFixed(0)} MiB at the end, ${idle?.rss.toFixed(0)} MiB ${IDLE_MS / 1000} s later; peak (VmHWM) ${end?.hwm.toFixed(0)} MiB; as installed: node ${installed.nodeFlags.join(' ') || '(no flags)'} ${Object.entries(installed.env).map(([k, v]) => `${k}=${v}`).join(' ')}`,
    });
  } catch (e) {
    console.log(`  [${tag}] stopped: ${e instanceof Error ? e.message : String(e)}`);
    cells.set('error', skipped(e instanceof Error ? e.message.split('\n')[0] : String(e)));
  } finally {
    conn?.close();
    if (daemon) await daemon.stop('SIGTERM', 120_000);
    await sleep(100);
    netnsDel(ns);
    rmSync(root, { recursive: true, force: true });
  }
  return cells;

  /** One-weight commits in an already open line-mode shell: the first of the session, then the one that counts. */
  async function openShell(label: string, skip: boolean, w: number, counters?: () => Promise<Counters | null>, countedNote?: (a: Counters | null, b: Counters | null) => string): Promise<void> {
    const path = `commit: open shell (Enter to reply), ${label}`;
    if (skip) {
      put(path, skipped(`not run: a single commit took > ${SLOW_MS / 1000} s`));
      return;
    }
    const sh = new PipedShell(ns, [...lbctl, 'shell', ...common]);
    const engine = /Engine: /;
    const ready = await sh.send('show version\n', engine, 1);
    let showIpvs: number | null = null;
    if (ready !== null) {
      const both = await sh.send('show ipvs\nshow version\n', engine, 2);
      const sv = await sh.send('show version\n', engine, 3);
      showIpvs = both !== null && sv !== null ? both - sv : null;
    }
    const first = await sh.send(`configure private\nservice s${mid}\n${weightLine(w)}\ncommit\n`, committed, 1);
    const e0 = counters ? await counters() : null;
    const second = first === null ? null : await sh.send(`${weightLine(w + 1)}\ncommit\n`, committed, 2);
    const e1 = counters ? await counters() : null;
    const p = await sh.end();
    const failed = second === null ? `; no reply (exit ${p.code}): ${p.stdout.trim().split('\n').slice(-2).join(' | ').slice(0, 200)}` : '';
    put(path, { ms: second, rssMiB: p.rssMiB, note: `first commit of the session ${first?.toFixed(0) ?? '?'} ms${countedNote ? `; ${countedNote(e0, e1)}` : ''}${failed}` });
    if (label === 'no daemon') put('show ipvs in an open shell', { ms: showIpvs, note: `show version answered ${ready?.toFixed(0) ?? '?'} ms after the start` });
  }
}

/** `ipvsadm -e` of the middle service's first backend and `ipvsadm -Ln`, in namespace `ns`. */
const ipvsadmEdit = (ns: string, size: number, w: number) => {
  const mid = Math.floor(size / 2);
  const { vip, port } = vipOf(mid);
  const b0 = backendOf(mid, 0);
  return runTimed(ns, ['ipvsadm', '-e', '-t', `${vip}:${port}`, '-r', `${b0.address}:${b0.port}`, '-m', '-w', String(w)]);
};
const refNs = (size: number, k: number) => `vmb-ref${size}-${k}`;

/**
 * The ipvsadm reference of one size, each restore in its own fresh namespace. The second namespace is kept (with
 * its table) until the size is done, so that `ipvsadm -e` and `-Ln` can be timed again after each build.
 */
async function measureIpvsadm(size: number): Promise<Record<string, Cell>> {
  const rules = ipvsadmRules(size);
  const out: Record<string, Cell> = {};
  const restores: Proc[] = [];
  for (let k = 0; k < 2; k++) {
    const ns = refNs(size, k);
    netnsAdd(ns);
    try {
      restores.push(await runTimed(ns, ['ipvsadm', '-R'], { input: rules }));
      if (k === 1) {
        const edits: Proc[] = [];
        const lists: Proc[] = [];
        for (let j = 0; j < 3; j++) {
          edits.push(await ipvsadmEdit(ns, size, 9 + j));
          lists.push(await runTimed(ns, ['ipvsadm', '-Ln']));
        }
        const med = (ps: Proc[], note: string): Cell => {
          const m = median(ps.map((p) => p.ms));
          return { ms: m, rssMiB: Math.max(...ps.map((p) => p.rssMiB ?? 0)) || null, code: ps.find((p) => p.code !== 0)?.code ?? 0, note: `${note}; ${ps.map((p) => p.ms.toFixed(0)).join(' / ')} ms` };
        };
        out['ipvsadm -e'] = med(edits, 'median of 3');
        out['ipvsadm -Ln'] = med(lists, `median of 3, ${lists[0].stdout.split('\n').length} lines`);
      }
    } catch (e) {
      netnsDel(ns);
      throw e;
    }
    if (k === 0) netnsDel(ns);
  }
  out['ipvsadm -R'] = { ms: median(restores.map((p) => p.ms)), rssMiB: Math.max(...restores.map((p) => p.rssMiB ?? 0)) || null, code: restores.find((p) => p.code !== 0)?.code ?? 0, note: `${rules.split('\n').length - 1} rules, a fresh namespace each; ${restores.map((p) => p.ms.toFixed(0)).join(' / ')} ms` };
  for (const [k, v] of Object.entries(out)) console.log(`  [ipvsadm ${size}] ${k}: ${fmtCell(v)}`);
  return out;
}

/** Which ipvsadm figure each path is compared with. */
const REF_OF: Record<string, string> = {
  'cold lbctl apply': 'ipvsadm -R',
  'lbctl show ipvs': 'ipvsadm -Ln',
  "lbctl shell -c 'show ipvs'": 'ipvsadm -Ln',
  'show ipvs in an open shell': 'ipvsadm -Ln',
  'lbctl status': 'ipvsadm -Ln',
  "commit: lbctl shell -c '…; commit', no daemon": 'ipvsadm -e',
  'commit: open shell (Enter to reply), no daemon': 'ipvsadm -e',
  "commit: lbctl shell -c '…; commit', daemon": 'ipvsadm -e',
  'commit: open shell (Enter to reply), daemon': 'ipvsadm -e',
  'commit: straight to the daemon socket': 'ipvsadm -e',
  'lbctl status, daemon': 'ipvsadm -Ln',
  'lbctl show ipvs, daemon': 'ipvsadm -Ln',
};
const PATHS = [
  'lbctl validate',
  'cold lbctl apply',
  'lbctl show ipvs',
  "lbctl shell -c 'show ipvs'",
  'show ipvs in an open shell',
  'lbctl status',
  'shell first prompt (terminal)',
  "lbctl shell -c 'show version'",
  "commit: lbctl shell -c '…; commit', no daemon",
  'commit: open shell (Enter to reply), no daemon',
  'daemon start until hello (table in place)',
  "commit: lbctl shell -c '…; commit', daemon",
  'commit: open shell (Enter to reply), daemon',
  'commit: straight to the daemon socket',
  'lbctl status, daemon',
  'lbctl show ipvs, daemon',
  'daemon RSS: after start / at the end',
];

const fmtMs = (ms: number | null | undefined) => (ms === null || ms === undefined ? '-' : ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(0)} ms`);
const fmtRss = (c: Cell | undefined) => (c?.rssMiB ? `${c.rssMiB.toFixed(0)}` : '?');
const fmtCell = (c: Cell) => `${fmtMs(c.ms)}${c.rssMiB ? `, ${c.rssMiB.toFixed(0)} MiB` : ''}${c.code ? `, exit ${c.code}` : ''}${c.note ? `  (${c.note})` : ''}`;

function table(size: number, builds: string[], ref: Record<string, Cell>, results: Map<string, Cell>[]): string {
  const head = ['path', ...builds.map((b, i) => `lbctl #${i + 1}`), 'ipvsadm', ...builds.map((_, i) => `ratio #${i + 1}`), `peak RSS MiB (${builds.map((_, i) => `#${i + 1}`).join(' / ')} / ipvsadm)`];
  const rows: string[][] = [];
  for (const path of PATHS) {
    const refName = REF_OF[path];
    const r = refName ? ref[refName] : undefined;
    const cs = results.map((m) => m.get(path));
    rows.push([
      path,
      ...cs.map((c) => (c ? (c.ms === null ? (c.note?.startsWith('not run') ? 'not run' : '-') : fmtMs(c.ms)) + (c.code ? ' !' : '') : 'n/a')),
      r ? `${fmtMs(r.ms)} (${refName!.replace('ipvsadm ', '')})` : '',
      ...cs.map((c) => (r?.ms && c?.ms ? `${(c.ms / r.ms).toFixed(2)}x` : '')),
      [...cs.map((c) => fmtRss(c)), r ? fmtRss(r) : ''].filter((x) => x !== '').join(' / '),
    ]);
  }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join(' | ')} |`;
  const notes: string[] = [];
  results.forEach((m, i) => {
    for (const path of [...PATHS, 'error']) {
      const c = m.get(path);
      if (c?.note) notes.push(`  #${i + 1} ${path}: ${c.note}`);
    }
  });
  for (const [k, v] of Object.entries(ref)) if (v.note) notes.push(`  ipvsadm ${k}: ${v.note}`);
  return [
    `\nvm-user-paths: ${size} services x ${BACKENDS} backends`,
    ...builds.map((b, i) => `  #${i + 1} = ${b}`),
    line(head),
    `|${w.map((n, i) => (i === 0 ? '-'.repeat(n + 2) : `${'-'.repeat(n + 1)}:`)).join('|')}|`,
    ...rows.map(line),
    'notes:',
    ...notes,
  ].join('\n');
}

export async function main(): Promise<string> {
  execFileSync('modprobe', ['ip_vs']);
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  console.log(`vm-user-paths: sizes ${SIZES.join(', ')}; builds ${BUILDS.join(', ')}; kernel ${kernel}; node ${process.version}; GNU time ${existsSync(GNU_TIME) ? 'yes' : 'no (no RSS for commands)'}`);
  for (const b of BUILDS) if (!existsSync(join(b, 'cli', 'main.js'))) throw new Error(`${b}/cli/main.js is missing: LBCTL_BENCH_BUILDS takes compiled trees (e.g. /tmp/b0/build)`);
  const tables: string[] = [];
  const json: unknown[] = [];
  for (const size of SIZES) {
    const ref = await measureIpvsadm(size);
    const results: Map<string, Cell>[] = [];
    for (const [i, b] of BUILDS.entries()) {
      results.push(await measureBuild(b, size, `${size}-${i + 1}`, ref));
      // The load of a shared host drifts over a long boot: the reference once more, right after this build.
      try {
        const e = await ipvsadmEdit(refNs(size, 1), size, 20 + i);
        const l = await runTimed(refNs(size, 1), ['ipvsadm', '-Ln']);
        ref[`again after #${i + 1}`] = { ms: null, note: `ipvsadm -e ${fmtMs(e.ms)}, ipvsadm -Ln ${fmtMs(l.ms)} (the ratios use the figures above)` };
        console.log(`  [ipvsadm ${size}] again after #${i + 1}: ${ref[`again after #${i + 1}`].note}`);
      } catch (err) {
        console.log(`  [ipvsadm ${size}] again after #${i + 1}: failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    netnsDel(refNs(size, 1));
    const t = table(size, BUILDS, ref, results);
    console.log(t);
    tables.push(t);
    json.push({ size, backends: BACKENDS, kernel, builds: BUILDS, ipvsadm: ref, lbctl: results.map((m) => Object.fromEntries(m)) });
  }
  const text = JSON.stringify(json);
  console.log(`${JSON_TAG}${text}`);
  const outFile = process.env.LBCTL_BENCH_OUT;
  if (outFile && process.env.LBCTL_IN_VM !== '1') writeFileSync(outFile, text + '\n');
  else if (outFile) console.log(`note: LBCTL_BENCH_OUT is not written from inside the guest (its files vanish); run node build/bench/vm-user-paths.js on the host, or take the ${JSON_TAG.trim()} line`);
  return `\n${tables.join('\n')}`;
}

/** Run directly on the host: boot the guest as bench/run.js does, stream its output, write LBCTL_BENCH_OUT here. */
async function hostMain(): Promise<number> {
  const vm = await import('../test/kernel/vm.js');
  if (process.env.LBCTL_IN_VM === '1' || vm.hostHasIpvs()) {
    console.log(await main());
    return 0;
  }
  console.log(`vm-user-paths: booting ${vm.describeGuest(vm.prepareGuest())}; figures compare only within this boot`);
  const env = vm.forwardedEnv();
  delete env.LBCTL_BENCH_OUT;
  const r = await vm.runInGuest(`${process.execPath} ${fileURLToPath(import.meta.url)}`, {
    timeoutMs: Number(process.env.LBCTL_BENCH_TIMEOUT_MIN ?? 40) * 60_000,
    memoryMb: Number(process.env.LBCTL_BENCH_VM_MB ?? 2048),
    stream: process.stdout,
    cwd: dirname(THIS_BUILD),
    env,
  });
  const line = r.output.split('\n').find((l) => l.startsWith(JSON_TAG));
  if (process.env.LBCTL_BENCH_OUT && line) writeFileSync(process.env.LBCTL_BENCH_OUT, line.slice(JSON_TAG.length) + '\n');
  return r.code;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  hostMain().then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.stack ?? e.message : e);
      process.exitCode = 1;
    },
  );
}
