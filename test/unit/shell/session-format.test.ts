// The session's output shaping on its own: tables aligned (and cut) to the terminal width, and the pipe stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, toJson } from '../../../shell/format.js';
import { applyPipes, pipeGrammar, toStage } from '../../../shell/pipes.js';
import { applyDefaults } from '../../../config/defaults.js';

const TABLE = {
  columns: [{ title: 'Name', shrink: true }, { title: 'N', align: 'right' as const }, { title: 'Note' }],
  rows: [
    ['alpha', '1', 'x'],
    ['a-rather-long-service-name', '12345', ''],
  ],
};

test('tables: columns as wide as their widest cell, numbers right-aligned, no trailing blanks', () => {
  assert.equal(
    renderTable(TABLE, 200),
    [
      'Name                            N  Note',
      '--------------------------  -----  ----',
      'alpha                           1  x',
      'a-rather-long-service-name  12345',
    ].join('\n'),
  );
});

test('tables: a shrinkable column is cut with … to fit the width, never below its floor', () => {
  const out = renderTable(TABLE, 30).split('\n');
  for (const l of out) assert.ok(l.length <= 30, l);
  assert.equal(out[0].length, 30);
  assert.equal(out[3], 'a-rather-long-se…  12345');
  // Too narrow to fit: shrinks to the floor and no further.
  const narrow = renderTable(TABLE, 5).split('\n');
  assert.equal(narrow[2], 'alpha       1  x');
});

test('json: bigints as strings', () => {
  assert.equal(toJson({ n: 12n, s: 'x' }), '{\n  "n": "12",\n  "s": "x"\n}');
  assert.equal(toJson(undefined), 'null');
});

function stages(kind: 'text' | 'config' | 'candidate', ...texts: string[]) {
  return texts.map((t) => {
    const r = pipeGrammar(kind).parse(t, {} as never);
    assert.ok(r.ok && !('empty' in r), t);
    return toStage((r as { command: string }).command, (r as { args: Record<string, unknown> }).args);
  });
}

const TEXT = ['service a', ' port 1', ' exit', 'service b', ' port 2', '  deep', ' exit', 'tail'].join('\n');
const running = applyDefaults({});

test('pipes: section keeps the matching lines and what is indented under them', () => {
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'section ^service b')).text, 'service b\n port 2\n  deep\n exit');
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'section port')).text, ' port 1\n port 2\n  deep');
});

test('pipes: include/exclude/begin/count chain left to right; abbreviations work', () => {
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'inc port', 'count')).text, 'Count: 2 lines');
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'ex "^ "', 'beg b')).text, 'service b\ntail');
  assert.equal(applyPipes({ text: '', running }, stages('text', 'count')).text, 'Count: 0 lines');
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'no')).noMore, true);
});

test('pipes: display set and compare need a configuration; json prefers the data', () => {
  const candidate = applyDefaults({ node: { name: 'n1' } });
  assert.equal(applyPipes({ text: 'yaml', config: { value: candidate }, running }, stages('config', 'display set')).text, 'hostname n1');
  assert.equal(applyPipes({ text: 'yaml', config: { value: candidate }, running }, stages('candidate', 'compare')).text, '[edit node]\n+   name: n1');
  assert.equal(applyPipes({ text: 'yaml', data: [1], running }, stages('text', 'json')).text, '[\n  1\n]');
  assert.equal(pipeGrammar('text').parse('display set', {} as never).ok, false);
  assert.equal(pipeGrammar('config').parse('compare', {} as never).ok, false);
});
