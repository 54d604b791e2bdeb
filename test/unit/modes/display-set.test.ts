// `| display set` renders a configuration as the commands that build it: feeding them into a fresh session
// must rebuild an equal configuration (the round trip), for a configuration with every kind of field set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyDefaults } from '../../../config/defaults.js';
import { configsEqual } from '../../../config/equal.js';
import { diffConfig } from '../../../config/diff.js';
import { loadConfig } from '../../../config/load.js';
import type { Config } from '../../../config/model.js';
import { displaySet } from '../../../modes/display-set.js';
import { splitCommands } from '../../../shell/split-commands.js';
import { fixture, RICH_CONFIG } from '../shell/session-fixture.js';


async function candidateOf(lines: string): Promise<Config> {
  const f = fixture();
  await f.run('configure');
  for (const l of lines.split('\n')) if (l.trim() !== '') await f.run(l);
  await f.run('top');
  return JSON.parse(await f.out('show | json')) as Config;
}

test('display set of a rich configuration rebuilds an equal configuration', async () => {
  const original = applyDefaults(RICH_CONFIG);
  const text = displaySet(original);
  const rebuilt = await candidateOf(text);
  assert.deepEqual(diffConfig(original, rebuilt), []);
  assert.ok(configsEqual(original, rebuilt), 'renderings differ');
  // The rebuilt configuration renders the same commands again.
  assert.equal(displaySet(rebuilt), text);
});

test('display set survives being a script: split into commands as `lbctl shell -c` does, it rebuilds the same', async () => {
  const original = applyDefaults(RICH_CONFIG);
  const script = 'configure; ' + displaySet(original).split('\n').join('; ');
  const f = fixture();
  for (const c of splitCommands(script)) await f.run(c.text);
  await f.run('top');
  const rebuilt = JSON.parse(await f.out('show | json')) as Config;
  assert.deepEqual(diffConfig(original, rebuilt), []);
});

test('display set of the defaults is empty, and of one service starts with "service NAME"', () => {
  assert.equal(displaySet(applyDefaults({})), '');
  const text = displaySet(applyDefaults(RICH_CONFIG), 'echo');
  assert.equal(text.split('\n')[0], 'service echo');
  assert.ok(!text.includes('service web'));
  assert.match(text, / payload "PING me"/);
  assert.match(text, / expect "PONG \\"x\\""/);
});

test('display set of the shipped examples rebuilds them', { skip: !existsSync(fileURLToPath(new URL('../../../../dist/examples', import.meta.url))) }, async () => {
  const loaded = loadConfig(fileURLToPath(new URL('../../../../dist/examples', import.meta.url)));
  assert.ok(loaded.config, loaded.errors.map((e) => e.message).join('\n'));
  const rebuilt = await candidateOf(displaySet(loaded.config!));
  assert.deepEqual(diffConfig(loaded.config!, rebuilt), []);
});

