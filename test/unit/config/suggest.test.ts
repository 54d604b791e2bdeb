import { test } from 'node:test';
import assert from 'node:assert/strict';
import { didYouMean, editDistance } from '../../../config/suggest.js';

const KEYS = ['address', 'port', 'weight', 'u_threshold', 'l_threshold', 'enabled'];

test('did you mean: dropped letters, swapped letters, case, abbreviations', () => {
  assert.equal(didYouMean('adress', KEYS), 'address');
  assert.equal(didYouMean('wieght', KEYS), 'weight');
  assert.equal(didYouMean('Weight', KEYS), 'weight');
  assert.equal(didYouMean('enable', KEYS), 'enabled');
  assert.equal(didYouMean('u_thresh', KEYS), 'u_threshold');
});

test('did you mean: nothing for words unlike every candidate', () => {
  assert.equal(didYouMean('colour', KEYS), undefined);
  assert.equal(didYouMean('', KEYS), undefined);
  assert.equal(didYouMean('x', []), undefined);
});

test('edit distance counts a transposition as one edit', () => {
  assert.equal(editDistance('wieght', 'weight'), 1);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
});

test('did you mean: nothing for a word far longer than every candidate (a 60,000-character value took seconds)', () => {
  assert.equal(didYouMean('r'.repeat(60_000), ['rr', 'wrr', 'lc']), undefined);
  assert.equal(didYouMean('wrrr', ['rr', 'wrr', 'lc']), 'wrr'); // one edit longer is still a typo
});
