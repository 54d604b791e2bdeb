// Proves the kernel-test environment is what the other kernel suites assume: IPVS present, ipvsadm talking to
// it, scheduler modules autoloading (needs switch_root, not chroot), namespaces and veth working.
// Runs as root inside the VM (or on a host whose kernel has IPVS): see docs/kernel-tests.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function loadedModules(): string[] {
  return readFileSync('/proc/modules', 'utf8').split('\n').map((line) => line.split(' ')[0]!).filter(Boolean);
}

before(() => {
  run('modprobe', ['ip_vs']);
  run('ipvsadm', ['-C']);
});

after(() => {
  run('ipvsadm', ['-C']);
});

test('IPVS is present after modprobe ip_vs', () => {
  assert.ok(existsSync('/proc/net/ip_vs'), '/proc/net/ip_vs should exist');
  assert.ok(loadedModules().includes('ip_vs'), 'ip_vs should be in /proc/modules');
  assert.match(readFileSync('/proc/net/ip_vs', 'utf8'), /IP Virtual Server version \d+\.\d+\.\d+/);
});

test('ipvsadm creates, lists and clears a virtual service', () => {
  run('ipvsadm', ['-A', '-t', '10.0.0.1:80', '-s', 'rr']);
  const listed = run('ipvsadm', ['-Ln']);
  assert.match(listed, /^TCP\s+10\.0\.0\.1:80 rr\s*$/m);
  run('ipvsadm', ['-C']);
  assert.doesNotMatch(run('ipvsadm', ['-Ln']), /10\.0\.0\.1:80/);
});

test('a scheduler module autoloads when a service asks for it', () => {
  // Unload it first when nothing uses it, so the test proves the autoload rather than a leftover.
  if (loadedModules().includes('ip_vs_sh')) run('modprobe', ['-r', 'ip_vs_sh']);
  assert.ok(!loadedModules().includes('ip_vs_sh'), 'ip_vs_sh should not be loaded before the test');
  run('ipvsadm', ['-A', '-t', '10.0.0.1:80', '-s', 'sh']);
  try {
    assert.ok(loadedModules().includes('ip_vs_sh'), 'ip_vs_sh should have been autoloaded');
    assert.match(run('ipvsadm', ['-Ln']), /^TCP\s+10\.0\.0\.1:80 sh\s*$/m);
  } finally {
    run('ipvsadm', ['-C']);
  }
});

test('a network namespace and a veth pair work in the guest', () => {
  const ns = `lbctl-sanity-${process.pid}`;
  run('ip', ['netns', 'add', ns]);
  try {
    run('ip', ['link', 'add', 'lbsan0', 'type', 'veth', 'peer', 'name', 'lbsan1', 'netns', ns]);
    run('ip', ['addr', 'add', '10.250.0.1/30', 'dev', 'lbsan0']);
    run('ip', ['link', 'set', 'lbsan0', 'up']);
    run('ip', ['-n', ns, 'addr', 'add', '10.250.0.2/30', 'dev', 'lbsan1']);
    run('ip', ['-n', ns, 'link', 'set', 'lbsan1', 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    assert.match(run('ip', ['-n', ns, '-o', 'addr', 'show', 'dev', 'lbsan1']), /inet 10\.250\.0\.2\/30/);
    // One bounded ping to the namespace this test made: proves packets cross the pair.
    const ping = run('busybox', ['ping', '-c', '1', '-W', '5', '10.250.0.2']);
    assert.match(ping, /1 packets received/);
  } finally {
    try { run('ip', ['link', 'del', 'lbsan0']); } catch { /* gone with the namespace */ }
    run('ip', ['netns', 'del', ns]);
  }
});
