// The GELF transports against real loopback sockets: UDP datagrams (gzip, chunked when large) and TCP frames
// arrive and decode; a closed port, a collector that goes away and one that stops reading never block the
// caller, keep the queue bounded, and count what was lost.
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { closedPort, tcpCollector, udpCollector } from '../../support/gelf-collectors.js';
import { CHUNK_HEADER_BYTES } from '../../../engine/observe/gelf-encode.js';
import { GelfTcpSender } from '../../../engine/observe/gelf-tcp.js';
import { GelfUdpSender } from '../../../engine/observe/gelf-udp.js';
import type { LogRecord } from '../../../engine/observe/log-format.js';

const who = { host: 'lb1', facility: 'lbctl' };
const rec = (message: string, fields: Record<string, unknown> = {}): LogRecord => ({ time: 1796044869568, level: 'info', message, fields });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !check()) await sleep(20);
  return check();
}

test('UDP: a small record is one gzip datagram; a large one arrives in chunks that reassemble and decompress', async () => {
  const l = await udpCollector();
  const notes: string[] = [];
  const sender = new GelfUdpSender({ host: '127.0.0.1', port: l.port, identity: who, note: (m) => notes.push(m), maxDatagram: 1400 });
  try {
    sender.send(rec('small', { action: 'commit' }));
    assert.ok(await eventually(() => l.datagrams.length === 1));
    const small = JSON.parse(gunzipSync(l.datagrams[0]).toString());
    assert.equal(small.short_message, 'small');
    assert.equal(small._action, 'commit');
    // Incompressible text: hex of pseudo-random numbers.
    let text = '';
    for (let x = 1; text.length < 40_000; ) text += (x = (x * 48271) % 2147483647).toString(16);
    sender.send(rec('large', { comment: text }));
    assert.ok(await eventually(() => l.datagrams.length > 3 && l.datagrams.length - 1 === l.datagrams[1][11]), `chunks: ${l.datagrams.length}`);
    const chunks = l.datagrams.slice(1);
    for (const c of chunks) assert.deepEqual([c[0], c[1]], [0x1e, 0x0f]);
    const ordered = [...chunks].sort((a, b) => a[10] - b[10]);
    assert.deepEqual(ordered.map((c) => c[10]), chunks.map((_, i) => i));
    const msg = JSON.parse(gunzipSync(Buffer.concat(ordered.map((c) => c.subarray(CHUNK_HEADER_BYTES)))).toString());
    assert.equal(msg._comment, text);
    assert.deepEqual(sender.stats(), { sent: 2, dropped: 0, queued: 0 });
    assert.deepEqual(notes, []);
  } finally {
    sender.close();
    await l.close();
  }
});

test('UDP: a port nobody listens on never blocks; the refused sends are counted as dropped', async () => {
  const port = await closedPort('udp');
  const notes: string[] = [];
  const sender = new GelfUdpSender({ host: '127.0.0.1', port, identity: who, note: (m) => notes.push(m) });
  try {
    for (let i = 0; i < 20; i++) {
      const t = process.hrtime.bigint();
      sender.send(rec(`r${i}`));
      assert.ok(process.hrtime.bigint() - t < 50_000_000n, 'send() returned at once');
      await sleep(10);
    }
    assert.ok(await eventually(() => sender.stats().queued === 0));
    const s = sender.stats();
    assert.equal(s.sent + s.dropped, 20);
    assert.ok(s.dropped >= 5, `the ICMP refusals show as drops: ${JSON.stringify(s)}`);
    assert.match(notes[0] ?? '', /gelf: udp 127\.0\.0\.1:\d+: .*ECONNREFUSED.*dropped/);
  } finally {
    sender.close();
  }
});

test('UDP: a record too large for 128 chunks is dropped and counted, not sent in part', async () => {
  const l = await udpCollector();
  const notes: string[] = [];
  const sender = new GelfUdpSender({ host: '127.0.0.1', port: l.port, identity: who, note: (m) => notes.push(m), maxDatagram: 100 });
  try {
    let text = '';
    for (let x = 7; text.length < 30_000; ) text += (x = (x * 48271) % 2147483647).toString(16);
    sender.send(rec('huge', { blob: text }));
    assert.ok(await eventually(() => sender.stats().dropped === 1));
    await sleep(100);
    assert.equal(l.datagrams.length, 0);
    assert.match(notes[0], /more than 128 chunks/);
  } finally {
    sender.close();
    await l.close();
  }
});

test('TCP: NUL-terminated uncompressed JSON on one connection; after the collector restarts the sender reconnects', async () => {
  const c = await tcpCollector();
  const notes: string[] = [];
  const sender = new GelfTcpSender({ host: '127.0.0.1', port: c.port, identity: who, note: (m) => notes.push(m), backoff: { baseMs: 50, maxMs: 200 } });
  try {
    sender.send(rec('one', { action: 'commit', revisionAfter: 2 }));
    sender.send(rec('two'));
    assert.ok(await eventually(() => c.messages.length === 2));
    assert.equal(c.messages[0].version, '1.1');
    assert.equal(c.messages[0]._revisionAfter, 2);
    assert.equal(c.messages[1].short_message, 'two');
    assert.equal(c.connections.length, 1);
    const port = c.port;
    await c.close();
    assert.ok(await eventually(() => notes.some((n) => /connection lost/.test(n))), notes.join('\n'));
    const back = await tcpCollector(port);
    try {
      // Records sent while it was away are dropped (counted); once reconnected they flow again.
      assert.ok(
        await eventually(() => {
          sender.send(rec('three'));
          return back.messages.some((m) => m.short_message === 'three');
        }, 5000),
      );
      assert.ok(sender.stats().sent >= 3);
    } finally {
      sender.close();
      await back.close();
    }
  } finally {
    sender.close();
  }
});

test('TCP: a closed port never blocks the caller; records are dropped and counted while it is unreachable', async () => {
  const port = await closedPort('tcp');
  const notes: string[] = [];
  const sender = new GelfTcpSender({ host: '127.0.0.1', port, identity: who, note: (m) => notes.push(m), backoff: { baseMs: 50, maxMs: 100 } });
  try {
    for (let i = 0; i < 50; i++) {
      sender.send(rec(`r${i}`));
      await sleep(5);
    }
    const s = sender.stats();
    assert.equal(s.sent, 0);
    assert.ok(s.dropped >= 40, JSON.stringify(s));
    assert.ok(s.queued <= 50);
    assert.match(notes[0], /gelf: tcp 127\.0\.0\.1:\d+ unreachable \(ECONNREFUSED\); records are dropped/);
  } finally {
    sender.close();
  }
  assert.equal(sender.stats().queued, 0);
});

test('TCP: a collector that accepts and never reads: the queue stays bounded, the oldest records are dropped', async () => {
  const server = createServer((s) => s.pause());
  const held: Socket[] = [];
  server.on('connection', (s) => held.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sender = new GelfTcpSender({ host: '127.0.0.1', port, identity: who, note: () => {}, maxQueue: 10 });
  try {
    await eventually(() => held.length === 1);
    const blob = 'x'.repeat(256 * 1024);
    for (let i = 0; i < 200; i++) {
      sender.send(rec(`r${i}`, { blob }));
      if (i % 20 === 0) await sleep(5);
    }
    const s = sender.stats();
    assert.ok(s.queued <= 10, JSON.stringify(s));
    assert.ok(s.dropped > 100, JSON.stringify(s));
    assert.equal(s.sent + s.dropped + s.queued, 200);
  } finally {
    sender.close();
    for (const s of held) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('UDP: a destination the socket refuses at once (port 0) is retried later with a note, never an unhandled rejection', async () => {
  const notes: string[] = [];
  // A long backoff: the record below must arrive while the sender waits, however slow this machine is.
  const sender = new GelfUdpSender({ host: '127.0.0.1', port: 0, identity: who, note: (m) => notes.push(m), backoff: { baseMs: 60_000, maxMs: 60_000 } });
  try {
    assert.ok(await eventually(() => notes.length > 0));
    assert.match(notes[0], /gelf: udp collector 127\.0\.0\.1:0 cannot be used .*; records are dropped \(0 so far\); next try in \d+ ms/);
    sender.send(rec('while it waits'));
    assert.equal(sender.stats().dropped, 1, 'dropped during the backoff, not hoarded');
  } finally {
    sender.close();
  }
});
