// Issue 15 point 6: stored strings never reach the terminal as control sequences.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeControls } from '../../../present/visible.js';

test('controls are shown escaped; newline, tab and ordinary text (UTF-8 included) are kept', () => {
  assert.equal(escapeControls('clear \u001b[2J me'), 'clear \\x1b[2J me');
  assert.equal(escapeControls('title \u001b]0;pwned\u0007'), 'title \\x1b]0;pwned\\x07');
  assert.equal(escapeControls('8-bit CSI \u009b2J, DEL \u007f, CR \r'), '8-bit CSI \\x9b2J, DEL \\x7f, CR \\x0d');
  assert.equal(escapeControls('line one\n\tline two — café'), 'line one\n\tline two — café');
});
