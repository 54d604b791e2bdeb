// A changed service written into a file that is JSON (store/json-service-splice.ts): the rest of the file keeps
// every byte, a changed scalar is written in place, anything else is the item rendered as JSON in the item's own
// style, and a text that is not lexically JSON is left to the whole-file renderer (null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { edit, loadConfigText, sections, services } from './splice-fixtures.js';
import { looksLikeJson, spliceJsonServicesChecked } from '../../../store/json-service-splice.js';
import { splicedItemsLoadBack } from '../../../store/changed-files.js';
import { openStore } from '../../../store/store.js';
import { loadConfig } from '../../../config/load.js';
import { configsEqual } from '../../../config/equal.js';
import { tempDirs } from './fixtures.js';
import type { Service } from '../../../config/model.js';

// As Python's json.dumps(indent=2) or JSON.stringify(…, null, 2) writes it; a description with quotes and
// brackets inside the string, which a scan that did not skip strings whole would miscount.
const FILE = `${JSON.stringify(
  {
    services: [
      { name: 'web', vip: '192.0.2.1', ports: [80], backends: [{ address: '198.51.100.1', port: 8080, weight: 5 }, { address: '198.51.100.2', port: 8080, weight: 5 }] },
      { name: 'api', description: 'the "API" [v2] {beta} \\ }]', vip: '192.0.2.2', ports: [443], scheduler: 'wrr', persistence: {}, backends: [{ address: '198.51.100.3', port: 8443, weight: 1 }] },
      { name: 'mail', vip: '192.0.2.3', ports: [25], backends: [{ address: '198.51.100.4' }] },
    ],
  },
  null,
  2,
)}\n`;
const REL = 'config.d/all.yaml';

const loadsAsJson = (alone: string, s: Service) => {
  const loaded = services(alone);
  return loaded.length === 1 && JSON.stringify(loaded[0]) === JSON.stringify(s);
};
const layoutOf = (text: string) => ({ services: services(text).map((s) => s.name), sections: [] as string[] });

/** The spliced file loads to the old services with `changed` in its place, and the check vouched for it. */
function assertSpliced(text: string, changed: Service, out: { text: string; check: Parameters<typeof splicedItemsLoadBack>[1] }): void {
  assert.equal(splicedItemsLoadBack(REL, out.check, layoutOf(text)), true, 'the item check vouches for the splice');
  const before = services(text);
  const after = services(out.text);
  assert.deepEqual(after.map((s) => s.name), before.map((s) => s.name));
  for (const [i, s] of after.entries()) assert.deepEqual(s, s.name === changed.name ? changed : before[i], s.name);
}

test('a weight is written in place: every other byte of the JSON file stays', () => {
  assert.equal(looksLikeJson(FILE), true);
  const before = new Map(services(FILE).map((s) => [s.name, s]));
  const second = edit(FILE, 'web', (s) => (s.backends[1].weight = 9));
  const out = spliceJsonServicesChecked(FILE, [second], sections(), { before, loadsAs: loadsAsJson })!;
  // Both of web's backends say 5: the first place is refused by the loader, the second taken.
  const at = FILE.indexOf('"weight": 5', FILE.indexOf('198.51.100.2'));
  assert.equal(out.text, `${FILE.slice(0, at)}"weight": 9${FILE.slice(at + '"weight": 5'.length)}`);
  assertSpliced(FILE, second, out);
  // A string value inside the tricky item.
  const api = edit(FILE, 'api', (s) => (s.scheduler = 'rr'));
  const out2 = spliceJsonServicesChecked(FILE, [api], sections(), { before, loadsAs: loadsAsJson })!;
  assert.equal(out2.text, FILE.replace('"scheduler": "wrr"', '"scheduler": "rr"'));
  assertSpliced(FILE, api, out2);
});

test('any other change renders the item alone as JSON in its style; defaults the item wrote stay, none is added', () => {
  const before = new Map(services(FILE).map((s) => [s.name, s]));
  const api = edit(FILE, 'api', (s) => s.backends.push({ ...s.backends[0], address: '198.51.100.9', weight: 2 }));
  const out = spliceJsonServicesChecked(FILE, [api], sections(), { before, loadsAs: loadsAsJson })!;
  assertSpliced(FILE, api, out);
  const start = FILE.indexOf('    {\n      "name": "api"');
  const end = FILE.indexOf('    {\n      "name": "mail"');
  assert.equal(out.text.slice(0, start), FILE.slice(0, start), 'the items before keep their bytes');
  assert.equal(out.text.slice(out.text.length - (FILE.length - end)), FILE.slice(end), 'the items after keep their bytes');
  const item = out.text.slice(start, out.text.length - (FILE.length - end));
  assert.match(item, /^ {4}\{\n {6}"name": "api",\n {6}"description": /, 'indented as the item was, keys in its order');
  assert.match(item, /"scheduler": "wrr"/, 'a default the item spelled out is kept');
  assert.match(item, /"persistence": \{\}/, 'no default nobody wrote is added');
  assert.match(item, /"weight": 1\n/, 'the old backend keeps its written default weight');
  assert.match(item, /"address": "198.51.100.9",\n {10}"port": 8443,\n {10}"weight": 2\n/);

  // One item on one line, spaced as Python writes it: the rendered item is one line too.
  const oneLine = `{"services": [{"name": "web", "vip": "192.0.2.1", "ports": [80], "backends": [{"address": "198.51.100.1"}]}, {"name": "mail", "vip": "192.0.2.3", "ports": [25], "backends": [{"address": "198.51.100.4"}]}]}\n`;
  const web = edit(oneLine, 'web', (s) => s.backends.push({ ...s.backends[0], address: '198.51.100.5' }));
  const out3 = spliceJsonServicesChecked(oneLine, [web], sections())!;
  assert.equal(
    out3.text,
    oneLine.replace('[{"address": "198.51.100.1"}]', '[{"address": "198.51.100.1"}, {"address": "198.51.100.5"}]'),
  );
  assertSpliced(oneLine, web, out3);
});

test('a text that is not lexically JSON, or not laid out as one services array of named objects, is left to the whole-file renderer', () => {
  const web = edit(FILE, 'web', (s) => (s.backends[0].weight = 9));
  const cases: Record<string, string> = {
    'a YAML comment': FILE.replace('"vip": "192.0.2.1",', '"vip": "192.0.2.1", # the site'),
    'a single-quoted string': FILE.replace('"vip": "192.0.2.1"', `"vip": '192.0.2.1'`),
    'a plain key': FILE.replace('"vip": "192.0.2.1"', 'vip: "192.0.2.1"'),
    'a plain value': FILE.replace('"vip": "192.0.2.1"', '"vip": 192.0.2.1x'),
    'an anchor': FILE.replace('"ports": [\n        80\n      ]', '"ports": &p [80]'),
    'text after the object': FILE + '---\n',
    'services twice': FILE.replace('{\n  "services"', '{\n  "services": [],\n  "services"'),
    'services not a list': '{"services": {"web": {}}}\n',
    'an item not an object': '{"services": ["web"]}\n',
    'an item without a name': FILE.replace('"name": "mail",', ''),
    'a name twice in one item': FILE.replace('"name": "mail",', '"name": "mail", "name": "mail2",'),
    'a name that is not a string': FILE.replace('"name": "mail"', '"name": ["mail"]'),
    'the same name in two items': FILE.replace('"name": "mail"', '"name": "web"'),
    'no such service': FILE.replace('"name": "web"', '"name": "www"'),
    'a YAML-only escape in a name': FILE.replace('"name": "web"', '"name": "w\\x65b"'),
    'unbalanced brackets': FILE.replace(/\}\n$/, '\n'),
    'block YAML': 'services:\n  - name: web\n',
  };
  for (const [why, text] of Object.entries(cases)) assert.equal(spliceJsonServicesChecked(text, [web], sections()), null, why);
});

test('a store commit into a JSON file rewrites only the changed value; the other files and items keep their bytes', async () => {
  const dirs = tempDirs();
  mkdirSync(join(dirs.configDir, 'config.d'), { recursive: true });
  const top = '# globals\nnode:\n  name: lb1\n';
  writeFileSync(join(dirs.configDir, 'config.yaml'), top);
  writeFileSync(join(dirs.configDir, REL), FILE);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const cand = structuredClone(store.running().config);
  cand.services.find((s) => s.name === 'mail')!.backends[0].weight = 4; // mail wrote no weight: the item is rendered
  cand.services.find((s) => s.name === 'web')!.backends[0].weight = 6; // in place
  const out = await store.commit(cand, 1, { origin: 'shell' });
  assert.equal(out.kind, 'committed');
  assert.deepEqual(out.kind === 'committed' && out.filesWritten, [REL]);
  assert.equal(readFileSync(join(dirs.configDir, 'config.yaml'), 'utf8'), top);
  const text = readFileSync(join(dirs.configDir, REL), 'utf8');
  const mailAt = FILE.indexOf('    {\n      "name": "mail"');
  assert.equal(text.slice(0, mailAt), FILE.slice(0, mailAt).replace('"weight": 5', '"weight": 6'), 'web: one value changed, api untouched');
  assert.equal(
    text.slice(mailAt),
    '    {\n      "name": "mail",\n      "vip": "192.0.2.3",\n      "ports": [\n        25\n      ],\n      "backends": [\n        {\n          "address": "198.51.100.4",\n          "weight": 4\n        }\n      ]\n    }\n  ]\n}\n',
  );
  assert.ok(configsEqual(loadConfig(dirs.configDir).config!, store.running().config), 'the files say the revision');
  assert.ok(configsEqual(store.running().config, cand));
});

test('items taken out go with their separator; the rest keeps its bytes; a file left without items is not spliced', () => {
  const parsed = JSON.parse(FILE) as { services: Array<{ name: string }> };
  const without = (...names: string[]) => `${JSON.stringify({ services: parsed.services.filter((s) => !names.includes(s.name)) }, null, 2)}\n`;
  const cases: Array<[string[], string]> = [
    [['api'], without('api')],
    [['mail'], without('mail')],
    [['web'], without('web')],
    [['api', 'mail'], without('api', 'mail')],
    [['web', 'api'], without('web', 'api')],
  ];
  for (const [removed, expected] of cases) {
    const out = spliceJsonServicesChecked(FILE, [], sections(), undefined, removed);
    assert.equal(out?.text, expected, `without ${removed.join(', ')}: exactly the items and their separators are gone`);
    assert.deepEqual(out!.check.names, ['web', 'api', 'mail'].filter((n) => !removed.includes(n)));
  }
  // Taken out and changed in one go: mail out, web's weight in place.
  const before = new Map(services(FILE).map((s) => [s.name, s]));
  const web = edit(FILE, 'web', (s) => (s.backends[0].weight = 8));
  const both = spliceJsonServicesChecked(FILE, [web], sections(), { before, loadsAs: loadsAsJson }, ['mail'])!;
  assert.equal(both.text, without('mail').replace('"weight": 5', '"weight": 8'));
  assert.equal(splicedItemsLoadBack(REL, both.check, { services: ['web', 'api'], sections: [] }), true);
  assert.equal(spliceJsonServicesChecked(FILE, [], sections(), undefined, ['web', 'api', 'mail']), null, 'nothing left: the whole-file plan deletes the file');
  assert.equal(spliceJsonServicesChecked(FILE, [web], sections(), undefined, ['web']), null, 'a service both changed and taken out');
});

test('a store commit that removes a service from a JSON file cuts its item out; the next commit splices on the new layout', async () => {
  const dirs = tempDirs();
  mkdirSync(join(dirs.configDir, 'config.d'), { recursive: true });
  writeFileSync(join(dirs.configDir, 'config.yaml'), 'node:\n  name: lb1\n');
  writeFileSync(join(dirs.configDir, REL), FILE);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const cand = structuredClone(store.running().config);
  cand.services = cand.services.filter((s) => s.name !== 'api');
  const out = await store.commit(cand, 1, { origin: 'shell' });
  assert.equal(out.kind, 'committed');
  assert.deepEqual(out.kind === 'committed' && out.filesWritten, [REL]);
  const parsed = JSON.parse(FILE) as { services: Array<{ name: string }> };
  const expected = `${JSON.stringify({ services: parsed.services.filter((s) => s.name !== 'api') }, null, 2)}\n`;
  assert.equal(readFileSync(join(dirs.configDir, REL), 'utf8'), expected, 'the item and its separator are gone, nothing else changed');
  assert.deepEqual(store.running().layout?.[REL], { services: ['web', 'mail'], sections: [] });
  assert.ok(configsEqual(loadConfig(dirs.configDir).config!, store.running().config));

  const next = structuredClone(store.running().config);
  next.services.find((s) => s.name === 'mail')!.vip = '192.0.2.33';
  const again = await store.commit(next, 2, { origin: 'shell' });
  assert.equal(again.kind, 'committed');
  assert.equal(readFileSync(join(dirs.configDir, REL), 'utf8'), expected.replace('"192.0.2.3"', '"192.0.2.33"'));
  assert.ok(configsEqual(loadConfig(dirs.configDir).config!, store.running().config));
});

test('an item rendered into a file indented with tabs and ended with CRLF keeps both', () => {
  const tabbed = FILE.replace(/^( +)/gm, (spaces) => '\t'.repeat(spaces.length / 2)).replace(/\n/g, '\r\n');
  const before = new Map(services(tabbed).map((s) => [s.name, s]));
  const api = edit(tabbed, 'api', (s) => s.backends.push({ ...s.backends[0], address: '198.51.100.9' }));
  const out = spliceJsonServicesChecked(tabbed, [api], sections(), { before, loadsAs: loadsAsJson })!;
  assertSpliced(tabbed, api, out);
  assert.equal(out.text.replace(/\r\n/g, '').includes('\n'), false, 'every line still ends with CRLF');
  assert.match(out.text, /\r\n\t\t\t\t\{\r\n\t\t\t\t\t"address": "198\.51\.100\.9",\r\n/, 'the new backend indented with tabs, as the file is');
});
