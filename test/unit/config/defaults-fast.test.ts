// applyDefaults builds each service in one pass (config/defaults.ts serviceWithDefaults). It must give exactly the
// model of the generic path it replaced (genericDefaults, the previous applyDefaults), key order included, for valid
// services and for every kind of wrong one: nulls, wrong types, unknown keys at any depth, port texts. Seeded:
// LBCTL_PROPERTY_SEED replays a run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, genericDefaults as oracleApplyDefaults } from '../../../config/defaults.js';
import { prng, randomValidConfig, type Rand } from '../../support/random-config.js';

type Obj = Record<string, unknown>;
const seed = Number(process.env.LBCTL_PROPERTY_SEED ?? Date.now() % 2147483647);

const JUNK: (() => unknown)[] = [
  () => null,
  () => undefined,
  () => 'x',
  () => '80',
  () => '7000-7010',
  () => 0,
  () => -1,
  () => true,
  () => [],
  () => ({}),
  () => [1, '80', '7000-7010', 'x', { from: 1, to: 2 }, null],
  () => ({ nope: 1 }),
  () => ({ enabled: null, type: 'http' }),
  () => ({ type: 'dns', dns: { query: 'a.example', record_type: null } }),
  () => ({ method: null, tunnel: { type: null, csum: 'csum' } }),
  () => ({ timeout: null, netmask: 24 }),
  () => [{ address: '192.0.2.1', port: null, weight: null }, 'backend', { address: '192.0.2.2', wieght: 3 }],
];
const KEYS = ['name', 'vip', 'fwmark', 'protocol', 'ports', 'port_ranges', 'scheduler', 'scheduler_flags', 'persistence', 'forwarding', 'tunnel', 'health', 'http', 'dns', 'backends', 'weight', 'port', 'enabled', 'expect_status', 'type', 'method', 'servics', 'constructor', 'toString'];

/** Changes a few places of `v` at any depth: a value replaced by junk, a key removed, a key (known or not) added. */
function mutate(r: Rand, v: unknown, depth = 0): unknown {
  if (Array.isArray(v)) return v.map((x) => (r() < 0.3 ? mutate(r, x, depth + 1) : x));
  if (typeof v !== 'object' || v === null) return r() < 0.2 ? JUNK[Math.floor(r() * JUNK.length)]() : v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v as Obj)) {
    const roll = r();
    if (roll < 0.05) continue;
    out[k] = roll < 0.12 ? JUNK[Math.floor(r() * JUNK.length)]() : roll < 0.4 ? mutate(r, x, depth + 1) : x;
  }
  if (r() < 0.1) out[KEYS[Math.floor(r() * KEYS.length)]] = JUNK[Math.floor(r() * JUNK.length)]();
  return out;
}

/** Equal as data and in key order at every level. */
function assertSameModel(got: unknown, want: unknown, what: string): void {
  assert.deepStrictEqual(got, want, what);
  const order = (x: unknown): unknown =>
    Array.isArray(x) ? x.map(order) : typeof x === 'object' && x !== null ? Object.entries(x).map(([k, y]) => [k, order(y)]) : x;
  assert.deepStrictEqual(order(got), order(want), `${what}: key order`);
}

test(`applyDefaults gives the generic path's model for valid and broken services (seed ${seed})`, (t) => {
  t.diagnostic(`seed ${seed} (LBCTL_PROPERTY_SEED=${seed} replays it)`);
  const r = prng(seed);
  for (let i = 0; i < 400; i++) {
    const valid = randomValidConfig(r, '/tmp/audit.jsonl', { maxServices: 6 });
    const input = i % 4 === 0 ? valid : mutate(r, valid);
    assertSameModel(applyDefaults(input), oracleApplyDefaults(input), `case ${i}: ${JSON.stringify(input)}`);
  }
});

test('applyDefaults: the edges of the one-pass builder', () => {
  const cases: unknown[] = [
    { services: [{ name: 'a', health: { type: 'https', http: null } }, { name: 'b', health: { type: 'http', http: 5 } }] },
    { services: [{ name: 'a', protocol: 'udp' }, { name: 'b', protocol: null }, { name: 'c', protocol: 7 }, { name: 'd', protocol: 'TCP' }] },
    { services: [{ name: 'a', forwarding: { tunnel: null } }, { name: 'b', forwarding: 'dr' }, { name: 'c', forwarding: { method: 'tunnel', tunnel: [] } }] },
    { services: [{ name: 'a', ports: '80' }, { name: 'b', ports: ['80', ' 7000 - 7010 ', 'http'], port_ranges: null }] },
    { services: [{ name: 'a', health: { http: { path: null, expect_status: [200, '204'] }, type: 'http' } }] },
    { services: [{ name: 'a', constructor: null }, { name: 'b', health: { constructor: 1 } }, { name: 'c', backends: [{ address: '192.0.2.1', toString: null }] }] },
    { services: [{ name: 'a', persistence: null }, { name: 'b', persistence: 300 }, { name: 'c', persistence: { netmask: null } }] },
    { services: [null, 5, 'x', [], { name: 'a', backends: 'none' }, { name: 'b', backends: [null, 3] }] },
    { vip: '192.0.2.1', daemon: null, services: [{ name: 'a', vip: { v: 1 }, weight: 3, health: 'tcp' }] },
  ];
  for (const c of cases) assertSameModel(applyDefaults(c), oracleApplyDefaults(c), JSON.stringify(c));
});

test('applyDefaults shares nothing with its input, inside services too', () => {
  const flags = ['sh-port'];
  const input = { services: [{ name: 'a', scheduler_flags: flags, ports: [{ from: 1, to: 2 }], vip: { odd: [1] }, health: { type: 'http', http: { expect_status: [200] } } }] };
  const out = applyDefaults(input) as unknown as { services: Obj[] };
  const s = out.services[0] as { scheduler_flags: string[]; ports: unknown[]; vip: unknown; health: { http: { expect_status: number[] } } };
  assert.notEqual(s.scheduler_flags, flags);
  assert.notEqual(s.ports[0], input.services[0].ports[0]);
  assert.notEqual(s.vip, input.services[0].vip);
  assert.notEqual(s.health.http.expect_status, input.services[0].health.http.expect_status);
});
