// Issue 15 points 4 and 8: files that are not configurations, or are built to hurt, are refused in words with
// their location; misspelled keys are errors even with nothing after them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatConfigError, loadConfig, MAX_CONFIG_FILE_BYTES, TOO_DEEP_MESSAGE } from '../../../config/load.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-hostile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const messages = (path: string) => loadConfig(path).errors.map(formatConfigError);

test('a device is refused before a byte is read (load merge /dev/zero grew to 2.6 GB)', () => {
  assert.deepEqual(messages('/dev/zero'), ['/dev/zero: cannot read: not a regular file (a character device): lbctl reads configuration only from regular files']);
});

test('a FIFO is refused, not waited on', (t) => {
  const fifo = join(scratch(t), 'pipe.yaml');
  execFileSync('mkfifo', [fifo]);
  assert.deepEqual(messages(fifo), [`${fifo}: cannot read: not a regular file (a FIFO): lbctl reads configuration only from regular files`]);
});

test('a file over the size limit is refused with its size, in a directory too (naming the file)', (t) => {
  const dir = scratch(t);
  const big = join(dir, 'big.yaml');
  writeFileSync(big, '');
  truncateSync(big, MAX_CONFIG_FILE_BYTES + 1); // sparse: nothing is written, and nothing may be read
  assert.deepEqual(messages(big), [
    `${big}: cannot read: ${MAX_CONFIG_FILE_BYTES + 1} bytes is over the ${MAX_CONFIG_FILE_BYTES}-byte limit of one configuration file: split it into config.d/ files`,
  ]);
  const cfg = join(dir, 'cfg');
  execFileSync('mkdir', ['-p', join(cfg, 'config.d')]);
  execFileSync('ln', ['-s', big, join(cfg, 'config.d', '10-big.yaml')]);
  assert.match(messages(cfg)[0], /config\.d\/10-big\.yaml: cannot read: \d+ bytes is over/);
});

test('a file with none of lbctl\'s sections is one error, not one per line (/etc/shadow "succeeded")', (t) => {
  const f = join(scratch(t), 'shadow');
  writeFileSync(f, 'root:*:20228:0:99999:7:::\ndaemon:*:20228:0:99999:7:::\nbin:*:20228:0:99999:7:::\n');
  assert.deepEqual(messages(f), [
    "shadow:1:1: holds none of lbctl's sections (node:, vip:, daemon:, ha:, observability:, system:, services:): not an lbctl configuration file",
  ]);
});

test('a misspelled key is an error even with an empty value (servics:, bakends:, wieght:)', (t) => {
  const f = join(scratch(t), 'typos.yaml');
  writeFileSync(
    f,
    ['servics:', 'services:', '  - name: web', '    vip: 192.0.2.1', '    ports: [80]', '    bakends:', '    backends:', '      - address: 198.51.100.1', '        wieght:', ''].join('\n'),
  );
  assert.deepEqual(messages(f), [
    'typos.yaml:1:1: servics: unknown key "servics" (did you mean "services"?)',
    'typos.yaml:6:5: services[0].bakends: unknown key "bakends" (did you mean "backends"?)',
    'typos.yaml:9:9: services[0].backends[0].wieght: unknown key "wieght" (did you mean "weight"?)',
  ]);
});

test('an empty value of a known key still means "not set"', (t) => {
  const f = join(scratch(t), 'ok.yaml');
  writeFileSync(f, ['services:', '  - name: web', '    description:', '    vip: 192.0.2.1', '    ports: [80]', '    backends:', '      - address: 198.51.100.1', '        weight:', ''].join('\n'));
  const r = loadConfig(f);
  assert.deepEqual(r.errors, []);
  assert.equal(r.config!.services[0].description, undefined);
  assert.equal(r.config!.services[0].backends[0].weight, 1);
});

test('deep nesting is said in words at its place, not "Maximum call stack size exceeded"', (t) => {
  const f = join(scratch(t), 'deep.yaml');
  writeFileSync(f, 'services:\n  - name: a\n    description: ' + '['.repeat(50_000) + ']'.repeat(50_000) + '\n');
  const [only, ...rest] = loadConfig(f).errors;
  assert.deepEqual(rest, []);
  assert.equal(only.message, TOO_DEEP_MESSAGE);
  assert.equal(only.line, 3);
});

// Found by the fuzz run (test/fuzz/run.ts): block nesting, one more space per line, overflowed the parser's
// stack before any document existed, and `lbctl validate` died with a stack trace.
test('deep block nesting (each line indented one more) is said in words at its deepest line, not thrown', (t) => {
  const f = join(scratch(t), 'deep-block.yaml');
  // The overflow came when the parser climbed back out of the nesting to the next, less indented, line.
  const levels = Array.from({ length: 3000 }, (_, i) => `${' '.repeat(i + 6)}k${i}:`);
  writeFileSync(f, 'services:\n  - name: a\n    description:\n' + levels.join('\n') + ' 1\n  - name: b\n');
  const errors = loadConfig(f).errors;
  assert.ok(errors.length >= 1, 'no error');
  for (const e of errors) assert.equal(e.message, TOO_DEEP_MESSAGE);
  assert.ok(errors.every((e) => e.line > 3 && e.line <= 3 + 3000), JSON.stringify(errors.map((e) => [e.line, e.column])));
});

test('a collection used as a key is an error, and yaml prints no process warning for it', async (t) => {
  const f = join(scratch(t), 'collection-key.yaml');
  writeFileSync(f, 'services:\n  - name: a\n    ? [x, y]\n    : 1\n');
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  assert.ok(loadConfig(f).errors.length > 0);
  await new Promise((r) => setImmediate(r)); // process warnings are emitted on the next tick
  assert.deepEqual(warnings, []);
});

test('an error quoting a line break from the file stays one line as printed', (t) => {
  const f = join(scratch(t), 'newline.yaml');
  writeFileSync(f, 'services:\n  - name: a\n    vip: 192.0.2.1\n    ports: [80]\n    protocol: "tcp\\nudp"\n');
  const printed = messages(f);
  assert.equal(printed.length, 1, printed.join('\n'));
  assert.ok(!printed[0].includes('\n'), printed[0]);
  assert.match(printed[0], /^newline\.yaml:5:15: services\[0\]\.protocol: .*tcp\\nudp/);
});

// Found by the fuzz run: the position of a too-deep error was where the parser's stack ran out, so the library
// called from a deep stack and `lbctl validate` placed the same error 136 columns apart.
test('a too-deep error stands at the same place whatever stack the caller leaves the parser', (t) => {
  const f = join(scratch(t), 'deep-place.yaml');
  // Unclosed, and followed by more lines: the parser's other complaints depended on where it gave up.
  writeFileSync(f, 'services:\n  - name: a\n    description: x\n    backends: ' + '['.repeat(20_000) + '\n    ports: [80]\n    x: y: z\n');
  const shallow = messages(f);
  const burn = (n: number): string[] => (n === 0 ? messages(f) : burn(n - 1));
  for (const depth of [500, 2000, 4000]) assert.deepEqual(burn(depth), shallow, `with ${depth} frames on the stack`);
  assert.deepEqual(shallow, [`deep-place.yaml:4:${'    backends: '.length + 257}: ${TOO_DEEP_MESSAGE}`]);
});

// Found by the fuzz run: 1,000 levels overflowed yaml's parser in lbctl validate but not in a library call with
// more stack left, so one refused what the other read. A fixed limit (256 levels) answers the same everywhere.
test('nesting past 256 levels is refused before parsing, the same from any stack; brackets in quotes do not count', (t) => {
  const dir = scratch(t);
  const f = join(dir, 'deep-1000.yaml');
  writeFileSync(f, 'services:\n  - name: a\n    fail: {a: ' + '{a: '.repeat(999) + '1' + '}'.repeat(1000) + '\n');
  const burn = (n: number): string[] => (n === 0 ? messages(f) : burn(n - 1));
  const shallow = messages(f);
  assert.deepEqual(shallow, [`deep-1000.yaml:3:${'    fail: '.length + 1 + 256 * '{a: '.length}: ${TOO_DEEP_MESSAGE}`]); // the 257th {
  for (const depth of [1000, 5000]) assert.deepEqual(burn(depth), shallow, `with ${depth} frames on the stack`);
  const ok = join(dir, 'quoted.yaml');
  writeFileSync(ok, `services:\n  - name: a\n    description: "${'['.repeat(1000)}"\n    vip: 192.0.2.1 # ${'{'.repeat(1000)}\n    ports: [80]\n    backends: [{address: 192.0.2.2}]\n`);
  assert.deepEqual(messages(ok), []);
});
