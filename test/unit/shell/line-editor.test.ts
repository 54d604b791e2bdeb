import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  addToHistory,
  initialEditorState,
  reduceKey,
  type EditorEffect,
  type EditorState,
} from '../../../shell/line-editor.js';
import { decodeKeys, type Key } from '../../../shell/keys.js';

/** Feeds raw terminal input through the decoder and the reducer; returns the final state and every effect. */
function type(input: string, state: EditorState = initialEditorState()): { state: EditorState; effects: EditorEffect[] } {
  const effects: EditorEffect[] = [];
  for (const key of decodeKeys(input)) {
    const step = reduceKey(state, key);
    state = step.state;
    if (step.effect) effects.push(step.effect);
  }
  return { state, effects };
}

const ctrl = (letter: string) => String.fromCharCode(letter.charCodeAt(0) - 96);
const LEFT = '\x1b[D';
const RIGHT = '\x1b[C';
const UP = '\x1b[A';
const DOWN = '\x1b[B';
const HOME = '\x1b[H';
const END = '\x1b[F';
const DEL = '\x1b[3~';
const BS = '\x7f';

test('typing inserts at the cursor; Left/Right/Home/End move it', () => {
  const { state } = type('shw' + LEFT + 'o' + HOME + 'X' + END + '!');
  assert.equal(state.line, 'Xshow!');
  assert.equal(state.cursor, 6);
  const moved = type('abc' + LEFT + LEFT + RIGHT);
  assert.equal(moved.state.cursor, 2);
});

test('Backspace deletes before the cursor and Delete under it (they are different keys)', () => {
  assert.equal(type('abcd' + LEFT + BS).state.line, 'abd');
  assert.equal(type('abcd' + LEFT + LEFT + DEL).state.line, 'abd');
  assert.equal(type(BS + DEL).state.line, '');
});

test('Emacs keys: Ctrl-A/E/B/F move, Ctrl-K/U/W kill, Ctrl-Y yanks', () => {
  assert.equal(type('show ipvs' + ctrl('a')).state.cursor, 0);
  assert.equal(type('show ipvs' + ctrl('a') + ctrl('e')).state.cursor, 9);
  assert.equal(type('show' + ctrl('b') + ctrl('b') + ctrl('f')).state.cursor, 3);
  const k = type('show ipvs stats' + ctrl('a') + ctrl('f').repeat(4) + ctrl('k'));
  assert.equal(k.state.line, 'show');
  assert.equal(k.state.killed, ' ipvs stats');
  const u = type('show ipvs' + LEFT.repeat(4) + ctrl('u'));
  assert.equal(u.state.line, 'ipvs');
  assert.equal(u.state.cursor, 0);
  const w = type('show ipvs service  ' + ctrl('w'));
  assert.equal(w.state.line, 'show ipvs ');
  assert.equal(type('show ipvs' + ctrl('w') + ctrl('a') + ctrl('y')).state.line, 'ipvsshow ');
});

test('Alt-B / Alt-F move by word, Alt-D and Alt-Backspace kill a word', () => {
  const altB = '\x1bb';
  const altF = '\x1bf';
  assert.equal(type('show ip-vs stats' + altB).state.cursor, 11);
  assert.equal(type('show ip-vs stats' + altB + altB).state.cursor, 8);
  assert.equal(type('show ip-vs stats' + HOME + altF).state.cursor, 4);
  assert.equal(type('show ip-vs stats' + HOME + altF + altF).state.cursor, 7);
  assert.equal(type('show ipvs' + HOME + '\x1bd').state.line, ' ipvs');
  assert.equal(type('show ipvs' + '\x1b\x7f').state.line, 'show ');
});

test('Enter submits the line, clears it, and records it in history once', () => {
  const { state, effects } = type('show ipvs\rshow ipvs\r\r');
  assert.deepEqual(effects, [
    { kind: 'submit', line: 'show ipvs' },
    { kind: 'submit', line: 'show ipvs' },
    { kind: 'submit', line: '' },
  ]);
  assert.equal(state.line, '');
  assert.deepEqual(state.history, ['show ipvs']);
});

test('Up/Down walk the history and come back to the line being typed', () => {
  const start = initialEditorState(['configure', 'show ipvs']);
  let { state } = type('sh' + UP, start);
  assert.equal(state.line, 'show ipvs');
  state = type(UP + UP, state).state;
  assert.equal(state.line, 'configure', 'stops at the oldest entry');
  state = type(DOWN, state).state;
  assert.equal(state.line, 'show ipvs');
  state = type(DOWN, state).state;
  assert.equal(state.line, 'sh', 'the draft comes back');
  assert.equal(type(ctrl('p'), start).state.line, 'show ipvs');
});

test('addToHistory bounds the size and skips blanks and repeats', () => {
  let h: readonly string[] = [];
  for (let i = 0; i < 5; i++) h = addToHistory(h, `cmd ${i}`, 3);
  assert.deepEqual(h, ['cmd 2', 'cmd 3', 'cmd 4']);
  assert.equal(addToHistory(h, '   ', 3), h);
  assert.equal(addToHistory(h, 'cmd 4', 3), h);
});

test('Ctrl-R searches backwards incrementally; Ctrl-R again finds older; Enter runs the match', () => {
  const start = initialEditorState(['show ipvs', 'configure', 'show services', 'terminal length 0']);
  let { state } = type(ctrl('r') + 'sho', start);
  assert.equal(state.line, 'show services');
  assert.equal(state.search?.query, 'sho');
  state = type(ctrl('r'), state).state;
  assert.equal(state.line, 'show ipvs');
  const failed = type('zz', state).state;
  assert.equal(failed.search?.failed, true);
  assert.equal(failed.line, 'show ipvs', 'a failed search keeps the last match');
  const run = type('\r', state);
  assert.deepEqual(run.effects, [{ kind: 'submit', line: 'show ipvs' }]);
});

test('Ctrl-R: Ctrl-G restores the line, an editing key keeps the match and acts on it', () => {
  const start = initialEditorState(['show ipvs', 'configure']);
  const typed = type('abc' + ctrl('r') + 'conf', start).state;
  assert.equal(typed.line, 'configure');
  const cancelled = type(ctrl('g'), typed).state;
  assert.equal(cancelled.line, 'abc');
  assert.equal(cancelled.search, null);
  const kept = type(END + ' t', typed).state;
  assert.equal(kept.line, 'configure t');
  assert.equal(kept.search, null);
});

test('? asks for help on the text before the cursor without inserting itself; inside quotes it is literal', () => {
  const { state, effects } = type('show ?');
  assert.equal(state.line, 'show ');
  assert.deepEqual(effects, [{ kind: 'help', before: 'show ' }]);
  const partial = type('sh?');
  assert.deepEqual(partial.effects, [{ kind: 'help', before: 'sh' }]);
  const quoted = type('description "why?');
  assert.equal(quoted.state.line, 'description "why?');
  assert.deepEqual(quoted.effects, []);
  const closed = type('description "why" ?');
  assert.deepEqual(closed.effects, [{ kind: 'help', before: 'description "why" ' }]);
});

test('TAB asks for completion of the text before the cursor and keeps what follows', () => {
  const { effects } = type('sh ipvs' + LEFT.repeat(5) + '\t');
  assert.deepEqual(effects, [{ kind: 'complete', before: 'sh', after: ' ipvs' }]);
});

test('Ctrl-C drops the line; Ctrl-D is EOF only on an empty line; Ctrl-Z drops the line and suspends', () => {
  const c = type('show ip' + ctrl('c'));
  assert.equal(c.state.line, '');
  assert.deepEqual(c.effects, [{ kind: 'interrupt', line: 'show ip' }]);
  assert.deepEqual(type(ctrl('d')).effects, [{ kind: 'eof' }]);
  const d = type('ab' + LEFT + ctrl('d'));
  assert.equal(d.state.line, 'a');
  assert.deepEqual(d.effects, []);
  const z = type('port 80' + ctrl('z'));
  assert.equal(z.state.line, '');
  assert.deepEqual(z.effects, [{ kind: 'suspend', line: 'port 80' }]);
});

test('question options: ? and TAB are plain characters and answers stay out of history', () => {
  const opts = { helpKey: false, completion: false, recordHistory: false, historyLimit: 10 };
  let state = initialEditorState();
  const effects: EditorEffect[] = [];
  for (const key of decodeKeys('yes?\t\r')) {
    const step = reduceKey(state, key as Key, opts);
    state = step.state;
    if (step.effect) effects.push(step.effect);
  }
  assert.deepEqual(effects, [{ kind: 'submit', line: 'yes?' }]);
  assert.deepEqual(state.history, []);
});
