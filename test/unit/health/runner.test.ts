// The daemon's health runner against a real Engine on the in-memory IPVS, with fake timers and a scripted
// prober: verdicts become weights at once (one netlink message per changed destination), on_down inhibit and
// remove, slow start ramps in steps, quorum and the sorry backend, reloads keep state, the lab rule and the
// hand-set verdict, and one event (audit + log) per transition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, type DeepPartial } from '../../../config/defaults.js';
import type { Config } from '../../../config/model.js';
import { validateConfig } from '../../../config/validate.js';
import { Engine } from '../../../engine/engine.js';
import { emptyMemoryDataplane } from '../../../engine/host-dataplane.js';
import { HealthRunner, slowStartSteps, type HealthEvent } from '../../../engine/daemon/health-runner.js';
import type { CheckDefinition, ProbeEndpoint, ProbeResult } from '../../../engine/health/types.js';
import { FakeTimers, settle } from './fake-timers.js';

const HEALTH = { type: 'tcp', interval_ms: 100, timeout_ms: 50, fail_after: 2, recover_after: 2 } as const;

function config(extra: DeepPartial<Config['services'][number]> = {}, backends = [
  { address: '127.0.0.1', port: 8081, weight: 10 },
  { address: '127.0.0.2', port: 8082, weight: 20 },
]): Config {
  const c = applyDefaults({ vip: '192.0.2.10', services: [{ name: 'web', ports: [80], scheduler: 'wrr', backends, health: HEALTH, ...extra }] });
  assert.deepEqual(validateConfig(c), []);
  return c;
}

async function rig(opts: { lab?: boolean; config: Config }) {
  const timers = new FakeTimers();
  const down = new Set<string>();
  const probed: string[] = [];
  const probe = async (e: ProbeEndpoint, _c: CheckDefinition): Promise<ProbeResult> => {
    probed.push(`${e.address}:${e.port}`);
    return down.has(e.address) ? { ok: false, latencyMs: 1, error: 'connection refused' } : { ok: true, latencyMs: 0.5 };
  };
  const dataplane = emptyMemoryDataplane();
  const engine = new Engine({ dataplane, stateDir: null });
  await engine.start();
  const committed = await engine.commit(opts.config);
  assert.ok(committed.ok);
  const events: HealthEvent[] = [];
  const logs: string[] = [];
  const runner = new HealthRunner({
    lab: opts.lab ?? false,
    setVerdicts: (v) => engine.setVerdicts(v),
    log: (_l, m) => logs.push(m),
    onTransition: (e) => events.push(e),
    scheduler: { probe, timers, random: () => 0 },
    rampTimers: timers,
    now: () => timers.now(),
  });
  await runner.update(opts.config);
  const weights = () => {
    const out: Record<string, number> = {};
    for (const e of engine.table()) for (const d of e.dests) out[`${d.addr}:${d.port}`] = d.weight;
    return out;
  };
  return { timers, down, probed, engine, dataplane, runner, events, logs, weights, advance: async (ms: number) => (await timers.advance(ms), await settle()) };
}

test('slow start takes 4 to 10 steps', () => {
  assert.equal(slowStartSteps(1), 4);
  assert.equal(slowStartSteps(7), 7);
  assert.equal(slowStartSteps(600), 10);
});

test('inhibit: weight 0 after exactly fail_after failures, one message; back after recover_after good ones', async () => {
  const r = await rig({ config: config() });
  await r.advance(0);
  assert.deepEqual(r.weights(), { '127.0.0.1:8081': 10, '127.0.0.2:8082': 20 });
  r.down.add('127.0.0.2');
  await r.advance(100);
  assert.equal(r.weights()['127.0.0.2:8082'], 20, 'one failure is not enough (fail_after 2)');
  const sent = r.dataplane.messagesSent();
  await r.advance(100);
  assert.equal(r.weights()['127.0.0.2:8082'], 0, 'inhibited: weight 0');
  assert.equal(r.dataplane.messagesSent() - sent, 1, 'one netlink message for one destination, no dump');
  assert.equal(r.weights()['127.0.0.1:8081'], 10);
  const down = r.events.find((e) => e.to === 'down')!;
  assert.deepEqual(down.backends, ['web/127.0.0.2:8082']);
  assert.match(down.message, /up → down after 2 failed probes \(connection refused\); web\/127\.0\.0\.2:8082 weight 0 \(inhibit\)/);
  assert.ok(down.result?.ok);
  r.down.delete('127.0.0.2');
  await r.advance(100);
  assert.equal(r.weights()['127.0.0.2:8082'], 0, 'one good probe is not enough (recover_after 2)');
  await r.advance(100);
  assert.equal(r.weights()['127.0.0.2:8082'], 20);
  assert.deepEqual(r.events.map((e) => `${e.from}>${e.to}`), ['up>down', 'down>up'], 'unknown → up is not audited');
  const rows = r.runner.report().rows;
  assert.equal(rows.find((x) => x.backend === '127.0.0.2:8082')?.transitions, 3);
  await r.runner.stop();
});

test('on_down remove takes the backend out of IPVS and puts it back', async () => {
  const r = await rig({ config: config({ on_down: 'remove' }) });
  r.down.add('127.0.0.1');
  await r.advance(200);
  assert.deepEqual(r.weights(), { '127.0.0.2:8082': 20 });
  r.down.delete('127.0.0.1');
  await r.advance(200);
  assert.deepEqual(r.weights(), { '127.0.0.1:8081': 10, '127.0.0.2:8082': 20 });
  await r.runner.stop();
});

test('slow_start_s ramps the weight back in steps after a recovery (not after the first success)', async () => {
  const r = await rig({ config: config({ slow_start_s: 2 }) });
  await r.advance(0);
  assert.equal(r.weights()['127.0.0.2:8082'], 20, 'unknown → up is no recovery: full weight at once');
  r.down.add('127.0.0.2');
  await r.advance(200);
  assert.equal(r.weights()['127.0.0.2:8082'], 0);
  r.down.delete('127.0.0.2');
  await r.advance(200);
  const seen = [r.weights()['127.0.0.2:8082']];
  for (let i = 0; i < 4; i++) {
    await r.advance(500);
    seen.push(r.weights()['127.0.0.2:8082']);
  }
  assert.deepEqual(seen, [5, 10, 15, 20, 20], '4 steps of 500 ms: 25 %, 50 %, 75 %, 100 %');
  assert.ok(r.logs.some((l) => /slow start 50 %/.test(l)));
  await r.runner.stop();
});

test('a failure during the ramp stops it: down again at once', async () => {
  const r = await rig({ config: config({ slow_start_s: 10 }) });
  r.down.add('127.0.0.2');
  await r.advance(200);
  r.down.delete('127.0.0.2');
  await r.advance(200);
  assert.equal(r.weights()['127.0.0.2:8082'], 2);
  r.down.add('127.0.0.2');
  await r.advance(200);
  assert.equal(r.weights()['127.0.0.2:8082'], 0);
  await r.advance(5000);
  assert.equal(r.weights()['127.0.0.2:8082'], 0, 'no ramp timer brings it back while it fails');
  await r.runner.stop();
});

test('quorum: below it the sorry backend takes the new connections; above it, it is removed', async () => {
  const r = await rig({ config: config({ quorum: 2, sorry: '127.0.0.9:8089' }) });
  await r.advance(0);
  assert.deepEqual(r.weights(), { '127.0.0.1:8081': 10, '127.0.0.2:8082': 20 });
  r.down.add('127.0.0.1');
  await r.advance(200);
  assert.deepEqual(r.weights(), { '127.0.0.1:8081': 0, '127.0.0.2:8082': 0, '127.0.0.9:8089': 1 });
  const summary = r.runner.report().services[0];
  assert.deepEqual(summary, { service: 'web', backends: 2, healthy: 1, quorum: 2, sorry: '127.0.0.9:8089', sorryActive: true });
  r.down.delete('127.0.0.1');
  await r.advance(200);
  assert.deepEqual(r.weights(), { '127.0.0.1:8081': 10, '127.0.0.2:8082': 20 });
  await r.runner.stop();
});

test('a reload keeps the state of unchanged targets; a changed check starts unknown (= up)', async () => {
  const c = config();
  const r = await rig({ config: c });
  r.down.add('127.0.0.2');
  await r.advance(200);
  assert.equal(r.weights()['127.0.0.2:8082'], 0);
  const probes = r.probed.length;
  const same = structuredClone(c);
  await r.engine.commit(same);
  await r.runner.update(same);
  await settle();
  assert.equal(r.weights()['127.0.0.2:8082'], 0, 'still down: no flap');
  assert.equal(r.probed.length, probes, 'the reload started no probe');
  assert.equal(r.events.length, 1);
  const changed = config({ health: { ...HEALTH, fail_after: 3 } });
  await r.engine.commit(changed);
  await r.runner.update(changed);
  await settle();
  assert.equal(r.weights()['127.0.0.2:8082'], 20, 'a new check starts unknown, which counts as up');
  await r.advance(300);
  assert.equal(r.weights()['127.0.0.2:8082'], 0, 'down again after fail_after 3');
  await r.runner.stop();
});

test('lab: only loopback is probed; other addresses stay unknown and may be set by hand', async () => {
  const c = config({}, [
    { address: '127.0.0.1', port: 8081, weight: 10 },
    { address: '198.51.100.7', port: 80, weight: 30 },
  ]);
  const r = await rig({ lab: true, config: c });
  await r.advance(300);
  assert.ok(r.probed.length > 0);
  assert.ok(r.probed.every((p) => p.startsWith('127.')), `probed only loopback: ${r.probed.join(' ')}`);
  const doc = r.runner.report().rows.find((x) => x.address === '198.51.100.7')!;
  assert.equal(doc.state, 'unknown');
  assert.equal(doc.detail, 'lab: not probed');
  assert.equal(r.weights()['198.51.100.7:80'], 30, 'unknown counts as up');
  const set = await r.runner.setManual({ address: '198.51.100.7', state: 'down' });
  assert.deepEqual(set, { backends: ['web/198.51.100.7:80'], changed: 1, state: 'down' });
  assert.equal(r.weights()['198.51.100.7:80'], 0);
  assert.equal(r.runner.report().rows.find((x) => x.address === '198.51.100.7')?.detail, 'set by hand, inhibited');
  assert.match(r.events.at(-1)!.message, /web\/198\.51\.100\.7:80: unknown → down \(set by hand\)/);
  await r.runner.setManual({ address: '198.51.100.7', state: 'auto' });
  assert.equal(r.weights()['198.51.100.7:80'], 30);
  await assert.rejects(r.runner.setManual({ address: '203.0.113.1', state: 'down' }), /no enabled backend 203\.0\.113\.1/);
  await r.runner.stop();
});

test('production: a verdict is never set by hand', async () => {
  const r = await rig({ config: config() });
  await assert.rejects(r.runner.setManual({ address: '127.0.0.1', state: 'down' }), /only in the lab/);
  await r.runner.stop();
});

test('a service without a check: always up, no target, not settable', async () => {
  const r = await rig({ lab: true, config: config({ health: { type: 'none' } }) });
  await r.advance(500);
  assert.equal(r.probed.length, 0);
  assert.deepEqual(r.runner.report().rows.map((x) => [x.state, x.check, x.detail]), [
    ['up', 'none', 'no check: always up'],
    ['up', 'none', 'no check: always up'],
  ]);
  await assert.rejects(r.runner.setManual({ address: '127.0.0.1', state: 'down' }), /has no health check/);
  await r.runner.stop();
});

test('updates look only at the services that changed, and end where a fresh runner would', async () => {
  // The store shares a frozen service between revisions until it changes; the runner recomputes only services
  // that are not the very objects it saw last. Whatever the order of changes, what it probes and what it
  // reports must equal a runner given the same configuration fresh.
  const check = (interval_ms: number) => ({ type: 'tcp', interval_ms, timeout_ms: 50, fail_after: 2, recover_after: 2 }) as const;
  const make = (services: DeepPartial<Config['services'][number]>[]) => {
    const c = applyDefaults({ vip: '192.0.2.10', services });
    assert.deepEqual(validateConfig(c), []);
    return c;
  };
  const first = make([
    { name: 'web', ports: [80], backends: [{ address: '127.0.0.1', port: 8081 }, { address: '127.0.0.2', port: 8082 }], health: check(100) },
    { name: 'api', ports: [81], backends: [{ address: '127.0.0.1', port: 8081 }, { address: '127.0.0.3', port: 8083 }], health: check(100) },
    { name: 'plain', ports: [82], backends: [{ address: '127.0.0.4', port: 8084 }], health: { enabled: false } },
  ]);
  const reshaped = make([
    { name: 'api', ports: [81], backends: [{ address: '127.0.0.1', port: 8081 }, { address: '127.0.0.3', port: 8083 }], health: check(200) },
    { name: 'extra', ports: [83], backends: [{ address: '127.0.0.5', port: 8085 }], health: check(100) },
  ]);
  const [web, api, plain] = first.services;
  const [api2, extra] = reshaped.services;
  const steps: Config['services'][] = [
    [web, api2, plain], // api's check changed: 127.0.0.1:8081 is now two targets, one shared no more
    [web, api2, plain, extra], // a service added
    [api2, plain, extra], // web removed: its targets go, api's stay
    [web, api, plain], // back to the first: api shares 127.0.0.1:8081 with web again
  ];
  const r = await rig({ config: first });
  for (const services of steps) {
    const config = { ...first, services };
    await r.runner.update(config);
    const fresh = await rig({ config });
    // With 127.0.0.1 failing: a target's verdict must reach every backend that uses it now, and no other (the
    // runner keeps each target's users across updates); then it recovers for the next step.
    const view = async (x: typeof r) => {
      x.probed.length = 0;
      const before = x.events.length;
      x.down.add('127.0.0.1');
      await x.advance(400);
      const seen = {
        probed: [...new Set(x.probed)].sort(),
        rows: x.runner.report().rows.map((row) => `${row.service} ${row.backend} ${row.check} ${row.state}`).sort(),
      };
      // Not only as a fresh runner says: every checked backend at the failing address is down (a target shared
      // by two services tells both).
      for (const row of x.runner.report().rows)
        assert.equal(row.state, row.check !== 'none' && row.backend.startsWith('127.0.0.1:') ? 'down' : 'up', `${row.service} ${row.backend}`);
      // ... each named by the transition's event (what the engine and the audit are told).
      const told = new Set(x.events.slice(before).filter((e) => e.to === 'down').flatMap((e) => e.backends));
      const failing = x.runner.report().rows.filter((row) => row.check !== 'none' && row.backend.startsWith('127.0.0.1:'));
      assert.deepEqual([...told].sort(), failing.map((row) => `${row.service}/${row.backend}`).sort());
      x.down.delete('127.0.0.1');
      await x.advance(400);
      return seen;
    };
    assert.deepEqual(await view(r), await view(fresh), `after ${services.map((s) => s.name).join(', ')}`);
  }
});
