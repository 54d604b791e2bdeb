// The fuzz runner (issue 15): N shell lines through real sessions and M configuration directories mutated from
// dist/examples through `validate`, each outcome held to the documented forms (docs/errors.md, test/fuzz/forms.ts).
//
//   node build/test/fuzz/run.js [--lines N] [--yaml M] [--seed S] [--cli-share F] [--batch B]   (npm run fuzz)
//
// `--lines 0` or `--yaml 0` skips that part (the two parts may run as two processes side by side).
// Shell: the lines go one by one through an in-process session on a lab configuration and state directory (the
// real store: edits, commits, rollbacks), with TAB and `?` on each line and a prefix of it; a share of them (F,
// default 2%) goes through the real `lbctl shell --lab --keep-going` binary in batches of B lines on standard
// input, one batch every B/F lines, so the process boundary is covered too: the exit code is 0 or 1, stdout and stderr show no stack frame
// and no internal error, and every error on stderr is `% command N: ...` followed by a documented form.
// YAML: each case is loaded with the library (loadConfigTexts, what `validate` and `commit` run) and every error
// checked for its form and its position inside the file; a share F goes through `lbctl validate --config DIR`
// too, whose exit code and stderr must be exactly what the library's errors render to.
//
// Prints a summary; exits 1 if anything was found (each finding is listed with the seed and the input).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfigTexts, type LoadResult } from '../../config/load.js';
import { createContextBackend } from '../../shell/session-backend.js';
import { createSession } from '../../shell/session.js';
import type { ExecResult, ShellSession } from '../../shell/session-api.js';
import { operatorIdentity } from '../../config/identity.js';
import { runningConfirmGuard } from '../../engine/confirm-guard.js';
import { lbctlCommand, makeLab, REPO_ROOT } from '../integration/shell/tmux.js';
import { checkLoad, checkShellStderr, expectedValidate, leak, shellErrorForm } from './forms.js';
import { prng, type Rnd } from './prng.js';
import { shellLines } from './shell-corpus.js';
import { exampleFiles, type FuzzFile, yamlCase } from './yaml-corpus.js';

export interface FuzzOptions {
  lines: number;
  yaml: number;
  seed: number;
  /** The share of lines and YAML cases that also go through the lbctl binary (0..1). */
  cliShare: number;
  /** Lines per `lbctl shell` process. */
  batch: number;
  /** Progress lines and each finding as it is found (stderr in the CLI). */
  progress?: (line: string) => void;
  /** Stops the run after the current line or case; the report then covers what was done. */
  signal?: AbortSignal;
}

const tally = () => new Map<string, number>();
const bump = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);

export interface FuzzReport {
  seed: number;
  shell: { lines: number; accepted: number; rejected: Map<string, number>; completions: number; committed: number; questions: number; cliBatches: number; cliLines: number; cliErrors: number; cliExit: Map<string, number> };
  yaml: { cases: number; accepted: number; rejected: number; forms: Map<string, number>; mutations: Map<string, number>; cliRuns: number; cliAccepted: number; slowestMs: number; slowest: string };
  findings: string[];
  ms: { shell: number; yaml: number };
  /** True when the signal stopped the run before the counts asked for. */
  stopped: boolean;
}

/** A line must settle well within this; longer is reported as a hang (and the run stops). */
const HANG_MS = 60_000;
const MAX_FINDINGS = 200;

export async function runFuzz(opts: FuzzOptions): Promise<FuzzReport> {
  const report: FuzzReport = {
    seed: opts.seed,
    shell: { lines: 0, accepted: 0, rejected: tally(), completions: 0, committed: 0, questions: 0, cliBatches: 0, cliLines: 0, cliErrors: 0, cliExit: tally() },
    yaml: { cases: 0, accepted: 0, rejected: 0, forms: tally(), mutations: tally(), cliRuns: 0, cliAccepted: 0, slowestMs: 0, slowest: '' },
    findings: [],
    ms: { shell: 0, yaml: 0 },
    stopped: false,
  };
  const find = (what: string) => {
    opts.progress?.(`FINDING ${what}`);
    if (report.findings.length < MAX_FINDINGS) report.findings.push(what);
  };
  let t = Date.now();
  if (opts.lines > 0) await fuzzShell(opts, report, find);
  report.ms.shell = Date.now() - t;
  t = Date.now();
  if (opts.yaml > 0) await fuzzYaml(opts, report, find);
  report.ms.yaml = Date.now() - t;
  report.stopped = Boolean(opts.signal?.aborted);
  return report;
}

// ---- shell -------------------------------------------------------------------------------------------------

async function labSession(lab: { config: string; state: string; home: string }): Promise<ShellSession> {
  const env = { ...process.env, HOME: lab.home };
  const context = { configPath: lab.config, stateDir: lab.state, lab: true, labDefaults: false };
  // No commit-confirmed guard process from an in-process fuzz session: the run would leave one per state dir.
  const backend = await createContextBackend(context, env, { identity: operatorIdentity({ env }), daemon: false, ensureGuard: () => {} });
  return createSession({ backend, lab: true, terminal: { width: 120, length: 0 } });
}

function withDeadline<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`hang: ${what} did not settle in ${HANG_MS} ms`)), HANG_MS)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function fuzzShell(opts: FuzzOptions, report: FuzzReport, find: (s: string) => void): Promise<void> {
  const rnd = prng(opts.seed);
  const lines = shellLines(rnd);
  const lab = makeLab();
  const s = report.shell;
  let session = await labSession(lab);
  const every = opts.cliShare > 0 ? Math.max(1, Math.round(opts.batch / opts.cliShare)) : 0;
  const binaryBatch = shellBinary(opts, report, find, lab);
  try {
    const check = (line: string, r: ExecResult) => {
      if (leak(r.output, true)) find(`shell: ${leak(r.output, true)} in the output of ${JSON.stringify(line)}: ${r.output.slice(0, 300)}`);
      if (r.error === undefined) {
        s.accepted++;
        if (/Configuration committed successfully/.test(r.output)) s.committed++;
        return;
      }
      const form = shellErrorForm(r.error);
      if (form === null || leak(r.error)) find(`shell: undocumented rejection of ${JSON.stringify(line)}: ${JSON.stringify(r.error).slice(0, 400)}`);
      bump(s.rejected, form ?? 'UNDOCUMENTED');
    };
    for (let i = 0; i < opts.lines && !opts.signal?.aborted; i++) {
      const line = lines.next().value as string;
      s.lines++;
      const cut = line.slice(0, Math.floor(rnd() * (line.length + 1)));
      try {
        for (const l of [line, cut]) {
          session.complete(l);
          const h = session.help(l);
          if (!h.ok && shellErrorForm(h.error) === null) find(`shell: undocumented ? answer for ${JSON.stringify(l)}: ${JSON.stringify(h.error)}`);
          s.completions++;
        }
        let r = await withDeadline(JSON.stringify(line), session.execute(line));
        check(line, r);
        // A question ([yes/no]) is answered, sometimes with nonsense.
        while (r.question) {
          s.questions++;
          const answer = pick3(rnd);
          r = await withDeadline(`answer ${answer} to ${JSON.stringify(line)}`, r.question.answer(answer));
          check(`${line} → ${answer}`, r);
        }
      } catch (err) {
        find(`shell: ${JSON.stringify(line)} threw: ${(err as Error).stack ?? String(err)}`);
        if (/^hang:/.test((err as Error).message)) return;
        // A session that threw may be in any state: start over on the same directories.
        await session.close().catch(() => {});
        session = await labSession(lab);
      }
      if (rnd() < 0.02) await session.execute('end');
      // A batch through the binary every batch/share lines, on the same directories while this session is open
      // (its candidate goes stale, its exclusive lock stands in the way: refusals in documented forms too).
      if (every > 0 && (i + 1) % every === 0) binaryBatch();
      if (opts.progress && (i + 1) % 10_000 === 0) opts.progress(`shell: ${i + 1} lines, ${s.cliBatches} lbctl shell processes`);
    }
    await session.close();
  } finally {
    lab.cleanup();
  }
}

const pick3 = (rnd: Rnd) => ['yes', 'no', 'y', 'n', '', 'maybe', 'YES', 'yes please'][Math.floor(rnd() * 8)];

/** How to run this build's lbctl: bin/lbctl, or (for a build elsewhere) node on the test launcher with LBCTL_LAUNCH=1. */
function lbctlSpawn(): { exe: string; pre: string[]; env: NodeJS.ProcessEnv } {
  const [first, ...rest] = lbctlCommand();
  if (!first.startsWith('LBCTL_LAUNCH=')) return { exe: first, pre: rest, env: {} };
  return { exe: rest[0], pre: rest.slice(1), env: { LBCTL_LAUNCH: '1' } };
}

/** Runs one `lbctl shell --lab --keep-going` on the lab directories per call, B lines on standard input. */
function shellBinary(opts: FuzzOptions, report: FuzzReport, find: (s: string) => void, lab: ReturnType<typeof makeLab>): () => void {
  const rnd = prng(opts.seed ^ 0x5bd1e995);
  const lines = shellLines(rnd);
  const { exe, pre, env: launch } = lbctlSpawn();
  const env: NodeJS.ProcessEnv = { ...process.env, ...launch, HOME: lab.home };
  delete env.CI;
  const s = report.shell;
  return () => {
    const n = opts.batch;
    // `exit` or `quit` at the exec prompt ends the process and the rest of the batch with it: such lines are
    // left to the in-process session, which goes on after them.
    const batch: string[] = [];
    while (batch.length < n) {
      const l = lines.next().value as string;
      if (!LEAVES.test(l)) batch.push(l);
    }
    const r = spawnSync(exe, [...pre, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '--keep-going'], {
      input: batch.join('\n') + '\n',
      encoding: 'utf8',
      env,
      timeout: HANG_MS * 2,
      maxBuffer: 256 * 1024 * 1024,
    });
    stopGuard(lab.state);
    s.cliBatches++;
    s.cliLines += n;
    const where = `lbctl shell batch ${s.cliBatches} (seed ${opts.seed}, lines ${JSON.stringify(batch).slice(0, 2000)})`;
    bump(s.cliExit, r.status === null ? `signal ${r.signal}` : String(r.status));
    if (r.error || r.status === null || (r.status !== 0 && r.status !== 1)) find(`${where}: exit ${r.status} ${r.signal ?? ''} ${r.error?.message ?? ''}; stderr ${r.stderr.slice(-500)}`);
    const bad = leak(r.stdout, true);
    if (bad) find(`${where}: ${bad} on stdout: ${r.stdout.slice(0, 500)}`);
    const checked = checkShellStderr(r.stderr);
    s.cliErrors += checked.errors;
    for (const p of checked.problems) find(`${where}: ${p}`);
  };
}

const LEAVES = /^\s*(?:ex|exi|exit|q|qu|qui|quit)(?:\s|$)/;

/** A `commit confirmed` through the binary starts a guard process for the lab state directory: end it (by pid). */
function stopGuard(stateDir: string): void {
  const guard = runningConfirmGuard(stateDir);
  if (guard) {
    try {
      process.kill(guard.pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
}

// ---- YAML --------------------------------------------------------------------------------------------------

/** Load order, as readConfigTexts reads a directory: config.yaml, config.yml, then config.d/ in code-point order. */
function loadOrder(files: FuzzFile[]): FuzzFile[] {
  const rank = (p: string) => (p === 'config.yaml' ? 0 : p === 'config.yml' ? 1 : 2);
  return [...files].sort((a, b) => rank(a.path) - rank(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

async function fuzzYaml(opts: FuzzOptions, report: FuzzReport, find: (s: string) => void): Promise<void> {
  const rnd = prng(opts.seed ^ 0x9e3779b9);
  const base = exampleFiles(join(REPO_ROOT, 'dist', 'examples'));
  const y = report.yaml;
  const work = mkdtempSync(join(tmpdir(), 'lbctl-fuzz-yaml-'));
  const { exe, pre, env } = lbctlSpawn();
  try {
    for (let i = 0; i < opts.yaml && !opts.signal?.aborted; i++) {
      // Loading is synchronous: let a signal in now and then.
      if (i % 20 === 0) await new Promise((r) => setImmediate(r));
      const c = yamlCase(base, rnd);
      const files = loadOrder(c.files);
      for (const m of c.mutations) bump(y.mutations, m.replace(/^.*:/, ''));
      const texts = files.map((f) => ({ path: f.path, text: f.bytes.toString('utf8') }));
      const what = `yaml case ${i} (seed ${opts.seed}; ${c.mutations.join(', ')})`;
      y.cases++;
      let result: LoadResult;
      const t0 = Date.now();
      try {
        result = loadConfigTexts(texts, 'directory');
      } catch (err) {
        find(`${what}: validate threw: ${(err as Error).stack ?? String(err)}`);
        continue;
      }
      const ms = Date.now() - t0;
      if (ms > y.slowestMs) {
        y.slowestMs = ms;
        y.slowest = what;
      }
      const checked = checkLoad(result, new Map(texts.map((t) => [t.path, t.text])));
      for (const p of checked.problems) find(`${what}: ${p}`);
      if (result.errors.length === 0) y.accepted++;
      else y.rejected++;
      for (const f of checked.forms) bump(y.forms, f);
      if (rnd() < opts.cliShare) cliValidate(join(work, `case-${i}`), files, result, what);
      if (opts.progress && (i + 1) % 1000 === 0) opts.progress(`yaml: ${i + 1} cases`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }

  function cliValidate(dir: string, files: FuzzFile[], result: LoadResult, what: string): void {
    mkdirSync(join(dir, 'config.d'), { recursive: true });
    for (const f of files) {
      mkdirSync(dirname(join(dir, f.path)), { recursive: true });
      writeFileSync(join(dir, f.path), f.bytes);
    }
    const r = spawnSync(exe, [...pre, 'validate', '--config', dir], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: HANG_MS * 2, maxBuffer: 256 * 1024 * 1024 });
    y.cliRuns++;
    const want = expectedValidate(result, dir);
    if (r.status === 0) y.cliAccepted++;
    if (r.status !== want.status) find(`${what}: lbctl validate exited ${r.status} (${r.signal ?? ''}), the library says ${want.status}; stderr ${r.stderr.slice(0, 500)}`);
    else if (r.stderr !== want.stderr) find(`${what}: lbctl validate's stderr differs from the library's errors:\n${r.stderr.slice(0, 800)}\n--- expected ---\n${want.stderr.slice(0, 800)}`);
    if (want.status === 0 && !/^configuration OK: /.test(r.stdout)) find(`${what}: lbctl validate accepted without the OK line: ${r.stdout.slice(0, 300)}`);
    if (want.status === 1 && r.stdout !== '') find(`${what}: lbctl validate printed on stdout while rejecting: ${r.stdout.slice(0, 300)}`);
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- summary and CLI ---------------------------------------------------------------------------------------

const list = (m: Map<string, number>) =>
  [...m.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

export function summary(r: FuzzReport): string {
  const s = r.shell;
  const y = r.yaml;
  const rejected = [...s.rejected.values()].reduce((a, b) => a + b, 0);
  return [
    `lbctl fuzz run, seed ${r.seed}${r.stopped ? ' (STOPPED EARLY by a signal: the counts below are what was done)' : ''}`,
    `shell, in-process session (lab store): ${s.lines} lines in ${(r.ms.shell / 1000).toFixed(1)} s (binary included); results: ${s.accepted} accepted (${s.committed} commits), ${rejected} rejected; ${s.questions} questions answered; ${s.completions} TAB and ? probes`,
    `  rejections by form: ${list(s.rejected)}`,
    `shell, lbctl binary: ${s.cliBatches} processes, ${s.cliLines} lines on stdin, ${s.cliErrors} numbered errors; exit codes: ${list(s.cliExit)}`,
    `yaml: ${y.cases} configuration directories in ${(r.ms.yaml / 1000).toFixed(1)} s: ${y.accepted} accepted, ${y.rejected} rejected; slowest load ${y.slowestMs} ms (${y.slowest.slice(0, 160)})`,
    `  error lines by form: ${list(y.forms)}`,
    `  mutations: ${list(y.mutations)}`,
    `yaml, lbctl validate binary: ${y.cliRuns} runs (${y.cliAccepted} accepted), each compared with the library's errors`,
    `findings: ${r.findings.length}${r.findings.length >= MAX_FINDINGS ? ' (list cut)' : ''}`,
  ].join('\n');
}

async function cli(): Promise<number> {
  const { values } = parseArgs({
    options: {
      lines: { type: 'string', default: '100000' },
      yaml: { type: 'string', default: '10000' },
      seed: { type: 'string', default: String(0x5eed) },
      'cli-share': { type: 'string', default: '0.02' },
      batch: { type: 'string', default: '200' },
    },
  });
  const num = (k: keyof typeof values) => {
    const n = Number(values[k]);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${k}: not a number: ${values[k]}`);
    return n;
  };
  // SIGINT or SIGTERM: stop after the current line or case and print what was done.
  const stop = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
  const report = await runFuzz({
    signal: stop.signal,
    lines: num('lines'),
    yaml: num('yaml'),
    seed: num('seed'),
    cliShare: num('cli-share'),
    batch: Math.max(1, num('batch')),
    progress: (l) => process.stderr.write(`${new Date().toISOString()} ${l}\n`),
  });
  for (const f of report.findings) process.stdout.write(`FINDING ${f}\n\n`);
  if (report.stopped) process.stdout.write('(stopped early)\n');
  process.stdout.write(summary(report) + '\n');
  return report.findings.length === 0 ? 0 : 1;
}

if (import.meta.url === `file://${process.argv[1]}`) process.exitCode = await cli();
