// The host-side half of the kernel property test (test/kernel/suite/validate-apply-property.test.ts): random
// configurations valid by construction (test/support/random-config.ts) pass validate AND compile (an accepted
// configuration the compiler refuses would fail every apply), and each single broken rule is refused with an error
// located in the file at the path of what was broken. Seeded: LBCTL_PROPERTY_SEED replays, LBCTL_PROPERTY_CASES
// sets the count (default 300, well under a second each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stringify } from 'yaml';
import { formatConfigError, loadConfigTexts } from '../../../config/load.js';
import { compile } from '../../../engine/compile.js';
import { prng, randomInvalidConfig, randomValidConfig } from '../../support/random-config.js';

const CASES = Number(process.env.LBCTL_PROPERTY_CASES ?? 300);
const seed = Number(process.env.LBCTL_PROPERTY_SEED ?? Date.now() % 2147483647);

test(`${CASES} random valid configurations pass validate and compile (seed ${seed})`, (t) => {
  t.diagnostic(`seed ${seed} (LBCTL_PROPERTY_SEED=${seed} replays it)`);
  const rand = prng(seed);
  for (let i = 0; i < CASES; i++) {
    const text = stringify(randomValidConfig(rand, '/tmp/audit.jsonl'));
    const r = loadConfigTexts([{ path: 'config.yaml', text }]);
    assert.deepEqual(r.errors.map(formatConfigError), [], `case ${i} (seed ${seed}):\n${text}`);
    assert.doesNotThrow(() => compile(r.config!), `case ${i} (seed ${seed}) compiles:\n${text}`);
  }
});

test(`${CASES} configurations with one rule broken are refused at that rule's line (seed ${seed})`, () => {
  const rand = prng(seed + 1);
  for (let i = 0, done = 0; done < CASES && i < CASES * 10; i++) {
    const broken = randomInvalidConfig(rand, randomValidConfig(rand, '/tmp/audit.jsonl'));
    if (!broken) continue;
    done++;
    const text = stringify(broken.config);
    const r = loadConfigTexts([{ path: 'config.yaml', text }]);
    const shown = r.errors.map(formatConfigError).join('\n');
    assert.equal(r.config, null, `case ${i} (${broken.what}) must be refused:\n${text}`);
    assert.ok(r.errors.length > 0 && r.errors.every((e) => e.file === 'config.yaml' && e.line > 0 && e.column > 0), `case ${i}: every error located:\n${shown}`);
    assert.ok(r.errors.some((e) => e.path.startsWith(broken.path)), `case ${i} (${broken.what}): an error at ${broken.path}:\n${shown}\n${text}`);
  }
});
