import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultHistoryPath, HistoryFile } from '../../../shell/history.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-history-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('lines appended by one session are loaded by the next, private to the user', (t) => {
  const path = join(tempDir(t), '.lbctl_history');
  const first = new HistoryFile(path);
  assert.deepEqual(first.load(), []);
  first.append('configure');
  first.append('show ipvs');
  first.append('   ');
  assert.deepEqual(new HistoryFile(path).load(), ['configure', 'show ipvs']);
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('loading trims the file to the bound, keeping the newest lines', (t) => {
  const path = join(tempDir(t), 'h');
  writeFileSync(path, Array.from({ length: 12 }, (_, i) => `cmd ${i}`).join('\n') + '\n');
  const history = new HistoryFile(path, 5);
  assert.deepEqual(history.load(), ['cmd 7', 'cmd 8', 'cmd 9', 'cmd 10', 'cmd 11']);
  assert.equal(readFileSync(path, 'utf8'), 'cmd 7\ncmd 8\ncmd 9\ncmd 10\ncmd 11\n');
});

test('an unwritable history never throws', (t) => {
  const dir = tempDir(t);
  const history = new HistoryFile(join(dir, 'missing-dir', 'h'));
  assert.doesNotThrow(() => history.append('show ipvs'));
  assert.deepEqual(history.load(), []);
});

test('the default path is per user: $HOME/.lbctl_history, or LBCTL_HISTORY', () => {
  assert.equal(defaultHistoryPath({ HOME: '/home/op' }), '/home/op/.lbctl_history');
  assert.equal(defaultHistoryPath({ HOME: '/home/op', LBCTL_HISTORY: '/tmp/h' }), '/tmp/h');
});
