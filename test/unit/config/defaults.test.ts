import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, defaultConfig, defaultHealth, defaultService } from '../../../config/defaults.js';
import { validateConfig } from '../../../config/validate.js';

test('defaultConfig: the documented defaults, and it validates', () => {
  const c = defaultConfig();
  assert.deepEqual(c, {
    node: {},
    daemon: {
      reconcile_interval_ms: 5000,
      state_cache: { enabled: true, ttl_ms: 1000 },
      limits: { max_services: 10000, max_ports_per_range: 4096 },
      revisions_kept: 50,
    },
    ha: { source: 'none', program: 'always', instances: [], poll_interval_ms: 1000 },
    observability: {
      prometheus: { enabled: true, bind: '127.0.0.1', port: 9469 },
      gelf: { enabled: false, port: 12201, facility: 'lbctl', protocol: 'udp' },
      audit: { path: '/var/log/lbctl/audit.jsonl', max_bytes: 67108864, keep: 8 },
    },
    system: { exec_timeout_s: 1800 },
    services: [],
  });
  assert.deepEqual(validateConfig(c), []);
  assert.notEqual(defaultConfig().daemon, defaultConfig().daemon, 'each call returns fresh objects');
});

test('service, backend and health defaults; the check depends on the protocol', () => {
  const c = applyDefaults({ vip: '192.0.2.1', services: [{ name: 'a', ports: [80], backends: [{ address: '192.0.2.9' }] }, { name: 'u', protocol: 'udp', ports: [53] }] });
  const [a, u] = c.services;
  assert.deepEqual(a, {
    name: 'a',
    enabled: true,
    protocol: 'tcp',
    ports: [80],
    port_ranges: [],
    scheduler: 'wlc',
    scheduler_flags: [],
    forwarding: { method: 'nat' },
    on_down: 'inhibit',
    backends: [{ address: '192.0.2.9', port: 0, weight: 1, enabled: true }],
    health: { enabled: true, type: 'tcp', interval_ms: 1000, timeout_ms: 300, fail_after: 3, recover_after: 2 },
  });
  assert.equal(u.health.type, 'none');
  assert.deepEqual(defaultHealth('sctp').type, 'none');
  assert.equal(defaultService('x', 'udp').health.type, 'none');
});

test('applyDefaults fills nested optional sections only when they are present', () => {
  const c = applyDefaults({
    services: [
      { name: 'h', health: { type: 'http' } },
      { name: 'd', health: { type: 'dns', dns: { query: 'example.net' } }, persistence: {}, forwarding: { method: 'tunnel', tunnel: {} } },
    ],
  });
  assert.deepEqual(c.services[0].health.http, { path: '/', method: 'GET', expect_status: [200] });
  assert.equal(c.services[0].persistence, undefined);
  assert.deepEqual(c.services[1].health.dns, { query: 'example.net', record_type: 'A' });
  assert.deepEqual(c.services[1].persistence, { timeout: 300 });
  assert.deepEqual(c.services[1].forwarding.tunnel, { type: 'ipip' });
});

test('applyDefaults keeps wrong values for validation, turns null into the default, never throws', () => {
  const c = applyDefaults({ daemon: { reconcile_interval_ms: 'soon', limits: null }, services: [{ name: 'a', weight: 3, health: 'tcp', ports: ['7000-7010', '80', 'x'] }] }) as any;
  assert.equal(c.daemon.reconcile_interval_ms, 'soon');
  assert.deepEqual(c.daemon.limits, { max_services: 10000, max_ports_per_range: 4096 });
  assert.equal(c.services[0].weight, 3);
  assert.equal(c.services[0].health, 'tcp');
  assert.deepEqual(c.services[0].ports, [{ from: 7000, to: 7010 }, 80, 'x']);
  for (const junk of [null, undefined, 42, 'x', [], { services: 'x' }, { ha: { instances: [1] } }]) assert.doesNotThrow(() => applyDefaults(junk));
  const input = { services: [{ name: 'a', backends: [{ address: '192.0.2.1' }] }] };
  const out = applyDefaults(input);
  out.services[0].backends[0].weight = 9;
  assert.equal((input.services[0].backends[0] as any).weight, undefined, 'the input is not shared');
});
