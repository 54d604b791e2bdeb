// peekRunningFiles: the running revision's record of its configuration files (sha256 by path), as `lbctl status`
// reads it to know whether the files on disk still say what the running revision says. It answers for a whole
// revision (from its head, before the service list), for one stored as a difference, and not in doubt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peekRunningFiles } from '../../../store/running-peek.js';

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-peek-files-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'revisions'));
  return dir;
}
const write = (dir: string, n: number, body: object) => writeFileSync(join(dir, 'revisions', String(n).padStart(10, '0') + '.json'), JSON.stringify(body));
const services = Array.from({ length: 20_000 }, (_, i) => ({ name: `s${i}`, vip: '192.0.2.1', ports: [i] }));

test('the files of the newest revision, whole (larger than the head read) or a difference', (t) => {
  const dir = stateDir(t);
  const files = { 'config.yaml': 'a'.repeat(64), 'config.d/0000.yaml': 'b'.repeat(64) };
  write(dir, 1, { number: 1, files: { 'config.yaml': 'old' }, config: { node: { name: 'lb' }, services: [] } });
  write(dir, 2, { number: 2, files, config: { node: { name: 'lb' }, services } });
  assert.deepEqual(peekRunningFiles(dir), { number: 2, files });
  write(dir, 3, { format: 2, base: 2, number: 3, files: { 'config.yaml': 'c' }, delta: { set: {}, unset: [], services: [], removed: [] } });
  assert.deepEqual(peekRunningFiles(dir), { number: 3, files: { 'config.yaml': 'c' } });
});

test('no answer in doubt or without a record: a commit in flight, a pending confirmation, no files recorded', (t) => {
  const dir = stateDir(t);
  write(dir, 1, { number: 1, config: { services: [] } });
  assert.equal(peekRunningFiles(dir), null, 'no files recorded');
  write(dir, 2, { number: 2, files: { 'config.yaml': 'x' }, config: { services: [] } });
  assert.deepEqual(peekRunningFiles(dir), { number: 2, files: { 'config.yaml': 'x' } });
  writeFileSync(join(dir, 'intent.json'), '{}');
  assert.equal(peekRunningFiles(dir), null, 'a commit in flight');
  rmSync(join(dir, 'intent.json'));
  writeFileSync(join(dir, 'confirm.json'), '{}');
  assert.equal(peekRunningFiles(dir), null, 'a confirmation pending');
  rmSync(join(dir, 'confirm.json'));
  write(dir, 3, { number: 4, files: {}, config: { services: [] } });
  assert.equal(peekRunningFiles(dir), null, 'a file that is not what its name says');
});
