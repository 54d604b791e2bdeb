// From configuration to targets: the port a backend is checked on, keys, and the lab predicate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDefinition, checkPort, healthTargets, targetKey } from '../../../engine/health/targets.js';
import { loopbackOnly } from '../../../engine/health/lab.js';
import { applyDefaults } from '../../../config/defaults.js';
import type { CheckDefinition } from '../../../engine/health/types.js';

test('the check port: health.port, else the backend port, else the service first port; none for fwmark', () => {
  const svc = (over: object) => ({ ports: [80, 443], port_ranges: [], health: { port: undefined as number | undefined }, ...over });
  assert.equal(checkPort(svc({ health: { port: 8080 } }) as never, { port: 81 }), 8080);
  assert.equal(checkPort(svc({ health: { port: 0 } }) as never, { port: 81 }), 81);
  assert.equal(checkPort(svc({}) as never, { port: 0 }), 80);
  assert.equal(checkPort(svc({ ports: [], port_ranges: [{ from: 7000, to: 7010 }] }) as never, { port: 0 }), 7000);
  assert.equal(checkPort(svc({ ports: [], fwmark: 5 }) as never, { port: 0 }), 0);
});

test('a key names type and endpoint and changes with any part of the check, not with key order', () => {
  const a: CheckDefinition = { type: 'http', interval_ms: 1000, timeout_ms: 300, fail_after: 3, recover_after: 2, http: { path: '/', method: 'GET', expect_status: [200] } };
  const reordered = JSON.parse(JSON.stringify({ http: { expect_status: [200], method: 'GET', path: '/' }, recover_after: 2, fail_after: 3, timeout_ms: 300, interval_ms: 1000, type: 'http' }));
  assert.equal(targetKey({ address: '127.0.0.1', port: 80 }, a), targetKey({ address: '127.0.0.1', port: 80 }, reordered));
  assert.match(targetKey({ address: '127.0.0.1', port: 80 }, a), /^http 127\.0\.0\.1:80 #[0-9a-f]{16}$/);
  assert.match(targetKey({ address: '::1', port: 80 }, a), /^http \[::1\]:80 #/);
  assert.notEqual(targetKey({ address: '127.0.0.1', port: 80 }, a), targetKey({ address: '127.0.0.1', port: 80 }, { ...a, fail_after: 4 }));
  assert.notEqual(targetKey({ address: '127.0.0.1', port: 80 }, a), targetKey({ address: '127.0.0.1', port: 81 }, a));
});

test('checkDefinition drops enabled and port: they choose targets, they are not part of the probe', () => {
  const config = applyDefaults({ services: [{ name: 'a', vip: '192.0.2.1', ports: [80], backends: [{ address: '2001:DB8::1' }], health: { port: 8080 } }] });
  assert.deepEqual(checkDefinition(config.services[0].health), { fail_after: 3, interval_ms: 1000, recover_after: 2, timeout_ms: 300, type: 'tcp' });
  const [t] = healthTargets(config);
  assert.deepEqual([t.address, t.port, t.users], ['2001:db8::1', 8080, [{ service: 'a', address: '2001:DB8::1', port: 0 }]]);
});

test('loopbackOnly: 127.0.0.0/8 and ::1, nothing else', () => {
  for (const a of ['127.0.0.1', '127.255.0.9', '::1', '0:0:0:0:0:0:0:1']) assert.equal(loopbackOnly(a), true, a);
  for (const a of ['192.0.2.1', '10.0.0.1', '128.0.0.1', '::', '::ffff:127.0.0.1', '2001:db8::1', 'localhost', '']) assert.equal(loopbackOnly(a), false, a);
});
