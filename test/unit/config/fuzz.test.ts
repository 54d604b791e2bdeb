// Mangled versions of the shipped examples (lines dropped, duplicated, characters changed; a fixed seed, so
// every run is the same): loading never throws, every error is located inside its file, a configuration is
// returned exactly when there is no error, and whatever loads renders back onto its own files to the same model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, loadConfigTexts, type ConfigText } from '../../../config/load.js';
import { renderConfigFiles } from '../../../config/render.js';
import { EXAMPLES_DIR } from './helpers.js';

function rng(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s % n;
  };
}

const JUNK = [' ', ':', '-', '#', '[', ']', '{', '}', '0', '9', 'x', '"', '\t', ','];

function mangle(text: string, rnd: (n: number) => number): string {
  const lines = text.split('\n');
  const op = rnd(4);
  const i = rnd(lines.length);
  if (op === 0) lines.splice(i, 1);
  else if (op === 1) lines.splice(i, 0, lines[i]);
  else {
    const line = lines[i];
    const at = rnd(line.length + 1);
    lines[i] = line.slice(0, at) + JUNK[rnd(JUNK.length)] + line.slice(at + (op === 2 ? 1 : 0));
  }
  return lines.join('\n');
}

test('200 mangled example directories: no throw, located errors, config iff no error, stable re-render', () => {
  const base = loadConfig(EXAMPLES_DIR).files.map((f) => ({ path: f.path, text: f.text }));
  const rnd = rng(2026);
  let valid = 0;
  let invalid = 0;
  for (let trial = 0; trial < 200; trial++) {
    const texts: ConfigText[] = base.map((f) => ({ ...f }));
    for (let k = 0; k < 1 + rnd(3); k++) {
      const f = texts[rnd(texts.length)];
      f.text = mangle(f.text, rnd);
    }
    const r = loadConfigTexts(texts);
    assert.equal(r.config === null, r.errors.length > 0, `trial ${trial}`);
    for (const e of r.errors) {
      const file = texts.find((t) => t.path === e.file);
      assert.ok(file, `trial ${trial}: error names a loaded file: ${e.file}`);
      const lineCount = file.text.split('\n').length;
      assert.ok(e.line >= 1 && e.line <= lineCount, `trial ${trial}: line ${e.line} within ${e.file} (${lineCount} lines)`);
      assert.ok(e.column >= 1, `trial ${trial}: column ${e.column}`);
      assert.notEqual(e.message, '');
    }
    if (r.config) {
      valid++;
      const again = loadConfigTexts([...renderConfigFiles(r.config, r.files)].map(([path, text]) => ({ path, text })));
      assert.deepEqual(again.config, r.config, `trial ${trial}`);
    } else invalid++;
  }
  // Both outcomes occur, so both halves of the test did run.
  assert.ok(valid > 10 && invalid > 10, `valid ${valid}, invalid ${invalid}`);
});

const ADDRESS_SEEDS = [
  'fe80::1%eth0', 'fe80::5%lo', '::1%1', 'fe80::1%', '%', '1.2.3.4%eth0', '::ffff:1.2.3.4%eth0', 'fe80::1%eth0%eth1',
  'fe80::%25eth0', '[::1]', '::1]', '1.2.3.4/24', '2001:db8::/32', '::ffff:0.0.0.0', '::ffff:255.255.255.255',
  '127.1', '0x7f.0.0.1', '01.02.03.04', '1.2.3.256', ':::', '1::2::3', ' ::1', '::1 ', '::', '0.0.0.0',
  '255.255.255.255', 'ff02::1', 'FF02::1%Eth0', '::FFFF:C000:020A', '2001:db8::1', '192.0.2.10',
];
const ADDRESS_JUNK = ['%', ':', '.', '[', ']', '/', 'f', '0', 'e', ' ', 'x', '%eth0', '::'];

/** The seeds, then seeded mutations of them (a character inserted, replaced or dropped). */
function addressLikeStrings(): string[] {
  const rnd = rng(6);
  const out = [...ADDRESS_SEEDS];
  for (let i = 0; i < 400; i++) {
    const s = ADDRESS_SEEDS[rnd(ADDRESS_SEEDS.length)];
    const at = rnd(s.length + 1);
    const op = rnd(3);
    const junk = ADDRESS_JUNK[rnd(ADDRESS_JUNK.length)];
    out.push(op === 0 ? s.slice(0, at) + junk + s.slice(at) : op === 1 ? s.slice(0, at) + junk + s.slice(at + 1) : s.slice(0, at) + s.slice(at + 1));
  }
  return out;
}

test('address-like strings as vip, backend and listen address: no throw, located errors, config iff no error', () => {
  let refused = 0;
  for (const a of addressLikeStrings()) {
    const q = JSON.stringify(a);
    const texts: ConfigText[] = [
      { path: 'config.yaml', text: `vip: ${q}\nobservability:\n  prometheus:\n    bind: ${q}\n` },
      { path: 'config.d/a.yaml', text: `services:\n  - name: a\n    vip: ${q}\n    ports: [80]\n    backends:\n      - address: ${q}\n      - address: ${q}\n        port: 81\n` },
    ];
    const r = loadConfigTexts(texts);
    assert.equal(r.config === null, r.errors.length > 0, q);
    for (const e of r.errors) {
      assert.ok(e.line >= 1 && e.column >= 1, `${q}: ${e.file}:${e.line}:${e.column}`);
      assert.ok(texts.some((t) => t.path === e.file), `${q}: error in a loaded file`);
    }
    if (a.includes('%')) assert.ok(r.errors.length > 0, `${q}: a zone id must never validate`);
    if (r.config) {
      const again = loadConfigTexts([...renderConfigFiles(r.config, r.files)].map(([path, text]) => ({ path, text })));
      assert.deepEqual(again.config, r.config, q);
    } else refused++;
  }
  assert.ok(refused > 100, `refused ${refused}`);
});
