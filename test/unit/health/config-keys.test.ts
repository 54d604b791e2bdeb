// The service keys of issue 14: slow_start_s, quorum, sorry. Located errors at validation; the compiled table
// programs the sorry backend only below quorum.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import { parseSorry, validateConfig } from '../../../config/validate.js';
import { compile } from '../../../engine/compile.js';
import { NO_INPUTS } from '../../../engine/inputs.js';
import { parseConfigText } from '../../../config/load.js';
import { formatConfigError } from '../../../config/errors.js';

const loadConfigFromText = (text: string) => parseConfigText(text, 'config.yaml').errors.map(formatConfigError);

const svc = (extra: Record<string, unknown>) =>
  applyDefaults({
    vip: '192.0.2.10',
    services: [{ name: 'web', ports: [80], backends: [{ address: '192.0.2.21', port: 80 }, { address: '192.0.2.22', port: 80 }], ...extra }],
  });
const errors = (extra: Record<string, unknown>) => validateConfig(svc(extra)).map((e) => `${e.path}: ${e.message}`);

test('parseSorry: address, address:port, [v6]:port; nothing else', () => {
  assert.deepEqual(parseSorry('192.0.2.9'), { address: '192.0.2.9', port: 0 });
  assert.deepEqual(parseSorry('192.0.2.9:8080'), { address: '192.0.2.9', port: 8080 });
  assert.deepEqual(parseSorry('2001:db8::9'), { address: '2001:db8::9', port: 0 });
  assert.deepEqual(parseSorry('[2001:db8::9]:443'), { address: '2001:db8::9', port: 443 });
  for (const bad of ['sorry.example', '192.0.2.9:99999', '[192.0.2.9]:80', '192.0.2.9:', '']) assert.equal(parseSorry(bad), null, bad);
});

test('valid keys pass', () => {
  assert.deepEqual(errors({ slow_start_s: 30, quorum: 2, sorry: '192.0.2.9:8080' }), []);
});

test('bad sorry and quorum values are located errors', () => {
  assert.deepEqual(errors({ sorry: 'maintenance.example' }), ['services[0].sorry: "maintenance.example" is not an address, address:port or [IPv6]:port']);
  assert.deepEqual(errors({ sorry: '224.0.0.1' }), ['services[0].sorry: 224.0.0.1 is a multicast address (224.0.0.0/4): IPVS cannot use it as a backend']);
  assert.deepEqual(errors({ sorry: '2001:db8::9' }), ['services[0].sorry: IPv6 sorry backend behind an IPv4 service: mixing families needs forwarding method tunnel']);
  assert.deepEqual(errors({ sorry: '192.0.2.21' }), ['services[0].sorry: the sorry backend 192.0.2.21:80 is also backends[0]: use another server']);
  assert.deepEqual(errors({ sorry: '192.0.2.9:8080', forwarding: { method: 'dr' } }), ['services[0].sorry: dr forwarding cannot change the destination port: leave the port out (the service port)']);
  assert.deepEqual(errors({ quorum: 3 }), ['services[0].quorum: quorum 3 is more than the 2 enabled backend(s): the sorry backend would always serve']);
  assert.deepEqual(errors({ quorum: 0 }).length, 1);
  assert.deepEqual(errors({ slow_start_s: -1 }).length, 1);
});

test('errors carry file, line and column from YAML', () => {
  const loaded = loadConfigFromText(`vip: 192.0.2.10
services:
  - name: web
    ports: [80]
    sorry: not-an-address
    backends:
      - {address: 192.0.2.21}
`);
  assert.equal(loaded.length, 1);
  assert.match(loaded[0], /^config\.yaml:5:12: services\[0\]\.sorry: "not-an-address" is not an address/);
});

test('compile: the sorry backend is in the table only below quorum, alone with a weight', () => {
  const c = svc({ quorum: 2, sorry: '192.0.2.9' });
  const dests = (verdicts: Map<string, { state: 'down' }>) =>
    [...[...compile(c, { ...NO_INPUTS, verdicts }).services.values()][0].dests.values()].map((d) => `${d.dest.addr}:${d.dest.port} ${d.dest.weight}`);
  assert.deepEqual(dests(new Map()), ['192.0.2.21:80 1', '192.0.2.22:80 1']);
  assert.deepEqual(dests(new Map([['web/192.0.2.22:80', { state: 'down' }]])), ['192.0.2.21:80 0', '192.0.2.22:80 0', '192.0.2.9:80 1']);
});
