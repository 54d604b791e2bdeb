import { test } from 'node:test';
import assert from 'node:assert/strict';
import { perSecond, ratesBetween, NO_RATES } from '../../../present/monitor/rates.js';

test('a rate is the counter difference per second of the time between the reads', () => {
  assert.equal(perSecond(1000n, 1500n, 1000), 500);
  assert.equal(perSecond(1000n, 1500n, 500), 1000);
  assert.equal(perSecond(0n, 3n, 2000), 1.5);
});

test('counters past 2^53 keep their exact difference (bigint subtraction before any Number)', () => {
  const big = 2n ** 63n + 12_345n; // a Number cannot tell big from big + 1
  assert.equal(Number(big) === Number(big + 1n), true, 'the premise: doubles lose these digits');
  assert.equal(perSecond(big, big + 1n, 1000), 1);
  assert.equal(perSecond(2n ** 64n - 10n, 2n ** 64n - 1n, 1000), 9);
});

test('no rate without an earlier read, without elapsed time, or when the counter went down (zeroed, re-created)', () => {
  assert.equal(perSecond(undefined, 10n, 1000), null);
  assert.equal(perSecond(5n, 10n, 0), null);
  assert.equal(perSecond(5n, 10n, -3), null);
  assert.equal(perSecond(10n, 4n, 1000), null, 'a decrease is not a wrap: no 2^64-sized rate');
});

test('ratesBetween: every figure, and none for an object that was not there before', () => {
  const prev = { conns: 10n, inPkts: 100n, outPkts: 50n, inBytes: 10_000n, outBytes: 0n };
  const cur = { conns: 12n, inPkts: 300n, outPkts: 50n, inBytes: 12_000n, outBytes: 0n };
  assert.deepEqual(ratesBetween(prev, cur, 2000), { cps: 1, inPps: 100, outPps: 0, inBps: 1000, outBps: 0 });
  assert.deepEqual(ratesBetween(undefined, cur, 2000), NO_RATES);
});
