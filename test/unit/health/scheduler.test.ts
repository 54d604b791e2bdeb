// The scheduler with fake timers and a scripted prober: sharing, one probe in flight per target, independence
// of targets, jitter, reloads that keep state, the lab guard, events and stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HealthScheduler, NO_PORT, type ScheduledTarget } from '../../../engine/health/scheduler.js';
import type { CheckDefinition, ProbeEndpoint, ProbeOptions, ProbeResult, Prober } from '../../../engine/health/types.js';
import type { ProbeCancel } from '../../../engine/health/probe-cancel.js';
import type { Transition, Verdict } from '../../../engine/health/verdict.js';
import { healthTargets } from '../../../engine/health/targets.js';
import { loopbackOnly } from '../../../engine/health/lab.js';
import { applyDefaults } from '../../../config/defaults.js';
import { FakeTimers, settle } from './fake-timers.js';

const CHECK: CheckDefinition = { type: 'tcp', interval_ms: 1000, timeout_ms: 300, fail_after: 3, recover_after: 2 };
const target = (key: string, address = '127.0.0.1', check: CheckDefinition = CHECK, port = 80): ScheduledTarget => ({ key, address, port, check });

interface Call {
  address: string;
  at: number;
  /** How the scheduler tells this probe to stop. */
  cancel?: ProbeCancel;
  release: (r: ProbeResult) => void;
}

/** How the fake backend at an address answers its n-th probe (0-based). */
type Script = (n: number) => { ok: boolean; delayMs?: number; hang?: boolean; error?: string };

/** A prober whose answers are scripted per address and take fake time; it records every call. */
class FakeProber {
  readonly calls: Call[] = [];
  private readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  constructor(
    private readonly timers: FakeTimers,
    private readonly scripts: Record<string, Script> = {},
  ) {}

  readonly probe: Prober = (endpoint: ProbeEndpoint, _check: CheckDefinition, options: ProbeOptions) => {
    const n = this.calls.filter((c) => c.address === endpoint.address).length;
    const step = (this.scripts[endpoint.address] ?? (() => ({ ok: true })))(n);
    const flying = (this.inFlight.get(endpoint.address) ?? 0) + 1;
    this.inFlight.set(endpoint.address, flying);
    this.maxInFlight.set(endpoint.address, Math.max(flying, this.maxInFlight.get(endpoint.address) ?? 0));
    return new Promise<ProbeResult>((resolve) => {
      let settled = false;
      const done = (r: ProbeResult) => {
        if (settled) return;
        settled = true;
        this.inFlight.set(endpoint.address, (this.inFlight.get(endpoint.address) ?? 1) - 1);
        resolve(r);
      };
      this.calls.push({ address: endpoint.address, at: this.timers.now(), cancel: options.cancel, release: done });
      if (step.hang) return; // settles only by release(): a prober that ignores its timeout and the abort
      const result: ProbeResult = step.ok ? { ok: true, latencyMs: step.delayMs ?? 1 } : { ok: false, latencyMs: step.delayMs ?? 1, error: step.error ?? 'connection refused' };
      const timer = this.timers.setTimeout(() => done(result), step.delayMs ?? 1);
      // Like the real probers: a cancel settles at once.
      options.cancel?.listen({
        handleEvent: () => {
          this.timers.clearTimeout(timer);
          done({ ok: false, latencyMs: 0, error: 'cancelled' });
        },
      });
    });
  };

  startsOf(address: string): number[] {
    return this.calls.filter((c) => c.address === address).map((c) => c.at);
  }
}

function setup(scripts: Record<string, Script> = {}, extra: { random?: () => number; probeAllowed?: (a: string) => boolean } = {}) {
  const timers = new FakeTimers();
  const prober = new FakeProber(timers, scripts);
  const scheduler = new HealthScheduler({ timers, probe: prober.probe, random: extra.random ?? (() => 0), probeAllowed: extra.probeAllowed });
  const events: Array<{ key: string; verdict: Verdict; transition: Transition }> = [];
  scheduler.on('verdict', (key, verdict, transition) => events.push({ key, verdict, transition }));
  return { timers, prober, scheduler, events };
}

test('one probe per distinct (address, port, check), shared by every service and backend that uses it', async () => {
  const tcp = { type: 'tcp', interval_ms: 1000, timeout_ms: 300 };
  const config = applyDefaults({
    services: [
      { name: 'web', vip: '192.0.2.1', ports: [80], backends: [{ address: '127.0.0.1' }, { address: '127.0.0.2' }], health: tcp },
      { name: 'web-b', vip: '192.0.2.2', ports: [80], backends: [{ address: '127.0.0.1' }, { address: '127.0.0.2', port: 80 }], health: tcp },
      { name: 'slow', vip: '192.0.2.3', ports: [80], backends: [{ address: '127.0.0.1' }], health: { ...tcp, interval_ms: 5000 } },
      { name: 'alt', vip: '192.0.2.4', ports: [8080], backends: [{ address: '127.0.0.1' }, { address: '127.0.0.3', enabled: false }], health: tcp },
      { name: 'unchecked', vip: '192.0.2.5', ports: [80], backends: [{ address: '127.0.0.9' }], health: { type: 'none' } },
      { name: 'off', enabled: false, vip: '192.0.2.6', ports: [80], backends: [{ address: '127.0.0.8' }] },
    ],
  });
  const targets = healthTargets(config);
  assert.deepEqual(
    targets.map((t) => [`${t.address}:${t.port}`, t.check.interval_ms, t.users.map((u) => u.service)]),
    [
      ['127.0.0.1:80', 1000, ['web', 'web-b']],
      ['127.0.0.2:80', 1000, ['web', 'web-b']],
      ['127.0.0.1:80', 5000, ['slow']],
      ['127.0.0.1:8080', 1000, ['alt']],
    ],
  );
  const { timers, prober, scheduler } = setup();
  scheduler.update(targets);
  await timers.advance(999);
  assert.equal(prober.calls.length, 4, 'four targets, four probes in the first interval, not one per service');
  await timers.advance(4000);
  assert.equal(prober.calls.length, 3 * 5 + 1, 'up to 4999 ms: the three 1 s targets five times each, the 5 s one once');
  await timers.advance(1);
  assert.equal(prober.calls.length, 3 * 6 + 2, 'at 5000 ms: each once more');
  await scheduler.stop();
});

test('never two probes in flight for one target, even when a prober overruns its timeout', async () => {
  const { timers, prober, scheduler } = setup({ '127.0.0.1': (n) => (n === 0 ? { ok: true, hang: true } : { ok: true }) });
  scheduler.update([target('a')]);
  await timers.advance(10_000);
  assert.equal(prober.calls.length, 1, 'no new probe while the first has not settled');
  assert.equal(scheduler.inFlight, 1);
  const v = scheduler.verdict('a');
  assert.deepEqual([v?.probes, v?.last?.error], [1, 'timed out after 300 ms'], 'the overrun is recorded as one timeout at the deadline');
  assert.equal(prober.calls[0].cancel?.cancelled, true, 'and the probe is told to stop');
  prober.calls[0].release({ ok: true, latencyMs: 9999 });
  await settle();
  assert.equal(scheduler.verdict('a')?.probes, 1, 'its late result is not counted twice');
  await timers.advance(0);
  assert.equal(prober.calls.length, 2, 'the next probe starts once the hung one has settled');
  await timers.advance(5000);
  assert.deepEqual(prober.maxInFlight.get('127.0.0.1'), 1);
  await scheduler.stop();
});

test('a slow target never delays others; each keeps its own fixed rate', async () => {
  const { timers, prober, scheduler } = setup({
    '127.0.0.1': () => ({ ok: true, delayMs: 290 }),
    '127.0.0.2': () => ({ ok: false, delayMs: 300, hang: false }),
    '127.0.0.3': () => ({ ok: true, delayMs: 1 }),
  });
  scheduler.update([target('slow', '127.0.0.1'), target('failing', '127.0.0.2'), target('fast', '127.0.0.3')]);
  await timers.advance(4500);
  for (const a of ['127.0.0.1', '127.0.0.2', '127.0.0.3']) assert.deepEqual(prober.startsOf(a), [0, 1000, 2000, 3000, 4000], a);
  await scheduler.stop();
});

test('the first probes are spread over the interval by jitter', async () => {
  const draws = [0, 0.25, 0.5, 0.999];
  const { timers, prober, scheduler } = setup({}, { random: () => draws.shift() ?? 0 });
  scheduler.update(['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'].map((a) => target(a, a)));
  await timers.advance(1998);
  assert.deepEqual(
    prober.calls.map((c) => `${c.address}@${c.at}`),
    ['127.0.0.1@0', '127.0.0.2@250', '127.0.0.3@500', '127.0.0.4@999', '127.0.0.1@1000', '127.0.0.2@1250', '127.0.0.3@1500'],
  );
  await scheduler.stop();
});

test('verdict events: (key, verdict, transition) at exactly fail_after and recover_after', async () => {
  // ok, then 3 failures, then 2 successes: up at probe 1, down at probe 4, up at probe 6.
  const pattern = '+---++';
  const { timers, scheduler, events } = setup({ '127.0.0.1': (n) => ({ ok: pattern[n] !== '-' }) });
  scheduler.update([target('a')]);
  await timers.advance(5500);
  assert.deepEqual(
    events.map((e) => [e.key, e.transition.from, e.transition.to, e.transition.at, e.verdict.probes, e.verdict.transitions]),
    [
      ['a', 'unknown', 'up', 1, 1, 1],
      ['a', 'up', 'down', 3001, 4, 2],
      ['a', 'down', 'up', 5001, 6, 3],
    ],
  );
  await scheduler.stop();
});

test('update keeps the state and timing of unchanged targets, starts new ones unknown, stops removed ones', async () => {
  const { timers, prober, scheduler, events } = setup({ '127.0.0.2': () => ({ ok: false }), '127.0.0.3': () => ({ ok: true, hang: true }) });
  scheduler.update([target('keep', '127.0.0.1'), target('down', '127.0.0.2'), target('gone', '127.0.0.3')]);
  await timers.advance(2500);
  const before = { keep: scheduler.verdict('keep'), down: scheduler.verdict('down') };
  assert.deepEqual([before.keep?.state, before.down?.state], ['up', 'down']);
  const callsBefore = prober.calls.length;
  const eventsBefore = events.length;
  // The same keys as new objects (a reload), one target gone (its probe hangs in flight), one new.
  scheduler.update([target('keep', '127.0.0.1'), target('down', '127.0.0.2'), target('new', '127.0.0.4')]);
  assert.equal(prober.calls.length, callsBefore, 'no probe is started by the reload itself');
  assert.deepEqual(scheduler.verdict('keep'), before.keep, 'state, since, streaks and counts kept');
  assert.deepEqual(scheduler.verdict('down'), before.down, 'a down target stays down: no flap on reload');
  assert.equal(scheduler.verdict('new')?.state, 'unknown');
  assert.equal(scheduler.verdict('gone'), undefined);
  const gone = prober.calls.find((c) => c.address === '127.0.0.3');
  assert.equal(gone?.cancel?.cancelled, true, "the removed target's probe in flight is aborted");
  gone?.release({ ok: false, latencyMs: 1, error: 'late' });
  await timers.advance(500);
  assert.deepEqual(prober.startsOf('127.0.0.1'), [0, 1000, 2000, 3000], 'the kept target keeps its rhythm');
  assert.equal(events.slice(eventsBefore).filter((e) => e.key !== 'new').length, 0, 'no transition of a kept target');
  assert.equal(prober.startsOf('127.0.0.3').length, 1, 'the removed target is probed no more');
  await scheduler.stop();
});

test('the lab guard: refused addresses are never probed and stay unknown; a target without a port too', async () => {
  const { timers, prober, scheduler } = setup({}, { probeAllowed: loopbackOnly });
  scheduler.update([target('doc', '192.0.2.10'), target('v6', '::1'), target('lo', '127.8.9.10'), target('noport', '127.0.0.1', CHECK, 0)]);
  await timers.advance(3000);
  assert.deepEqual([...new Set(prober.calls.map((c) => c.address))].sort(), ['127.8.9.10', '::1']);
  assert.deepEqual(
    scheduler.status().map((s) => [s.target.key, s.verdict.state, s.verdict.reason ?? '']),
    [
      ['doc', 'unknown', 'lab: not probed'],
      ['v6', 'up', ''],
      ['lo', 'up', ''],
      ['noport', 'unknown', NO_PORT],
    ],
  );
  await scheduler.stop();
});

test('a prober that throws or rejects counts as a failure with its words', async () => {
  const timers = new FakeTimers();
  let n = 0;
  const scheduler = new HealthScheduler({
    timers,
    random: () => 0,
    probe: () => {
      if (n++ % 2 === 0) throw new Error('prober bug');
      return Promise.reject(Object.assign(new Error('x'), { code: 'ECONNRESET' }));
    },
  });
  const errors: string[] = [];
  scheduler.on('result', (_k, r) => errors.push(r.error ?? ''));
  scheduler.update([target('a')]);
  await timers.advance(1500);
  assert.deepEqual(errors, ['prober bug', 'connection reset by the backend']);
  await scheduler.stop();
});

test('stop cancels every timer and aborts probes in flight; nothing runs after it', async () => {
  const { timers, prober, scheduler } = setup({ '127.0.0.2': () => ({ ok: true, delayMs: 200 }) });
  scheduler.update([target('a', '127.0.0.1'), target('b', '127.0.0.2')]);
  await timers.advance(100);
  const flying = prober.calls.find((c) => c.address === '127.0.0.2');
  const stopped = scheduler.stop();
  assert.equal(flying?.cancel?.cancelled, true);
  flying?.release({ ok: true, latencyMs: 1 }); // the fake settles on release; a real prober settles on abort
  await stopped;
  const calls = prober.calls.length;
  await timers.advance(10_000);
  assert.equal(prober.calls.length, calls);
  assert.deepEqual(scheduler.status(), []);
  assert.throws(() => scheduler.update([target('a')]), /stopped/);
});

test('a verdict handed out is a snapshot: the scheduler keeps one object per target and changes it in place', async () => {
  const { timers, scheduler } = setup({});
  scheduler.update([target('keep', '127.0.0.1')]);
  await timers.advance(1500);
  const held = scheduler.verdict('keep')!;
  const listed = scheduler.status()[0].verdict;
  const probes = held.probes;
  assert.ok(probes >= 1);
  await timers.advance(2000);
  assert.ok(scheduler.verdict('keep')!.probes > probes, 'the target went on being probed');
  assert.equal(held.probes, probes, 'verdict(): later probes do not change what was handed out');
  assert.equal(listed.probes, probes, 'status(): the same');
  await scheduler.stop();
});
