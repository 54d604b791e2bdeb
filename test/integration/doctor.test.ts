// `./bin/lbctl doctor` on this very host, as a child process: the kernel's real answer (this test machine has no
// IPVS, so doctor must fail naming ip_vs; on a host with /proc/net/ip_vs it must say IPVS is fine), the lab
// (kernel checks not applicable, exit 0), and a broken configuration located at file:line:column.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout: this file runs from build/test/integration/. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'lbctl');
const HOST_HAS_IPVS = existsSync('/proc/net/ip_vs');

function lbctl(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(BIN, args, {
    cwd: ROOT,
    // No LBCTL_CONFIG / LBCTL_STATE_DIR from the caller's environment: the flags and HOME decide.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, all: `${r.stdout}\n${r.stderr}` };
}

function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

test('doctor on this host with a valid configuration: the kernel verdict is the real one', (t) => {
  const config = tempDir('lbctl-doctor-config-');
  const state = tempDir('lbctl-doctor-state-');
  t.after(() => {
    rmSync(config, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });
  cpSync(join(ROOT, 'dist', 'examples'), config, { recursive: true });
  const r = lbctl(['doctor', '--config', config, '--state-dir', state]);
  assert.match(r.stdout, /^STATUS +CHECK +DETAIL$/m, r.all);
  assert.match(r.stdout, /^ok +config +valid: \d+ services/m, r.all);
  assert.match(r.stdout, /^ok +state-dir /m, r.all);
  assert.match(r.stdout, /^(ok|warning) +daemon /m, r.all);
  assert.match(r.stdout, /^ok +ha +HA not used/m, r.all);
  assert.match(r.stdout, /^\d+ ok, \d+ warnings?, \d+ errors?$/m, r.all);
  if (HOST_HAS_IPVS) {
    assert.match(r.stdout, /^ok +ipvs +.*\/proc\/net\/ip_vs present/m, r.all);
  } else {
    assert.equal(r.code, 1, r.all);
    assert.match(r.stdout, /^error +ipvs +.*ip_vs/m, r.all);
    // The error comes with its fix right below it.
    assert.match(r.stdout, /^error +ipvs .*\n {2}fix: (modprobe ip_vs|apt-get install linux-image-)/m, r.all);
    // The vs.* sysctls cannot be read without ip_vs, and doctor says why.
    assert.match(r.stdout, /^warning +sysctl +net\.ipv4\.vs\.\S+: unreadable until ip_vs is loaded/m, r.all);
  }
  assert.equal(r.stderr, '', 'nothing on stderr');
});

test('doctor --json: the same findings as data; exit status agrees with the errors', (t) => {
  const state = tempDir('lbctl-doctor-state-');
  t.after(() => rmSync(state, { recursive: true, force: true }));
  const r = lbctl(['doctor', '--json', '--config', join(ROOT, 'dist', 'examples'), '--state-dir', state]);
  const report = JSON.parse(r.stdout);
  assert.equal(report.ok, report.summary.errors === 0);
  assert.equal(r.code, report.summary.errors > 0 ? 1 : 0);
  const ipvs = report.findings.find((f: { check: string }) => f.check === 'ipvs');
  assert.equal(ipvs.status, HOST_HAS_IPVS ? 'ok' : 'error');
  for (const f of report.findings) if (f.status !== 'ok') assert.ok(f.fix.length > 0, `${f.check} has a fix`);
});

test('doctor --lab with a fresh HOME: kernel checks not applicable, configuration seeded and valid, exit 0', (t) => {
  const home = tempDir('lbctl-doctor-home-');
  t.after(() => rmSync(home, { recursive: true, force: true }));
  const r = lbctl(['doctor', '--lab'], { HOME: home });
  assert.equal(r.code, 0, r.all);
  assert.match(r.stdout, /^ok +kernel +not applicable to the lab/m, r.all);
  assert.doesNotMatch(r.stdout, /^\S+ +(ipvs|schedulers|modules-load|capabilities|sysctl) /m, 'no kernel checks in the lab');
  assert.match(r.stdout, /^ok +config +valid: .*\.lbctl-lab\/config/m, r.all);
  assert.match(r.stdout, /^(ok|warning) +daemon /m, r.all);
  assert.match(r.stdout, /^ok +ha /m, r.all);
  assert.match(r.stdout, /, 0 errors$/m, r.all);
});

test('doctor with a broken configuration file: exit 1, each error at file:line:col with the validate fix', (t) => {
  const dir = tempDir('lbctl-doctor-broken-');
  const state = tempDir('lbctl-doctor-state-');
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(state, { recursive: true, force: true });
  });
  const file = join(dir, 'lb.yaml');
  writeFileSync(file, 'vip: 203.0.113.10\nservices:\n  - name: web\n    ports: [80]\n    backends:\n      - address: 198.51.100.11\n        weight: -5\n');
  const r = lbctl(['doctor', '--config', file, '--state-dir', state]);
  assert.equal(r.code, 1, r.all);
  assert.match(r.stdout, /^error +config +1 error \(/m, r.all);
  assert.match(r.stdout, /^ {4}lb\.yaml:7:17: services\[0\]\.backends\[0\]\.weight: /m, r.all);
  assert.ok(r.stdout.includes(`  fix: lbctl validate --config ${file}`), r.all);
});

test('doctor with bad usage exits 2', () => {
  const r = lbctl(['doctor', '--frobnicate']);
  assert.equal(r.code, 2, r.all);
  assert.match(r.stderr, /unknown option '--frobnicate'/);
});
