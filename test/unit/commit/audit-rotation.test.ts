// Issue 15 point 10: the audit trail and the guard log are bounded (rotated, old segments compressed), and
// `show audit last N` reads from the end of the file, not all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { appendAudit, parseAudit, readAudit } from '../../../engine/audit.js';
import { confirmGuardLogPath, guardFileLogger } from '../../../engine/confirm-guard.js';
import { DEFAULT_AUDIT_MAX_BYTES } from '../../../config/defaults.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-audit-rot-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const record = (i: number) => ({ user: 'root', action: 'commit' as const, result: 'ok' as const, revisionBefore: i, revisionAfter: i + 1, comment: `change ${i} ${'x'.repeat(100)}` });

test('the trail rotates at max_bytes: the previous segment plain, older ones gzip, at most `keep`, newest records all there', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'audit.jsonl');
  for (let i = 0; i < 200; i++) appendAudit(path, record(i), { maxBytes: 4000, keep: 3 });
  assert.deepEqual(readdirSync(dir).sort(), ['audit.jsonl', 'audit.jsonl.1', 'audit.jsonl.2.gz', 'audit.jsonl.3.gz']);
  // Oldest to newest: .3.gz, .2.gz, .1, current — one unbroken run of revisions ending with the last written.
  const segments = [gunzipSync(readFileSync(`${path}.3.gz`)).toString(), gunzipSync(readFileSync(`${path}.2.gz`)).toString(), readFileSync(`${path}.1`, 'utf8'), readFileSync(path, 'utf8')];
  const numbers = segments.flatMap((s) => parseAudit(s).records.map((r) => r.revisionBefore));
  assert.equal(numbers.at(-1), 199);
  assert.deepEqual(numbers, numbers.map((_, k) => numbers[0]! + k), 'no record lost or repeated across segments');
  for (const s of segments.slice(0, 3)) assert.ok(Buffer.byteLength(s) >= 4000 && Buffer.byteLength(s) < 4000 + 400, 'each full segment is about max_bytes');
});

test('max_bytes 0 never rotates', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'audit.jsonl');
  for (let i = 0; i < 50; i++) appendAudit(path, record(i), { maxBytes: 0, keep: 3 });
  assert.deepEqual(readdirSync(dir), ['audit.jsonl']);
  assert.equal(readAudit(path).records.length, 50);
});

test('show audit last N reads only the end: a 600 MB trail (too big for one string) answers at once', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'audit.jsonl');
  writeFileSync(path, JSON.stringify({ time: '2026-01-01T00:00:00Z', ...record(0) }) + '\n');
  truncateSync(path, 600 * 1024 * 1024); // sparse: a long run of NUL bytes that reading whole could not hold
  appendFileSync(path, '\n');
  for (let i = 1; i <= 5; i++) appendAudit(path, record(i));
  const tail = readAudit(path, { last: 3 });
  assert.deepEqual(
    tail.records.map((r) => r.revisionBefore),
    [3, 4, 5],
  );
  assert.equal(existsSync(path), true);
  assert.throws(() => readAudit(path), /string longer than|ERR_STRING_TOO_LONG|Cannot create a string/);
});

test('last N on a small trail: the same records and skipped lines as reading it whole', (t) => {
  const dir = scratch(t);
  const path = join(dir, 'audit.jsonl');
  for (let i = 0; i < 5; i++) appendAudit(path, record(i));
  appendFileSync(path, 'not json\n');
  appendAudit(path, record(5));
  const tail = readAudit(path, { last: 2 });
  assert.deepEqual(tail.records.map((r) => r.revisionBefore), [4, 5]);
  assert.deepEqual(tail.skipped.map((s) => s.line), [6]);
});

// The guard log has no configuration of its own: it rotates at the audit trail's default size (it grew unbounded).
test('the confirm guard\'s log rotates at the default max_bytes; the next line starts a new file', (t) => {
  const dir = scratch(t);
  const path = confirmGuardLogPath(dir);
  writeFileSync(path, 'an old line\n');
  truncateSync(path, DEFAULT_AUDIT_MAX_BYTES); // sparse: a full log without writing 64 MiB
  guardFileLogger(dir)('rolled back');
  assert.deepEqual(readdirSync(dir).sort(), ['confirm-guard.log.1']);
  assert.ok(statSync(`${path}.1`).size > DEFAULT_AUDIT_MAX_BYTES, 'the full log, with its last line, is the previous segment');
  guardFileLogger(dir)('exit: confirmed');
  assert.deepEqual(readdirSync(dir).sort(), ['confirm-guard.log', 'confirm-guard.log.1']);
  assert.match(readFileSync(path, 'utf8'), /^\S+ \[\d+\] exit: confirmed\n$/);
});
