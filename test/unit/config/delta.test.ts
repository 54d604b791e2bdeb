// The commit delta (config/delta.ts): what a client sends the daemon instead of the whole candidate. Rebuilding
// the candidate from the base and the delta must give back exactly the candidate, services in the same order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyConfigDelta, changedInPlace, configDelta, servicesByName } from '../../../config/delta.js';
import { renderCompare } from '../../../config/diff.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';
import type { Config } from '../../../config/model.js';
import { deepFreeze, seededRandom } from './helpers.js';

function base(n = 5): Config {
  const c = defaultConfig();
  c.vip = '192.0.2.1';
  c.services = Array.from({ length: n }, (_, i) => ({ ...defaultService(`s${i}`), ports: [80 + i], backends: [{ ...defaultBackend(`198.51.100.${i + 1}`), port: 8080 }] }));
  return c;
}

test('a one-weight change is one service in the delta, and rebuilds to the candidate sharing the rest', () => {
  const b = base(1000);
  const cand = structuredClone(b);
  cand.services[500].backends[0].weight = 7;
  const d = configDelta(b, cand)!;
  assert.deepEqual(d.services.map((s) => s.name), ['s500']);
  assert.deepEqual([d.removed, d.unset, Object.keys(d.set), d.order], [[], [], [], undefined]);
  assert.ok(JSON.stringify(d).length < 1000, 'a few hundred bytes, not the whole configuration');
  const rebuilt = applyConfigDelta(b, JSON.parse(JSON.stringify(d)));
  assert.deepEqual(rebuilt, cand);
  assert.equal(rebuilt.services[499], b.services[499], 'unchanged services are the base\'s own objects');
});

test('added, removed, reordered services and changed or removed sections rebuild exactly', () => {
  const b = base(4);
  const cand = structuredClone(b);
  cand.services.splice(1, 1); // s1 goes
  cand.services.unshift({ ...defaultService('new0'), ports: [9000], backends: [] }); // a new one first: order changes
  cand.services.push({ ...defaultService('new1'), ports: [9001], backends: [] });
  delete cand.vip;
  cand.node.name = 'lb9';
  const d = configDelta(b, cand)!;
  assert.deepEqual(d.removed, ['s1']);
  assert.deepEqual(d.unset, ['vip']);
  assert.deepEqual(Object.keys(d.set), ['node']);
  assert.deepEqual(d.order, ['new0', 's0', 's2', 's3', 'new1']);
  assert.deepEqual(applyConfigDelta(b, JSON.parse(JSON.stringify(d))), cand);
  // Appended at the end: no order needed.
  const c2 = structuredClone(b);
  c2.services.push({ ...defaultService('z'), ports: [1], backends: [] });
  const d2 = configDelta(b, c2)!;
  assert.equal(d2.order, undefined);
  assert.deepEqual(applyConfigDelta(b, d2), c2);
});

test('names that do not identify services: no delta (the whole candidate goes); a delta that does not fit is refused', () => {
  const b = base(2);
  const dup = structuredClone(b);
  dup.services[1].name = 's0';
  assert.equal(configDelta(b, dup), null);
  assert.throws(() => applyConfigDelta(b, { set: {}, unset: [], services: [], removed: [], order: ['s0', 'ghost'] }), /ghost/);
});

test('services kept in place (the usual commit): found by identity, and the same delta, rebuild and diff as the general path', () => {
  const b = deepFreeze(base(6)); // the daemon's revision: frozen, its index by name remembered
  const shared = (change: (list: Config['services']) => Config['services']): Config => ({ ...b, services: change([...b.services]) });
  const withWeight = (i: number, w: number) => ({ ...b.services[i], backends: [{ ...b.services[i].backends[0], weight: w }] });
  const cases: Array<[string, Config]> = [
    ['one changed in place', shared((l) => ((l[2] = withWeight(2, 9)), l))],
    ['a copy equal to its base (no change)', shared((l) => ((l[3] = structuredClone(b.services[3])), l))],
    ['two changed, a section too', { ...shared((l) => ((l[0] = withWeight(0, 3)), (l[5] = withWeight(5, 4)), l)), vip: '192.0.2.2' }],
    ['a rename in place (not in place by name: the general path)', shared((l) => ((l[1] = { ...b.services[1], name: 'renamed' }), l))],
    ['a service added at the end', shared((l) => [...l, { ...b.services[0], name: 'new', ports: [99] }])],
    ['one removed', shared((l) => l.filter((_, i) => i !== 4))],
  ];
  for (const [what, cand] of cases) {
    const d = configDelta(b, cand)!;
    const general = configDelta(structuredClone(b), cand)!; // an unfrozen copy shares nothing: maps of names
    assert.deepEqual(d, general, what);
    const rebuilt = applyConfigDelta(b, JSON.parse(JSON.stringify(d)));
    assert.deepEqual(rebuilt, cand, what);
    assert.deepEqual(rebuilt.services.map((s) => s.name), cand.services.map((s) => s.name), `${what}: order`);
    assert.equal(renderCompare(b, cand), renderCompare(structuredClone(b), structuredClone(cand)), `${what}: the diff`);
  }
  assert.deepEqual(changedInPlace(b.services, cases[0][1].services)!.map((s) => s.name), ['s2']);
  assert.deepEqual(changedInPlace(b.services, cases[1][1].services), []);
  assert.equal(changedInPlace(b.services, cases[3][1].services), null);
  assert.equal(changedInPlace([b.services[0], b.services[0]], [b.services[0], b.services[0]]), null, 'repeated names identify nothing');
  // A delta naming one service twice is rebuilt by the general path, which refuses it.
  assert.throws(() => applyConfigDelta(b, { set: {}, unset: [], services: [{ ...b.services[0], name: 'x' }, { ...b.services[1], name: 'x' }], removed: [] }), /does not order every service/);
});

test('a chain of in-place deltas on a frozen list: each list is frozen, and its services by name (derived from the base\'s, not rebuilt) are exactly its own', () => {
  const start = base(300);
  Object.freeze(start.services);
  let current: Config = start;
  assert.ok(servicesByName(current.services)); // the base's map, remembered for the frozen list
  const rnd = seededRandom(7);
  for (let step = 0; step < 150; step++) {
    const changed = Array.from({ length: 1 + rnd(4) }, () => current.services[rnd(300)]);
    const cand = { ...current, services: current.services.map((s) => (changed.includes(s) ? { ...s, backends: [{ ...defaultBackend('198.51.100.7'), weight: step }] } : s)) };
    const next = applyConfigDelta(current, configDelta(current, cand)!);
    assert.ok(Object.isFrozen(next.services), `step ${step}: the list is frozen`);
    const byName = servicesByName(next.services)!;
    const fresh = new Map(next.services.map((s) => [s.name, s]));
    assert.equal(byName.size, fresh.size);
    assert.deepEqual([...byName.keys()], [...fresh.keys()], `step ${step}: names in order`);
    for (const [name, s] of fresh) assert.equal(byName.get(name), s, `step ${step}: ${name}`);
    assert.ok([...byName.entries()].every(([name, s]) => fresh.get(name) === s));
    assert.equal(byName.get('no such service'), undefined);
    current = next;
  }
});

test('the changed indexes of two frozen lists are remembered for that pair only', async () => {
  const { changedIndexesInPlace } = await import('../../../config/delta.js');
  const b1 = deepFreeze(base(50));
  const b2 = deepFreeze(structuredClone(base(50)));
  const cand = structuredClone(b1);
  cand.services[7].backends[0].weight = 9;
  // The candidate shares every other service with b1 (as a delta builds it), and its list is frozen.
  const list = Object.freeze(b1.services.map((s, i) => (i === 7 ? cand.services[7] : s))) as typeof b1.services;
  const first = changedIndexesInPlace(b1.services, list);
  assert.deepEqual(first, [7]);
  assert.equal(changedIndexesInPlace(b1.services, list), first, 'asked again of the same pair: the same answer, not a new pass');
  // Against another base (equal data, other objects), the answer is that base's own: still only index 7 differs.
  const other = changedIndexesInPlace(b2.services, list);
  assert.notEqual(other, first);
  assert.deepEqual(other, [7]);
  // A list that is not frozen is compared anew each time (it may change in between).
  const open = [...list];
  const a = changedIndexesInPlace(b1.services, open);
  open[3] = cand.services[7];
  assert.deepEqual(a, [7]);
  assert.equal(changedIndexesInPlace(b1.services, open), null, 'a renamed service at index 3: not in place');
});

test('the changed indexes of a daemon\'s commits: known from the delta, the pair the other way round and two steps; always what a pass finds', async () => {
  const { changedIndexesInPlace } = await import('../../../config/delta.js');
  const { sameData } = await import('../../../config/same-data.js');
  const byPass = (a: Config['services'], b: Config['services']) => a.flatMap((s, i) => (sameData(s, b[i]) ? [] : [i]));
  const rnd = seededRandom(5);
  let config = deepFreeze(base(400));
  const history: Config[] = [config];
  for (let step = 0; step < 200; step++) {
    const changed = Array.from({ length: 1 + rnd(3) }, () => structuredClone(config.services[rnd(400)]));
    for (const s of changed) s.backends[0].weight = 1 + rnd(4); // sometimes the weight it had: no change
    const next = applyConfigDelta(config, { set: {}, unset: [], services: changed, removed: [] });
    next.services.forEach((s) => deepFreeze(s));
    const expect = byPass(config.services, next.services);
    // A service sent with the data it had keeps the base's object: the lists differ exactly where the data do.
    assert.deepEqual(next.services.flatMap((s, i) => (s === config.services[i] ? [] : [i])), expect, `step ${step}: objects`);
    assert.deepEqual(changedIndexesInPlace(config.services, next.services), expect, `step ${step}: from the delta`);
    assert.deepEqual(changedIndexesInPlace(next.services, config.services), expect, `step ${step}: the other way round`);
    history.push(next);
    // Two steps back (base → middle → next), and any older pair: what a pass finds.
    const older = history[Math.max(0, history.length - 3)];
    assert.deepEqual(changedIndexesInPlace(older.services, next.services), byPass(older.services, next.services), `step ${step}: two steps`);
    const a = history[rnd(history.length)];
    const b = history[rnd(history.length)];
    assert.deepEqual(changedIndexesInPlace(a.services, b.services), byPass(a.services, b.services), `step ${step}: any pair`);
    config = next;
  }
});

test('remembered changes hold earlier lists weakly: a daemon\'s revisions do not keep all their predecessors alive', async () => {
  const { changedIndexesInPlace } = await import('../../../config/delta.js');
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  let config = deepFreeze(base(200));
  const first = new WeakRef(config.services);
  for (let k = 0; k < 30; k++) {
    const changed = structuredClone(config.services[k]);
    changed.backends[0].weight = 50 + k;
    const next = applyConfigDelta(config, { set: {}, unset: [], services: [changed], removed: [] });
    // As a commit's consumers ask: the pair, the pair the other way round.
    changedIndexesInPlace(config.services, next.services);
    changedIndexesInPlace(next.services, config.services);
    config = next;
  }
  for (let i = 0; i < 3; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
  assert.equal(first.deref(), undefined, 'the first revision\'s list was collected');
  assert.equal(config.services[29].backends[0].weight, 79);
});
