// Schema errors: what the operator reads. Every expectation is the exact line lbctl prints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigError, loadConfigTexts } from '../../../config/load.js';
import { validateConfig } from '../../../config/validate.js';
import { applyDefaults } from '../../../config/defaults.js';
import type { Config } from '../../../config/model.js';
import { FIVE_MISTAKES, FIVE_MISTAKES_ERRORS } from './helpers.js';


test('a file with five different mistakes yields five located errors, in file order', () => {
  const r = loadConfigTexts([{ path: 'config.d/web.yaml', text: FIVE_MISTAKES }]);
  assert.equal(r.config, null);
  assert.deepEqual(r.errors.map(formatConfigError), FIVE_MISTAKES_ERRORS);

});

function validOne(): Config {
  return applyDefaults({ vip: '192.0.2.1', services: [{ name: 'a', ports: [80], backends: [{ address: '192.0.2.10' }] }] });
}

/** Validates a mutated copy of a valid configuration and returns `path: message` lines. */
function errorsAfter(mutate: (c: any) => void): string[] {
  const c = validOne() as any;
  mutate(c);
  return validateConfig(c).map(formatConfigError);
}

test('the base configuration of these tests is valid', () => {
  assert.deepEqual(errorsAfter(() => {}), []);
});

test('type errors name what was expected and what was found', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].enabled = 'yes';
      c.services[0].backends[0].port = 'http';
      c.services[0].ports = 80;
      c.services[0].health = 'tcp';
      c.daemon.limits = [];
    }),
    [
      'daemon.limits: must be a mapping, got a list',
      'services[0].enabled: must be true or false, got "yes" (YAML 1.2 reads yes/no/on/off as text: write true or false)',
      'services[0].ports: must be a list, got 80',
      'services[0].backends[0].port: must be an integer 0..65535, got "http"',
      'services[0].health: must be a mapping, got "tcp"',
    ],
  );
});

test('enums suggest the nearest value; unknown keys suggest the nearest key, swapped letters included', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].scheduler = 'wrrr';
      c.services[0].forwarding.method = 'direct';
      c.services[0].helth = {};
      c.observability.prometheus.prot = 1;
    }),
    [
      'observability.prometheus.prot: unknown key "prot" (did you mean "port"?)',
      'services[0].helth: unknown key "helth" (did you mean "health"?)',
      'services[0].scheduler: must be one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos, got "wrrr" (did you mean "wrr"?)',
      'services[0].forwarding.method: must be one of nat, dr, tunnel, got "direct"',
    ],
  );
});

test('required fields, names, port specs and ranges', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      delete c.services[0].backends[0].address;
      c.services[0].name = 'x'.repeat(65);
      c.services[0].description = 'ok';
      c.node.name = 'lb 1';
      c.services[0].ports = [0, { from: 1, to: 70000 }, '80-', 443];
      c.services[0].backends.push({ address: '2001:db8::1', port: 80, weight: 2147483648, enabled: true });
    }),
    [
      'node.name: must match ^[A-Za-z0-9._-]+$, got "lb 1"',
      'services[0].name: must be at most 64 characters, got 65',
      'services[0].ports[0]: port must be 1..65535, got 0',
      'services[0].ports[1]: range ports must be 1..65535, got 1-70000',
      'services[0].ports[2]: must be a port 1..65535 or a range FROM-TO (7543-7814), got "80-"',
      'services[0].backends[0].address: is required',
      'services[0].backends[1].weight: must be 0..2147483647, got 2147483648',
      'services[0].backends[1].address: IPv6 backend behind an IPv4 service: mixing families needs forwarding method tunnel',
    ],
  );
});

test('missing required keys point at the mapping that lacks them', () => {
  const r = loadConfigTexts([{ path: 'config.d/a.yaml', text: 'services:\n  - ports: [80]\n    vip: 192.0.2.1\n    backends:\n      - weight: 3\n' }]);
  assert.deepEqual(r.errors.map(formatConfigError), [
    'config.d/a.yaml:2:5: services[0].name: is required',
    'config.d/a.yaml:5:9: services[0].backends[0].address: is required',
  ]);
});

test('netmask: an IPv4 mask must be contiguous; a prefix length 1..128 (1..32 for IPv4: validate-cross)', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].persistence = { timeout: 0, netmask: '255.0.255.0' };
    }),
    [
      'services[0].persistence.timeout: must be 1..2678400, got 0',
      'services[0].persistence.netmask: must be an IPv4 mask (255.255.255.0) or a prefix length (1..32 for IPv4, 1..128 for IPv6), got "255.0.255.0"',
    ],
  );
  assert.deepEqual(errorsAfter((c) => void (c.services[0].persistence = { timeout: 60, netmask: '255.255.255.0' })), []);
});

test('a model that is not even an object is reported, not thrown on', () => {
  assert.deepEqual(validateConfig(42 as unknown as Config).map(formatConfigError), ['must be a mapping, got 42']);
  assert.deepEqual(validateConfig(applyDefaults({ services: [null, 'x'] })).map(formatConfigError), [
    'services[0]: must be a mapping, got null',
    'services[1]: must be a mapping, got "x"',
  ]);
});

test('namedLocator: errors of a shell candidate name services and backends as the operator typed them', async () => {
  const { namedLocator } = await import('../../../config/named-path.js');
  const c = applyDefaults({ vip: '192.0.2.1', services: [{ name: 'web', ports: [80, 0], backends: [{ address: '192.0.2.10', weight: -1 }] }] });
  assert.deepEqual(validateConfig(c, namedLocator(c)).map(formatConfigError), [
    'services web ports[1]: port must be 1..65535, got 0',
    'services web backends 192.0.2.10 weight: must be 0..2147483647, got -1',
  ]);
});
