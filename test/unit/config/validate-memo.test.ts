// Validation remembers frozen services whose own checks passed (the daemon's running revision is frozen and a
// candidate shares its unchanged services). Whatever is remembered, the errors must be those of a fresh check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../config/validate.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';
import type { Config, Service } from '../../../config/model.js';

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

function svc(name: string, port: number, vip?: string): Service {
  return { ...defaultService(name), ...(vip ? { vip } : {}), ports: [port], backends: [{ ...defaultBackend('198.51.100.1'), port: 8080 }] };
}

function running(): Config {
  const c = defaultConfig();
  c.vip = '192.0.2.1';
  c.services = [svc('a', 80), svc('b', 81), svc('c', 82)];
  return deepFreeze(c);
}

const fresh = (c: Config) => validateConfig(structuredClone(c)).map((e) => `${e.path}: ${e.message}`);
const memo = (c: Config) => validateConfig(c).map((e) => `${e.path}: ${e.message}`);

test('a remembered service is not re-checked, and every error of a fresh check is still found', () => {
  const base = running();
  assert.deepEqual(memo(base), []);
  // One changed service with an error, the others shared (frozen, remembered).
  const bad = { ...base, services: [base.services[0], { ...base.services[1], scheduler: 'fastest' as never }, base.services[2]] };
  assert.deepEqual(memo(bad), fresh(bad));
  assert.equal(memo(bad).length, 1);
  // A shared service now clashing with a new one (checks across services run whole).
  const clash = { ...base, services: [...base.services, svc('d', 80)] };
  assert.deepEqual(memo(clash), fresh(clash));
  assert.match(memo(clash).join('\n'), /already served by service "a"/);
  // The same name twice.
  const twice = { ...base, services: [...base.services, base.services[0]] };
  assert.deepEqual(memo(twice), fresh(twice));
  assert.equal(memo(twice).length >= 1, true);
  // Remembered with a top-level vip: without it, the services that name none need one.
  const noVip = { ...base, vip: undefined };
  assert.deepEqual(memo(noVip), fresh(noVip));
  assert.equal(memo(noVip).length, 3);
  // Moved to another index: messages that name positions must name the new ones.
  const moved = { ...base, services: [svc('z', 90, '192.0.2.9'), ...base.services] };
  assert.deepEqual(memo(moved), fresh(moved));
});

test('remembered identities (vip, protocol, port per frozen service): a new vip, a range and reordered services give a fresh check\'s errors', () => {
  const base = running();
  assert.deepEqual(memo(base), []);
  // The top-level vip moved: the shared services' identities are on the new address now.
  const moved = { ...base, vip: '192.0.2.2', services: [...base.services, svc('e', 80, '192.0.2.2')] };
  assert.deepEqual(memo(moved), fresh(moved));
  assert.deepEqual(memo(moved), ['services[3].ports[0]: 192.0.2.2 tcp port 80 is already served by service "a" (services[0].ports[0])']);
  // A frozen range over the shared services' ports: one message per earlier owner.
  const range = deepFreeze({ ...svc('r', 1), ports: [{ from: 80, to: 85 }] });
  const withRange = { ...base, services: [...base.services, range] };
  assert.deepEqual(memo(withRange), fresh(withRange));
  assert.equal(memo(withRange).length, 3);
  // The same frozen objects in another order: the paths and owners are those of their new places.
  const reordered = { ...base, services: [range, base.services[2], base.services[1], base.services[0]] };
  assert.deepEqual(memo(reordered), fresh(reordered));
  assert.match(memo(reordered).join('\n'), /^services\[1\]\.ports\[0\]: 192\.0\.2\.1 \(the default vip\) tcp port 82 is already served by service "r"/);
});
