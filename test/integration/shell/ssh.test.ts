// `lbctl shell` behind a real OpenSSH server, the way operators reach it (issue 16, docs/ssh.md): the test starts
// its own sshd on 127.0.0.1 on a free port, with its own host key, sshd_config, authorized key and a
// `ForceCommand` pointing at a launcher of this build (`lbctl shell --lab` in a temporary lab), and talks to it
// with the real `ssh` client: one-shot commands (SSH_ORIGINAL_COMMAND), an interactive `ssh -t` session in tmux,
// a dropped connection in the middle of `configure` or after `commit confirmed 1`, and a read-only account (a real
// second OS user, created for the test) that gets `HOST>` and `% Permission denied`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { lbctlCommand, makeLab, REPO_ROOT, TmuxTerminal, tmuxAvailable, type LabDirs } from './tmux.js';
import { HOOKED_LBCTL, hookArgs, type TestHooks } from '../../support/hooks.js';
import { readableInstall } from '../../support/readable-install.js';
import { openStore } from '../../../store/store.js';
import { readAudit } from '../../../engine/audit.js';
import { confirmGuardLogPath, readPendingConfirm, runningConfirmGuard } from '../../../engine/confirm-guard.js';
import { labTableJSON } from '../../support/lab-table.js';

const PROMPT = 'lb1[lab]#';

function findProgram(name: string, candidates: string[]): string | null {
  for (const c of candidates) if (existsSync(c)) return c;
  const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}

const SSHD = findProgram('sshd', ['/usr/sbin/sshd', '/usr/local/sbin/sshd']);
const SSH = findProgram('ssh', ['/usr/bin/ssh']);
const SSH_KEYGEN = findProgram('ssh-keygen', ['/usr/bin/ssh-keygen']);

// Skipped only when OpenSSH is not installed (npm run deps installs it); everything else fails.
const skip = !SSHD
  ? 'sshd (openssh-server) is not installed: run `npm run deps` (apt-get install openssh-server)'
  : !SSH || !SSH_KEYGEN
    ? 'the ssh client (openssh-client) is not installed: run `npm run deps`'
    : false;
const skipTmux = skip || (!tmuxAvailable() ? 'tmux is not installed' : false);

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((res) => server.close(() => res()));
  return port;
}

async function waitForPort(port: number, sshd: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (sshd.exitCode !== null) throw new Error(`sshd exited with ${sshd.exitCode}:\n${log()}`);
    const ok = await new Promise<boolean>((res) => {
      const s = createConnection({ port, host: '127.0.0.1' });
      s.once('connect', () => {
        s.destroy();
        res(true);
      });
      s.once('error', () => res(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`sshd did not listen on 127.0.0.1:${port}:\n${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface SshServer {
  port: number;
  user: string;
  lab: LabDirs;
  /** The ssh client's argv up to (not including) the remote command; as `user` (default: this test's user). */
  sshArgs(extra?: string[], user?: string): string[];
  /** `ssh … COMMAND`, synchronously, as `user` (default: this test's user). */
  run(command: string, user?: string): { status: number | null; stdout: string; stderr: string };
  /** Processes (other than this one) whose command line names the lab's state directory: the remote lbctl. */
  remoteShells(): number[];
}

interface SshdOptions {
  /** Appended to the lab's config.yaml. */
  extraConfigYaml?: string;
  /** The ForceCommand runs lbctl through the test launcher hooked-lbctl.js with these hooks (a store clock, the
   * guard's poll interval: test/support/hooks.ts) instead of the plain build. */
  hooks?: TestHooks;
  /** More accounts sshd lets in (with the same client key). Their processes must read the launcher and the build:
   * the ForceCommand then runs a world-readable copy of this build (test/support/readable-install.ts). */
  otherUsers?: string[];
}

/** Starts sshd with its own keys and configuration; everything is removed after the test. */
async function startSshd(t: { after(fn: () => void | Promise<void>): void }, opts: SshdOptions = {}): Promise<SshServer> {
  const { extraConfigYaml, hooks, otherUsers = [] } = opts;
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-ssh-'));
  const lab = makeLab();
  if (extraConfigYaml) appendFileSync(join(lab.config, 'config.yaml'), `\n${extraConfigYaml}`);
  // Another account's sshd child reads authorized_keys as that user, and its shell runs the launcher: the folder
  // must be reachable (the private keys in it stay 0600).
  const install = otherUsers.length > 0 ? readableInstall() : null;
  if (install) chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  execFileSync(SSH_KEYGEN!, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lbctl-test-host', '-f', hostKey]);
  execFileSync(SSH_KEYGEN!, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lbctl-test-client', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`), { mode: 0o644 });
  // The ForceCommand: this build's `lbctl shell` on the test's lab, HOME of its own for the history file.
  const launcher = join(dir, 'lbctl-shell');
  const program = hooks
    ? [process.execPath, HOOKED_LBCTL, ...hookArgs(hooks)]
    : install
      ? [process.execPath, install.lbctl]
      : lbctlCommand();
  const argv = [...program, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state];
  const assignments = argv.filter((a) => /^[A-Z_]+=/.test(a));
  const command = argv.filter((a) => !/^[A-Z_]+=/.test(a));
  writeFileSync(
    launcher,
    [
      '#!/bin/sh',
      `exec env -u CI -u CONTINUOUS_INTEGRATION HOME=${shellQuote(lab.home)} NO_COLOR=1 ${assignments.map(shellQuote).join(' ')} ${command.map(shellQuote).join(' ')}`,
      '',
    ].join('\n'),
  );
  chmodSync(launcher, 0o755);
  const port = await freePort();
  const user = userInfo().username;
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `Port ${port}`,
      'ListenAddress 127.0.0.1',
      `HostKey ${hostKey}`,
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      'StrictModes no',
      `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
      'PubkeyAuthentication yes',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PermitRootLogin yes',
      `AllowUsers ${[user, ...otherUsers].join(' ')}`,
      'AllowTcpForwarding no',
      'AllowAgentForwarding no',
      'AllowStreamLocalForwarding no',
      'X11Forwarding no',
      'PermitTunnel no',
      'PermitTTY yes',
      'ClientAliveInterval 5',
      'LogLevel ERROR',
      `ForceCommand ${launcher}`,
      '',
    ].join('\n'),
  );
  // sshd wants its privilege-separation directory (systemd's ssh.service makes it at boot).
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755, recursive: true });
  let log = '';
  const sshd = spawn(SSHD!, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  sshd.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  t.after(async () => {
    if (sshd.exitCode === null) {
      const gone = new Promise((r) => sshd.once('exit', r));
      sshd.kill('SIGTERM');
      await gone;
    }
    rmSync(dir, { recursive: true, force: true });
    lab.cleanup();
    install?.cleanup();
  });
  await waitForPort(port, sshd, () => log);
  const sshArgs = (extra: string[] = [], as = user) => [
    SSH!,
    '-F',
    '/dev/null',
    '-p',
    String(port),
    '-i',
    clientKey,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=no',
    '-o',
    'UserKnownHostsFile=/dev/null',
    '-o',
    'LogLevel=ERROR',
    ...extra,
    `${as}@127.0.0.1`,
  ];
  return {
    port,
    user,
    lab,
    sshArgs,
    run(remote: string, as = user) {
      const [prog, ...args] = sshArgs([], as);
      const r = spawnSync(prog, [...args, remote], { encoding: 'utf8', timeout: 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
      return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    remoteShells() {
      const pids: number[] = [];
      for (const name of readdirSync('/proc')) {
        if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
        try {
          const cmdline = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0');
          if (cmdline.includes(lab.state) && cmdline.includes('shell')) pids.push(Number(name));
        } catch {
          /* gone */
        }
      }
      return pids;
    },
  };
}

async function until(what: string, ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const VERSION = (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

test('ssh: a one-shot command (SSH_ORIGINAL_COMMAND) prints its output and exits 0', { skip }, async (t) => {
  const ssh = await startSshd(t);
  const r = ssh.run('show version');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`^lbctl ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(r.stdout, /^Running revision: 1$/m);
  assert.equal(r.stderr, '');
});

test('ssh: a bad command exits non-zero with the caret error on stderr', { skip }, async (t) => {
  const ssh = await startSshd(t);
  const r = ssh.run('show ipvz');
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  const lines = r.stderr.split('\n');
  assert.equal(lines[0], '% command 1: lb1[lab]#show ipvz');
  assert.equal(lines[1], ' '.repeat('% command 1: lb1[lab]#show ipv'.length) + '^');
  assert.equal(lines[2], "% Invalid input detected at '^' marker.");
});

test('ssh: commands separated by ; run in order, as line mode does', { skip }, async (t) => {
  const ssh = await startSshd(t);
  const r = ssh.run('configure; service web; description "over ssh"; show | compare');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /over ssh/);
  assert.match(ssh.run('show version').stdout, /^Running revision: 1$/m, 'nothing was committed');
});

function interactive(t: { after(fn: () => void): void }, ssh: SshServer, cols = 120, rows = 40, as?: string): TmuxTerminal {
  const term = TmuxTerminal.start([...ssh.sshArgs(['-t'], as)], { cols, rows });
  t.after(() => term.kill());
  return term;
}

test('ssh -t: the interactive shell gives the prompt, TAB completion and ?', { skip: skipTmux }, async (t) => {
  const ssh = await startSshd(t);
  const term = interactive(t, ssh);
  const screen = await term.waitForLastLine(PROMPT, 30_000);
  assert.match(screen, /lbctl \S+ on lb1/);
  term.type('conf');
  term.keys('Tab');
  await term.waitForLastLine(`${PROMPT}configure`);
  term.keys('C-u');
  term.type('show ?');
  const help = await term.waitFor(/lb1\[lab\]#show \?\n[\s\S]*version +.*\n(?: {2}\S.*\n)*lb1\[lab\]#show$/);
  assert.match(help, /^ {2}ipvs +\S/m);
  term.type('version');
  term.keys('Enter');
  await term.waitFor(/Running revision: 1/);
  term.type('exit');
  term.keys('Enter');
  await term.waitFor(/\[exited 0\]/, 15_000);
});

/** SIGKILLs the ssh client in the tmux pane: the connection drops without a goodbye, as when the network goes. */
function killSshClient(term: TmuxTerminal): void {
  // The ssh client is the pane's process (tmux runs `env … ssh …`, env execs ssh).
  const pane = Number(execFileSync('tmux', ['-L', term.socket, 'display-message', '-p', '-t', term.target, '#{pane_pid}'], { encoding: 'utf8' }));
  const client = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pane)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number)[0];
  assert.ok(client > 0, 'found the ssh client');
  process.kill(client, 'SIGKILL');
}

test('ssh -t: killing the ssh client in configure loses nothing and commits nothing', { skip: skipTmux }, async (t) => {
  const ssh = await startSshd(t);
  const term = interactive(t, ssh);
  await term.waitForLastLine(PROMPT, 30_000);
  for (const line of ['configure', 'service web', 'description "typed before the drop"']) {
    term.type(line);
    term.keys('Enter');
  }
  await term.waitForLastLine('lb1[lab](config-svc-web)#');
  assert.equal(ssh.remoteShells().length, 1, 'one lbctl shell runs behind sshd');
  killSshClient(term);
  await until('the remote lbctl shell to end after the dropped connection', () => ssh.remoteShells().length === 0, 20_000);
  const after = ssh.run('show version; configure; show | compare; status');
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stdout, /^Running revision: 1$/m, 'nothing was committed');
  assert.match(after.stdout, /typed before the drop/, 'the shared candidate kept the change');
});

test('exec-timeout from configuration: the motd before the first prompt; idle in configure, the shell leaves without committing or losing the candidate', { skip: skipTmux }, async (t) => {
  const ssh = await startSshd(t, { extraConfigYaml: 'system:\n  exec_timeout_s: 4\n  banner_motd: "Authorized operators only. Change window: Tuesdays."\n' });
  const term = interactive(t, ssh);
  // The prompt may show before the rest of the banner and the motd (shell/first-screen.ts): wait for them.
  await term.waitFor(/Authorized operators only\. Change window: Tuesdays\.\n(.*\n)*lb1\[lab\]#$/, 30_000);
  for (const line of ['configure', 'service web', 'description "typed before the timeout"']) {
    term.type(line);
    term.keys('Enter');
  }
  await term.waitForLastLine('lb1[lab](config-svc-web)#');
  const typedAt = Date.now();
  const end = await term.waitFor(/\[exited \d+\]/, 20_000);
  assert.ok(Date.now() - typedAt >= 3000, 'not before the timeout');
  assert.match(end, /% Idle for 4 seconds \(exec-timeout\): leaving the shell\./);
  await until('the remote lbctl shell to end', () => ssh.remoteShells().length === 0);
  const after = ssh.run('show version; configure; show | compare');
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stdout, /^Running revision: 1$/m, 'nothing was committed');
  assert.match(after.stdout, /typed before the timeout/, 'the shared candidate kept the change');
});

test('terminal exec-timeout sets this session\'s idle limit; show terminal reports it', { skip: skipTmux }, async (t) => {
  const ssh = await startSshd(t);
  const term = interactive(t, ssh);
  await term.waitForLastLine(PROMPT, 30_000);
  term.type('show terminal');
  term.keys('Enter');
  await term.waitFor(/Exec timeout: 30 minutes/);
  term.type('terminal exec-timeout 0 3');
  term.keys('Enter');
  term.type('show terminal');
  term.keys('Enter');
  await term.waitFor(/Exec timeout: 3 seconds/);
  const end = await term.waitFor(/\[exited \d+\]/, 20_000);
  assert.match(end, /% Idle for 3 seconds \(exec-timeout\): leaving the shell\./);
});

// A real second OS account for the read-only test: created for it, removed after it. sshd without PAM refuses an
// account whose password field is locked ('!', useradd's default), so it gets '*' (no password can match).
const canAddUsers =
  process.getuid?.() === 0 && spawnSync('sh', ['-c', 'command -v useradd && command -v userdel && command -v runuser'], { stdio: 'ignore' }).status === 0;
const skipReadOnly = skipTmux || (!canAddUsers ? 'needs root, useradd/userdel and runuser for a read-only account' : false);

function temporaryUser(t: { after(fn: () => void): void }): string {
  const name = `lbctl-ro-${process.pid}`;
  spawnSync('userdel', ['-r', name], { stdio: 'ignore' }); // a leftover of a killed run
  execFileSync('useradd', ['--system', '--create-home', '--shell', '/bin/sh', '--password', '*', name], { stdio: 'pipe' });
  // --force: sshd's session of the account may still be ending when this runs.
  t.after(() => {
    spawnSync('userdel', ['--remove', '--force', name], { stdio: 'ignore' });
  });
  return name;
}

test('ssh as a read-only user (not root, not in lbctl-admin): HOST> and % Permission denied; show works; nothing changes', { skip: skipReadOnly }, async (t) => {
  const ro = temporaryUser(t);
  const ssh = await startSshd(t, { otherUsers: [ro] });
  // The test's own (admin) user initialises the store; then the lab is readable, not writable, by the account.
  assert.equal(ssh.run('show version').status, 0);
  execFileSync('chmod', ['-R', 'a+rX,go-w', ssh.lab.root]);
  assert.throws(() => execFileSync('runuser', ['-u', ro, '--', 'test', '-w', ssh.lab.state], { stdio: 'ignore' }), 'the state directory is not writable by the account');

  const show = ssh.run('show version', ro);
  assert.equal(show.status, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^lbctl ${VERSION.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(show.stdout, /^Running revision: 1$/m);

  const denied = `% Permission denied: user ${ro} is neither root nor a member of group lbctl-admin (read-only access)`;
  const conf = ssh.run('configure', ro);
  assert.equal(conf.status, 1);
  assert.equal(conf.stdout, '');
  assert.deepEqual(conf.stderr.split('\n').filter(Boolean), ['% command 1: lb1[lab]>configure', denied]);

  const term = interactive(t, ssh, 120, 40, ro);
  // The prompt may show before the rest of the banner (shell/first-screen.ts): wait for the read-only line.
  const first = await term.waitFor(/Read-only: you may look but not configure\.\n(.*\n)*lb1\[lab\]>$/, 30_000);
  assert.doesNotMatch(first, /lb1\[lab\]#/);
  term.type('configure');
  term.keys('Enter');
  const screen = await term.waitFor(/lb1\[lab\]>configure\n.*\n(.*\n)*lb1\[lab\]>$/);
  assert.ok(screen.includes(denied), screen);
  term.type('exit');
  term.keys('Enter');
  await term.waitFor(/\[exited 0\]/, 15_000);

  // Nothing was committed or audited.
  const store = await openStore({ stateDir: ssh.lab.state, configPath: ssh.lab.config, readOnly: true });
  assert.equal(store.running().number, 1);
  const audit = join(ssh.lab.state, 'audit.jsonl');
  assert.equal(existsSync(audit) ? readAudit(audit).records.length : 0, 0);
});

type LabTable = { services: Array<{ dests: Array<{ dest: { addr: string; weight: number } }> }> };
/** The weights the lab kernel (STATE/lab-ipvs.json, written by the first commit) gives `addr`, in every virtual
 * service that has it. */
function labWeights(state: string, addr: string): number[] {
  if (!existsSync(join(state, 'lab-ipvs.json'))) return [];
  const table = labTableJSON<LabTable>(join(state, 'lab-ipvs.json'));
  return table.services.flatMap((s) => s.dests.filter((d) => d.dest.addr === addr).map((d) => d.dest.weight));
}

test('ssh -t: commit confirmed 1, then the connection drops: the guard rolls back at the deadline (confirm-timeout)', { skip: skipTmux }, async (t) => {
  // Through the test launcher: the shell's store clock runs 50 s behind, so "1 minute" ends about 10 s after the
  // commit (store/store.ts setStoreClock), and the guard the shell starts polls every 200 ms on the real clock.
  const ssh = await startSshd(t, { hooks: { clockOffsetMs: -50_000, guardPollMs: 200 } });
  const { state } = ssh.lab;
  const configPath = ssh.lab.config; // as the shell is given it (--config DIR)
  t.after(() => {
    const guard = runningConfirmGuard(state)?.pid;
    if (guard) {
      try {
        process.kill(guard, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });
  assert.equal(ssh.run('show version').status, 0);
  const before = (await openStore({ stateDir: state, configPath, readOnly: true })).running();
  assert.equal(before.number, 1);
  assert.equal(before.config.services.find((x) => x.name === 'web')?.backends.find((b) => b.address === '198.51.100.13')?.weight, 50);

  const term = interactive(t, ssh);
  await term.waitForLastLine(PROMPT, 30_000);
  for (const line of ['configure', 'service web', 'backend 198.51.100.13 weight 7', 'top', 'commit confirmed 1']) {
    term.type(line);
    term.keys('Enter');
  }
  const committed = await term.waitFor(/committed successfully \(revision 2\)/, 30_000);
  assert.match(committed, /% Commit confirmed: revision 2 will be rolled back to revision 1 in 1 minute\(s\)/);
  assert.deepEqual(labWeights(state, '198.51.100.13'), [7, 7], 'the kernel got the new weight (web: ports 80 and 443)');
  const pending = await readPendingConfirm(state, configPath);
  assert.ok(pending, 'a confirmation is pending');
  assert.equal(pending.revision, 2);
  const deadline = Date.parse(pending.deadline);
  assert.ok(deadline - Date.now() > 3000, `the deadline (${pending.deadline}) is still ahead`);

  killSshClient(term);
  await until('the remote lbctl shell to end after the dropped connection', () => ssh.remoteShells().length === 0, 20_000);
  const guardLog = () => (existsSync(confirmGuardLogPath(state)) ? readFileSync(confirmGuardLogPath(state), 'utf8') : '(no guard log)');
  // The shell spawned the guard at the commit; it takes its lock once node has loaded it (a second or so on a busy
  // machine), and it outlives the dropped session (its own session and process group).
  await until('the detached guard to run', () => runningConfirmGuard(state) !== null, 10_000).catch((e: Error) => {
    throw new Error(`${e.message}; guard log:\n${guardLog()}`);
  });
  if (Date.now() < deadline - 500) {
    assert.equal((await openStore({ stateDir: state, configPath, readOnly: true })).running().number, 2, 'not rolled back before the deadline');
  }

  let running = before;
  const limit = deadline + 15_000;
  for (;;) {
    running = (await openStore({ stateDir: state, configPath, readOnly: true })).running();
    if (running.origin === 'confirm-timeout' || Date.now() > limit) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const rolledBackAt = Date.now();
  assert.equal(running.origin, 'confirm-timeout', 'rolled back by the confirm timeout');
  assert.ok(rolledBackAt >= deadline - 500, `not before the deadline (${rolledBackAt - deadline} ms)`);
  assert.ok(rolledBackAt <= deadline + 5000, `on time (${rolledBackAt - deadline} ms after the deadline)`);
  assert.equal(running.number, 3, 'a new revision');
  assert.deepEqual(running.config, before.config, 'the configuration is the one before the commit');
  await until('the lab kernel to have the old weight', () => labWeights(state, '198.51.100.13').join() === '50,50', 5000);
  assert.equal(await readPendingConfirm(state, configPath), null, 'nothing pending any more');
});
