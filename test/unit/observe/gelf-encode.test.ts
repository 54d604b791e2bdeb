// GELF 1.1 encoding against the specification: the message's required fields and types, additional fields
// (`_` prefix, names [\w.-]+, scalar values, `_id` never sent), the chunk header (0x1e 0x0f, 8-byte id, sequence
// number, count), the 128-chunk limit, and the chunks reassembling into the compressed payload.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CHUNK_HEADER_BYTES, gelfChunks, gelfMessage, gelfTcpFrame, MAX_CHUNKS } from '../../../engine/observe/gelf-encode.js';
import type { LogRecord } from '../../../engine/observe/log-format.js';

const who = { host: 'lb1', facility: 'lbctl' };
const rec = (over: Partial<LogRecord>): LogRecord => ({ time: 1796044869568, level: 'info', message: 'commit ok', fields: {}, ...over });

test('the required GELF 1.1 fields: version "1.1", host, short_message, timestamp in seconds with decimals, level as syslog severity', () => {
  const m = gelfMessage(rec({ level: 'warning' }), who);
  assert.equal(m.version, '1.1');
  assert.equal(m.host, 'lb1');
  assert.equal(m.short_message, 'commit ok');
  assert.equal(m.timestamp, 1796044869.568);
  assert.equal(m.level, 4);
  assert.equal(m.full_message, undefined);
  assert.equal(m._facility, 'lbctl');
  assert.equal(gelfMessage(rec({ level: 'error' }), who).level, 3);
  assert.equal(gelfMessage(rec({ level: 'info' }), who).level, 6);
  assert.equal(gelfMessage(rec({ level: 'debug' }), who).level, 7);
});

test('a multi-line message: its first line is short_message, the whole is full_message; an empty one is never empty', () => {
  const m = gelfMessage(rec({ message: 'reload refused:\n  a.yaml:1:1: x' }), who);
  assert.equal(m.short_message, 'reload refused:');
  assert.equal(m.full_message, 'reload refused:\n  a.yaml:1:1: x');
  assert.equal(gelfMessage(rec({ message: '' }), who).short_message, '-');
});

test('additional fields: prefixed _, names cleaned to [\\w.-], id renamed, scalar values only, nested objects flattened', () => {
  const m = gelfMessage(
    rec({
      fields: {
        action: 'commit',
        revisionAfter: 8,
        revisionBefore: null,
        id: 'abc',
        'bad name!': 1,
        kernel: { ok: true, operations: 2, failed: undefined },
        backends: ['web/1', 'web/2'],
        facility: 'x',
      },
    }),
    who,
  );
  assert.equal(m._action, 'commit');
  assert.equal(m._revisionAfter, 8);
  assert.ok(!('_revisionBefore' in m), 'null is no value');
  assert.ok(!('_id' in m), '_id is reserved by the specification');
  assert.equal(m._id_, 'abc');
  assert.equal(m._bad_name_, 1);
  assert.equal(m._kernel_ok, 'true');
  assert.equal(m._kernel_operations, 2);
  assert.ok(!('_kernel_failed' in m));
  assert.equal(m._backends, '["web/1","web/2"]');
  assert.equal(m._facility, 'lbctl', 'the configured facility stays');
  assert.equal(m._field_facility, 'x');
  for (const [k, v] of Object.entries(m)) {
    if (['version', 'host', 'short_message', 'full_message', 'timestamp', 'level'].includes(k)) continue;
    assert.match(k, /^_[\w.-]+$/, k);
    assert.ok(typeof v === 'string' || typeof v === 'number', `${k} is ${typeof v}`);
  }
});

test('a payload that fits one datagram is sent as it is (no chunk header)', () => {
  const p = Buffer.alloc(8192, 1);
  const chunks = gelfChunks(p, Buffer.alloc(8, 7), 8192)!;
  assert.equal(chunks.length, 1);
  assert.equal(chunks[0], p);
});

test('chunks: magic 0x1e 0x0f, the 8-byte message id, sequence 0..n-1, count n, at most maxDatagram bytes, reassembling the payload', () => {
  const json = Buffer.from(JSON.stringify({ version: '1.1', host: 'lb1', short_message: 'x'.repeat(50_000), timestamp: 1, level: 6 }));
  // Random bytes do not compress: enough to need many chunks of 1000 bytes.
  const noisy = randomBytes(20_000);
  const payload = gzipSync(Buffer.concat([json, noisy]));
  const id = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]);
  const chunks = gelfChunks(payload, id, 1000)!;
  assert.equal(chunks.length, Math.ceil(payload.length / (1000 - CHUNK_HEADER_BYTES)));
  assert.ok(chunks.length > 20);
  chunks.forEach((c, i) => {
    assert.ok(c.length <= 1000);
    assert.equal(c[0], 0x1e);
    assert.equal(c[1], 0x0f);
    assert.deepEqual(c.subarray(2, 10), id);
    assert.equal(c[10], i);
    assert.equal(c[11], chunks.length);
  });
  const joined = Buffer.concat(chunks.map((c) => c.subarray(CHUNK_HEADER_BYTES)));
  assert.deepEqual(joined, payload);
  assert.deepEqual(gunzipSync(joined), Buffer.concat([json, noisy]));
});

test('128 chunks is the limit: exactly 128 are made, one byte more is refused (null: the caller drops and counts it)', () => {
  const per = 100 - CHUNK_HEADER_BYTES;
  const chunks = gelfChunks(Buffer.alloc(per * MAX_CHUNKS, 2), Buffer.alloc(8), 100)!;
  assert.equal(chunks.length, 128);
  assert.equal(chunks[127][10], 127);
  assert.equal(chunks[127][11], 128);
  assert.equal(gelfChunks(Buffer.alloc(per * MAX_CHUNKS + 1, 2), Buffer.alloc(8), 100), null);
});

test('a message id must be 8 bytes, and a datagram must leave room after the header', () => {
  assert.throws(() => gelfChunks(Buffer.alloc(10), Buffer.alloc(4), 100), /8 bytes/);
  assert.throws(() => gelfChunks(Buffer.alloc(10), Buffer.alloc(8), 12), /no room/);
});

test('TCP frame: the uncompressed JSON then one NUL; a NUL inside a value is escaped, never ending the frame early', () => {
  const frame = gelfTcpFrame(gelfMessage(rec({ message: 'a\0b', fields: { note: 'x\0y' } }), who));
  assert.equal(frame.at(-1), 0);
  assert.equal(frame.indexOf(0), frame.length - 1);
  const back = JSON.parse(frame.subarray(0, -1).toString('utf8'));
  assert.equal(back.short_message, 'a\0b');
  assert.equal(back._note, 'x\0y');
});
