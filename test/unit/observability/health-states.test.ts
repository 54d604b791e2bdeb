// HealthRunner.states() and onProbe, what the exporter reads of the health checks: per backend its state and
// transitions (a backend without a check is up), per service healthy and quorum; every probe's latency with its
// check type. A real Engine on the in-memory IPVS, fake timers, a scripted prober. states() must agree with
// report(), which `show health` uses, on every backend.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyDefaults } from '../../../config/defaults.js';
import { validateConfig } from '../../../config/validate.js';
import { Engine } from '../../../engine/engine.js';
import { emptyMemoryDataplane } from '../../../engine/host-dataplane.js';
import { HealthRunner } from '../../../engine/daemon/health-runner.js';
import type { ProbeEndpoint, ProbeResult } from '../../../engine/health/types.js';
import { FakeTimers, settle } from '../health/fake-timers.js';

test('states(): down, up and unchecked backends, transitions, quorum; onProbe tells each probe', async () => {
  const config = applyDefaults({
    vip: '192.0.2.10',
    services: [
      {
        name: 'web',
        ports: [80],
        scheduler: 'wrr',
        quorum: 2,
        health: { type: 'tcp', interval_ms: 100, timeout_ms: 50, fail_after: 2, recover_after: 2 },
        backends: [
          { address: '127.0.0.1', port: 8081, weight: 10 },
          { address: '127.0.0.2', port: 8082, weight: 20 },
        ],
      },
      { name: 'plain', ports: [81], scheduler: 'rr', health: { enabled: false }, backends: [{ address: '127.0.0.3', port: 0, weight: 1 }] },
    ],
  });
  assert.deepEqual(validateConfig(config), []);
  const timers = new FakeTimers();
  const probe = async (e: ProbeEndpoint): Promise<ProbeResult> => (e.address === '127.0.0.2' ? { ok: false, latencyMs: 3, error: 'connection refused' } : { ok: true, latencyMs: 0.5 });
  const engine = new Engine({ dataplane: emptyMemoryDataplane(), stateDir: null });
  await engine.start();
  assert.ok((await engine.commit(config)).ok);
  const probes: Array<[string, number]> = [];
  const runner = new HealthRunner({
    lab: false,
    setVerdicts: (v) => engine.setVerdicts(v),
    log: () => {},
    onProbe: (type, r) => probes.push([type, r.latencyMs]),
    scheduler: { probe, timers, random: () => 0 },
    rampTimers: timers,
    now: () => timers.now(),
  });
  await runner.update(config);
  for (let i = 0; i < 4; i++) {
    await timers.advance(100);
    await settle();
  }
  const { backends, services } = runner.states();
  assert.deepEqual(backends, [
    { service: 'web', address: '127.0.0.1', port: 8081, state: 'up', transitions: 1 },
    { service: 'web', address: '127.0.0.2', port: 8082, state: 'down', transitions: 1 },
    { service: 'plain', address: '127.0.0.3', port: 0, state: 'up', transitions: 0 },
  ]);
  assert.deepEqual(
    services.map((s) => [s.service, s.healthy, s.quorum]),
    [
      ['web', 1, 2],
      ['plain', 1, 1],
    ],
  );
  const report = runner.report();
  assert.deepEqual(
    report.rows.map((r) => [r.service, r.address, r.port, r.state, r.transitions]),
    backends.map((b) => [b.service, b.address, b.port, b.state, b.transitions]),
  );
  assert.deepEqual(report.services, services);
  assert.ok(probes.length >= 4, `${probes.length} probes told`);
  assert.ok(probes.every(([type]) => type === 'tcp'));
  assert.ok(probes.some(([, ms]) => ms === 3));
  await runner.stop();
  await engine.close();
});
