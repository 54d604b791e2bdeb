// Split brain is reported loudly everywhere an operator looks (issue 10): the daemon's log, the audit trail, the
// shell's `{master,split-brain}` line, `show vrrp` and `lbctl doctor`.
//
// Real parts: two real FRR vrrpd in network namespaces (test/support/vrrp-lab.ts, the lab helper's own `vw…`
// namespaces; addresses only inside them), a real `lbctl daemon --lab` (in-memory IPVS) inside balancer A's
// namespace with `ha.source: frr`, the real shell (line mode, and in tmux for the line above the prompt) and the
// real `lbctl doctor`. Balancer A's parent link is set down: its vrrpd still says Master while B becomes Master
// too (shared/reference/frr-vrrp.md, trap 1); set up again, the split brain is over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, TmuxTerminal, tmuxAvailable } from '../shell/tmux.js';
import { FrrLab, labUnavailable, PARENT, VIP, waitFor } from '../../support/vrrp-lab.js';

const skip = !existsSync(join(BUILD_DIR, 'engine', 'ha', 'watcher.js')) ? 'the HA watcher is not in this build' : (labUnavailable('frr') ?? false);

function lbctl(args: string[], env: NodeJS.ProcessEnv): { code: number | null; out: string } {
  const [cmd, ...rest] = ['env', ...lbctlCommand(), ...args];
  const r = spawnSync(cmd, rest, { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

test('frr split brain: daemon log, audit, {master,split-brain}, show vrrp and doctor all say it', { skip, timeout: 240_000 }, async (t) => {
  const lab = new FrrLab({ advertMs: 500 });
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-vrrp-frr-'));
  let daemon: ChildProcess | null = null;
  let log = '';
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
  await lab.waitStatus('a', 'Master');
  await lab.waitStatus('b', 'Backup');
  const ha = lab.ha(500);
  const inst = ha.instances[0];
  const config = join(dir, 'config');
  const state = join(dir, 'state');
  const home = join(dir, 'home');
  mkdirSync(config);
  mkdirSync(home);
  writeFileSync(
    join(config, 'config.yaml'),
    [
      'node: {name: vr2}',
      'ha:',
      '  source: frr',
      '  program: master-only',
      `  frr_pathspace: ${ha.frr_pathspace}`,
      '  poll_interval_ms: 500',
      '  instances:',
      `    - {name: ${inst.name}, vrid: ${inst.vrid}, interface: ${PARENT}, vips: [${VIP}]}`,
      'services:',
      `  - {name: web, vip: ${VIP}, protocol: tcp, ports: [80], health: {enabled: false}, backends: [{address: 192.0.2.50, port: 80}]}`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, NO_COLOR: '1' };
  delete env.CI;
  const common = ['--lab', '--config', config, '--state-dir', state];
  daemon = spawn('ip', ['netns', 'exec', lab.net.ns.a, 'env', ...lbctlCommand(), 'daemon', ...common], { stdio: ['ignore', 'ignore', 'pipe'], env });
  daemon.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  await waitFor('the daemon ready', 30_000, () => log.includes(' ready: '));

  const before = lbctl(['shell', ...common, '-c', 'show vrrp'], env);
  assert.match(before.out, /this node: master\n/);
  assert.match(before.out, new RegExp(`^${inst.name} +10 +${PARENT} +inet +master .* 200 +${VIP.replace(/\./g, '\\.')} +yes$`, 'm'), 'priority from show vrrp json');

  term = TmuxTerminal.start([...lbctlCommand(), 'shell', ...common], { env: { HOME: home, NO_COLOR: '1' } });
  await term.waitFor((s) => s.split('\n').slice(-2).join('\n') === '{master}\nvr2[lab]#', 30_000);

  // A's parent down: vrrpd keeps saying Master, B takes over too.
  lab.net.setParent('a', false);
  await waitFor('the daemon to log the split brain', 30_000, () => log.includes('vrrp: SPLIT BRAIN'));
  const screen = await term.waitFor((s) => s.split('\n').slice(-2).join('\n') === '{master,split-brain}\nvr2[lab]#', 15_000);
  console.log(`the line above the prompt, no key pressed:\n${screen.split('\n').slice(-2).join('\n')}`);
  assert.match(log, /error +vrrp: instance \S+ master → master \(split brain\) \(\w+[^)]*\) \[SPLIT BRAIN\]/);

  const during = lbctl(['shell', ...common, '-c', 'show vrrp'], env);
  console.log(`show vrrp during the split brain:\n${during.out}`);
  assert.match(during.out, /this node: master,split-brain\n% SPLIT BRAIN: this node and its peer both claim Master/);

  const doctor = lbctl(['doctor', ...common], env);
  console.log(`lbctl doctor (vrrp lines):\n${doctor.out.split('\n').filter((l) => /vrrp|^  fix: (check|lbctl shell)/.test(l)).join('\n')}`);
  assert.equal(doctor.code, 1, 'doctor exits 1 on the split brain');
  assert.match(doctor.out, /^error +vrrp-state +SPLIT BRAIN: this node and its peer both claim Master/m);
  assert.match(doctor.out, /^ok +vrrp-source +vtysh -N \S+ -c 'show vrrp json' answers: /m);

  const audit = readFileSync(join(state, 'audit.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l))
    .filter((r) => r.action === 'vrrp');
  assert.ok(audit.some((r) => r.vrrp.summary === 'master,split-brain'), JSON.stringify(audit));

  // Parent up again: over, said, and the line is {master} again.
  lab.net.setParent('a', true);
  await waitFor('the split brain over', 30_000, () => log.includes('vrrp: split brain over'));
  await term.waitFor((s) => s.split('\n').slice(-2).join('\n') === '{master}\nvr2[lab]#', 15_000);
});
