// ResponseReader: the status of the final response from any split of its bytes, a body de-chunked and bounded,
// and plain words for what is not HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResponseReader, HEAD_MAX } from '../../../engine/health/probes/http-response.js';
import { READ_MAX } from '../../../engine/health/probes/bytes.js';
import { requestText } from '../../../engine/health/probes/http.js';

/** Feeds `text` in pieces of `size` bytes; returns the last state. */
function read(text: string | Buffer, wantBody: boolean, size = Infinity, end = false) {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'latin1');
  const r = new ResponseReader(wantBody);
  let s = r.state();
  for (let i = 0; i < bytes.length; i += Number.isFinite(size) ? size : bytes.length) s = r.feed(bytes.subarray(i, i + (Number.isFinite(size) ? size : bytes.length)));
  return end ? r.end() : s;
}

const plain = 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nstatus: ok\n';
const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n7\r\nstatus:\r\n4;x=y\r\n ok\n\r\n0\r\n\r\n';

test('the status, whatever the split of the bytes; without a body check it stops at the head', () => {
  for (const size of [1, 2, 7, Infinity]) {
    assert.deepEqual(read(plain, false, size), { kind: 'status', status: 200 }, `pieces of ${size}`);
    assert.deepEqual(read(plain, true, size), { kind: 'body', status: 200, body: Buffer.from('status: ok\n'), complete: true }, `pieces of ${size}`);
  }
  assert.deepEqual(read('HTTP/1.0 503 Service Unavailable\r\n\r\n', false), { kind: 'status', status: 503 });
  assert.deepEqual(read('HTTP/1.1 204\r\n\r\n', false), { kind: 'status', status: 204 }, 'a status line without a reason phrase');
  assert.deepEqual(read('HTTP/1.1 200 OK\r\nContent-Len', false), { kind: 'head' }, 'an unfinished head waits');
});

test('a chunked body is de-chunked (sizes in hex, extensions ignored) from any split', () => {
  for (const size of [1, 3, 5, Infinity]) {
    assert.deepEqual(read(chunked, true, size), { kind: 'body', status: 200, body: Buffer.from('status: ok\n'), complete: true }, `pieces of ${size}`);
  }
  const big = 'a'.repeat(26);
  assert.deepEqual(read(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1a\r\n${big}\r\n0\r\n\r\n`, true), { kind: 'body', status: 200, body: Buffer.from(big), complete: true });
});

test('interim 1xx responses are skipped; the final status counts', () => {
  assert.deepEqual(read(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n${plain}`, true, 4), {
    kind: 'body',
    status: 200,
    body: Buffer.from('status: ok\n'),
    complete: true,
  });
});

test('a body without a length ends when the peer closes; a Content-Length ends it early', () => {
  const open = 'HTTP/1.1 200 OK\r\n\r\nstatus: degr';
  assert.deepEqual(read(open, true), { kind: 'body', status: 200, body: Buffer.from('status: degr'), complete: false });
  assert.deepEqual(read(open, true, Infinity, true), { kind: 'body', status: 200, body: Buffer.from('status: degr'), complete: true });
  assert.deepEqual(read('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef', true), { kind: 'body', status: 200, body: Buffer.from('abc'), complete: true }, 'bytes past the length are not body');
  assert.deepEqual(read('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', true), { kind: 'body', status: 200, body: Buffer.alloc(0), complete: true });
});

test('the body is bounded to READ_MAX bytes and complete once it has them', () => {
  const s = read(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\n\r\n'), Buffer.alloc(READ_MAX + 100, 0x61)]), true, 4096);
  assert.equal(s.kind, 'body');
  if (s.kind === 'body') assert.deepEqual([s.body.length, s.complete], [READ_MAX, true]);
});

test('what is not HTTP fails in words', () => {
  assert.deepEqual(read('SSH-2.0-OpenSSH_9.6\r\n\r\n', false), { kind: 'invalid', problem: 'invalid HTTP response (status line "SSH-2.0-OpenSSH_9.6")' });
  assert.deepEqual(read('HTTP/1.1 200 OK\r\nno colon here\r\n\r\n', false), { kind: 'invalid', problem: 'invalid HTTP response (header line without a name)' });
  assert.deepEqual(read('HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n', true), { kind: 'invalid', problem: 'invalid HTTP response (bad Content-Length)' });
  assert.deepEqual(read('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', true), { kind: 'invalid', problem: 'invalid HTTP response (bad chunk size)' });
  assert.deepEqual(read(`HTTP/1.1 200 OK\r\nX: ${'y'.repeat(HEAD_MAX)}`, false), { kind: 'invalid', problem: 'invalid HTTP response (header overflow)' });
  assert.deepEqual(read('HTTP/1.1 20', false, Infinity, true), { kind: 'invalid', problem: 'connection closed before a response' });
  assert.deepEqual(read('', false, Infinity, true), { kind: 'invalid', problem: 'connection closed before a response' });
});

test('the request: method, path, Host, and Connection: close', () => {
  assert.equal(
    requestText({ method: 'HEAD', path: '/healthz?x=1' }, '[::1]:8080'),
    'HEAD /healthz?x=1 HTTP/1.1\r\nHost: [::1]:8080\r\nUser-Agent: lbctl-health\r\nAccept: */*\r\nConnection: close\r\n\r\n',
  );
});
