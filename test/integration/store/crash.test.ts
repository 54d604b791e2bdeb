// The store's crash-safety proof. A child process commits (several services over several files, with and
// without `commit confirmed`) and is killed with SIGKILL: (1) deterministically right after every single
// disk-changing system call of the commit; (2) a second time during the recovery of such a crash at open, at
// every step; (3) right after every step of the automatic rollback of an expired `commit confirmed` at open;
// (4) from outside at random moments over the commit's duration. After every kill the store must open, the
// running revision must be wholly the old or wholly the new one (exactly which, for deterministic kills), and
// the configuration files on disk must say exactly the running revision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../store/store.js';
import { comparableHash, fingerprintFiles, locateConfig } from '../../../store/store-files.js';
import { loadConfig } from '../../../config/load.js';
import { TMP_MARKER } from '../../../store/atomic.js';
import { HAND_WRITTEN_FILES, nextConfig } from './fixtures/scenario.js';
import { hookArgs } from '../../support/hooks.js';

const CHILD = fileURLToPath(new URL('./fixtures/commit-child.js', import.meta.url));
const RANDOM_TRIALS = 80;
const PARALLEL = 2;

interface Template {
  root: string;
  hashOld: string;
  hashNew: string;
}

interface ChildRun {
  ready: boolean;
  done: boolean;
  signal: NodeJS.Signals | null;
  code: number | null;
  stderr: string;
  readyAt: number;
  doneAt: number;
  stepsAtOpen: number;
}

const paths = (dir: string) => ({ stateDir: join(dir, 'state'), configDir: join(dir, 'etc') });

async function makeTemplate(root: string): Promise<Template> {
  const { stateDir, configDir } = paths(root);
  for (const [rel, text] of Object.entries(HAND_WRITTEN_FILES)) {
    mkdirSync(dirname(join(configDir, rel)), { recursive: true });
    writeFileSync(join(configDir, rel), text);
  }
  const store = await openStore({ stateDir, configPath: configDir });
  const rev = store.running();
  assert.equal(rev.number, 1);
  assert.equal(rev.origin, 'file');
  return { root, hashOld: comparableHash(rev.config), hashNew: comparableHash(nextConfig(rev.config)) };
}

function runChild(
  dir: string,
  opts: {
    mode?: 'confirm' | 'open-only';
    crashAt?: number;
    stepDelayMs?: number;
    killAfterMs?: number;
    /** SIGKILL as soon as the trace shows this step: the kill lands somewhere after it, wherever the child got to. */
    killAfterTraceStep?: number;
    trace?: boolean;
  },
): Promise<ChildRun> {
  const { stateDir, configDir } = paths(dir);
  // The crash point, the step delay and the trace are hooks the child installs (store/atomic.ts setAtomicStepHook).
  const hooks = hookArgs({
    ...(opts.crashAt ? { crashAtStep: opts.crashAt } : {}),
    ...(opts.stepDelayMs ? { stepDelayMs: opts.stepDelayMs } : {}),
    ...(opts.trace || opts.killAfterTraceStep ? { traceSteps: true } : {}),
  });
  const child = spawn(process.execPath, [CHILD, ...hooks, stateDir, configDir, opts.mode ?? ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  const run: ChildRun = { ready: false, done: false, signal: null, code: null, stderr: '', readyAt: 0, doneAt: 0, stepsAtOpen: -1 };
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    const ready = /(?:ready|opened) (\d+)/.exec(out);
    if (!run.ready && ready) {
      run.ready = true;
      run.readyAt = performance.now();
      run.stepsAtOpen = Number(ready[1]);
      if (opts.killAfterMs !== undefined) setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs);
    }
    if (!run.done && /done /.test(out)) {
      run.done = true;
      run.doneAt = performance.now();
    }
  });
  let killed = false;
  child.stderr.on('data', (d: Buffer) => {
    run.stderr += d.toString();
    if (!killed && opts.killAfterTraceStep && run.stderr.includes(`step ${opts.killAfterTraceStep} `)) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
}

function tempFilesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.name.includes(TMP_MARKER)) found.push(join(entry.parentPath ?? (entry as unknown as { path: string }).path, entry.name));
  }
  return found;
}

/** Opens the store after a kill and checks every invariant; returns which revision is running. */
async function verify(dir: string, t: Template, label: string, confirm: boolean, expectRollForward?: boolean): Promise<'old' | 'new'> {
  const { stateDir, configDir } = paths(dir);
  const store = await openStore({ stateDir, configPath: configDir, lockWaitMs: 5000 });
  if (expectRollForward !== undefined) {
    assert.equal(store.openReport.rolledForward, expectRollForward ? 2 : null, `${label}: open completes the interrupted commit`);
  }
  const running = store.running();
  const hash = comparableHash(running.config);
  let which: 'old' | 'new';
  if (running.number === 1) {
    assert.equal(hash, t.hashOld, `${label}: revision 1 must be the old configuration`);
    which = 'old';
  } else {
    assert.equal(running.number, 2, `${label}: running must be revision 1 or 2, got ${running.number}`);
    assert.equal(hash, t.hashNew, `${label}: revision 2 must be wholly the new configuration`);
    which = 'new';
  }
  // The files say exactly the running revision, byte for byte what it recorded.
  const loaded = loadConfig(configDir);
  assert.deepEqual(loaded.errors, [], `${label}: files must load`);
  assert.equal(comparableHash(loaded.config!), hash, `${label}: files must agree with running revision ${running.number}`);
  assert.deepEqual(fingerprintFiles(locateConfig(configDir)), running.files, `${label}: file bytes must be those revision ${running.number} recorded`);
  assert.equal(existsSync(join(configDir, 'config.d', 'web2.yaml')), which === 'old', `${label}: web2.yaml present iff old`);
  assert.deepEqual(tempFilesUnder(dir), [], `${label}: temp files swept`);
  assert.equal(existsSync(join(stateDir, 'intent.json')), false, `${label}: intent completed`);
  assert.deepEqual(store.list().map((r) => r.number), which === 'old' ? [1] : [2, 1], `${label}: revision list`);
  const pending = store.pendingConfirm();
  if (which === 'new' && confirm) assert.equal(pending?.revision, 2, `${label}: the pending confirmation survives`);
  else assert.equal(pending, null, `${label}: no pending confirmation`);
  return which;
}

/**
 * A state whose revision 2 was committed with `commit confirmed 10` twenty minutes ago: the next open rolls it
 * back (revision 3, origin confirm-timeout, the configuration of revision 1).
 */
async function makeExpiredTemplate(t: Template, root: string): Promise<void> {
  cpSync(t.root, root, { recursive: true });
  const { stateDir, configDir } = paths(root);
  const past = () => new Date(Date.now() - 20 * 60_000);
  const store = await openStore({ stateDir, configPath: configDir, now: past });
  const out = await store.commit(nextConfig(store.running().config), 1, { origin: 'shell', comment: 'unconfirmed', confirmMinutes: 10 });
  assert.equal(out.kind, 'committed');
}

/** After a kill during the automatic rollback at open: revision 2 still pending, or revision 3 = the old configuration. */
async function verifyExpired(dir: string, t: Template, label: string): Promise<'pending' | 'rolled-back'> {
  const { stateDir, configDir } = paths(dir);
  // A reader first (no recovery, no expiry): what a crash left is consistent on its own.
  const reader = await openStore({ stateDir, configPath: configDir, readOnly: true });
  const seen = reader.running();
  const pendingSeen = reader.pendingConfirm();
  let which: 'pending' | 'rolled-back';
  if (seen.number === 2) {
    assert.equal(comparableHash(seen.config), t.hashNew, `${label}: revision 2 is the unconfirmed configuration`);
    assert.equal(pendingSeen?.revision, 2, `${label}: still pending`);
    which = 'pending';
  } else {
    assert.equal(seen.number, 3, `${label}: running must be 2 or 3`);
    assert.equal(seen.origin, 'confirm-timeout');
    assert.equal(comparableHash(seen.config), t.hashOld, `${label}: revision 3 is wholly the old configuration`);
    assert.equal(pendingSeen, null, `${label}: the rolled-back confirmation is gone with the same step`);
    which = 'rolled-back';
  }
  // Then a real open: it completes or redoes the rollback; files agree with running.
  const store = await openStore({ stateDir, configPath: configDir, lockWaitMs: 5000 });
  const running = store.running();
  assert.equal(running.number, 3, `${label}: after open the expired confirmation is rolled back`);
  assert.equal(comparableHash(running.config), t.hashOld);
  assert.equal(store.pendingConfirm(), null);
  assert.equal(comparableHash(loadConfig(configDir).config!), t.hashOld, `${label}: files say the old configuration`);
  assert.deepEqual(fingerprintFiles(locateConfig(configDir)), running.files, `${label}: file bytes as revision 3 recorded`);
  assert.deepEqual(tempFilesUnder(dir), [], `${label}: temp files swept`);
  return which;
}

async function pool<T>(jobs: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        results[i] = await jobs[i]();
      }
    }),
  );
  return results;
}

interface Calibration {
  steps: number;
  commitPoint: number;
  durationMs: number;
}

async function calibrate(t: Template, work: string, confirm: boolean): Promise<Calibration> {
  const dir = join(work, `calibrate-${confirm}`);
  cpSync(t.root, dir, { recursive: true });
  const run = await runChild(dir, { trace: true, ...(confirm ? { mode: 'confirm' } : {}) });
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stepsAtOpen, 0, 'opening a clean store writes nothing');
  const steps = run.stderr.split('\n').filter((l) => l.startsWith('step '));
  const commitPoint = steps.findIndex((l) => / rename .*\/intent\.json$/.test(l)) + 1;
  assert.ok(commitPoint > 0, 'the trace shows the intent rename');
  assert.equal(await verify(dir, t, 'calibration', confirm), 'new');
  return { steps: steps.length, commitPoint, durationMs: run.doneAt - run.readyAt };
}

test('SIGKILL at every step, during recovery, and at random moments: running is wholly old or new, files agree', { timeout: 900_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'lbctl-crash-'));
  const started = performance.now();
  try {
    const t = await makeTemplate(join(work, 'template'));
    const cal = { plain: await calibrate(t, work, false), confirm: await calibrate(t, work, true) };
    const jobs: (() => Promise<string>)[] = [];
    let trial = 0;

    // (1) Deterministic: killed right after step k, for every k of the commit, both kinds of commit.
    for (const confirm of [false, true]) {
      const c = confirm ? cal.confirm : cal.plain;
      for (let k = 1; k <= c.steps; k++) {
        const dir = join(work, `t${trial++}`);
        jobs.push(async () => {
          cpSync(t.root, dir, { recursive: true });
          const run = await runChild(dir, { crashAt: k, ...(confirm ? { mode: 'confirm' } : {}) });
          assert.equal(run.signal, 'SIGKILL', `step ${k}: the child killed itself (${run.stderr})`);
          // The intent exists from the commit point until its unlink (the second-to-last step).
          const intentLeft = k >= c.commitPoint && k < c.steps - 1;
          const which = await verify(dir, t, `${confirm ? 'confirmed ' : ''}crash after step ${k}/${c.steps}`, confirm, intentLeft);
          assert.equal(which, k < c.commitPoint ? 'old' : 'new', `crash after step ${k}: the commit point is step ${c.commitPoint}`);
          rmSync(dir, { recursive: true, force: true });
          return `det-${which}`;
        });
      }
    }

    // (2) Double crash: killed after the commit point, then killed again at every step of the recovery at open.
    const firstKill = Math.floor((cal.plain.commitPoint + cal.plain.steps) / 2);
    const probe = join(work, 'probe');
    cpSync(t.root, probe, { recursive: true });
    await runChild(probe, { crashAt: firstKill });
    const recoveryRun = await runChild(probe, { mode: 'open-only', trace: true });
    const recoverySteps = recoveryRun.stepsAtOpen;
    assert.ok(recoverySteps > 0, 'opening after a crash past the commit point completes the commit');
    for (let j = 1; j <= recoverySteps; j++) {
      const dir = join(work, `t${trial++}`);
      jobs.push(async () => {
        cpSync(t.root, dir, { recursive: true });
        const first = await runChild(dir, { crashAt: firstKill });
        assert.equal(first.signal, 'SIGKILL');
        const second = await runChild(dir, { mode: 'open-only', crashAt: j });
        assert.equal(second.signal, 'SIGKILL', `recovery step ${j}: killed (${second.stderr})`);
        assert.equal(await verify(dir, t, `crash at ${firstKill}, then at recovery step ${j}`, false), 'new');
        rmSync(dir, { recursive: true, force: true });
        return 'double-new';
      });
    }

    // (3) The automatic rollback of an expired `commit confirmed` at open, killed after each of its steps.
    const expiredRoot = join(work, 'expired-template');
    await makeExpiredTemplate(t, expiredRoot);
    const expiredProbe = join(work, 'expired-probe');
    cpSync(expiredRoot, expiredProbe, { recursive: true });
    const expiredRun = await runChild(expiredProbe, { mode: 'open-only', trace: true });
    const expireSteps = expiredRun.stepsAtOpen;
    const expirePoint = expiredRun.stderr.split('\n').filter((l) => l.startsWith('step ')).findIndex((l) => / rename .*\/intent\.json$/.test(l)) + 1;
    assert.ok(expireSteps > 0 && expirePoint > 0, 'opening a store with an expired confirmation commits a rollback');
    assert.equal(await verifyExpired(expiredProbe, t, 'expiry without a kill'), 'rolled-back');
    for (let k = 1; k <= expireSteps; k++) {
      const dir = join(work, `t${trial++}`);
      jobs.push(async () => {
        cpSync(expiredRoot, dir, { recursive: true });
        const run = await runChild(dir, { mode: 'open-only', crashAt: k });
        assert.equal(run.signal, 'SIGKILL', `expiry step ${k}: killed (${run.stderr})`);
        const which = await verifyExpired(dir, t, `expiry killed after step ${k}/${expireSteps}`);
        assert.equal(which, k < expirePoint ? 'pending' : 'rolled-back', `expiry step ${k}: the commit point is step ${expirePoint}`);
        rmSync(dir, { recursive: true, force: true });
        return `expire-${which}`;
      });
    }

    // (4) Random: SIGKILL from outside, (a) after a random delay over the commit's duration, at full speed or
    // with every step stretched by 1 ms, and (b) as soon as the parent reads a random step in the child's
    // trace, so the kill lands wherever the still-running child has got to by then.
    for (let i = 0; i < RANDOM_TRIALS; i++) {
      const confirm = i % 4 === 1;
      const c = confirm ? cal.confirm : cal.plain;
      const kind = i % 3; // 0: delay, 1: delay with stretched steps, 2: after a traced step
      const span = (kind === 1 ? c.durationMs + c.steps * 1.2 : c.durationMs) * 1.3;
      const delay = Math.random() * span;
      const traceStep = 1 + Math.floor(Math.random() * c.steps);
      const dir = join(work, `t${trial++}`);
      jobs.push(async () => {
        cpSync(t.root, dir, { recursive: true });
        const run = await runChild(dir, {
          ...(kind === 2 ? { killAfterTraceStep: traceStep } : { killAfterMs: delay }),
          ...(kind === 1 ? { stepDelayMs: 1 } : {}),
          ...(confirm ? { mode: 'confirm' } : {}),
        });
        const label = kind === 2 ? `kill after seeing step ${traceStep}` : `random kill after ${delay.toFixed(1)} ms`;
        const which = await verify(dir, t, label, confirm);
        if (run.done) assert.equal(which, 'new', 'a commit that reported done is running');
        if (kind === 2 && traceStep >= c.commitPoint) assert.equal(which, 'new', `${label}: past the commit point`);
        rmSync(dir, { recursive: true, force: true });
        return `rnd-${run.signal === 'SIGKILL' ? 'killed' : 'finished'}-${which}`;
      });
    }

    const outcomes = await pool(jobs, PARALLEL);
    const tally: Record<string, number> = {};
    for (const o of outcomes) tally[o] = (tally[o] ?? 0) + 1;
    assert.ok(outcomes.length >= 200, `at least 200 trials (ran ${outcomes.length})`);
    assert.ok((tally['det-old'] ?? 0) > 0 && (tally['det-new'] ?? 0) > 0, 'deterministic kills hit both sides of the commit point');
    console.log(
      `# crash trials: ${outcomes.length} in ${((performance.now() - started) / 1000).toFixed(1)} s; ` +
        `commit = ${cal.plain.steps} steps (confirmed: ${cal.confirm.steps}), commit point at step ${cal.plain.commitPoint}, ` +
        `recovery = ${recoverySteps} steps, confirm expiry = ${expireSteps} steps; outcomes ${JSON.stringify(tally)}`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
