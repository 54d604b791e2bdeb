// Splitting lines into words and pipe stages; quoting a value so it splits back to itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endsInWord, quoteWord, splitPipes, splitWords } from '../../../completion/words.js';

test('words keep their columns; quotes group and are removed; escapes inside quotes', () => {
  assert.deepEqual(splitWords('  show  ipvs '), [
    { text: 'show', start: 2, end: 6, quoted: false },
    { text: 'ipvs', start: 8, end: 12, quoted: false },
  ]);
  assert.deepEqual(splitWords('description "a b" c'), [
    { text: 'description', start: 0, end: 11, quoted: false },
    { text: 'a b', start: 12, end: 17, quoted: true },
    { text: 'c', start: 18, end: 19, quoted: false },
  ]);
  assert.equal(splitWords('x "say \\"hi\\" \\\\ ok"')[1].text, 'say "hi" \\ ok');
  // An unterminated quote runs to the end of the line.
  assert.deepEqual(splitWords('x "open end '), [
    { text: 'x', start: 0, end: 1, quoted: false },
    { text: 'open end ', start: 2, end: 12, quoted: true },
  ]);
  assert.deepEqual(splitWords(''), []);
  assert.deepEqual(splitWords('\t'), []);
});

test('endsInWord: a partial word at the end, or an open quote', () => {
  assert.equal(endsInWord('show'), true);
  assert.equal(endsInWord('show '), false);
  assert.equal(endsInWord(''), false);
  assert.equal(endsInWord('x "a '), true);
  assert.equal(endsInWord('x "a" '), false);
});

test('pipes split outside quotes only, with offsets', () => {
  assert.deepEqual(splitPipes('show | include a | count'), [
    { text: 'show ', offset: 0 },
    { text: ' include a ', offset: 6 },
    { text: ' count', offset: 18 },
  ]);
  assert.deepEqual(splitPipes('show | include "a|b"'), [
    { text: 'show ', offset: 0 },
    { text: ' include "a|b"', offset: 6 },
  ]);
  assert.deepEqual(splitPipes('no pipes'), [{ text: 'no pipes', offset: 0 }]);
});

test('quoteWord round-trips through splitWords', () => {
  for (const v of ['plain', 'two words', 'with "quotes"', 'back\\slash', 'a|b', 'a;b', '', '  padded  ']) {
    const words = splitWords(`x ${quoteWord(v)}`);
    assert.equal(words.length, 2, v);
    assert.equal(words[1].text, v);
  }
  assert.equal(quoteWord('plain'), 'plain');
  assert.equal(quoteWord('a b'), '"a b"');
  assert.equal(quoteWord('a;b'), '"a;b"', 'scripts split commands at ; outside quotes');
});
