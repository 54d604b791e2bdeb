import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignCaret, colourEnabled, formatCandidates, formatHelp, makeStyle } from '../../../shell/display.js';

test('help entries are aligned on the widest token, <cr> alone', () => {
  assert.deepEqual(
    formatHelp([
      { token: 'ipvs', help: 'IPVS tables' },
      { token: 'running-config', help: 'Current configuration' },
      { token: '<cr>', help: '' },
    ]),
    ['  ipvs            IPVS tables', '  running-config  Current configuration', '  <cr>'],
  );
});

test('candidates fill rows that fit the width', () => {
  assert.deepEqual(formatCandidates(['configure', 'commit', 'copy'], 25), ['configure  commit', 'copy']);
  assert.deepEqual(formatCandidates([], 80), []);
});

test('alignCaret moves only the caret line', () => {
  assert.equal(alignCaret("  ^\n% Invalid input detected at '^' marker.", 3), "     ^\n% Invalid input detected at '^' marker.");
  assert.equal(alignCaret('% Incomplete command.', 5), '% Incomplete command.');
});

test('colour only on a TTY without NO_COLOR', () => {
  assert.equal(colourEnabled(true, {}), true);
  assert.equal(colourEnabled(false, {}), false);
  assert.equal(colourEnabled(true, { NO_COLOR: '1' }), false);
  assert.equal(colourEnabled(true, { NO_COLOR: '' }), true);
  assert.equal(makeStyle(false).error('x'), 'x');
  assert.match(makeStyle(true).error('x'), /\x1b\[31mx/);
});
