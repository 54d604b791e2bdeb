// The client's reply framing: a reply arrives in many chunks (a `table` reply at 10,000 services is ~20 MB), a
// chunk may end inside a multi-byte character, and one chunk may carry the end of one reply and a whole next
// one. Each reply must come out whole and exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonConnection } from '../../../engine/daemon/client.js';
import { PROTOCOL_VERSION, socketPath } from '../../../engine/daemon/protocol.js';

test('replies split anywhere (inside a UTF-8 character too) and replies sharing a chunk arrive whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-framing-'));
  const big = 'é→'.repeat(200_000) + 'end';
  const server = createServer((socket) => {
    let got = '';
    socket.on('data', (d) => {
      got += d.toString('utf8');
      const lines = got.split('\n');
      got = lines.pop()!;
      if (lines.length < 2) return; // answer once both requests are in, in one stream
      const ids = lines.map((l) => (JSON.parse(l) as { id: number }).id);
      const bytes = Buffer.from(
        ids.map((id, k) => JSON.stringify({ v: PROTOCOL_VERSION, id, ok: true, result: k === 0 ? big : 'small' }) + '\n').join(''),
        'utf8',
      );
      // Pieces of 7 bytes for the first 200, then 65,537: boundaries fall inside the 2- and 3-byte characters.
      let at = 0;
      const pieces: Buffer[] = [];
      while (at < bytes.length) {
        const n = pieces.length < 200 ? 7 : 65_537;
        pieces.push(bytes.subarray(at, at + n));
        at += n;
      }
      const next = () => {
        const p = pieces.shift();
        if (p) socket.write(p, next);
      };
      next();
    });
  });
  await new Promise<void>((r) => server.listen(socketPath(dir), r));
  try {
    const conn = await DaemonConnection.connect(dir);
    assert.ok(conn);
    const [a, b] = await Promise.all([conn.call<string>('first'), conn.call<string>('second')]);
    assert.equal(a.length, big.length);
    assert.equal(a, big);
    assert.equal(b, 'small');
    conn.close();
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});
