// The YAML fuzz corpus: configuration directories made from dist/examples (config.yaml and config.d/*) with one
// to three mutations each: byte flips, truncation, key typos, deep nesting, huge numbers, wrong types, duplicate
// keys, anchors and aliases (alias bombs too), binary junk, empty files and text that is not UTF-8. Files are
// bytes, as a disk holds them; the library is given what readConfigFile makes of them (UTF-8 decoding).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Rnd, int, pick } from './prng.js';

export interface FuzzFile {
  /** Relative to the configuration directory: `config.yaml`, `config.d/web.yaml`. */
  path: string;
  bytes: Buffer;
}

export interface FuzzCase {
  files: FuzzFile[];
  /** The mutations applied, for the report (`web.yaml:keyTypo`). */
  mutations: string[];
}

/** The example directory's files, in load order. */
export function exampleFiles(examples: string): FuzzFile[] {
  const files: FuzzFile[] = [{ path: 'config.yaml', bytes: readFileSync(join(examples, 'config.yaml')) }];
  for (const n of readdirSync(join(examples, 'config.d')).sort()) files.push({ path: `config.d/${n}`, bytes: readFileSync(join(examples, 'config.d', n)) });
  return files;
}

type Mutator = (text: Buffer, rnd: Rnd) => Buffer;

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const str = (b: Buffer) => b.toString('latin1'); // byte-preserving: mutations work on bytes
const bytes = (s: string) => Buffer.from(s, 'latin1');

/** Offsets just after `key:` (where a value starts), so that values can be replaced. */
function valueSpots(text: string): { keyStart: number; keyEnd: number; valueStart: number; valueEnd: number }[] {
  const out = [];
  const re = /^([ \t-]*)([A-Za-z_][A-Za-z0-9_]*):([ \t]*)([^\n#]*)/gm;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const keyStart = m.index + m[1].length;
    const keyEnd = keyStart + m[2].length;
    const valueStart = keyEnd + 1 + m[3].length;
    out.push({ keyStart, keyEnd, valueStart, valueEnd: valueStart + m[4].length });
  }
  return out;
}

function replaceValue(b: Buffer, rnd: Rnd, values: readonly string[], onlyNumbers = false): Buffer {
  const t = str(b);
  let spots = valueSpots(t);
  if (onlyNumbers) {
    const numeric = spots.filter((s) => /^-?\d/.test(t.slice(s.valueStart, s.valueEnd)));
    if (numeric.length > 0) spots = numeric;
  }
  if (spots.length === 0) return bytes(t + `\nx: ${pick(rnd, values)}\n`);
  const s = pick(rnd, spots);
  return bytes(t.slice(0, s.valueStart) + pick(rnd, values) + t.slice(s.valueEnd));
}

const HUGE = [
  '99999999999999999999999999999', '-99999999999999999999', '1e400', '-1e400', '1.7976931348623157e309', '4294967296',
  '2147483648', '-1', '-0', '0x7fffffffffffffffff', '0o777777777777777777777', '.inf', '-.inf', '.nan', '1_000', '65536',
  '0.5', '1e3', '9007199254740993', `${'9'.repeat(400)}`, '+12', '0b101',
];

const WRONG_TYPES = [
  '[]', '{}', '[1, 2, [3]]', '{a: 1}', 'true', 'false', 'null', '~', '""', "''", 'yes', 'no', 'on', '"80"', '!!binary aGVsbG8=',
  '!!str 12', '!!int "x"', '!!float abc', '!!timestamp 2001-12-14', '!!set {a, b}', '!!omap [a: 1]', '!custom x', '|\n  text\n  block',
  '>-\n  folded', '"\\u0000\\x1b[2J"', '"tab\\there"', '2001-12-14t21:59:43.10-05:00', "'a''b'", '&x 1', '*undefinedAnchor', '? complex\n: key',
];

const NESTERS: ((depth: number) => string)[] = [
  (d) => '['.repeat(d) + ']'.repeat(d),
  (d) => '{a: '.repeat(d) + '1' + '}'.repeat(d),
  (d) => '['.repeat(d), // never closed
  (d) => '- '.repeat(Math.min(d, 5000)) + 'x',
  (d) => '\n' + Array.from({ length: Math.min(d, 3000) }, (_, i) => `${' '.repeat(i + 1)}k${i}:`).join('\n') + ' 1',
];

const JUNK_BYTES = [0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x7f, 0x80, 0x9b, 0xc0, 0xc1, 0xfe, 0xff, 0x09, 0x0d, 0x0a, 0x22, 0x27, 0x3a, 0x23, 0x26, 0x2a, 0x21, 0x7c, 0x3e, 0x25, 0x40, 0x60];

const NON_UTF8 = [
  [0xff], [0xfe, 0xff], [0xc3, 0x28], [0xa0, 0xa1], [0xe2, 0x28, 0xa1], [0xf0, 0x28, 0x8c, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80],
  [0xc0, 0xaf], [0xef, 0xbb, 0xbf], [0xf4, 0x90, 0x80, 0x80],
];

const MUTATORS: Record<string, Mutator> = {
  byteFlip(b, rnd) {
    const out = Buffer.from(b);
    for (let i = int(rnd, 1, 8); i > 0 && out.length > 0; i--) out[int(rnd, 0, out.length - 1)] ^= 1 << int(rnd, 0, 7);
    return out;
  },
  truncate: (b, rnd) => b.subarray(0, int(rnd, 0, b.length)),
  keyTypo(b, rnd) {
    const t = str(b);
    const spots = valueSpots(t);
    if (spots.length === 0) return b;
    const s = pick(rnd, spots);
    const key = t.slice(s.keyStart, s.keyEnd);
    const i = int(rnd, 0, key.length - 1);
    const typos = [
      key.slice(0, i) + key.slice(i + 1), // dropped letter
      key.slice(0, i) + key[i] + key.slice(i), // doubled letter
      key.slice(0, i) + (key[i + 1] ?? '') + key[i] + key.slice(i + 2), // swapped letters
      key.toUpperCase(),
      key.replace(/_/g, '-'),
      key + 's',
      key.slice(0, i) + pick(rnd, ['.', ' ', '"', '-', '[', '&', '<<']) + key.slice(i),
    ];
    return bytes(t.slice(0, s.keyStart) + pick(rnd, typos) + t.slice(s.keyEnd));
  },
  deepNesting: (b, rnd) => replaceValue(b, rnd, [pick(rnd, NESTERS)(pick(rnd, [10, 100, 1000, 5000, 20_000]))]),
  hugeNumber: (b, rnd) => replaceValue(b, rnd, HUGE, true),
  wrongType: (b, rnd) => replaceValue(b, rnd, WRONG_TYPES),
  duplicateKey(b, rnd) {
    const lines = str(b).split('\n');
    const keyed = lines.map((l, i) => ({ l, i })).filter((x) => /^\s*-?\s*[A-Za-z_]+:/.test(x.l));
    if (keyed.length === 0) return b;
    const { l, i } = pick(rnd, keyed);
    const copy = l.replace(/^(\s*)- /, '$1  '); // a second key in the same mapping, not a new list item
    lines.splice(i + 1, 0, rnd() < 0.5 ? copy : copy.replace(/:.*/, ': 1'));
    return bytes(lines.join('\n'));
  },
  anchorsAliases(b, rnd) {
    const t = str(b);
    const spots = valueSpots(t);
    const kind = int(rnd, 0, 5);
    if (kind === 0) {
      // The billion laughs: every level doubles (or tenfolds) the aliases.
      const n = int(rnd, 5, 30);
      const lines = ['a0: &a0 [lol, lol, lol]'];
      for (let i = 1; i < n; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: int(rnd, 2, 10) }, () => `*a${i - 1}`).join(', ')}]`);
      return bytes(t + '\n' + lines.join('\n') + '\n');
    }
    if (kind === 1) return bytes(t + '\nx: *nosuchanchor\n');
    if (kind === 2) return bytes(t + '\nx: &self [*self]\n');
    if (spots.length < 2) return b;
    const [s1, s2] = [pick(rnd, spots), pick(rnd, spots)].sort((x, y) => x.valueStart - y.valueStart);
    if (s1 === s2) return b;
    if (kind === 3) {
      // An anchor on one value, an alias in place of a later one.
      return bytes(t.slice(0, s1.valueStart) + '&fz ' + t.slice(s1.valueStart, s2.valueStart) + '*fz' + t.slice(s2.valueEnd));
    }
    if (kind === 4) return bytes(t.slice(0, s2.keyStart) + '<<: ' + pick(rnd, ['*fz', '1', '[a, b]', '{port: 1}', 'null']) + '\n' + ' '.repeat(Math.max(0, s2.keyStart - t.lastIndexOf('\n', s2.keyStart) - 1)) + t.slice(s2.keyStart));
    return bytes(t.slice(0, s2.valueStart) + '*' + t.slice(s2.valueStart));
  },
  binaryJunk(b, rnd) {
    const at = int(rnd, 0, b.length);
    const junk = Buffer.from(Array.from({ length: int(rnd, 1, 64) }, () => (rnd() < 0.5 ? pick(rnd, JUNK_BYTES) : int(rnd, 0, 255))));
    return Buffer.concat([b.subarray(0, at), junk, b.subarray(at)]);
  },
  empty: (_b, rnd) => utf8(pick(rnd, ['', ' ', '\n', '\n\n\n', '# only a comment\n', '---\n', '---\n...\n', '---\n---\n', '~\n', 'null\n', '{}\n', '[]\n', '"text"\n', '42\n', '\t\n', '\ufeff'])),
  nonUtf8(b, rnd) {
    if (rnd() < 0.15) return Buffer.from(b.toString('utf8'), 'utf16le'); // the whole file in UTF-16
    const at = int(rnd, 0, b.length);
    return Buffer.concat([b.subarray(0, at), Buffer.from(pick(rnd, NON_UTF8)), b.subarray(at)]);
  },
  documents: (b, rnd) => Buffer.concat([b, utf8(pick(rnd, ['\n---\nservices: []\n', '\n---\n', '\n...\n', '\n%YAML 1.1\n---\nx: 1\n', '\n--- !!map\n']))]),
  directive: (b, rnd) => Buffer.concat([utf8(pick(rnd, ['%YAML 1.1\n---\n', '%YAML 2.0\n---\n', '%TAG ! tag:x,2000:\n---\n', '%FOO bar\n---\n', '--- !!seq\n'])), b]),
  lineShuffle(b, rnd) {
    const lines = str(b).split('\n');
    const i = int(rnd, 0, lines.length - 1);
    const j = int(rnd, 0, lines.length - 1);
    switch (int(rnd, 0, 3)) {
      case 0:
        [lines[i], lines[j]] = [lines[j], lines[i]];
        break;
      case 1:
        lines.splice(i, 1);
        break;
      case 2:
        lines[i] = ' '.repeat(int(rnd, 1, 3)) + lines[i];
        break;
      default:
        lines[i] = lines[i].replace(/^ +/, '') + (rnd() < 0.5 ? '\t' : '');
    }
    return bytes(lines.join('\n'));
  },
  hugeText: (b, rnd) => replaceValue(b, rnd, [`"${'x'.repeat(int(rnd, 1000, 60_000))}"`, 'a'.repeat(int(rnd, 1000, 60_000)), `"${'\\u00e9'.repeat(10_000)}"`]),
};

export const MUTATION_KINDS = Object.keys(MUTATORS);

/** One case: the example files (sometimes a subset, sometimes under other names) with one to three mutations. */
export function yamlCase(base: readonly FuzzFile[], rnd: Rnd): FuzzCase {
  let files = base.map((f) => ({ ...f }));
  const mutations: string[] = [];
  // Layout changes that no file's bytes show.
  const layout = rnd();
  if (layout < 0.08) {
    files = files.filter(() => rnd() < 0.6);
    mutations.push('subset');
  } else if (layout < 0.12) {
    files = [{ path: 'config.yml', bytes: files[0].bytes }, ...files];
    mutations.push('config.yml-too');
  } else if (layout < 0.16) {
    const src = pick(rnd, files);
    files.push({ path: `config.d/zz-copy${pick(rnd, ['.yaml', '.yml'])}`, bytes: src.bytes });
    mutations.push(`copy-of:${src.path}`);
  }
  if (files.length === 0) return { files, mutations };
  for (let n = int(rnd, 1, 3); n > 0; n--) {
    const f = pick(rnd, files);
    const kind = pick(rnd, MUTATION_KINDS);
    f.bytes = MUTATORS[kind](f.bytes, rnd);
    mutations.push(`${f.path}:${kind}`);
  }
  return { files, mutations };
}
