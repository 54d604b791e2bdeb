import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, SVC_F_HASHED, type IpvsTableEntry } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { ActualState } from '../../../engine/actual.js';
import { compile } from '../../../engine/compile.js';
import { backendRef, NO_INPUTS } from '../../../engine/inputs.js';
import { plan, planLines } from '../../../engine/plan.js';
import { formatPlan } from '../../../present/plan.js';
import { config, service, web } from './helpers.js';

const NONE = new Set<string>();
/** Everything in `actual` recorded as lbctl's (as after lbctl created it): only then does the plan touch it. */
const ALL = (actual: ActualState) => new Set(actual.services.keys());

async function applied(cfg: ReturnType<typeof config>): Promise<{ dp: MemoryDataplane; actual: ActualState }> {
  const dp = new MemoryDataplane();
  const p = plan(compile(cfg), new ActualState(), NONE);
  const results = await dp.apply(p.steps.map((s) => s.op));
  assert.ok(results.every((r) => r.ok), JSON.stringify(results));
  return { dp, actual: ActualState.fromTable(await dp.readAll()) };
}

test('from empty: each service is created before its destinations', () => {
  const p = plan(compile(config({ services: [web(), service('api', { vip: '10.0.0.11', backends: [{ address: '10.0.2.1', port: 0, weight: 1 }] })] })), new ActualState(), NONE);
  assert.deepEqual(
    p.steps.map((s) => `${s.op.op} ${s.serviceId}${s.destId ? ' ' + s.destId : ''}`),
    [
      'newService tcp 10.0.0.10:80',
      'newDest tcp 10.0.0.10:80 10.0.1.1:8080',
      'newDest tcp 10.0.0.10:80 10.0.1.2:8080',
      'newService tcp 10.0.0.11:80',
      'newDest tcp 10.0.0.11:80 10.0.2.1:80',
    ],
  );
});

test('an unchanged configuration against the table the kernel reports gives an empty plan', async () => {
  const cfg = config({
    services: [
      web({ persistence: { timeout: 300, netmask: '255.255.255.0' }, scheduler: 'sh', scheduler_flags: ['sh-port'] }),
      service('v6', { vip: '2001:db8::10', backends: [{ address: '2001:db8::1:2', port: 80, weight: 70000 }] }),
      service('tun', { vip: '10.0.0.12', forwarding: { method: 'tunnel', tunnel: { type: 'gue', port: 6080 } }, backends: [{ address: '10.0.3.1', port: 80, weight: 1 }] }),
      service('dr', { vip: '10.0.0.13', forwarding: { method: 'dr' }, backends: [{ address: '10.0.4.1', port: 0, weight: 2147483647 }] }),
    ],
  });
  const { actual } = await applied(cfg);
  const again = plan(compile(cfg), actual, ALL(actual));
  assert.deepEqual(again.steps, [], formatPlan(again));
  assert.deepEqual(again.clashes, []);
});

test('a HASHED-only difference gives an empty plan', () => {
  const cfg = config({ services: [web({ backends: [] })] });
  const desired = compile(cfg);
  const svc = [...desired.services.values()][0].service;
  const actual = ActualState.fromTable([{ service: { ...svc, flags: svc.flags | SVC_F_HASHED }, dests: [] }]);
  const p = plan(desired, actual, ALL(actual));
  assert.deepEqual([p.steps, p.clashes], [[], []]);
});

test('kernel defaults are normalised: values the kernel ignores do not cause a SET', () => {
  const desired = compile(config({ services: [web({ backends: [{ address: '10.0.1.1', port: 8080, weight: 5 }] })] }));
  // As ipvsadm might have left it: a stray netmask and timeout on a non-persistent service, tunnel fields on a NAT dest.
  const table: IpvsTableEntry[] = [
    {
      service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 }, scheduler: 'wrr', flags: SVC_F_HASHED, timeout: 0, netmask: 0 },
      dests: [{ addr: '10.0.1.1', port: 8080, fwdMethod: FWD_MASQ, weight: 5, uThresh: 0, lThresh: 0, tunType: 0, tunPort: 0, tunFlags: 0, af: AF_INET }],
    },
  ];
  const actual = ActualState.fromTable(table);
  const p = plan(desired, actual, ALL(actual));
  assert.deepEqual([p.steps, p.clashes], [[], []]);
});

test('one backend down → exactly one SET of that destination, printed as weight 100→0', async () => {
  const cfg = config({ services: [web()] });
  const { actual } = await applied(cfg);
  const desired = compile(cfg, { ...NO_INPUTS, verdicts: new Map([[backendRef('web', '10.0.1.2', 8080), { state: 'down' }]]) });
  const p = plan(desired, actual, ALL(actual));
  assert.equal(p.steps.length, 1);
  assert.equal(p.steps[0].op.op, 'setDest');
  assert.deepEqual(planLines(p), ['  service tcp 10.0.0.10:80  (web)', '    ~ dest 10.0.1.2:8080 weight 100→0']);
});

test('order inside a changed service: removed dests, then the service SET, then dest SETs, then new dests', async () => {
  const { actual } = await applied(config({ services: [web()] }));
  const next = config({
    services: [web({ scheduler: 'lc', backends: [{ address: '10.0.1.2', port: 8080, weight: 50 }, { address: '10.0.1.3', port: 8080, weight: 1 }] })],
  });
  const p = plan(compile(next), actual, ALL(actual));
  assert.deepEqual(
    p.steps.map((s) => [s.op.op, s.destId, s.details.join(',')].filter(Boolean).join(' ')),
    ['delDest 10.0.1.1:8080', 'setService scheduler wrr→lc', 'setDest 10.0.1.2:8080 weight 100→50', 'newDest 10.0.1.3:8080 nat,weight 1'],
  );
  assert.deepEqual(planLines(p), [
    '~ service tcp 10.0.0.10:80 scheduler wrr→lc  (web)',
    '    - dest 10.0.1.1:8080',
    '    ~ dest 10.0.1.2:8080 weight 100→50',
    '    + dest 10.0.1.3:8080 nat weight 1',
  ], 'one header for the changed service, not an unsigned one and then a `~` one');
});

test('removed services go first, as one delete each (their destinations go with them)', async () => {
  const { actual } = await applied(config({ services: [web(), service('old', { vip: '10.0.0.20', backends: [{ address: '10.0.9.1', port: 1, weight: 1 }] })] }));
  const p = plan(compile(config({ services: [web(), service('new', { vip: '10.0.0.21', backends: [] })] })), actual, ALL(actual));
  assert.deepEqual(p.steps.map((s) => `${s.op.op} ${s.serviceId}`), ['delService tcp 10.0.0.20:80', 'newService tcp 10.0.0.21:80']);
});

test('ownership: a service neither declared nor recorded is foreign (no op, reported); a recorded one is removed', () => {
  const foreignSvc = { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '172.17.0.1', port: 443 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } as const;
  const actual = ActualState.fromTable([{ service: { ...foreignSvc, key: { ...foreignSvc.key } }, dests: [] }]);
  const desired = compile(config({ services: [] }));
  const p = plan(desired, actual, NONE);
  assert.deepEqual(p.steps, []);
  assert.deepEqual(p.foreign, ['tcp 172.17.0.1:443']);
  const owned = plan(desired, actual, new Set(['tcp 172.17.0.1:443']));
  assert.deepEqual(owned.steps.map((s) => s.op.op), ['delService']);
  assert.deepEqual(owned.foreign, []);
});

test('a declared but disabled service is removed from the kernel only if recorded as lbctl\'s', async () => {
  const { actual } = await applied(config({ services: [web()] }));
  const off = compile(config({ services: [web({ enabled: false })] }));
  const p = plan(off, actual, ALL(actual));
  assert.deepEqual(p.steps.map((s) => s.op.op), ['delService']);
  assert.deepEqual(p.clashes, []);
  // Declared is not owned: the same identity held by a service lbctl never created is left alone, and reported.
  const foreign = plan(off, actual, NONE);
  assert.deepEqual(foreign.steps, []);
  assert.deepEqual(foreign.foreign, ['tcp 10.0.0.10:80']);
  assert.deepEqual(foreign.clashes, [{ id: 'tcp 10.0.0.10:80', name: 'web', programmed: false, reason: 'disabled in the configuration' }]);
});

test('a programmed service clashing with a foreign one gets no operation unless adopting; adopting plans it normally', async () => {
  const { actual } = await applied(config({ services: [web()] }));
  const next = compile(config({ services: [web({ scheduler: 'lc' }), service('api', { vip: '10.0.0.11', backends: [] })] }));
  const p = plan(next, actual, NONE);
  assert.deepEqual(p.steps.map((s) => `${s.op.op} ${s.serviceId}`), ['newService tcp 10.0.0.11:80'], 'only the free identity is planned');
  assert.deepEqual(p.clashes!.map((c) => `${c.id} ${c.name} ${c.programmed}`), ['tcp 10.0.0.10:80 web true']);
  assert.deepEqual(p.adopted, []);
  assert.match(formatPlan(p), /^! service tcp 10\.0\.0\.10:80 exists and is not lbctl's: left alone \(declared by service web; adopt with `lbctl apply --adopt`/m);
  const a = plan(next, actual, NONE, { adopt: true });
  assert.deepEqual(a.steps.map((s) => `${s.op.op} ${s.serviceId}`), ['setService tcp 10.0.0.10:80', 'newService tcp 10.0.0.11:80']);
  assert.deepEqual([a.clashes, a.adopted, a.foreign], [[], ['tcp 10.0.0.10:80'], []]);
});

test('the printed plan reads as operations, summary and foreign services', async () => {
  const p = plan(compile(config({ services: [web({ backends: [{ address: '10.0.1.1', port: 8080, weight: 100 }] })] })), new ActualState(), NONE);
  assert.equal(
    formatPlan(p),
    ['+ service tcp 10.0.0.10:80 wrr  (web)', '    + dest 10.0.1.1:8080 nat weight 100', '2 operations: services +1 ~0 -0, destinations +1 ~0 -0', ''].join('\n'),
  );
});

test('compact printing folds a port range that changes alike, and only that', () => {
  const p = plan(
    compile(config({ vip: '192.0.2.1', services: [service('r', { ports: [{ from: 80, to: 83 }], backends: [{ address: '10.0.1.1', port: 0, weight: 1 }, { address: '10.0.1.2', port: 8080, weight: 1 }] }), service('two', { vip: '192.0.2.2', ports: [80, 81], backends: [] })] })),
    new ActualState(),
    NONE,
  );
  assert.deepEqual(formatPlan(p).split('\n').slice(0, 5), [
    '+ service tcp 192.0.2.1:80-83 wrr  (r, 4 services)',
    '    + dest 10.0.1.1:80-83 nat weight 1',
    '    + dest 10.0.1.2:8080 nat weight 1',
    '+ service tcp 192.0.2.2:80 wrr  (two)',
    '+ service tcp 192.0.2.2:81 wrr  (two)',
  ], 'fewer than three alike are printed one by one');
  assert.equal(planLines(p).length, 14, 'the exact form still has one line per op');
});
