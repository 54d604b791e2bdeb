import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeKeys } from '../../../shell/keys.js';

test('a fast-typed run is split into one key per character, control characters included', () => {
  assert.deepEqual(decodeKeys('sh ?\r'), [
    { kind: 'insert', text: 's' },
    { kind: 'insert', text: 'h' },
    { kind: 'insert', text: ' ' },
    { kind: 'insert', text: '?' },
    { kind: 'enter' },
  ]);
  assert.deepEqual(decodeKeys('\t\x7f\x08\x01\x1a'), [
    { kind: 'tab' },
    { kind: 'backspace' },
    { kind: 'backspace' },
    { kind: 'ctrl', letter: 'a' },
    { kind: 'ctrl', letter: 'z' },
  ]);
});

test('escape sequences: arrows, Home/End variants, Delete, Alt-letters, lone Escape', () => {
  assert.deepEqual(decodeKeys('\x1b[A\x1b[B\x1b[C\x1b[D'), [
    { kind: 'up' },
    { kind: 'down' },
    { kind: 'right' },
    { kind: 'left' },
  ]);
  assert.deepEqual(decodeKeys('\x1b[1~\x1bOF\x1b[3~'), [{ kind: 'home' }, { kind: 'end' }, { kind: 'delete' }]);
  assert.deepEqual(decodeKeys('\x1bb\x1bF'), [
    { kind: 'meta', letter: 'b' },
    { kind: 'meta', letter: 'f' },
  ]);
  assert.deepEqual(decodeKeys('\x1b'), [{ kind: 'escape' }]);
  assert.deepEqual(decodeKeys('\x1b[1;5C'), [{ kind: 'wordRight' }]);
  assert.equal(decodeKeys('\x1b[200~')[0].kind, 'unknown');
});
