// The stderr forms of a record: the sd-daemon priority prefix journald keeps (error 3, warning 4, info 6,
// debug 7), the readable line elsewhere, and fields as key=value that parse back.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatFields, formatValue, stderrLines, SYSLOG_PRIORITY, type LogRecord } from '../../../engine/observe/log-format.js';

const at = Date.parse('2026-11-30T13:20:11.123Z');
const rec = (over: Partial<LogRecord>): LogRecord => ({ time: at, level: 'info', message: 'm', fields: {}, ...over });

test('journald: each level carries its syslog priority as the <N> prefix, and no time (journald stamps its own)', () => {
  assert.deepEqual(SYSLOG_PRIORITY, { error: 3, warning: 4, info: 6, debug: 7 });
  assert.equal(stderrLines(rec({ level: 'error', message: 'cold start failed' }), true), '<3>cold start failed\n');
  assert.equal(stderrLines(rec({ level: 'warning', message: 'drift repaired' }), true), '<4>drift repaired\n');
  assert.equal(stderrLines(rec({ level: 'info', message: 'ready' }), true), '<6>ready\n');
  assert.equal(stderrLines(rec({ level: 'debug', message: 'probe' }), true), '<7>probe\n');
});

test('journald: a multi-line message keeps one prefix per line; the fields follow the first line', () => {
  const text = stderrLines(rec({ level: 'error', message: 'reload refused:\n  a.yaml:1:1: x\n  b.yaml:2:2: y', fields: { errors: 2 } }), true);
  assert.equal(text, '<3>reload refused: errors=2\n<3>  a.yaml:1:1: x\n<3>  b.yaml:2:2: y\n');
});

test('elsewhere: ISO time, the level padded to a column, the message, then key=value fields', () => {
  const text = stderrLines(rec({ level: 'warning', message: 'drift repaired', fields: { operations: 2, action: 'repair' } }), false);
  assert.equal(text, '2026-11-30T13:20:11.123Z warning drift repaired operations=2 action=repair\n');
  assert.equal(stderrLines(rec({ level: 'info', message: 'x' }), false), '2026-11-30T13:20:11.123Z info    x\n');
});

test('values: words bare; spaces, quotes, = and newlines JSON-quoted so a line parses back; objects as JSON', () => {
  assert.equal(formatValue('root'), 'root');
  assert.equal(formatValue('two words'), '"two words"');
  assert.equal(formatValue('a=b'), '"a=b"');
  assert.equal(formatValue('line\nbreak'), '"line\\nbreak"');
  assert.equal(formatValue(''), '""');
  assert.equal(formatValue(42), '42');
  assert.equal(formatValue(null), 'null');
  assert.equal(formatValue({ ok: true, operations: 1 }), '{"ok":true,"operations":1}');
  assert.equal(formatFields({ a: 1, skipped: undefined, b: 'x y' }), ' a=1 b="x y"');
});

test('a long value is cut on stderr and says how much is missing', () => {
  const v = formatValue('x'.repeat(30), 10);
  assert.equal(v, `${'x'.repeat(10)}…(20 more chars)`);
});
