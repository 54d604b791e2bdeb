import { test } from 'node:test';
import assert from 'node:assert/strict';
import { splitCommands } from '../../../shell/split-commands.js';

const texts = (s: string) => splitCommands(s).map((c) => c.text);

test('; and newlines separate commands; blanks are dropped', () => {
  assert.deepEqual(texts('configure; service web;port 80\n\n  end ;;'), ['configure', 'service web', 'port 80', 'end']);
});

test('a ; inside double quotes does not separate; escaped quotes stay inside the string', () => {
  assert.deepEqual(texts('description "a; b"; port 80'), ['description "a; b"', 'port 80']);
  assert.deepEqual(texts('description "say \\"hi; there\\""; end'), ['description "say \\"hi; there\\""', 'end']);
});

test('a newline ends a command even inside an unterminated quote', () => {
  assert.deepEqual(texts('description "open; still\nport 80'), ['description "open; still', 'port 80']);
});

test('pipes are not separators; comment lines (# and !) are skipped', () => {
  assert.deepEqual(texts('# setup\n! ios style\nshow ipvs | include web'), ['show ipvs | include web']);
});

test('each command knows the script line it starts on', () => {
  assert.deepEqual(
    splitCommands('configure\n\nservice web; port 80\r\nend').map((c) => [c.text, c.line]),
    [
      ['configure', 1],
      ['service web', 3],
      ['port 80', 3],
      ['end', 4],
    ],
  );
});

// Issue 15 point 4: the old splitter trimmed the whole command at every character (a 1 MB line: 464 s). The
// timeout is a hang detector with a margin of hundreds, not a speed measurement (that lives in bench/).
test('a 4 MB line is one command, split in linear time', { timeout: 60_000 }, () => {
  const long = 'description "' + 'x'.repeat(4 * 1024 * 1024) + '"';
  const out = splitCommands(`configure\n${long}; end`);
  assert.deepEqual(
    out.map((c) => [c.text.length, c.line]),
    [
      [9, 1],
      [long.length, 2],
      [3, 2],
    ],
  );
});
