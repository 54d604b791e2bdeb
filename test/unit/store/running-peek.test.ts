// store/running-peek.ts answers only when the disk leaves no doubt: the newest revision file, read plainly; null
// with a commit in flight (intent.json), a pending confirmation (confirm.json), no revisions, or a file that
// does not say what its name says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peekRunning } from '../../../store/running-peek.js';

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-peek-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'revisions'));
  return dir;
}
const revision = (dir: string, n: number, name: string, body?: string) =>
  writeFileSync(join(dir, 'revisions', String(n).padStart(10, '0') + '.json'), body ?? JSON.stringify({ number: n, config: { node: { name } } }));

test('the newest revision: its number and configuration', (t) => {
  const dir = stateDir(t);
  revision(dir, 2, 'old');
  revision(dir, 10, 'new');
  writeFileSync(join(dir, 'revisions', 'notes.txt'), 'x');
  assert.deepEqual(peekRunning(dir), { number: 10, config: { node: { name: 'new' } } });
});

test('no answer when in doubt: intent, pending confirmation, nothing, a mislabelled or broken file', (t) => {
  const none = stateDir(t);
  assert.equal(peekRunning(none), null);
  assert.equal(peekRunning(join(none, 'missing')), null);

  const intent = stateDir(t);
  revision(intent, 3, 'a');
  writeFileSync(join(intent, 'intent.json'), '{}');
  assert.equal(peekRunning(intent), null);

  const confirm = stateDir(t);
  revision(confirm, 3, 'a');
  writeFileSync(join(confirm, 'confirm.json'), '{}');
  assert.equal(peekRunning(confirm), null);

  const mislabelled = stateDir(t);
  revision(mislabelled, 3, 'a', JSON.stringify({ number: 2, config: {} }));
  assert.equal(peekRunning(mislabelled), null);

  const broken = stateDir(t);
  revision(broken, 3, 'a', '{"number": 3, "config": {');
  assert.equal(peekRunning(broken), null);
});
