// A long-lived store hashes a configuration file again only when its identity (inode, size, mtime, ctime)
// changed. Every way a file can change must still give the new bytes' hash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, renameSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFingerprints } from '../../../store/file-fingerprints.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

test('a file rewritten in place with its size and mtime restored, renamed over, or removed gives its new state', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-fp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'web.yaml');
  // A clock well past every file's change: each hash is trusted, so only the identity can send it to be read again.
  const known = new FileFingerprints(() => Date.now() + 60_000);
  assert.equal(known.of(path), null, 'no file yet');
  writeFileSync(path, 'aaaa');
  // A whole-second mtime, which utimes can put back exactly (it takes no nanoseconds).
  const second = Math.floor(Date.now() / 1000) - 10;
  utimesSync(path, second, second);
  assert.equal(known.of(path), sha('aaaa'));
  assert.equal(known.of(path), sha('aaaa'), 'unchanged');

  const ino = statSync(path).ino;
  writeFileSync(path, 'bbbb'); // same inode, same size
  utimesSync(path, second, second); // and the mtime it had: only ctime tells
  assert.equal(statSync(path).ino, ino);
  assert.equal(statSync(path).mtimeMs, second * 1000);
  assert.equal(known.of(path), sha('bbbb'));
  assert.equal(known.of(path), sha('bbbb'));

  writeFileSync(join(dir, 'next'), 'cccc');
  renameSync(join(dir, 'next'), path);
  assert.equal(known.of(path), sha('cccc'));

  unlinkSync(path);
  assert.equal(known.of(path), null);
  writeFileSync(path, 'dddd');
  assert.equal(known.of(path), sha('dddd'));
});

test("a revision's fingerprints are in code-unit order, whatever the locale's collation says", async () => {
  const { fingerprintsOfPlan, sortedFingerprints } = await import('../../../store/store-files.js');
  const plan = { writes: { 'config.d/b.yaml': 'b', 'B.yaml': 'B', 'a.yaml': 'a', 'config.yaml': 'c' }, unchanged: [], deletes: [] };
  // A locale's collation puts a.yaml before B.yaml; code units (what loadOrder uses too) put B first.
  assert.deepEqual(Object.keys(fingerprintsOfPlan(plan)), ['B.yaml', 'a.yaml', 'config.d/b.yaml', 'config.yaml']);
  assert.equal(fingerprintsOfPlan(plan)['a.yaml'], sha('a'));
  assert.deepEqual(Object.keys(sortedFingerprints({ z: '1', Z: '2', 'y/x': '3' })), ['Z', 'y/x', 'z']);
});
