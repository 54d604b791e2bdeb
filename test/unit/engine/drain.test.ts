// The pure decisions of maintenance drains (engine/drain/decide.ts): where a drain goes as its active connections
// fall and time passes, what the engine programs for a set of drains, which backends a request names, and how
// the connections of a backend are summed over the IPVS services of its configuration service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import { activeConnections, drainAdmin, drainStep, matchBackends, type DrainRecord } from '../../../engine/drain/decide.js';
import { compile } from '../../../engine/compile.js';
import { NO_INPUTS } from '../../../engine/inputs.js';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsTableEntry } from '../../../netlink/dataplane.js';
import { zeroStats } from '../../../netlink/memory.js';

const SINCE = '2026-01-01T10:00:00.000Z';
const at = (seconds: number) => new Date(Date.parse(SINCE) + seconds * 1000);
const draining = (extra: Partial<DrainRecord> = {}): DrainRecord => ({
  service: 'web',
  address: '198.51.100.11',
  port: 80,
  state: 'draining',
  then: 'hold',
  since: SINCE,
  user: 'ops',
  ...extra,
});

const config = applyDefaults({
  vip: '192.0.2.10',
  services: [
    {
      name: 'web',
      protocol: 'tcp',
      ports: [80, 443],
      backends: [
        { address: '198.51.100.11', port: 0, weight: 100 },
        { address: '198.51.100.12', port: 0, weight: 50 },
        { address: '198.51.100.13', port: 0, weight: 10, enabled: false },
      ],
    },
    { name: 'api', protocol: 'tcp', ports: [8080], backends: [{ address: '198.51.100.11', port: 8080, weight: 7 }] },
  ],
});

test('connections falling: draining while any is active, drained at the first 0', () => {
  const r = draining();
  const seen = [12, 7, 3, 1, 0].map((n, i) => drainStep(r, n, at(i * 10)));
  assert.deepEqual(seen, [null, null, null, null, { state: 'drained', why: 'no active connections' }]);
});

test('a timeout ends a drain with connections left, not a second before', () => {
  const r = draining({ timeoutS: 300 });
  assert.equal(drainStep(r, 5, at(299.999)), null);
  assert.deepEqual(drainStep(r, 5, at(300)), { state: 'drained', why: 'timeout' });
  // Without a timeout it waits for the connections however long it takes.
  assert.equal(drainStep(draining(), 5, at(86_400 * 30)), null);
});

test('a backend with no destination in the table has nothing to wait for; a drained one stays drained', () => {
  assert.deepEqual(drainStep(draining(), null, at(0)), { state: 'drained', why: 'no active connections' });
  assert.equal(drainStep(draining({ state: 'drained', why: 'timeout' }), 0, at(1)), null);
});

test('the engine keeps draining and held backends at weight 0 and removes drained ones with then remove', () => {
  const admin = drainAdmin([
    draining(),
    draining({ address: '198.51.100.12', port: 0, state: 'drained', then: 'hold' }),
    draining({ service: 'api', port: 8080, state: 'drained', then: 'remove' }),
    draining({ address: '198.51.100.14', then: 'remove' }),
  ]);
  assert.deepEqual([...admin.drainedBackends!], ['web/198.51.100.11:80', 'web/198.51.100.12:0', 'web/198.51.100.14:80']);
  assert.deepEqual([...admin.disabledBackends!], ['api/198.51.100.11:8080']);
  // What compile makes of it: weight 0 kept in IPVS (connections stay), the configured weight elsewhere.
  const desired = compile(config, { ...NO_INPUTS, admin: drainAdmin([draining({ port: 0 })]) });
  const weights = [...desired.services.values()].flatMap((s) => [...s.dests.values()].map((d) => `${s.name} ${d.id} ${d.dest.weight}`));
  assert.deepEqual(weights, [
    'web 198.51.100.11:80 0',
    'web 198.51.100.12:80 50',
    'web 198.51.100.11:443 0',
    'web 198.51.100.12:443 50',
    'api 198.51.100.11:8080 7',
  ]);
});

test('a request names the enabled backends at the address, narrowed by port and service', () => {
  assert.deepEqual(matchBackends(config, { address: '198.51.100.11' }), [
    { service: 'web', address: '198.51.100.11', port: 0, weight: 100 },
    { service: 'api', address: '198.51.100.11', port: 8080, weight: 7 },
  ]);
  assert.deepEqual(matchBackends(config, { address: '198.51.100.11', service: 'api' }), [{ service: 'api', address: '198.51.100.11', port: 8080, weight: 7 }]);
  assert.deepEqual(matchBackends(config, { address: '198.51.100.11', port: 443 }), []);
  assert.deepEqual(matchBackends(config, { address: '198.51.100.13' }), [], 'a disabled backend is not drained');
});

test('active connections are summed over every IPVS service of the configuration service', () => {
  const dest = (addr: string, port: number, active: number) => ({ addr, port, fwdMethod: FWD_MASQ, weight: 0, uThresh: 0, lThresh: 0, activeConns: active, stats: zeroStats() });
  const entry = (port: number, dests: ReturnType<typeof dest>[]): IpvsTableEntry => ({
    service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff, stats: zeroStats() },
    dests,
  });
  const table = [entry(80, [dest('198.51.100.11', 80, 3), dest('198.51.100.12', 80, 9)]), entry(443, [dest('198.51.100.11', 443, 2)]), entry(8080, [dest('198.51.100.11', 8080, 40)])];
  const names = new Map([...compile(config).declared].map(([id, d]) => [id, d.name]));
  const counts = activeConnections([draining({ port: 0 }), draining({ service: 'api', port: 8080 }), draining({ address: '198.51.100.99', port: 0 })], table, names);
  assert.deepEqual([...counts], [
    ['web/198.51.100.11:0', 5],
    ['api/198.51.100.11:8080', 40],
    ['web/198.51.100.99:0', null],
  ]);
});
