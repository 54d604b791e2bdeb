// Validation remembers frozen services whose own checks passed (the daemon's running revision is frozen and a
// candidate shares its unchanged services). Whatever is remembered, the errors must be those of a fresh check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateConfig } from '../../../config/validate.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';
import type { Config, Service } from '../../../config/model.js';
import { deepFreeze, seededRandom } from './helpers.js';

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

// The rules across services (names, identities, limits) are judged from the changes against an index of the last
// clean configuration (config/across-services.ts). A random walk of edits, each candidate sharing the frozen
// services of the last clean one: at every step the errors must be those of the whole pass (a locator that places
// nothing gives the whole pass with unlocated messages, and leaves the index alone).
// Lists frozen: as a daemon's candidates are (config/delta.ts); the index then takes what changed from what the
// lists' pair remembers instead of comparing every entry.
for (const frozenLists of [false, true])
test(`the index across services: a random walk of renames, moves, fwmarks, additions, removals and limits gives the whole pass's errors at every step${frozenLists ? ' (frozen lists)' : ''}`, () => {
  const rnd = seededRandom(13);
  const vips = ['192.0.2.1', '192.0.2.2'];
  const make = (k: number): Service => {
    const s: Service = rnd(6) === 0 ? { ...defaultService(`n${k}`), fwmark: 1 + rnd(8), backends: [{ ...defaultBackend('198.51.100.1'), port: 0 }] } : svc(`n${k}`, 80 + rnd(15), vips[rnd(2)]);
    if (s.fwmark === undefined && rnd(3) === 0) s.port_ranges = [{ from: 300 + rnd(20), to: 320 + rnd(20) }];
    return rnd(3) === 0 ? s : deepFreeze(s);
  };
  let clean: Config = (() => {
    const c = defaultConfig();
    c.vip = '192.0.2.1';
    c.services = [];
    for (let k = 0; k < 40; k++) c.services.push(deepFreeze(svc(`n${k}`, 1000 + k, vips[k % 2])));
    c.daemon = { ...c.daemon, limits: { ...c.daemon.limits, max_services: 46 } };
    return deepFreeze(c);
  })();
  const whole = (c: Config) => validateConfig(c, () => undefined).map((e) => `${e.path}: ${e.message}`);
  assert.deepEqual(memo(clean), []);
  let next = 40;
  let ok = 0;
  let failed = 0;
  for (let step = 0; step < 600; step++) {
    const services = clean.services.slice();
    let c: Config = { ...clean, services };
    for (let e = 1 + rnd(3); e > 0; e--) {
      const i = rnd(services.length);
      switch (rnd(10)) {
        case 0: services[i] = deepFreeze({ ...services[i], name: `n${rnd(40)}` }); break;
        case 1: services[i] = make(next++); break;
        case 2: services.push(make(next++)); break;
        case 3: if (services.length > 44) services.pop(); break;
        case 4: if (services.length > 44) services.splice(i, 1); break;
        case 5: services[i] = { ...services[i], backends: [{ ...defaultBackend('198.51.100.1'), port: 8080, weight: rnd(100) }] }; break;
        case 6: c = { ...c, daemon: { ...c.daemon, limits: { ...c.daemon.limits, max_services: 42 + rnd(5) * 3, ...(rnd(2) ? { max_ports_per_range: 15 + rnd(15) } : {}) } } }; break;
        case 7: if (rnd(10) === 0) c = { ...c, vip: vips[rnd(2)] }; break;
        case 9: { // a service's own rule broken (the same backend twice)
          const b = { ...defaultBackend('198.51.100.9'), port: 8080 };
          services[i] = deepFreeze({ ...services[i], backends: [b, { ...b }] });
          break;
        }
        default: services[i] = deepFreeze({ ...services[i] }); // the same content, another object
      }
    }
    if (frozenLists) c = { ...c, services: Object.freeze(services) as Service[] };
    const got = memo(c);
    assert.deepEqual(got, whole(c), `step ${step}`);
    if (got.length === 0) {
      ok++;
      clean = c;
    } else failed++;
  }
  // Both outcomes must have been walked through many times for the comparison to mean anything.
  assert.ok(ok > 60 && failed > 40, `clean ${ok}, with errors ${failed}`);
});
