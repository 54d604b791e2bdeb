// The record of who changed what in the shared candidate (shell/commit/shared-edits.ts): a session's changes are
// undone alone, a change made on top of another session's stays, an item back at its base leaves the record, an
// old file's differences belong to the unknown session, and a refused path maps to its item.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import type { Config } from '../../../config/model.js';
import {
  itemOfPath,
  othersItems,
  ownItems,
  reconcileRecord,
  recordChange,
  revertSession,
  UNKNOWN_EDITOR,
  type EditRecord,
} from '../../../shell/commit/shared-edits.js';

const A = { session: 'a-1', user: 'alice', pid: 1 };
const B = { session: 'b-2', user: 'bob', pid: 2 };

const base = applyDefaults({ vip: '192.0.2.1', services: [{ name: 'web', ports: [80] }, { name: 'api', ports: [81] }] });

function edit(c: Config, fn: (c: Config) => void): Config {
  const next = structuredClone(c);
  fn(next);
  return next;
}

test('each session undoes only its own items; the other session\'s stay', () => {
  const byA = edit(base, (c) => void (c.services[0].description = 'a'));
  let rec: EditRecord = recordChange({}, base, byA, A);
  const byB = edit(byA, (c) => void (c.vip = '192.0.2.2'));
  rec = recordChange(rec, byA, byB, B);
  assert.deepEqual(ownItems(rec, 'a-1'), ['service web']);
  assert.deepEqual(othersItems(rec, 'a-1').map(([k]) => k), ['vip']);
  const r = revertSession(byB, rec, 'a-1');
  assert.deepEqual(r.undone, ['service web']);
  assert.equal(r.config.services[0].description, undefined);
  assert.equal(r.config.vip, '192.0.2.2', "B's change stays");
  assert.deepEqual(Object.keys(r.record), ['vip']);
});

test('a change on top of another session\'s cannot be separated: kept, and the undone session goes back to what it found', () => {
  const byA = edit(base, (c) => void (c.services[0].description = 'a'));
  let rec = recordChange({}, base, byA, A);
  const byB = edit(byA, (c) => void (c.services[0].scheduler = 'rr'));
  rec = recordChange(rec, byA, byB, B);
  const undoA = revertSession(byB, rec, 'a-1');
  assert.deepEqual(undoA.undone, []);
  assert.deepEqual(undoA.kept, ['service web']);
  const undoB = revertSession(byB, rec, 'b-2');
  assert.deepEqual(undoB.undone, ['service web']);
  assert.equal(undoB.config.services[0].description, 'a', 'B goes back to the value it found (A\'s)');
  assert.equal(undoB.config.services[0].scheduler, base.services[0].scheduler);
});

test('a created service goes away, a removed one comes back at its place; an item back at base leaves the record', () => {
  const created = edit(base, (c) => void c.services.push({ ...structuredClone(c.services[1]), name: 'new' }));
  const removed = edit(created, (c) => void c.services.splice(0, 1));
  const rec = recordChange({}, base, removed, A);
  assert.deepEqual(Object.keys(rec).sort(), ['service new', 'service web']);
  const r = revertSession(removed, rec, 'a-1');
  assert.deepEqual(r.config.services.map((s) => s.name), ['web', 'api']);
  assert.deepEqual(r.record, {});
  const back = recordChange(rec, removed, base, A);
  assert.deepEqual(back, {}, 'undone by hand: nothing recorded');
});

test('an old file without a record: every difference is the unknown session\'s; paths map to items', () => {
  const old = edit(base, (c) => void (c.services[1].description = 'x'));
  const rec = reconcileRecord({}, old, base, UNKNOWN_EDITOR);
  assert.deepEqual(Object.keys(rec), ['service api']);
  assert.equal(rec['service api'].touches[0].session, 'unknown');
  assert.equal(itemOfPath(old, 'services[1].ports'), 'service api');
  assert.equal(itemOfPath(old, 'vip'), 'vip');
  assert.equal(itemOfPath(old, 'services[9].ports'), undefined);
});
