// Issue 15 point 1 on the lab dataplane (the kernel VM trials: test/kernel/suite/commit-crash.test.ts): a process
// killed between the kernel and the store leaves a kernel-pending record (store/kernel-pending.ts), and the next
// start finishes it (engine/recover.ts): the kernel runs the store's running revision and the audit trail tells the
// story. A `commit confirmed` killed anywhere after it touched the kernel needs no next start: its guard was started
// before the kernel changed, and finishes or rolls back by itself.
// The kill is placed by the test hook on the step's label (store/atomic.ts), found in a traced dry run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from '../../../engine/audit.js';
import { KERNEL_PENDING_FILE } from '../../../store/kernel-pending.js';
import { confirmGuardLogPath, runningConfirmGuard } from '../../../engine/confirm-guard.js';
import { openStore } from '../../../store/store.js';
import { HOOKED_LBCTL, hookArgs, type TestHooks } from '../../support/hooks.js';
import { makeLab, type Lab } from '../../support/lab-daemon.js';

function lbctl(lab: Lab, args: string[], hooks: TestHooks = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: lab.home };
  delete env.CI;
  return spawnSync(process.execPath, [HOOKED_LBCTL, ...hookArgs(hooks), ...args, '--lab', '--config', lab.config, '--state-dir', lab.state], { env, encoding: 'utf8', input: '', timeout: 60_000 });
}

/** Stops the lab's confirm guard, even one still starting (a test that wants no guard, and every test's end). */
function stopGuard(lab: Lab): void {
  spawnSync('pkill', ['-KILL', '-f', `guard.*--state-dir ${lab.state}`]);
}

function fresh(t: { after(fn: () => void): void }): Lab {
  const lab = makeLab('');
  t.after(() => {
    stopGuard(lab);
    rmSync(lab.home, { recursive: true, force: true });
  });
  assert.equal(lbctl(lab, ['apply']).status, 0);
  return lab;
}

/** The kernel's weight of web's backend, read without starting a host that could recover. */
function kernelWeight(lab: Lab): number {
  const r = lbctl(lab, ['show', 'ipvs', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const table = JSON.parse(r.stdout) as { services: { id: string; dests: { addr: string; weight: number }[] }[] };
  return table.services.find((s) => s.id === 'tcp 192.0.2.10:80')!.dests.find((d) => d.addr === '198.51.100.11')!.weight;
}

const COMMIT = ['shell', '-c', 'configure; service web; backend 198.51.100.11 port 80 weight 7; commit comment crash-me'];

/** The number of the first traced step whose label matches, in a dry run of `args` on a fresh lab. */
function stepOf(t: { after(fn: () => void): void }, args: string[], label: RegExp, hooks: TestHooks = {}): number {
  const lab = fresh(t);
  const r = lbctl(lab, args, { ...hooks, traceSteps: true });
  const line = r.stderr.split('\n').find((l) => /^step \d+ /.test(l) && label.test(l));
  assert.ok(line, `no step matching ${label} in:\n${r.stderr}`);
  return Number(/^step (\d+)/.exec(line)![1]);
}

const records = (lab: Lab) => readAudit(join(lab.state, 'audit.jsonl')).records;

test('killed after the kernel changed, before the store recorded: the next start sets the kernel back', (t) => {
  const at = stepOf(t, COMMIT, /create .*intent\.json/);
  const lab = fresh(t);
  const killed = lbctl(lab, COMMIT, { crashAtStep: at });
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(kernelWeight(lab), 7, 'the kernel had the change when the process died');
  assert.equal(existsSync(join(lab.state, 'revisions', '0000000002.json')), false);
  assert.equal(existsSync(join(lab.state, KERNEL_PENDING_FILE)), true);

  const next = lbctl(lab, ['shell', '-c', 'show version']);
  assert.equal(next.status, 0, next.stderr);
  assert.equal(kernelWeight(lab), 100, 'the kernel runs revision 1 again');
  assert.equal(existsSync(join(lab.state, KERNEL_PENDING_FILE)), false);
  const rec = records(lab).at(-1)!;
  assert.equal(rec.action, 'recover');
  assert.equal(rec.result, 'ok');
  assert.match(rec.comment ?? '', /changed the kernel but died before recording revision 2: the kernel was set back to revision 1 \(its comment: crash-me\)/);
});

test('killed after the store recorded, before the audit record: the next start keeps it and says so', (t) => {
  const at = stepOf(t, COMMIT, /unlink .*intent\.json/);
  const lab = fresh(t);
  assert.equal(lbctl(lab, COMMIT, { crashAtStep: at }).signal, 'SIGKILL');
  assert.equal(records(lab).filter((r) => r.action === 'commit' && r.revisionAfter === 2).length, 0, 'the commit was not audited');
  const next = lbctl(lab, ['status']);
  assert.equal(next.status, 0, next.stdout + next.stderr);
  assert.equal(kernelWeight(lab), 7);
  assert.equal(existsSync(join(lab.state, KERNEL_PENDING_FILE)), false);
  const rec = records(lab).at(-1)!;
  assert.equal(rec.action, 'recover');
  assert.equal(rec.revisionAfter, 2);
  assert.match(rec.comment ?? '', /was recorded but its writer \(pid \d+\) died before finishing/);
});

test('a confirm rollback recorded but killed before the kernel: the next start carries it out', (t) => {
  const lab = fresh(t);
  const confirmed = lbctl(lab, ['shell', '-c', 'configure; service web; backend 198.51.100.11 port 80 weight 7; commit confirmed 1']);
  assert.equal(confirmed.status, 0, confirmed.stderr);
  assert.equal(kernelWeight(lab), 7);
  // Two minutes later (the store's clock hook), a shell opens the store, which records the rollback revision;
  // it is killed at the step after that, before the kernel is set back.
  const later = { clockOffsetMs: 120_000 };
  const trace = lbctl(lab, ['shell', '-c', 'show version'], { ...later, traceSteps: true, crashAtStep: 1000 });
  const steps = trace.stderr.split('\n').filter((l) => /^step \d+ /.test(l));
  const written = steps.find((l) => /rename .*revisions\/0000000003\.json/.test(l));
  assert.ok(written, trace.stderr);
  // That traced run carried the rollback out: start again from the same point on a fresh lab.
  const lab2 = fresh(t);
  assert.equal(lbctl(lab2, ['shell', '-c', 'configure; service web; backend 198.51.100.11 port 80 weight 7; commit confirmed 1']).status, 0);
  stopGuard(lab2); // the guard died too (a reboot): only the next start is left to act
  const killed = lbctl(lab2, ['shell', '-c', 'show version'], { ...later, crashAtStep: Number(/^step (\d+)/.exec(written)![1]) + 1 });
  assert.equal(killed.signal, 'SIGKILL');
  assert.equal(kernelWeight(lab2), 7, 'the rollback revision was recorded, the kernel not set back yet');
  assert.equal(existsSync(join(lab2.state, KERNEL_PENDING_FILE)), true);
  const next = lbctl(lab2, ['shell', '-c', 'show version'], later);
  assert.equal(next.status, 0, next.stderr);
  assert.equal(kernelWeight(lab2), 100);
  assert.equal(existsSync(join(lab2.state, KERNEL_PENDING_FILE)), false);
  assert.ok(records(lab2).some((r) => r.action === 'recover' && /rollback of an unconfirmed commit/.test(r.comment ?? '')), JSON.stringify(records(lab2).slice(-3)));
});

test('a commit confirmed killed at any step after it touched the kernel: its guard alone sets the kernel right', async (t) => {
  const CONFIRMED = ['shell', '-c', 'configure; service web; backend 198.51.100.11 port 80 weight 7; commit confirmed 1 comment guarded'];
  const probe = fresh(t);
  const traced = lbctl(probe, CONFIRMED, { traceSteps: true, guardPollMs: 100 });
  const steps = traced.stderr.split('\n').filter((l) => /^step \d+ /.test(l));
  // The guard is started once the kernel-pending record is durable (its fsync-dir), before the kernel is touched.
  const marked = steps.findIndex((l) => /fsync-dir/.test(l) && steps.slice(0, steps.indexOf(l)).some((k) => /rename .*kernel-pending\.json/.test(k))) + 1;
  assert.ok(marked > 0 && steps.length > marked, traced.stderr);
  // The step right after the record, then the end of each later durable change (its fsync-dir): each is a different
  // state of kernel + store (kernel only; + intent; + revision; + deadline; + files; intent gone; record gone).
  // The kernel VM trials kill at random steps.
  const points = [marked + 1, ...steps.map((l, i) => (i + 1 > marked + 1 && /fsync-dir/.test(l) ? i + 1 : 0)).filter((n) => n > 0)];
  const seen: string[] = [];
  for (const at of points) {
    const lab = fresh(t);
    const clock = join(lab.home, 'clock');
    writeFileSync(clock, '0');
    const killed = lbctl(lab, CONFIRMED, { crashAtStep: at, guardPollMs: 100, clockFile: clock });
    assert.equal(killed.signal, 'SIGKILL', `step ${at}: ${killed.stderr}`);
    // (The kernel had the change when the shell died; the guard may already have set it back by now.)
    // Two minutes on, by the clock the guard reads. No lbctl is started: only the guard may act.
    writeFileSync(clock, '120000');
    const settled = async () => {
      for (let i = 0; i < 200; i++) {
        const store = await openStore({ stateDir: lab.state, configPath: lab.config, readOnly: true });
        if (!existsSync(join(lab.state, KERNEL_PENDING_FILE)) && !store.pendingConfirm() && !runningConfirmGuard(lab.state)) return true;
        await new Promise((r) => setTimeout(r, 100));
      }
      return false;
    };
    const guardLog = () => (existsSync(confirmGuardLogPath(lab.state)) ? readFileSync(confirmGuardLogPath(lab.state), 'utf8') : '(no guard log)');
    assert.ok(await settled(), `step ${at} (${steps[at - 1]}): the guard left something pending:\n${guardLog()}`);
    assert.equal(kernelWeight(lab), 100, `step ${at}: the kernel runs revision 1's weight again\n${guardLog()}`);
    const story = records(lab).filter((r) => r.action === 'recover' || r.action === 'confirm-timeout');
    assert.ok(story.length > 0, `step ${at}: the audit says what set the kernel right: ${JSON.stringify(records(lab).slice(-2))}`);
    assert.match(guardLog(), /left between the kernel and the store|rolled back/, `step ${at}`);
    seen.push(`${at}:${story.map((r) => r.action).join('+')}`);
  }
  t.diagnostic(`killed at steps ${points.join(', ')} of ${steps.length}: ${seen.join(' ')}`);
});
