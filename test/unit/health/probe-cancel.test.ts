// Cancelling a probe in flight without an AbortSignal (engine/health/probe-cancel.ts): the scheduler keeps
// one token per target from probe to probe, a probe listens on it while in flight and lets go when it settles,
// and a cancel settles the probe at once as "cancelled", as an abort does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bounded } from '../../../engine/health/probes/bounded.js';
import type { ProbeOptions } from '../../../engine/health/types.js';
import { ProbeCancel } from '../../../engine/health/probe-cancel.js';
import { HealthScheduler } from '../../../engine/health/scheduler.js';
import { FakeTimers, settle } from './fake-timers.js';

test('a cancel settles the probe in flight as cancelled; a settled probe no longer listens', async () => {
  const cancel = new ProbeCancel();
  let closed = 0;
  const pending = bounded({ timeoutMs: 2_000, cancel }, (run) => run.onSettle(() => closed++));
  cancel.cancel();
  const result = await pending;
  assert.equal(result.ok, false);
  assert.equal(result.error, 'cancelled');
  assert.equal(closed, 1, 'its sockets are closed');
  // A token already cancelled settles the next probe at once.
  assert.equal((await bounded({ timeoutMs: 2_000, cancel }, () => {})).error, 'cancelled');

  // A probe that settled by itself lets go of the token: a cancel afterwards is harmless, and the token is free.
  const kept = new ProbeCancel();
  assert.equal((await bounded({ timeoutMs: 2_000, cancel: kept }, (run) => run.ok())).ok, true);
  kept.cancel();
  assert.equal(kept.cancelled, true);
});

test('the scheduler hands each target one token for every probe (no AbortSignal); stop cancels it', async () => {
  const timers = new FakeTimers();
  const seen: ProbeOptions[] = [];
  const scheduler = new HealthScheduler({
    timers,
    random: () => 0,
    probe: (_endpoint, _check, options) => {
      seen.push(options);
      return Promise.resolve({ ok: true, latencyMs: 1 });
    },
  });
  const check = { type: 'tcp' as const, interval_ms: 1000, timeout_ms: 300, fail_after: 3, recover_after: 2 };
  scheduler.update([{ key: 'a', address: '127.0.0.1', port: 80, check }]);
  for (let i = 0; i < 3; i++) {
    timers.advance(1000);
    await settle();
  }
  assert.ok(seen.length >= 3, `probes ran (${seen.length})`);
  assert.ok(seen.every((o) => o.signal === undefined), 'no AbortSignal');
  assert.ok(seen.every((o) => o.cancel instanceof ProbeCancel && o.cancel === seen[0].cancel), 'one token for every probe');
  assert.equal(seen[0].cancel!.cancelled, false);
  await scheduler.stop();
  assert.equal(seen[0].cancel!.cancelled, true, 'stop cancels it');
});
