import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, appendFileSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAudit, auditPath, parseAudit, readAudit, type AuditRecord } from '../../../engine/audit.js';
import { formatAudit } from '../../../present/audit.js';
import { defaultConfig } from '../../../config/defaults.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true, maxRetries: 5 })));
function tracked(dir: string): string {
  roots.push(dir);
  return dir;
}

function tmp(): string {
  return tracked(mkdtempSync(join(tmpdir(), 'lbctl-audit-')));
}

const base = { user: 'alice', action: 'commit', result: 'ok' } as const;

test('appendAudit writes one JSON line per record, in order, with time and pid filled in', () => {
  const path = join(tmp(), 'sub', 'audit.jsonl');
  appendAudit(path, { ...base, revisionBefore: 1, revisionAfter: 2, comment: 'first' });
  appendAudit(path, { ...base, action: 'check', result: 'no-changes' });
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  const first = JSON.parse(lines[0]) as AuditRecord;
  assert.equal(first.comment, 'first');
  assert.equal(first.pid, process.pid);
  assert.ok(!Number.isNaN(new Date(first.time).getTime()));
  assert.equal((JSON.parse(lines[1]) as AuditRecord).action, 'check');
});

test('readAudit skips and reports a torn last line; earlier records stay readable', () => {
  const path = join(tmp(), 'audit.jsonl');
  appendAudit(path, { ...base, revisionAfter: 1 });
  appendAudit(path, { ...base, revisionAfter: 2 });
  appendFileSync(path, '{"time":"2026-11-25T10:00:00Z","user":"bob","act');
  const read = readAudit(path);
  assert.deepEqual(read.records.map((r) => r.revisionAfter), [1, 2]);
  assert.equal(read.skipped.length, 1);
  assert.equal(read.skipped[0].line, 3);
  assert.equal(read.skipped[0].torn, true);
});

test('a record appended after a torn tail starts on its own line and is not lost', () => {
  const path = join(tmp(), 'audit.jsonl');
  appendAudit(path, { ...base, revisionAfter: 1 });
  appendFileSync(path, '{"torn":');
  appendAudit(path, { ...base, revisionAfter: 3 });
  const read = readAudit(path);
  assert.deepEqual(read.records.map((r) => r.revisionAfter), [1, 3]);
  assert.equal(read.skipped.length, 1);
  assert.equal(read.skipped[0].torn, false); // no longer the last line: reported as damage
  assert.equal(read.skipped[0].line, 2);
});

test('last N keeps the newest N records', () => {
  const text = [1, 2, 3, 4, 5].map((n) => JSON.stringify({ ...base, time: `2026-11-25T10:00:0${n}Z`, revisionAfter: n })).join('\n') + '\n';
  assert.deepEqual(parseAudit(text, { last: 2 }).records.map((r) => r.revisionAfter), [4, 5]);
  assert.deepEqual(parseAudit(text, { last: 10 }).records.length, 5);
  assert.deepEqual(parseAudit(text, { last: 0 }).records.length, 0);
});

test('lines that are JSON but not records are skipped with a reason; blank lines are ignored', () => {
  const read = parseAudit('\n[1,2]\n' + JSON.stringify({ ...base, time: 't' }) + '\n\n');
  assert.equal(read.records.length, 1);
  assert.deepEqual(read.skipped, [{ line: 2, torn: false, reason: 'not an audit record (time, user or action missing)' }]);
});

test('a missing trail reads as empty', () => {
  assert.deepEqual(readAudit(join(tmp(), 'none.jsonl')), { records: [], skipped: [] });
});

test('auditPath: configured path, relative to the state dir, state-dir default, lab', () => {
  const c = defaultConfig();
  assert.equal(auditPath({ stateDir: '/s', config: c }), c.observability.audit.path);
  c.observability.audit.path = 'logs/a.jsonl';
  assert.equal(auditPath({ stateDir: '/s', config: c }), '/s/logs/a.jsonl');
  assert.equal(auditPath({ stateDir: '/s', config: c, lab: true }), '/s/audit.jsonl');
  assert.equal(auditPath({ stateDir: '/s' }), '/s/audit.jsonl');
});

test('formatAudit prints one row per record plus comment, error and kernel outcome', () => {
  const records: AuditRecord[] = [
    { time: '2026-11-25T10:00:00Z', user: 'alice', session: 's1', action: 'commit', result: 'ok', revisionBefore: 4, revisionAfter: 5, comment: 'add web', confirmMinutes: 5, kernel: { ok: true, applied: ['newService tcp 10.0.0.1:80', 'newDest tcp 10.0.0.1:80 -> 10.0.1.1:80'] } },
    { time: '2026-11-25T10:05:00Z', user: 'root', sudoUser: 'bob', action: 'confirm-timeout', result: 'failed', revisionBefore: 5, revisionAfter: 6, error: 'boom', kernel: { ok: false, applied: [], failed: 'delService tcp 10.0.0.1:80: ENOENT', rolledBack: true, restored: true } },
  ];
  const text = formatAudit(records);
  const lines = text.trimEnd().split('\n');
  assert.match(lines[0], /^Time\s+User\s+Session\s+Action\s+Revision\s+Result$/);
  assert.match(lines[1], /alice\s+s1\s+commit confirmed 5\s+4->5\s+ok$/);
  assert.equal(lines[2], '    comment: add web');
  assert.equal(lines[3], '    kernel: 2 operations applied');
  assert.match(lines[4], /bob\(root\)\s+-\s+confirm-timeout\s+5->6\s+failed$/);
  assert.equal(lines[5], '    error: boom');
  assert.equal(lines[6], '    kernel: failed: delService tcp 10.0.0.1:80: ENOENT; kernel restored');
  const detailed = formatAudit(records, { detail: true });
  assert.ok(detailed.includes('      newDest tcp 10.0.0.1:80 -> 10.0.1.1:80\n'));
  assert.equal(formatAudit([]), 'No audit records.\n');
  assert.ok(formatAudit([], { skipped: [{ line: 3, torn: true, reason: 'x' }] }).includes('% audit line 3 skipped: x'));
});
