// `lbctl shell` behind a real OpenSSH server, the way operators reach it (issue 16, docs/ssh.md): the test starts
// its own sshd on 127.0.0.1 on a free port, with its own host key, sshd_config, authorized key and a
// `ForceCommand` pointing at a launcher of this build (`lbctl shell --lab` in a temporary lab), and talks to it
// with the real `ssh` client: one-shot commands (SSH_ORIGINAL_COMMAND), an interactive `ssh -t` session in tmux,
// and a dropped connection in the middle of `configure`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, makeLab, REPO_ROOT, TmuxTerminal, tmuxAvailable, type LabDirs } from './tmux.js';

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
  /** The ssh client's argv up to (not including) the remote command. */
  sshArgs(extra?: string[]): string[];
  /** `ssh … COMMAND`, synchronously. */
  run(command: string): { status: number | null; stdout: string; stderr: string };
  /** Processes (other than this one) whose command line names the lab's state directory: the remote lbctl. */
  remoteShells(): number[];
}

/** Starts sshd with its own keys and configuration; everything is removed after the test. */
async function startSshd(t: { after(fn: () => void | Promise<void>): void }, extraConfigYaml = ''): Promise<SshServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-ssh-'));
  const lab = makeLab();
  if (extraConfigYaml) appendFileSync(join(lab.config, 'config.yaml'), `\n${extraConfigYaml}`);
  const hostKey = join(dir, 'host_ed25519');
  const clientKey = join(dir, 'client_ed25519');
  execFileSync(SSH_KEYGEN!, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lbctl-test-host', '-f', hostKey]);
  execFileSync(SSH_KEYGEN!, ['-q', '-t', 'ed25519', '-N', '', '-C', 'lbctl-test-client', '-f', clientKey]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(`${clientKey}.pub`));
  // The ForceCommand: this build's `lbctl shell` on the test's lab, HOME of its own for the history file.
  const launcher = join(dir, 'lbctl-shell');
  const argv = [...lbctlCommand(), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state];
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
      `AllowUsers ${user}`,
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
  });
  await waitForPort(port, sshd, () => log);
  const sshArgs = (extra: string[] = []) => [
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
    `${user}@127.0.0.1`,
  ];
  return {
    port,
    user,
    lab,
    sshArgs,
    run(remote: string) {
      const [prog, ...args] = sshArgs();
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

function interactive(t: { after(fn: () => void): void }, ssh: SshServer, cols = 120, rows = 40): TmuxTerminal {
  const term = TmuxTerminal.start([...ssh.sshArgs(['-t'])], { cols, rows });
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
  const help = await term.waitFor(/lb1\[lab\]#show \?\n[\s\S]*version +.*\nlb1\[lab\]#show$/);
  assert.match(help, /^ {2}ipvs +\S/m);
  term.type('version');
  term.keys('Enter');
  await term.waitFor(/Running revision: 1/);
  term.type('exit');
  term.keys('Enter');
  await term.waitFor(/\[exited 0\]/, 15_000);
});

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
  // The ssh client is the pane's process (tmux runs `env … ssh …`, env execs ssh): SIGKILL drops the connection.
  const pane = Number(execFileSync('tmux', ['-L', term.socket, 'display-message', '-p', '-t', term.target, '#{pane_pid}'], { encoding: 'utf8' }));
  const client = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pane)], { encoding: 'utf8' }).trim().split(/\s+/).map(Number)[0];
  assert.ok(client > 0, 'found the ssh client');
  process.kill(client, 'SIGKILL');
  await until('the remote lbctl shell to end after the dropped connection', () => ssh.remoteShells().length === 0, 20_000);
  const after = ssh.run('show version; configure; show | compare; status');
  assert.equal(after.status, 0, after.stderr);
  assert.match(after.stdout, /^Running revision: 1$/m, 'nothing was committed');
  assert.match(after.stdout, /typed before the drop/, 'the shared candidate kept the change');
});

test('exec-timeout from configuration: the motd before the first prompt; idle in configure, the shell leaves without committing or losing the candidate', { skip: skipTmux }, async (t) => {
  const ssh = await startSshd(t, 'system:\n  exec_timeout_s: 4\n  banner_motd: "Authorized operators only. Change window: Tuesdays."\n');
  const term = interactive(t, ssh);
  const first = await term.waitForLastLine(PROMPT, 30_000);
  assert.match(first, /Authorized operators only\. Change window: Tuesdays\.\n(.*\n)*lb1\[lab\]#$/);
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
