// Programming by role (issue 10): which services a node programs for each combination of VRRP instance states,
// and the event path a transition takes (only the services of the instances that changed, re-planned from the
// cache: their ops, their ownership, no dump).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsService } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { Engine } from '../../../engine/engine.js';
import { compile } from '../../../engine/compile.js';
import { NO_INPUTS } from '../../../engine/inputs.js';
import { OWNERSHIP_FILE } from '../../../engine/ownership.js';
import { decide, servicesOfInstances, changedInstances } from '../../../engine/ha/programming.js';
import type { VrrpState } from '../../../engine/ha/types.js';
import { config, service, withStateDir } from './helpers.js';

const INSTANCES = [
  { name: 'vi1', vrid: 10, interface: 'eth0', vips: ['10.0.0.10'] },
  { name: 'vi2', vrid: 20, interface: 'eth0', vips: ['10.0.0.20', '2001:DB8::20'] },
];
const backends = [{ address: '10.0.1.1', port: 80, weight: 10 }];
/** a: held by vi1; b (two ports) and b6 (v6, written differently): vi2; free: no instance; mark: fwmark. */
const SERVICES = [
  service('a', { vip: '10.0.0.10', backends }),
  service('b', { vip: '10.0.0.20', ports: [80, 443], backends }),
  service('b6', { vip: '2001:db8:0::20', backends: [{ address: '2001:db8::1:1', port: 80, weight: 1 }] }),
  service('free', { vip: '10.0.0.30', backends }),
  service('mark', { fwmark: 7, vip: undefined, ports: [], backends }),
];
const masterOnly = (over = {}) => config({ ha: { source: 'keepalived', program: 'master-only', instances: INSTANCES, ...over }, services: SERVICES });
const states = (o: Record<string, VrrpState>) => new Map(Object.entries(o));
const programmed = (c = masterOnly(), s: Record<string, VrrpState> = {}) => {
  const d = compile(c, { ...NO_INPUTS, vrrp: states(s) });
  return [...d.services.keys()].filter((id) => !d.held?.has(id)).sort();
};
const heldIds = (c = masterOnly(), s: Record<string, VrrpState> = {}) => [...(compile(c, { ...NO_INPUTS, vrrp: states(s) }).held?.keys() ?? [])].sort();

const FREE = ['fwmark 7', 'tcp 10.0.0.30:80'];
const A = ['tcp 10.0.0.10:80'];
const B = ['tcp 10.0.0.20:443', 'tcp 10.0.0.20:80', 'tcp [2001:db8::20]:80'];
const sorted = (...xs: string[][]) => xs.flat().sort();

test('decide: Master programs, all Backup suppresses, unknown (or not reported) holds, no holder programs', () => {
  assert.deepEqual(decide(['vi1'], states({ vi1: 'master' })), { kind: 'program' });
  assert.equal(decide(['vi1'], states({ vi1: 'backup' })).kind, 'suppress');
  assert.equal(decide(['vi1'], states({ vi1: 'unknown' })).kind, 'hold');
  assert.equal(decide(['vi1'], states({})).kind, 'hold', 'an instance not reported yet is unknown');
  assert.equal(decide(['vi1', 'vi2'], states({ vi1: 'backup', vi2: 'master' })).kind, 'program', 'any Master holding the VIP programs it');
  assert.equal(decide(['vi1', 'vi2'], states({ vi1: 'backup', vi2: 'unknown' })).kind, 'hold');
  assert.equal(decide(['vi1', 'vi2'], states({ vi1: 'backup', vi2: 'backup' })).kind, 'suppress');
  assert.equal(decide([], states({})).kind, 'program');
  assert.equal(decide(undefined, states({})).kind, 'program');
});

test('compile, master-only: each state combination programs exactly the services of its Master instances, plus those no instance holds', () => {
  const cases: Array<[Record<string, VrrpState>, string[], string[]]> = [
    [{ vi1: 'master', vi2: 'master' }, sorted(FREE, A, B), []],
    [{ vi1: 'master', vi2: 'backup' }, sorted(FREE, A), []],
    [{ vi1: 'backup', vi2: 'master' }, sorted(FREE, B), []],
    [{ vi1: 'backup', vi2: 'backup' }, sorted(FREE), []],
    [{ vi1: 'unknown', vi2: 'backup' }, sorted(FREE), A],
    [{ vi1: 'master', vi2: 'unknown' }, sorted(FREE, A), B],
    [{}, sorted(FREE), sorted(A, B)],
  ];
  for (const [s, want, held] of cases) {
    assert.deepEqual(programmed(masterOnly(), s), want, JSON.stringify(s));
    assert.deepEqual(heldIds(masterOnly(), s), held, `held ${JSON.stringify(s)}`);
  }
  const d = compile(masterOnly(), { ...NO_INPUTS, vrrp: states({ vi1: 'backup', vi2: 'backup' }) });
  assert.equal(d.notProgrammed.get('a'), 'ha backup: instance vi1 (program: master-only)');
  assert.equal(d.declared.size, 6, 'suppressed services stay declared');
});

test('compile: program always, and source none, program everything whatever the states', () => {
  const all = sorted(FREE, A, B);
  assert.deepEqual(programmed(masterOnly({ program: 'always' }), { vi1: 'backup', vi2: 'backup' }), all);
  assert.deepEqual(programmed(masterOnly({ source: 'none' }), { vi1: 'backup', vi2: 'unknown' }), all);
  assert.deepEqual(heldIds(masterOnly({ program: 'always' }), {}), []);
});

test('servicesOfInstances and changedInstances name what a transition concerns', () => {
  assert.deepEqual([...servicesOfInstances(masterOnly(), new Set(['vi2']))], ['b', 'b6']);
  assert.deepEqual([...servicesOfInstances(masterOnly(), new Set(['vi1', 'vi2']))], ['a', 'b', 'b6']);
  assert.deepEqual([...changedInstances(states({ vi1: 'master', vi2: 'backup' }), states({ vi1: 'master', vi2: 'master', vi3: 'unknown' }))], ['vi2']);
});

const ids = async (dp: MemoryDataplane) => (await dp.readAll()).map((e) => ('fwmark' in e.service.key ? `fwmark ${e.service.key.fwmark}` : `${e.service.key.addr}:${e.service.key.port}`)).sort();
const recorded = async (dir: string) => (JSON.parse(await readFile(join(dir, OWNERSHIP_FILE), 'utf8')).services as Array<{ id: string }>).map((s) => s.id).sort();

test('a failover is one partial plan: the leaving instance\'s services deleted, the arriving one\'s created, ownership follows, no dump', () =>
  withStateDir(async (dir) => {
    const dp = new MemoryDataplane();
    const engine = new Engine({ dataplane: dp, stateDir: dir, inputs: { vrrp: states({ vi1: 'master', vi2: 'backup' }) } });
    await engine.start();
    assert.equal((await engine.commit(masterOnly())).ok, true);
    assert.deepEqual(await ids(dp), ['10.0.0.10:80', '10.0.0.30:80', 'fwmark 7']);
    assert.deepEqual(await recorded(dir), sorted(A, FREE));
    const reads = engine.metrics.fullReads;
    const sent = dp.messagesSent();

    const r = await engine.setVrrp(states({ vi1: 'backup', vi2: 'master' }));
    assert.equal(r?.ok, true);
    assert.deepEqual(
      r!.plan.steps.map((s) => `${s.op.op} ${s.serviceId}${s.destId ? ' ' + s.destId : ''}`),
      [
        'delService tcp 10.0.0.10:80',
        'newService tcp 10.0.0.20:80',
        'newDest tcp 10.0.0.20:80 10.0.1.1:80',
        'newService tcp 10.0.0.20:443',
        'newDest tcp 10.0.0.20:443 10.0.1.1:80',
        'newService tcp [2001:db8::20]:80',
        'newDest tcp [2001:db8::20]:80 [2001:db8::1:1]:80',
      ],
    );
    assert.deepEqual([...r!.plan.desired.declared.values()].map((d) => d.name).sort(), ['a', 'b', 'b', 'b6'], 'only the services of the instances that changed were compiled');
    assert.equal(dp.messagesSent() - sent, 7, 'one message per op');
    assert.equal(engine.metrics.fullReads, reads, 'no dump');
    assert.deepEqual(await ids(dp), ['10.0.0.20:443', '10.0.0.20:80', '10.0.0.30:80', '2001:db8::20:80', 'fwmark 7']);
    assert.deepEqual(await recorded(dir), sorted(B, FREE), 'the created services recorded, the deleted one gone from the record');
    assert.deepEqual(engine.plan(masterOnly()).steps, [], 'a full plan afterwards agrees: nothing left to do');

    // Same states again: nothing concerns any service.
    assert.equal(await engine.setVrrp(states({ vi1: 'backup', vi2: 'master' })), null);
    // Both Backup: only vi2's services go.
    const down = await engine.setVrrp(states({ vi1: 'backup', vi2: 'backup' }));
    assert.deepEqual(down!.plan.steps.map((s) => s.op.op), ['delService', 'delService', 'delService']);
    assert.deepEqual(await ids(dp), ['10.0.0.30:80', 'fwmark 7']);
    assert.deepEqual(await recorded(dir), FREE);
  }));

test('unknown keeps what is programmed: present services stay (and follow a commit), absent ones are not added', async () => {
  const dp = new MemoryDataplane();
  const engine = new Engine({ dataplane: dp, stateDir: null, inputs: { vrrp: states({ vi1: 'master', vi2: 'backup' }) } });
  await engine.start();
  await engine.commit(masterOnly());
  const before = await ids(dp);
  const r = await engine.setVrrp(states({ vi1: 'unknown', vi2: 'unknown' }));
  assert.deepEqual(r!.plan.steps, [], 'nothing added, nothing removed');
  assert.deepEqual(await ids(dp), before);
  assert.match(engine.status().services.find((s) => s.name === 'b')?.reason ?? '', /instance vi2 unknown .*kept as it is \(not in the kernel\)/);
  // A commit while unknown changes the held service that is there, and still adds none.
  const next = config({ ha: { source: 'keepalived', program: 'master-only', instances: INSTANCES }, services: SERVICES.map((s) => (s.name === 'a' || s.name === 'b' ? { ...s, backends: [{ address: '10.0.1.1', port: 80, weight: 55 }] } : s)) });
  const c = await engine.commit(next);
  assert.deepEqual(c.plan.steps.map((s) => `${s.op.op} ${s.serviceId}`), ['setDest tcp 10.0.0.10:80']);
  // Master again for vi2: its services are created now.
  const m = await engine.setVrrp(states({ vi1: 'unknown', vi2: 'master' }));
  assert.deepEqual(m!.plan.steps.filter((s) => s.what === 'service').map((s) => s.serviceId), ['tcp 10.0.0.20:80', 'tcp 10.0.0.20:443', 'tcp [2001:db8::20]:80']);
});

test('a transition never touches a foreign service at a VIP it concerns: reported as a clash, the rest applied', async () => {
  const dp = new MemoryDataplane();
  const human: IpvsService = { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.20', port: 443 }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff };
  await dp.apply([{ op: 'newService', service: human }, { op: 'newDest', key: human.key, dest: { addr: '10.9.9.9', port: 443, fwdMethod: FWD_MASQ, weight: 3, uThresh: 0, lThresh: 0 } }]);
  const engine = new Engine({ dataplane: dp, stateDir: null, inputs: { vrrp: states({ vi1: 'master', vi2: 'backup' }) } });
  await engine.start();
  await engine.commit(masterOnly());
  const up = await engine.setVrrp(states({ vi1: 'master', vi2: 'master' }));
  assert.equal(up?.ok, true);
  assert.deepEqual(up!.plan.clashes!.map((c) => `${c.id} ${c.programmed}`), ['tcp 10.0.0.20:443 true']);
  assert.equal(up!.plan.steps.some((s) => s.serviceId === 'tcp 10.0.0.20:443'), false);
  await engine.setVrrp(states({ vi1: 'master', vi2: 'backup' }));
  const still = (await dp.readAll()).find((e) => 'port' in e.service.key && e.service.key.port === 443);
  assert.deepEqual(still?.dests.map((d) => `${d.addr} w${d.weight}`), ['10.9.9.9 w3'], 'the human\'s service is as it was');
});
