// docs/commands.md is generated from the grammar; this fails when someone changes a command and forgets to
// regenerate it (`node build/shell/gen-docs.js`). Also: every token of every command has help text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderCommandsDoc } from '../../../shell/gen-docs.js';
import { modeGrammars } from '../../../modes/index.js';
import { pipeGrammar } from '../../../shell/pipes.js';

test('docs/commands.md is current (regenerate with: node build/shell/gen-docs.js)', () => {
  const path = fileURLToPath(new URL('../../../../docs/commands.md', import.meta.url));
  const onDisk = readFileSync(path, 'utf8');
  assert.ok(onDisk === renderCommandsDoc(), `${path} is stale: run 'node build/shell/gen-docs.js'`);
});

test('every token of every command has help text', () => {
  const missing: string[] = [];
  for (const [mode, g] of Object.entries(modeGrammars())) {
    for (const spec of g.specs()) for (const t of g.describe(spec)) if (!t.help) missing.push(`${mode}: ${spec.decl}: ${t.token}`);
  }
  const p = pipeGrammar('candidate');
  for (const spec of p.specs()) for (const t of p.describe(spec)) if (!t.help) missing.push(`pipe: ${spec.decl}: ${t.token}`);
  assert.deepEqual(missing, []);
});

test('every help text reads as a sentence: a capital first letter', () => {
  const lower: string[] = [];
  for (const [mode, g] of Object.entries(modeGrammars())) {
    for (const spec of g.specs()) for (const t of g.describe(spec)) if (/^[a-z]/.test(t.help)) lower.push(`${mode}: ${spec.decl}: ${t.token}: ${t.help}`);
  }
  assert.deepEqual(lower, []);
});

test('the reference lists the fixed command names of the issue', () => {
  const doc = renderCommandsDoc();
  for (const c of [
    '`show ipvs [service NAME] [stats|rate]`',
    '`show running-config [service NAME]`',
    '`configure [terminal|exclusive|private]`',
    '`terminal length <0-512>`',
    '`terminal width <40-512>`',
    '`hostname NAME`',
    '`no service NAME`',
    '`fwmark <1-4294967295>`',
    '`port <1-65535>-<1-65535>`',
    '`persistence <1-2678400> [netmask A.B.C.D|<1-128>]`',
    '`description LINE`',
    '`daemon reconcile-interval-ms <100-3600000>`',
    '`observability prometheus port <1-65535>`',
    '`| display set`',
    '`| compare [rollback <0-49>]`',
    '`commit [check] [full] [comment TEXT] [confirmed [<1-65535>]] [and-others] [and-quit]`',
    '`rollback [<0-49>]`',
    '`rollback session SESSION`',
    '`show commit list`',
    '`show configuration commit changes <0-2147483647>`',
    '`load merge|override WORD`',
    '`backend ADDRESS [port <0-65535>] [weight <0-2147483647>] [u-threshold <0-2147483647>] [l-threshold <0-2147483647>]`',
    '`ha instance NAME vrid <1-255>`',
  ]) {
    assert.ok(doc.includes(c), `missing ${c}`);
  }
});
