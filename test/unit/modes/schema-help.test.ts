// One definition per setting (issue 12 point 8): the words of service mode that set a field of the schema show
// the field's doc as their help, and their numbers the field's range; weight has one wording wherever an operator
// reads it. These fail when a command's help or range is written by hand again and drifts from config/schema.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BACKEND_SCHEMA, PORT_MAX, fieldsOf } from '../../../config/schema.js';
import { modeGrammars } from '../../../modes/index.js';
import { serviceField, type FieldWord } from '../../../modes/schema-fields.js';
import { HEALTH_SETTING } from '../../../modes/service-health.js';
import { SERVICE_SETTINGS } from '../../../modes/service-settings.js';
import { fieldReference } from '../../../config/reference.js';
import { fixture } from '../shell/session-fixture.js';

/** The grammar capitalises help; the schema's docs already start with a capital (checked below). */
const docOf = (path: readonly string[]) => serviceField(path).doc;

/**
 * Words whose help in a `no` command says what taking the setting out does, not what the field is: the options
 * of `no health OPTION` ("Any reply counts as success") and the thresholds of `no backend … u-threshold`.
 */
function unsetHelp(decl: string, word: string): boolean {
  return decl.startsWith('no health') || (decl.startsWith('no backend') && word.endsWith('-threshold'));
}

test('every service-mode word that sets a schema field has the field doc as its help and the field range as its range', () => {
  const g = modeGrammars().service;
  const specs = g.specs();
  const seen = new Set<string>();
  let ranges = 0;
  for (const setting of SERVICE_SETTINGS) {
    for (const cmd of setting.commands) {
      const spec = specs.find((s) => s.data === cmd);
      assert.ok(spec, `${cmd.decl} is in the service grammar`);
      const items = g.describe(spec);
      for (const w of setting.words as readonly FieldWord[]) {
        const helps = items.filter((i) => i.token === w.word).map((i) => i.help);
        if (helps.length === 0) continue;
        seen.add(w.word + ' ' + w.path.join('.'));
        if (!unsetHelp(cmd.decl, w.word)) assert.deepEqual(helps, [docOf(w.path)], `${cmd.decl}: help of ${w.word}`);
        const field = serviceField(w.value ?? w.path).schema;
        const s = field.kind === 'array' ? field.items : field;
        if (s.kind !== 'int' && s.kind !== 'port-spec') continue;
        // The token after the word in the declaration: `weight <0-2147483647>`.
        const m = new RegExp(`(?:^|[\\s[|])${w.word} \\[?(<\\d+-\\d+>)`).exec(cmd.decl);
        if (!m) continue;
        ranges++;
        assert.equal(m[1], s.kind === 'int' ? `<${s.min}-${s.max}>` : `<1-${PORT_MAX}>`, `${cmd.decl}: range of ${w.word}`);
        if (s.kind !== 'int') continue;
        // describe() lists a command's tokens in order: the value's help is the item after the word's.
        const at = items.findIndex((i) => i.token === w.word);
        const valueHelp = items[at + 1]?.token === m[1] ? items[at + 1].help : undefined;
        if (!unsetHelp(cmd.decl, w.word) && w.word !== 'port') assert.equal(valueHelp, docOf(w.value ?? w.path), `${cmd.decl}: help of ${m[1]}`);
      }
    }
  }
  // Every word a setting names is in one of its commands (the list is not stale), and the range check ran.
  const named = SERVICE_SETTINGS.flatMap((s) => s.words.map((w) => w.word + ' ' + w.path.join('.')));
  assert.deepEqual(named.filter((n) => !seen.has(n)), []);
  assert.ok(ranges >= 15, `ranges checked: ${ranges}`);
});

test('the generated single-field commands are there, with their `no` forms, and say the schema doc', () => {
  const g = modeGrammars().service;
  const decls = g.specs().map((s) => s.decl);
  for (const d of ['description LINE', 'no description', 'shutdown', 'no shutdown', 'slow-start <0-3600>', 'no slow-start', 'quorum <1-65535>', 'on-down inhibit|remove'])
    assert.ok(decls.includes(d), `missing ${d}`);
  const shutdown = g.specs().find((s) => s.decl === 'shutdown')!;
  assert.equal(g.describe(shutdown)[0].help, docOf(['enabled']));
});

test('the shell shows the schema doc on `?` (service, backend and health words)', async () => {
  const f = fixture({ config: { services: [{ name: 'web', vip: '192.0.2.1', ports: [80] }] } });
  await f.run('configure', 'service web');
  // What `?` at the end of the line lists (the face passes the line before the `?`).
  const help = (line: string, token: string) => {
    const r = f.session.help(line.replace(/\?$/, ''));
    assert.ok(r.ok, `${line}: ${JSON.stringify(r)}`);
    return r.entries.find((e) => e.token === token)?.help;
  };
  assert.equal(help('backend ?', 'ADDRESS'), docOf(['backends', 'address']));
  assert.equal(help('backend 198.51.100.9 ?', 'weight'), docOf(['backends', 'weight']));
  assert.equal(help('backend 198.51.100.9 weight ?', '<0-2147483647>'), docOf(['backends', 'weight']));
  assert.equal(help('slow-start ?', '<0-3600>'), docOf(['slow_start_s']));
  assert.equal(help('?', 'shutdown'), docOf(['enabled']));
  assert.equal(help('?', 'description'), docOf(['description']));
  assert.equal(help('?', 'fwmark'), docOf(['fwmark']));
  assert.equal(help('persistence 60 ?', 'netmask'), docOf(['persistence', 'netmask']));
  assert.equal(help('health http ?', 'interval'), docOf(['health', 'interval_ms']));
  assert.equal(help('forwarding tunnel gue ?', 'port'), docOf(['forwarding', 'tunnel', 'port']));
});

test('the schema docs of service, backend and health fields read as sentences: a capital first letter', () => {
  const lower = fieldReference()
    .filter((f) => f.path.startsWith('services'))
    .filter((f) => !/^[A-Z]/.test(f.doc))
    .map((f) => `${f.path}: ${f.doc}`);
  assert.deepEqual(lower, []);
  assert.ok(HEALTH_SETTING.words.length > 10);
});

test("weight's help has one wording: the shell's `?`, docs/commands.md and docs/config.md", async () => {
  const doc = fieldsOf(BACKEND_SCHEMA).weight.doc;
  const wordings = new Set<string>();
  for (const g of Object.values(modeGrammars()))
    for (const spec of g.specs()) for (const i of g.describe(spec)) if (i.token === 'weight') wordings.add(i.help);
  const f = fixture({ config: { services: [{ name: 'web', vip: '192.0.2.1', ports: [80], backends: [{ address: '198.51.100.1' }] }] } });
  await f.run('configure', 'service web');
  const shown = f.session.help('backend 198.51.100.1 ');
  assert.ok(shown.ok);
  wordings.add(shown.entries.find((e) => e.token === 'weight')!.help);
  const read = (name: string) => readFileSync(fileURLToPath(new URL(`../../../../docs/${name}`, import.meta.url)), 'utf8');
  const commandRows = read('commands.md').split('\n').filter((l) => l.startsWith('| `weight` |'));
  assert.ok(commandRows.length > 0, 'docs/commands.md documents weight');
  for (const row of commandRows) wordings.add(row.split(' | ')[1].replace(/ \|$/, ''));
  const configRow = read('config.md').split('\n').find((l) => l.startsWith('| `services[].backends[].weight` |'));
  assert.ok(configRow, 'docs/config.md documents weight');
  wordings.add(configRow.split(' | ').at(-1)!.replace(/ \|$/, ''));
  assert.deepEqual([...wordings], [doc]);
});
