// The shell's `{master}` line and `show vrrp` follow a real VRRP failover without a key pressed (issue 10).
//
// Real parts: two real keepalived in network namespaces (test/support/vrrp-lab.ts: the lab helper's own `vw…`
// namespaces, traffic only inside them), a real `lbctl daemon --lab` (in-memory IPVS) running inside balancer
// A's namespace with `ha.source: keepalived`, so its watcher reads A's addresses from the kernel; the real shell
// in tmux in the root namespace, talking to that daemon over its socket. keepalived A is stopped (SIGTERM: the
// VIP moves to B) and started again (A preempts with priority 200).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, TmuxTerminal, tmuxAvailable } from './tmux.js';
import { KeepalivedLab, labUnavailable, PARENT, VIP, waitFor } from '../../support/vrrp-lab.js';

const PROMPT = 'vr1[lab]#';
const skip = !tmuxAvailable()
  ? 'tmux is not installed'
  : !existsSync(join(BUILD_DIR, 'engine', 'ha', 'watcher.js'))
    ? 'the HA watcher is not in this build'
    : (labUnavailable('keepalived') ?? false);

function config(dir: string, instance: string): string {
  const path = join(dir, 'config');
  mkdirSync(path);
  writeFileSync(
    join(path, 'config.yaml'),
    [
      'node: {name: vr1}',
      'ha:',
      '  source: keepalived',
      '  program: master-only',
      '  poll_interval_ms: 500',
      '  instances:',
      `    - {name: ${instance}, vrid: 10, interface: ${PARENT}, vips: [${VIP}]}`,
      'services:',
      `  - {name: web, vip: ${VIP}, protocol: tcp, ports: [80], health: {enabled: false}, backends: [{address: 192.0.2.50, port: 80}]}`,
      '',
    ].join('\n'),
  );
  return path;
}

/** The role line stands right above the prompt line: `{backup}` then `vr1[lab]#show vrrp`. */
const roleAbovePrompt = (role: string, typed: string) => (screen: string) => {
  const lines = screen.split('\n');
  return lines.at(-1) === `${PROMPT}${typed}`.trimEnd() && lines.at(-2) === `{${role}}`;
};

test('vrrp: the {master}/{backup} line and show vrrp follow a keepalived failover, no key pressed', { skip, timeout: 180_000 }, async (t) => {
  const lab = new KeepalivedLab();
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-vrrp-prompt-'));
  let daemon: ChildProcess | null = null;
  let daemonLog = '';
  let term: TmuxTerminal | null = null;
  t.after(async () => {
    term?.kill();
    if (daemon?.pid && daemon.exitCode === null) {
      const gone = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
    }
    await lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  await lab.start();
  await waitFor('the VIP on A (keepalived Master)', 20_000, () => lab.net.hasAddress('a', VIP));
  const instance = lab.ha().instances[0].name;
  const cfg = config(dir, instance);
  const state = join(dir, 'state');
  const home = join(dir, 'home');
  mkdirSync(home);
  // `ip netns exec` then `env`, so the launcher's VAR=value words (a non-build/ tree) work too.
  daemon = spawn('ip', ['netns', 'exec', lab.net.ns.a, 'env', `HOME=${home}`, ...lbctlCommand(), 'daemon', '--lab', '--config', cfg, '--state-dir', state], { stdio: ['ignore', 'ignore', 'pipe'] });
  daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (daemonLog += d));
  await waitFor('the daemon ready', 30_000, () => daemonLog.includes(' ready: '));

  term = TmuxTerminal.start([...lbctlCommand(), 'shell', '--lab', '--config', cfg, '--state-dir', state], { env: { HOME: home, NO_COLOR: '1' } });
  await term.waitFor(roleAbovePrompt('master', ''), 30_000);

  term.type('show vrrp');
  term.keys('Enter');
  const master = await term.waitFor(new RegExp(`^${instance} +10 +${PARENT} +inet +master .* ${VIP.replace(/\./g, '\\.')} +yes$`, 'm'));
  assert.match(master, /VRRP: source keepalived, program master-only; this node: master/);
  term.type('show ipvs');
  term.keys('Enter');
  await term.waitFor(/TCP +192\.0\.2\.100:80/i);

  // Half a command typed, then the failover: the line above the prompt changes by itself, the typed text stays.
  term.type('show vrrp');
  await term.waitFor(roleAbovePrompt('master', 'show vrrp'));
  await lab.stopNode('a');
  const backup = await term.waitFor(roleAbovePrompt('backup', 'show vrrp'), 15_000);
  console.log(`after keepalived A stopped (no key pressed):\n${backup.split('\n').slice(-2).join('\n')}`);
  assert.ok(await waitFor('the VIP on B', 15_000, () => lab.net.hasAddress('b', VIP)));
  term.keys('Enter');
  const shown = await term.waitFor(new RegExp(`^${instance} +10 +${PARENT} +inet +backup .* no$`, 'm'));
  assert.match(shown, /this node: backup/);
  await waitFor('the daemon to log the transition', 5000, () => daemonLog.includes(`vrrp: instance ${instance} master → backup`));
  assert.match(daemonLog, new RegExp(`vrrp: instance ${instance} master → backup \\(event\\); 1 kernel operation\\(s\\)`), 'the service was removed from the lab IPVS');

  // keepalived A back: it preempts (priority 200 > 100); {master} again, still without a key.
  await lab.startNode('a');
  const again = await term.waitFor(roleAbovePrompt('master', ''), 30_000);
  console.log(`after keepalived A restarted (no key pressed):\n${again.split('\n').slice(-2).join('\n')}`);
  term.type('show ipvs');
  term.keys('Enter');
  await term.waitFor(/TCP +192\.0\.2\.100:80/i);
});
