import { test } from 'node:test';
import assert from 'node:assert/strict';
import { outputLines, pagerKey, startPager } from '../../../shell/pager.js';

const text = (n: number) => Array.from({ length: n }, (_, i) => `l${i + 1}`).join('\n') + '\n';

test('output that fits (with its next prompt) is shown whole', () => {
  const step = startPager(text(9), 10);
  assert.equal(step.show.length, 9);
  assert.equal(step.pager, null);
});

test('longer output shows one page (length - 1 lines), space the next page, Enter one line', () => {
  const first = startPager(text(25), 10);
  assert.deepEqual(first.show, ['l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7', 'l8', 'l9']);
  assert.ok(first.pager);
  const line = pagerKey(first.pager, 'line');
  assert.deepEqual(line.show, ['l10']);
  const page = pagerKey(line.pager!, 'page');
  assert.deepEqual(page.show, ['l11', 'l12', 'l13', 'l14', 'l15', 'l16', 'l17', 'l18', 'l19']);
  const last = pagerKey(page.pager!, 'page');
  assert.deepEqual(last.show, ['l20', 'l21', 'l22', 'l23', 'l24', 'l25']);
  assert.equal(last.pager, null);
});

test('q drops the rest, and so does any other key (IOS)', () => {
  const first = startPager(text(30), 10);
  assert.deepEqual(pagerKey(first.pager!, 'quit'), { show: [], pager: null });
  assert.deepEqual(pagerKey(first.pager!, 'other'), { show: [], pager: null });
});

test('terminal length 0 turns the pager off', () => {
  const step = startPager(text(500), 0);
  assert.equal(step.show.length, 500);
  assert.equal(step.pager, null);
});

test('outputLines: a final newline does not add an empty line, empty output has none', () => {
  assert.deepEqual(outputLines('a\nb\n'), ['a', 'b']);
  assert.deepEqual(outputLines('a\n\n'), ['a', '']);
  assert.deepEqual(outputLines(''), []);
});
