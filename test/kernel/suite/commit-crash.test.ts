// Issue 15 point 1 on the real kernel: in-process shell commits, confirmed commits and their rollbacks SIGKILLed at
// random points (seeded and printed; LBCTL_COMMIT_CRASH_SEED replays, LBCTL_COMMIT_CRASH_TRIALS sets the count,
// default 12 for CI; the evidence run used 200). Three kinds of trial, in turn:
//   step     `commit` killed right after a random one of its durable steps (the test hook of store/atomic.ts):
//            before the kernel-pending record, between kernel and store, inside the store, before the audit;
//   time     `commit` killed a random time after it started (anywhere, the kernel apply included);
//   rollback a `commit confirmed 1` (its guard then stopped, as by a reboot), then a shell opened after its deadline
//            (the store's clock hook) killed after a random one of its steps: inside the rollback revision, or
//            between it and the kernel.
//   guard    `commit confirmed 1` killed after a random one of its durable steps; then no lbctl is started at all:
//            the clock moves past the deadline, and the guard the commit started before it touched the kernel must
//            alone make `ipvsadm -Sn` equal the running revision (finishing the change, then rolling it back).
// After each kill the next start is a plain shell (same clock): then `ipvsadm -Sn` must equal what the running
// revision compiles to, no kernel-pending or intent record may be left, no passed deadline may still be pending,
// `lbctl status` must say in sync, and when the kernel disagreed with that revision at the kill, the audit trail must
// hold the record of what set it right (recover or confirm-timeout). No traffic: table entries only.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openStore, type Revision } from '../../../store/store.js';
import { readAudit } from '../../../engine/audit.js';
import { KERNEL_PENDING_FILE } from '../../../store/kernel-pending.js';
import { HOOKED_LBCTL, hookArgs, type TestHooks } from '../../support/hooks.js';
import { expectedSaved, ipvsadm, prng, runCli, savedLines, sleep, type RunResult } from './daemon-helpers.js';

const TRIALS = Number(process.env.LBCTL_COMMIT_CRASH_TRIALS ?? 12);
const LATER = 120_000; // the store's clock for rollback trials: past a `commit confirmed 1` deadline

const CONFIG_YAML = (stateDir: string) => `node: {name: kcrash}
observability:
  prometheus: {enabled: false}
  audit: {path: ${join(stateDir, 'audit.jsonl')}}
services:
  - name: web
    vip: 192.0.2.10
    ports: [80]
    scheduler: wrr
    health: {enabled: false}
    backends:
      - {address: 198.51.100.11, port: 8080, weight: 5}
      - {address: 198.51.100.12, port: 8080, weight: 5}
`;

describe('commits killed at random points on the kernel', () => {
  let root: string;
  let cfg: string;
  let state: string;

  let clockFile: string;
  /** Every lbctl process (and the guard a commit confirmed starts) reads the store's clock offset from clockFile. */
  const lbctl = (args: string[], clockOffsetMs: number, hooks: TestHooks = {}, timeoutMs = 120_000): Promise<RunResult> => {
    writeFileSync(clockFile, String(clockOffsetMs));
    return runCli(HOOKED_LBCTL, [...hookArgs({ ...hooks, clockFile, guardPollMs: 500 }), ...args, '--config', cfg, '--state-dir', state], { timeoutMs });
  };
  const guardPids = (): string[] => {
    try {
      return execFileSync('pgrep', ['-f', `guard.*--state-dir ${state}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    } catch {
      return []; // pgrep exits 1 when none
    }
  };
  /** Waits (bounded) until no guard runs and no deadline is pending: what is left then is the guard's result. */
  const guardDone = async (clockOffsetMs: number, limitMs = 150_000): Promise<boolean> => {
    for (const end = Date.now() + limitMs; Date.now() < end; await sleep(500)) {
      const store = await openStore({ stateDir: state, configPath: cfg, readOnly: true, now: () => new Date(Date.now() + clockOffsetMs) });
      if (guardPids().length === 0 && !store.pendingConfirm()) return true;
    }
    return false;
  };
  const running = async (clockOffsetMs = 0): Promise<Revision> =>
    (await openStore({ stateDir: state, configPath: cfg, readOnly: true, now: () => new Date(Date.now() + clockOffsetMs) })).running();
  const why = (r: RunResult) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\nstdout: ${r.stdout.slice(-1500)}\nstderr: ${r.stderr.slice(-1500)}`;
  const stepsOf = (r: RunResult) => r.stderr.split('\n').filter((l) => /^step \d+ /.test(l)).length;

  before(() => {
    execFileSync('modprobe', ['ip_vs']);
    ipvsadm('-C');
    root = mkdtempSync(join(tmpdir(), 'lbctl-kcrash-'));
    cfg = join(root, 'config');
    state = join(root, 'state');
    clockFile = join(root, 'clock');
    mkdirSync(cfg);
    mkdirSync(state);
    writeFileSync(join(cfg, 'config.yaml'), CONFIG_YAML(state));
  });
  after(() => {
    for (const pid of guardPids()) process.kill(Number(pid), 'SIGKILL');
    ipvsadm('-C');
    rmSync(root, { recursive: true, force: true });
  });

  it(`${TRIALS} trials: kernel, store and audit agree after every kill`, async (t) => {
    const applied = await lbctl(['apply'], 0);
    assert.equal(applied.code, 0, why(applied));
    const seed = Number(process.env.LBCTL_COMMIT_CRASH_SEED ?? Date.now() % 2147483647);
    const rand = prng(seed);
    // Calibration: how many durable steps a commit and a deadline-passed shell take, and how long a commit runs.
    const cal = await lbctl(['shell', '-c', 'configure private; service web; backend 198.51.100.11 port 8080 weight 6; commit comment calibrate'], 0, { traceSteps: true });
    assert.equal(cal.code, 0, why(cal));
    const commitSteps = stepsOf(cal);
    t.diagnostic(`seed ${seed} (LBCTL_COMMIT_CRASH_SEED=${seed} replays it); a commit: ${commitSteps} durable steps, ${cal.ms} ms`);
    const tally: Record<string, number> = {};
    let clock = 0; // the store clock offset the next start must use (a rollback trial moves it on)
    for (let i = 0; i < TRIALS; i++) {
      const kind = (['step', 'time', 'rollback', 'guard'] as const)[i % 4];
      const weight = 10 + i;
      const change = `configure private; service web; backend 198.51.100.12 port 8080 weight ${weight}`;
      const auditBefore = readAudit(join(state, 'audit.jsonl')).records.length;
      let killed: RunResult;
      let where: string;
      let seenAtKill: string[] | null = null; // the guard kind reads the kernel right after its kill
      if (kind === 'rollback') {
        const c = await lbctl(['shell', '-c', `${change}; commit confirmed 1 comment trial-${i}`], clock);
        assert.equal(c.code, 0, `trial ${i}: the confirmed commit: ${why(c)}`);
        // The guard goes too (a reboot): the rollback is left to the next start, which is killed in it.
        for (const pid of guardPids()) process.kill(Number(pid), 'SIGKILL');
        clock += LATER;
        const at = 1 + Math.floor(rand() * 12);
        killed = await lbctl(['shell', '-c', 'show version'], clock, { crashAtStep: at });
        where = `the shell after the deadline killed at its step ${at}`;
      } else if (kind === 'guard') {
        // A confirmed commit writes its deadline too: a few more steps than a plain one.
        const at = 1 + Math.floor(rand() * (commitSteps + 7));
        killed = await lbctl(['shell', '-c', `${change}; commit confirmed 1 comment trial-${i}`], clock, { crashAtStep: at });
        where = `commit confirmed killed at its step ${at}/${commitSteps + 5}`;
        const early = savedLines();
        seenAtKill = early;
        clock += LATER;
        writeFileSync(clockFile, String(clock)); // past the deadline; no lbctl start, only the guard may act
        assert.ok(await guardDone(clock), `trial ${i} (${where}): the guard did not finish: guards ${guardPids().join(',')}`);
        const now = await running(clock);
        assert.deepEqual(savedLines(), expectedSaved(now.config), `trial ${i} (${where}): before any lbctl start, the guard made the kernel run revision ${now.number} (at the kill: ${early.join(' | ')})`);
      } else if (kind === 'step') {
        const at = 1 + Math.floor(rand() * (commitSteps + 2));
        killed = await lbctl(['shell', '-c', `${change}; commit comment trial-${i}`], clock, { crashAtStep: at });
        where = `commit killed at its step ${at}/${commitSteps}`;
      } else {
        const delay = Math.floor(rand() * cal.ms * 1.2);
        const run = lbctl(['shell', '-c', `${change}; commit comment trial-${i}`], clock);
        await sleep(delay);
        try {
          execFileSync('pkill', ['-KILL', '-f', `hooked-lbctl.js.*trial-${i}`], { stdio: 'ignore' });
        } catch {
          /* pkill exits 1 when the commit had already ended */
        }
        killed = await run;
        where = `commit killed ${delay} ms after it started`;
      }
      const kernelAtKill = seenAtKill ?? savedLines();
      const pendingAtKill = existsSync(join(state, KERNEL_PENDING_FILE));

      const next = await lbctl(['shell', '-c', 'show version'], clock);
      assert.equal(next.code, 0, `trial ${i}: the next start: ${why(next)}`);
      const now = await running(clock);
      const expected = expectedSaved(now.config);
      assert.deepEqual(savedLines(), expected, `trial ${i} (${where}): the kernel runs revision ${now.number}`);
      assert.equal(existsSync(join(state, KERNEL_PENDING_FILE)), false, `trial ${i}: no kernel-pending record left`);
      assert.equal(existsSync(join(state, 'intent.json')), false, `trial ${i}: no intent record left`);
      const store = await openStore({ stateDir: state, configPath: cfg, readOnly: true, now: () => new Date(Date.now() + clock) });
      const pending = store.pendingConfirm();
      assert.ok(!pending || new Date(pending.deadline).getTime() > Date.now() + clock, `trial ${i}: no passed deadline is still pending`);
      const st = await lbctl(['status'], clock);
      assert.equal(st.code, 0, `trial ${i}: lbctl status in sync: ${why(st)}`);
      const story = readAudit(join(state, 'audit.jsonl')).records.slice(auditBefore);
      const differed = kernelAtKill.join('\n') !== expected.join('\n');
      if (differed)
        assert.ok(
          story.some((r) => r.action === 'recover' || r.action === 'confirm-timeout'),
          `trial ${i}: the kernel differed from revision ${now.number} at the kill; the audit must say what set it right: ${JSON.stringify(story.map((r) => [r.action, r.result, r.comment]))}`,
        );
      const outcome = `${kind}:${killed.signal === 'SIGKILL' ? 'killed' : 'finished'}:${differed ? (pendingAtKill ? 'repaired' : 'rolled-back') : 'agreed'}`;
      tally[outcome] = (tally[outcome] ?? 0) + 1;
      const line =
        `trial ${i}: ${where}; ${killed.signal === 'SIGKILL' ? 'killed' : `finished (exit ${killed.code})`}; at the kill the kernel ${differed ? 'differed from' : 'equalled'} revision ${now.number}` +
        `${pendingAtKill ? ', kernel-pending record present' : ''}; audit: ${story.map((r) => r.action).join(', ') || 'none'}; consistent`;
      t.diagnostic(line);
      process.stderr.write(`# ${line}\n`); // at once: a long run is watched live (diagnostics print at the end)
    }
    t.diagnostic(`summary: ${JSON.stringify(tally)} (seed ${seed})`);
  });
});
