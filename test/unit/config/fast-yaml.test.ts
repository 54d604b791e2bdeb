// The fast load (js-yaml with a core-schema made to match `yaml`'s) must read every text it accepts into exactly
// the data `yaml` reads: the two libraries are held to one model here. What js-yaml refuses goes to `yaml`, which
// locates the error.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readYamlData } from '../../../config/fast-yaml.js';
import { loadConfigTexts, locatedLoad, parseConfigDocument, readConfigTexts } from '../../../config/load.js';

const SCALARS = [
  '0', '-5', '+7', '007', '0o17', '0x1F', '0x1f', '1_000', '0b101', '08', '0o8', '0xG',
  '1.5', '.5', '-1.', '1e3', '1E-2', '+.inf', '-.Inf', '.NaN', '.nan', '1.0', '12:30', '1:20:00',
  'true', 'True', 'TRUE', 'tRUE', 'false', 'yes', 'no', 'on', 'off', 'y', 'n',
  '~', 'null', 'Null', 'NULL', 'nUll', '',
  '2026-11-30', '2026-11-30T10:00:00Z', '::1', '2001:db8::1', '192.0.2.1', '192.0.2.1:80', '7000-7010', 'fe80::1%eth0',
  '"80"', "'80'", '"true"', '"~"', '!!str 80', '!!int "42"', '!!float "1"', '"a\\tb\\u00e9"', "'it''s'", 'é→ü', 'a: b',
];

function agree(text: string, label: string): void {
  const fast = readYamlData(text);
  const doc = parseConfigDocument(text);
  if ('failed' in fast) return; // js-yaml refuses: the located load reads it (nothing to compare)
  assert.equal(doc.errors.length, 0, `${label}: js-yaml read what yaml refuses: ${JSON.stringify(text)}`);
  assert.deepStrictEqual(fast.data ?? null, doc.toJS({ maxAliasCount: 1000 }) ?? null, `${label}: ${JSON.stringify(text)}`);
}

test('plain, quoted and tagged scalars resolve to the same values as yaml core', () => {
  for (const v of SCALARS) {
    agree(`k: ${v}\n`, 'block');
    agree(`k: [${v}]\n`, 'flow seq');
    agree(`- ${v}\n`, 'seq');
  }
});

test('structures: anchors, aliases, merge keys, block scalars, flow maps, comments, documents', () => {
  const texts = [
    'a: &x {p: 1, q: [2, 3]}\nb: *x\n',
    'base: &b {weight: 5, port: 80}\nsvc:\n  <<: *b\n  port: 81\n',
    'one: &o {a: 1}\ntwo: &t {b: 2}\nm:\n  <<: [*o, *t]\n  c: 3\n',
    'text: |\n  line1\n  line2\nfold: >-\n  a\n  b\nkeep: |+\n  x\n\n',
    '# top\n---\nservices:\n  - name: web # the shop\n    ports: [80, 7000-7010, "8080"]\n    backends:\n      - {address: 198.51.100.1,   port: 8080, weight: 10}\n',
    '{a: 1, "b c": [x, y], ? k : v}\n',
    'empty:\nlist: []\nmap: {}\n',
    '',
    '# only a comment\n',
    'key with spaces: value with: colon\n',
  ];
  texts.forEach((t, i) => agree(t, `text ${i}`));
});

test('what js-yaml refuses (duplicate keys, several documents, bad syntax) is left to yaml', () => {
  for (const t of ['a: 1\na: 2\n', 'a: 1\n---\nb: 2\n', 'a: [1, 2\n', '\ta: 1\n']) {
    assert.ok('failed' in readYamlData(t), JSON.stringify(t));
  }
});

test('the shipped example and every fixture directory load to the same model both ways', () => {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
  const dirs = [join(root, 'dist', 'examples')];
  for (const dir of dirs) {
    const { files, layout } = readConfigTexts(dir);
    const fast = loadConfigTexts(files, layout);
    const located = locatedLoad(files, layout);
    assert.deepEqual(fast.errors, []);
    assert.deepStrictEqual(fast.config, located.config, dir);
    assert.equal(fast.files[0].data !== undefined, true, 'read the fast way');
  }
  // A file set with an error: the located load answers, with the position.
  const bad = loadConfigTexts([{ path: 'config.yaml', text: 'services:\n  - name: web\n    vip: 192.0.2.1\n    ports: [80]\n    scheduler: fastest\n    backends: []\n' }], 'directory');
  assert.equal(bad.config, null);
  assert.match(`${bad.errors[0].file}:${bad.errors[0].line}`, /^config\.yaml:5$/);
});
