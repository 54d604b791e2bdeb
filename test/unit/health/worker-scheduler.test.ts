// The daemon's probe worker (engine/health/worker-scheduler.ts) runs only when there is something to probe: a
// configuration without health checks has no second V8 isolate. With targets it probes real sockets on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { WORKER_YOUNG_GENERATION_MB, WorkerScheduler } from '../../../engine/health/worker-scheduler.js';
import type { CheckDefinition } from '../../../engine/health/types.js';

const CHECK: CheckDefinition = { type: 'tcp', interval_ms: 100, timeout_ms: 300, fail_after: 1, recover_after: 1 };

test('no targets: no worker; the first target starts it, and its verdicts come from real probes on loopback', async (t) => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const port = (server.address() as AddressInfo).port;

  const scheduler = new WorkerScheduler({ lab: true });
  scheduler.update([]);
  assert.equal(scheduler.started, false, 'nothing to probe: no worker');

  const probed = new Promise<boolean>((resolve) => scheduler.on('result', (key, result) => key === 'up' && resolve(result.ok)));
  scheduler.update([{ key: 'up', address: '127.0.0.1', port, check: CHECK }]);
  assert.equal(scheduler.started, true);
  // Its young generation is held small (the worker's garbage dies young; docs/scale.md).
  assert.equal(scheduler['worker']?.resourceLimits?.maxYoungGenerationSizeMb, WORKER_YOUNG_GENERATION_MB);
  assert.equal(await probed, true, 'a connect to the listening port succeeded');
  await scheduler.stop();
});

test('a scheduler that never had a target stops at once', async () => {
  const scheduler = new WorkerScheduler({ lab: true });
  scheduler.update([]);
  await scheduler.stop();
  assert.equal(scheduler.started, false);
  assert.throws(() => scheduler.update([]), /stopped/);
});

test('through the worker: a closed port goes down with its words, an open one up; transitions as events, verdicts as snapshots', async (t) => {
  const server = createServer((s) => s.end());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const open = (server.address() as AddressInfo).port;
  // A port that refuses: one that was listening a moment ago (loopback only, this process's own).
  const gone = createServer();
  await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
  const closed = (gone.address() as AddressInfo).port;
  await new Promise<void>((r) => gone.close(() => r()));

  const scheduler = new WorkerScheduler({ lab: true });
  const transitions = new Map<string, string>();
  const both = new Promise<void>((resolve) =>
    scheduler.on('verdict', (key, verdict, transition) => {
      assert.equal(verdict.state, transition.to, 'the verdict given with a transition is already the new state');
      transitions.set(key, `${transition.from}->${transition.to}${transition.error ? ` (${transition.error})` : ''}`);
      if (transitions.size === 2) resolve();
    }),
  );
  scheduler.update([
    { key: 'open', address: '127.0.0.1', port: open, check: CHECK },
    { key: 'closed', address: '127.0.0.1', port: closed, check: CHECK },
  ]);
  await both;
  assert.equal(transitions.get('open'), 'unknown->up');
  assert.equal(transitions.get('closed'), 'unknown->down (connection refused)');
  const down = scheduler.verdict('closed')!;
  assert.equal(down.state, 'down');
  assert.equal(down.last?.error, 'connection refused');
  assert.equal(down.last?.ok, false);
  assert.ok(down.probes >= 1 && down.failStreak >= 1);
  down.state = 'up';
  assert.equal(scheduler.verdict('closed')!.state, 'down', 'a snapshot: changing it changes nothing kept');
  await scheduler.stop();
});

test('the key lists of updates whose batches may still be in flight are bounded, even when no batch ever comes', async () => {
  // Every target refused by the lab's guard: the worker runs but never has a result to send.
  const scheduler = new WorkerScheduler({ lab: true });
  for (let i = 0; i < 40; i++) scheduler.update([{ key: `t${i}`, address: '192.0.2.1', port: 80, check: CHECK }]);
  const kept = (scheduler as unknown as { sentKeys: Map<number, string[]> }).sentKeys;
  assert.ok(kept.size <= 16, `${kept.size} key lists kept`);
  assert.deepEqual(kept.get(40), ['t39'], 'the latest update is kept');
  assert.equal(scheduler.verdict('t39')?.reason, 'lab: not probed');
  // The worker does not keep a process alive (a daemon has its own handles): this test holds the loop open.
  const alive = setInterval(() => {}, 1000);
  await scheduler.stop();
  clearInterval(alive);
});
