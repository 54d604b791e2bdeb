// SlotTimers: callbacks due at the same millisecond share one underlying timer, fire in the order they were
// set, and a cleared one never runs (and its slot's timer goes when the slot is empty).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SlotTimers } from '../../../engine/health/slot-timers.js';
import { FakeTimers } from './fake-timers.js';

test('callbacks due at the same millisecond share one timer and fire in the order they were set', async () => {
  const base = new FakeTimers();
  const slots = new SlotTimers(base);
  const fired: string[] = [];
  slots.setTimeout(() => fired.push('a@10'), 10);
  slots.setTimeout(() => fired.push('b@5'), 5);
  slots.setTimeout(() => fired.push('c@10'), 10);
  await base.advance(3);
  slots.setTimeout(() => fired.push('d@10'), 7); // set later, due at the same millisecond
  assert.equal(base.size, 2, 'two milliseconds, two underlying timers');
  assert.equal(slots.size, 2);
  await base.advance(4);
  assert.deepEqual(fired, ['b@5']);
  await base.advance(3);
  assert.deepEqual(fired, ['b@5', 'a@10', 'c@10', 'd@10']);
  assert.equal(base.size, 0);
  assert.equal(slots.size, 0);
});

test('a cleared callback never runs; the last one cleared takes the underlying timer with it', async () => {
  const base = new FakeTimers();
  const slots = new SlotTimers(base);
  const fired: string[] = [];
  const a = slots.setTimeout(() => fired.push('a'), 10);
  const b = slots.setTimeout(() => fired.push('b'), 10);
  slots.clearTimeout(a);
  slots.clearTimeout(a); // twice is harmless: b must still fire
  assert.equal(base.size, 1);
  await base.advance(10);
  assert.deepEqual(fired, ['b']);
  slots.clearTimeout(b); // after it fired: nothing to do
  const c = slots.setTimeout(() => fired.push('c'), 5);
  slots.clearTimeout(c);
  assert.equal(base.size, 0, 'an empty slot leaves no timer behind');
  await base.advance(10);
  assert.deepEqual(fired, ['b']);
  slots.clearTimeout(undefined);
});

test('a callback that sets a timer for now gets a later turn, not a place in the running slot', async () => {
  const base = new FakeTimers();
  const slots = new SlotTimers(base);
  const fired: string[] = [];
  slots.setTimeout(() => {
    fired.push('first');
    slots.setTimeout(() => fired.push('again'), 0);
    assert.deepEqual(fired, ['first'], 'not run inside the loop that is running');
  }, 1);
  slots.setTimeout(() => fired.push('second'), 1);
  await base.advance(1);
  assert.deepEqual(fired, ['first', 'second', 'again']);
});

test('one throwing callback does not stop the others due with it; its error surfaces afterwards', async () => {
  const base = new FakeTimers();
  const slots = new SlotTimers(base);
  const fired: string[] = [];
  slots.setTimeout(() => {
    throw new Error('listener bug');
  }, 2);
  slots.setTimeout(() => fired.push('after'), 2);
  await assert.rejects(base.advance(2), /listener bug/);
  assert.deepEqual(fired, ['after']);
});

test('fractional and negative delays are whole milliseconds, never early', async () => {
  const base = new FakeTimers();
  const slots = new SlotTimers(base);
  const fired: string[] = [];
  slots.setTimeout(() => fired.push('1.2'), 1.2);
  slots.setTimeout(() => fired.push('-5'), -5);
  await base.advance(0);
  assert.deepEqual(fired, ['-5']);
  await base.advance(1);
  assert.deepEqual(fired, ['-5'], '1.2 ms is not due at 1 ms');
  await base.advance(1);
  assert.deepEqual(fired, ['-5', '1.2']);
});
