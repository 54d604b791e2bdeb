// The daemon's probe worker (engine/health/worker-scheduler.ts) runs only when there is something to probe: a
// configuration without health checks has no second V8 isolate. With targets it probes real sockets on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type AddressInfo } from 'node:net';
import { WorkerScheduler } from '../../../engine/health/worker-scheduler.js';
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
