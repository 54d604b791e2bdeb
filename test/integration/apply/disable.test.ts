// Issue 15 point 5: `lbctl disable` changes the kernel, so it goes through the commit transaction's discipline:
// it waits for the transaction lock (a commit racing it made lbctl's own services look foreign), it is audited,
// and a user who may not configure is told so before anything is read.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { readAudit } from '../../../engine/audit.js';
import { commitTransactionLockPath } from '../../../engine/commit-transaction.js';
import { acquireLock } from '../../../locks/lock.js';
import { describeHolder } from '../../../locks/holder.js';
import { readableInstall, readableLab } from '../../support/readable-install.js';

const install = readableInstall();
after(() => install.cleanup());

const lab = (t: { after(fn: () => void): void }) => readableLab(install, t);

test('disable waits for a commit in flight, then removes what lbctl owns and audits it', async (t) => {
  const l = lab(t);
  assert.equal(l.run(['apply']).status, 0);
  const held = await acquireLock({ name: 'test commit', path: commitTransactionLockPath(l.state), holder: describeHolder() });
  const child = spawn(install.lbctl, l.args(['disable', '--yes']), { env: l.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b) => (out += b));
  child.stderr.on('data', (b) => (out += b));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // It must still be waiting while the lock is held: nothing removed yet.
  const early = await Promise.race([exited.then(() => 'exited'), new Promise((r) => setTimeout(() => r('waiting'), 3000))]);
  assert.equal(early, 'waiting', `disable did not wait for the transaction lock:\n${out}`);
  assert.equal(readAudit(join(l.state, 'audit.jsonl')).records.filter((r) => r.action === 'disable').length, 0);
  await held.release();
  assert.equal(await exited, 0, out);
  assert.match(out, /removed \d+ service\(s\); foreign services untouched/);
  const [rec] = readAudit(join(l.state, 'audit.jsonl')).records.filter((r) => r.action === 'disable');
  assert.ok(rec, 'disable wrote no audit record');
  assert.equal(rec.result, 'ok');
  assert.equal(rec.user, 'root');
  assert.ok(rec.kernel && rec.kernel.applied.length > 0 && rec.kernel.applied.every((op) => op.startsWith('delService')), JSON.stringify(rec.kernel));
});

test('a user who may not configure is told so, before any kernel error', (t) => {
  const l = lab(t);
  const r = l.run(['disable', '--yes'], { user: 'nobody', labMode: false });
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^lbctl: disable: nobody \(uid 65534\) may not change the kernel: only root and members of lbctl-admin may \(--dry-run shows what would go\)\n$/);
  assert.doesNotMatch(r.stderr, /could not be fully restored/);
});
