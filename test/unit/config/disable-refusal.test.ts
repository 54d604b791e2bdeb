// Issue 15 point 5: a refusal of `lbctl disable` could be a single 25 KB line (every service it names). The terminal
// gets its start and a count of what was left out; the audit record keeps all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { summarize } from '../../../cli/commands/disable.js';

test('a long refusal is summarised to its start and a count; a short one is printed whole', () => {
  const long = 'delService tcp 203.0.113.10:80: No such process; ' + 'service tcp 203.0.113.10:81 is not lbctl\'s; '.repeat(600);
  assert.ok(long.length > 25_000);
  const said = summarize(long);
  assert.ok(said.length < 500, `${said.length} characters`);
  assert.ok(said.startsWith(long.slice(0, 400)));
  assert.equal(said.slice(400), `… (${long.length - 400} more characters; 'show audit last 1 detail' has all of it)`);
  assert.equal(summarize('delService tcp 203.0.113.10:80: No such process'), 'delService tcp 203.0.113.10:80: No such process');
});
