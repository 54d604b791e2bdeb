// Issue 12 point 6: a read-only command writes nothing, a missing configuration is said plainly, and only
// `lbctl init` creates one, on purpose. Real bin/lbctl processes on temporary paths (no --lab: the lab seeds
// its own configuration), exact output asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const LBCTL = fileURLToPath(new URL('../../../../bin/lbctl', import.meta.url));

function place(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-nowrite-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const config = join(root, 'etc');
  const state = join(root, 'state');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: root };
  delete env.LBCTL_CONFIG;
  delete env.LBCTL_STATE_DIR;
  const run = (args: string[], withPaths = true) =>
    spawnSync(process.execPath, [LBCTL, ...args, ...(withPaths ? ['--config', config, '--state-dir', state] : ['--config', config])], { env, encoding: 'utf8', input: '', timeout: 60_000 });
  return { root, config, state, run, written: () => readdirSync(root) };
}

const notice = (config: string) =>
  `% There is no configuration at ${config} (no such file or directory): showing the defaults. 'lbctl init --config ${config}' creates a commented starting configuration.\n`;

test('show services with no configuration: the defaults, a plain notice, exit 0, nothing written', (t) => {
  const p = place(t);
  const r = p.run(['shell', '-c', 'show services']);
  assert.equal(r.stdout, 'No services configured.\n');
  assert.equal(r.stderr, notice(p.config));
  assert.equal(r.status, 0);
  assert.deepEqual(p.written(), [], 'no state directory, no revision, no lock');
});

test('configure with no configuration is refused before anything is written', (t) => {
  const p = place(t);
  const r = p.run(['shell', '-c', 'configure; service web; vip 192.0.2.1; port 80; commit']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.equal(
    r.stderr,
    notice(p.config) +
      `% command 1: ${r.stderr.match(/% command 1: (\S+)#configure/)?.[1] ?? '?'}#configure\n` +
      `% Cannot configure: there is no configuration at ${p.config} (no such file or directory). 'lbctl init --config ${p.config}' creates a commented starting configuration.\n`,
  );
  assert.deepEqual(p.written(), []);
});

test('status and apply with no configuration: one plain sentence and the way out, exit 1, nothing written', (t) => {
  const p = place(t);
  const expected = `lbctl: there is no configuration at ${p.config} (no such file or directory).\n'lbctl init --config ${p.config}' creates a commented starting configuration.\n`;
  for (const cmd of ['status', 'apply']) {
    const r = p.run([cmd]);
    assert.equal(r.status, 1, cmd);
    assert.equal(r.stderr, expected, cmd);
    assert.equal(r.stdout, '', cmd);
  }
  assert.deepEqual(p.written(), []);
});

test('lbctl init writes a commented configuration that validates, with no services, and never overwrites', (t) => {
  const p = place(t);
  const r = p.run(['init'], false);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `Wrote ${join(p.config, 'config.yaml')} (no services) and ${join(p.config, 'config.d')}/.\nNext: lbctl validate --config ${p.config}; lbctl shell --config ${p.config} to add services.\n`);
  assert.deepEqual(p.written(), ['etc'], 'the configuration only: no state directory');
  const file = join(p.config, 'config.yaml');
  assert.equal(statSync(file).mode & 0o777, 0o644);
  assert.match(readFileSync(file, 'utf8'), /^# lbctl configuration, written by 'lbctl init'/);
  const v = p.run(['validate'], false);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(v.stdout, `configuration OK: 0 services, 0 backends (${p.config})\n`);
  const again = p.run(['init'], false);
  assert.equal(again.status, 1);
  assert.equal(again.stderr, `lbctl: ${p.config} already holds a configuration (config.d, config.yaml): nothing written\n`);
  assert.equal(existsSync(join(p.config, 'config.yaml')), true);
});

test('a configuration that does not load: the shell says it shows the defaults, and why, in one line', (t) => {
  const p = place(t);
  mkdirSync(p.config);
  writeFileSync(join(p.config, 'config.yaml'), 'services:\n  - name: web\n    vip: 192.0.2.1\n    ports: [80]\n    wieght: 1\n');
  const r = p.run(['shell', '-c', 'show services']);
  assert.equal(r.status, 0);
  assert.equal(r.stdout, 'No services configured.\n');
  assert.equal(r.stderr, `% Showing the defaults: the configuration does not load: config.yaml:5:5: services[0].wieght: unknown key "wieght"; 'lbctl validate' lists every error.\n`);
});
