// The revision file's format (store/revision-format.ts), pure: random configurations round-trip through a
// difference from their checkpoint exactly (services in order, sections, layout); whole files are written when
// the difference is too big or the checkpoint too old; pruning never removes a checkpoint a kept revision needs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Config } from '../../../config/model.js';
import { configJson } from '../../../config/equal.js';
import type { Revision } from '../../../store/store-types.js';
import type { FileLayout } from '../../../store/file-layout.js';
import {
  SNAPSHOT_EVERY,
  applyRecordDelta,
  checkpointInPrefix,
  decodeRevision,
  encodeRevision,
  planPrune,
  recordDelta,
  resolveDelta,
} from '../../../store/revision-format.js';
import { configOf, service } from './fixtures.js';
import { prng as rng } from '../../support/prng.js';

function layoutOf(c: Config, perFile: number): FileLayout {
  const out: FileLayout = { 'config.yaml': { services: [], sections: ['node', 'daemon'] } };
  c.services.forEach((s, i) => {
    const f = `config.d/${String(Math.floor(i / perFile)).padStart(3, '0')}.yaml`;
    (out[f] ??= { services: [], sections: [] }).services.push(s.name);
  });
  return out;
}

function revisionOf(number: number, config: Config, layout?: FileLayout): Revision {
  return { number, id: String(1_000_000_000 + number), time: '2026-11-30T22:00:00.000Z', user: 'alice', origin: 'shell', hash: `h${number}`, files: { 'config.yaml': 'f' }, config, ...(layout ? { layout } : {}) };
}

/** A few random changes: weights, a removed service, added ones, a moved one, a changed section. */
function mutate(c: Config, r: () => number, serial: number): Config {
  const next = structuredClone(c);
  const pick = () => Math.floor(r() * next.services.length);
  const changes = 1 + Math.floor(r() * 3);
  for (let k = 0; k < changes; k++) {
    const what = Math.floor(r() * 5);
    if (what === 0 && next.services.length > 4) next.services.splice(pick(), 1);
    else if (what === 1) next.services.push(service(`new${serial}-${k}`, 9000 + serial * 4 + k));
    else if (what === 2 && next.services.length > 1) {
      const [s] = next.services.splice(pick(), 1);
      next.services.splice(pick(), 0, s);
    } else if (what === 3) next.node.name = `lb-${serial}-${k}`;
    else next.services[pick()].backends[0].weight = 1 + Math.floor(r() * 200);
  }
  return next;
}

test('random configurations round-trip through a difference from their checkpoint exactly (order, sections, layout)', () => {
  let deltas = 0;
  for (let seed = 1; seed <= 60; seed++) {
    const r = rng(seed);
    const base = configOf(20 + Math.floor(r() * 30));
    const checkpoint = revisionOf(16 * seed, base, layoutOf(base, 5));
    let cand = base;
    for (let step = 1; step < SNAPSHOT_EVERY; step++) {
      cand = mutate(cand, r, step);
      const rev = revisionOf(checkpoint.number + step, cand, layoutOf(cand, 5));
      const { text, base: c } = encodeRevision(rev, checkpoint);
      const decoded = decodeRevision(text);
      const back = decoded.kind === 'whole' ? decoded.revision : resolveDelta(decoded.record, checkpoint);
      assert.equal(configJson(back.config), configJson(rev.config), `seed ${seed} step ${step}: the configuration comes back exactly`);
      assert.deepEqual(Object.entries(back.layout!), Object.entries(rev.layout!), `seed ${seed} step ${step}: the layout too, in order`);
      const { config: _a, layout: _b, ...summary } = rev;
      const { config: _c, layout: _d, ...backSummary } = back;
      assert.deepEqual(backSummary, summary);
      if (c !== null) {
        deltas++;
        assert.equal(decoded.kind, 'delta');
        assert.equal(checkpointInPrefix(text), checkpoint.number, 'the checkpoint is named in the first bytes');
      } else assert.equal(checkpointInPrefix(text), null);
    }
  }
  assert.ok(deltas > 500, `most revisions are differences (${deltas})`);
});

test('a one-weight change at 2,000 services is a difference of one service; a big change or an old checkpoint is whole', () => {
  const base = configOf(2000);
  const checkpoint = revisionOf(32, base, layoutOf(base, 100));
  const one = structuredClone(base);
  one.services[1234].backends[1].weight = 7;
  const small = encodeRevision(revisionOf(33, one, layoutOf(one, 100)), checkpoint);
  const whole = encodeRevision(revisionOf(33, one, layoutOf(one, 100)), null);
  assert.notEqual(small.base, null);
  const record = JSON.parse(small.text);
  assert.deepEqual(record.delta.services.map((s: { name: string }) => s.name), ['web1235']);
  assert.deepEqual(record.layoutDelta, { set: {}, unset: [] }, 'the layout did not change');
  assert.ok(small.text.length * 100 < whole.text.length, `${small.text.length} vs ${whole.text.length} bytes`);
  assert.equal(encodeRevision(revisionOf(32 + SNAPSHOT_EVERY, one), checkpoint).base, null, 'the checkpoint is SNAPSHOT_EVERY revisions old');
  const many = structuredClone(base);
  for (const s of many.services.slice(0, 1001)) s.backends[0].weight = 3;
  assert.equal(encodeRevision(revisionOf(33, many), checkpoint).base, null, 'more than half the services changed');
  const repeated = structuredClone(base);
  repeated.services.push(structuredClone(repeated.services[0]));
  assert.equal(encodeRevision(revisionOf(33, repeated), checkpoint).base, null, 'names that repeat: no difference describes it');
});

test('an old whole revision file (no format) decodes as it is; an unknown format or a bad checkpoint is refused', () => {
  const rev = revisionOf(4, configOf(3));
  const decoded = decodeRevision(JSON.stringify(rev));
  assert.equal(decoded.kind, 'whole');
  assert.deepEqual(decoded.kind === 'whole' && decoded.revision, rev);
  assert.throws(() => decodeRevision('{"format":3,"number":4}'), /unknown revision format 3/);
  assert.throws(() => decodeRevision('{"format":2,"base":4,"number":4}'), /bad checkpoint 4/);
  const d = decodeRevision(encodeRevision(revisionOf(5, structuredClone(rev.config)), rev).text);
  assert.equal(d.kind, 'delta');
  assert.throws(() => resolveDelta((d as { record: Parameters<typeof resolveDelta>[0] }).record, revisionOf(3, rev.config)), /stored against 4, not 3/);
});

test('record deltas keep values and key order; a delta that cannot keep the order is refused', () => {
  const r = rng(7);
  for (let i = 0; i < 200; i++) {
    const base: Record<string, number> = {};
    for (let k = 0; k < 8; k++) if (r() < 0.7) base[`k${k}`] = Math.floor(r() * 3);
    const next: Record<string, number> = {};
    for (const k of Object.keys(base)) if (r() < 0.8) next[k] = r() < 0.3 ? 9 : base[k];
    for (let k = 8; k < 10; k++) if (r() < 0.3) next[`k${k}`] = 1;
    const d = recordDelta(base, next);
    assert.ok(d, 'kept keys in place and new ones at the end always fit');
    assert.deepEqual(Object.entries(applyRecordDelta(base, d)), Object.entries(next));
  }
  assert.equal(recordDelta({ a: 1, b: 2 }, { b: 2, a: 1 }), null, 'a reordering is written whole');
});

test('pruning hides a checkpoint a kept revision needs, removes the rest, and drops hidden checkpoints nobody needs', () => {
  // Revisions 10..20; 17 is whole, 18..20 are differences from 17, 11..16 from 1 (hidden), 10 whole.
  const checkpointOf = (n: number) => (n === 17 || n === 10 ? null : n > 17 ? 17 : 1);
  const listed = [20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10];
  assert.deepEqual(planPrune(listed, new Set([20, 19, 18]), [1], checkpointOf), { hide: [17], remove: [16, 15, 14, 13, 12, 11, 10], removeHidden: [1] });
  assert.deepEqual(planPrune(listed, new Set([20, 19, 18, 17, 16]), [1], checkpointOf), { hide: [], remove: [15, 14, 13, 12, 11, 10], removeHidden: [] });
  // A pending confirmation's previous revision (12) is kept far back: its checkpoint stays (hidden) with it.
  assert.deepEqual(planPrune(listed, new Set([20, 19, 18, 12]), [1], checkpointOf), { hide: [17], remove: [16, 15, 14, 13, 11, 10], removeHidden: [] });
  // Whatever the plan, no needed checkpoint is ever removed.
  for (let keep = 1; keep <= listed.length; keep++) {
    const kept = new Set(listed.slice(0, keep));
    const plan = planPrune(listed, kept, [1], checkpointOf);
    for (const n of kept) {
      const c = checkpointOf(n);
      if (c !== null) assert.ok(!plan.remove.includes(c) && !plan.removeHidden.includes(c), `keep ${keep}: ${c} is needed by ${n}`);
    }
  }
});
