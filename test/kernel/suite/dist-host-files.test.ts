// The host-preparation files in dist/ against a real IPVS kernel: every module dist/modules-load.d/lbctl.conf
// lists must load, and `sysctl -p dist/sysctl.d/90-lbctl.conf` must succeed with every key then reading back its
// value (the net.ipv4.vs.* keys exist only once ip_vs is loaded: the same order systemd uses at boot).
// Runs as root inside the VM (or on a host whose kernel has IPVS): see docs/kernel-tests.md. The sysctls it
// changes are restored afterwards; the modules stay loaded (later suites load them anyway).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// <build>/test/kernel/suite → the project's dist/.
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'dist');
const modulesFile = resolve(dist, 'modules-load.d/lbctl.conf');
const sysctlFile = resolve(dist, 'sysctl.d/90-lbctl.conf');

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Active lines: comments (# ;) and blank lines dropped, as modules-load.d(5) and sysctl.d(5) read them. */
function activeLines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'));
}

function loadedModules(): string[] {
  return readFileSync('/proc/modules', 'utf8').split('\n').map((line) => line.split(' ')[0]!).filter(Boolean);
}

const procPath = (key: string) => '/proc/sys/' + key.split('.').join('/');
const norm = (v: string) => v.trim().split(/\s+/).join(' ');

const modules = activeLines(modulesFile);
const settings = activeLines(sysctlFile).map((l) => {
  const eq = l.indexOf('=');
  return [l.slice(0, eq).trim(), l.slice(eq + 1).trim()] as const;
});
const saved = new Map<string, string>();

before(() => {
  // ip_vs first (as systemd-modules-load does before systemd-sysctl), so the vs keys exist to be saved.
  run('modprobe', ['ip_vs']);
  for (const [key] of settings) {
    try {
      saved.set(key, readFileSync(procPath(key), 'utf8'));
    } catch {
      /* a key this kernel lacks: the sysctl test reports it */
    }
  }
});

after(() => {
  for (const [key, value] of saved) run('sysctl', ['-q', '-w', `${key}=${norm(value)}`]);
});

test('the files list something: ip_vs and the schedulers, and the IPVS sysctls', () => {
  assert.ok(modules.includes('ip_vs'));
  assert.ok(modules.length > 10, `only ${modules.length} modules listed`);
  assert.ok(settings.some(([k]) => k.startsWith('net.ipv4.vs.')));
});

test('every module in modules-load.d/lbctl.conf loads', () => {
  const failed: string[] = [];
  for (const m of modules) {
    try {
      run('modprobe', [m]);
    } catch (e) {
      failed.push(`${m}: ${String((e as { stderr?: string }).stderr ?? e).trim()}`);
    }
  }
  assert.deepEqual(failed, [], 'modprobe failed');
  const loaded = new Set(loadedModules());
  assert.deepEqual(modules.filter((m) => !loaded.has(m)), [], 'listed but not in /proc/modules');
});

test('sysctl -p 90-lbctl.conf succeeds and every key reads back its value', () => {
  // Start from the opposite value where we can, so the read-back proves the file set it.
  for (const [key, value] of settings) if (value === '1') run('sysctl', ['-q', '-w', `${key}=0`]);
  const out = execFileSync('sysctl', ['-p', sysctlFile], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  for (const [key, value] of settings) {
    assert.match(out, new RegExp(`^${key.replace(/\./g, '\\.')} = ${value}$`, 'm'), `sysctl -p did not report ${key}`);
    assert.equal(norm(readFileSync(procPath(key), 'utf8')), norm(value), `${key} after sysctl -p`);
  }
});
