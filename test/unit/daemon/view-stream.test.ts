// The `view` request: a long text comes back as chunk lines, in order, then the reply with the view's result;
// the daemon builds a chunk only when the socket has taken the one before, so a reader that stops (a pager, a
// full pipe) stops the daemon's generator instead of letting it queue the whole text in memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ControlServer } from '../../../engine/daemon/server.js';
import { DaemonConnection, DaemonError } from '../../../engine/daemon/client.js';
import { socketPath } from '../../../engine/daemon/protocol.js';
import type { EngineHost } from '../../../engine/host.js';
import { CompileError } from '../../../engine/compile.js';

const CHUNKS = 200;
const CHUNK = 'x'.repeat(64 * 1024 - 20);

async function withServer(views: ConstructorParameters<typeof ControlServer>[0]['views'], f: (conn: DaemonConnection) => Promise<void>) {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-view-'));
  const server = new ControlServer({
    path: socketPath(dir),
    host: {} as EngineHost,
    info: () => ({}) as never,
    group: null,
    identify: () => ({ pid: 1, uid: 1000, gid: 1000, user: 'reader', groups: [], canConfigure: false }),
    views,
  });
  await server.listen();
  const conn = await DaemonConnection.connect(dir);
  assert.ok(conn);
  try {
    await f(conn);
  } finally {
    conn.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

test('a view arrives as its chunks, in order, then its result; a read-only peer may ask', async () => {
  const views = {
    numbered: async (_host: EngineHost, p: Record<string, unknown>) => ({
      chunks: (function* () {
        for (let i = 0; i < Number(p.n); i++) yield `${i} é→\n`;
      })(),
      result: { n: p.n },
    }),
  };
  await withServer(views, async (conn) => {
    const got: string[] = [];
    const result = await conn.view<{ n: number }>({ name: 'numbered', n: 1000 }, (c) => void got.push(c));
    assert.deepEqual(result, { n: 1000 });
    assert.equal(got.length, 1000);
    assert.equal(got.join(''), Array.from({ length: 1000 }, (_, i) => `${i} é→\n`).join(''));
    // The connection still serves ordinary requests after a view.
    const again: string[] = [];
    await conn.view({ name: 'numbered', n: 2 }, (c) => void again.push(c));
    assert.deepEqual(again, ['0 é→\n', '1 é→\n']);
  });
});

test('a reader that stops holds the generator back: the daemon never builds the text ahead of the socket', async () => {
  let built = 0;
  const views = {
    big: async () => ({
      chunks: (function* () {
        for (let i = 0; i < CHUNKS; i++) {
          built++;
          yield CHUNK;
        }
      })(),
    }),
  };
  await withServer(views, async (conn) => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let received = 0;
    const done = conn.view({ name: 'big' }, (c) => {
      assert.equal(c, CHUNK);
      received++;
      return received === 1 ? held : undefined;
    });
    // The reader holds its first chunk: give the daemon every chance to run ahead.
    for (let i = 0; i < 50; i++) await new Promise((r) => setTimeout(r, 2));
    const ahead = built;
    assert.ok(ahead < CHUNKS / 2, `the daemon built ${ahead} of ${CHUNKS} chunks for a reader that took one`);
    release();
    await done;
    assert.equal(received, CHUNKS);
    assert.equal(built, CHUNKS);
  });
});

test('an unknown view is a bad request; a view that cannot compile is a compile error before any text', async () => {
  const views = {
    broken: async () => {
      throw new CompileError(['service web: no backend']);
    },
  };
  await withServer(views, async (conn) => {
    const chunks: string[] = [];
    await assert.rejects(conn.view({ name: 'nothing' }, (c) => void chunks.push(c)), (e: unknown) => e instanceof DaemonError && e.type === 'bad-request');
    await assert.rejects(
      conn.view({ name: 'broken' }, (c) => void chunks.push(c)),
      (e: unknown) => e instanceof DaemonError && e.type === 'compile' && (e.wire.problems ?? []).includes('service web: no backend'),
    );
    assert.deepEqual(chunks, []);
  });
});
