// Issue 15 point 1 (on the lab dataplane; the kernel VM trials are still to come): a process killed between the
// kernel and the store leaves a kernel-pending record (store/kernel-pending.ts), and the next start finishes it
// (engine/recover.ts): the kernel runs the store's running revision and the audit trail tells the story.
// The kill is placed by the test hook on the step's label (store/atomic.ts), found in a traced dry run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { readAudit } from '../../../engine/audit.js';
import { KERNEL_PENDING_FILE } from '../../../store/kernel-pending.js';
import { HOOKED_LBCTL, hookArgs, type TestHooks } from '../../support/hooks.js';
import { makeLab, type Lab } from '../../support/lab-daemon.js';

function lbctl(lab: Lab, args: string[], hooks: TestHooks = {}) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: lab.home };
  delete env.CI;
  return spawnSync(process.execPath, [HOOKED_LBCTL, ...hookArgs(hooks), ...args, '--lab', '--config', lab.config, '--state-dir', lab.state], { env, encoding: 'utf8', input: '', timeout: 60_000 });
}

function fresh(t: { after(fn: () => void): void }): Lab {
  const lab = makeLab('');
  t.after(() => rmSync(lab.home, { recursive: true, force: true }));
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
