// `lbctl shell` as a child process without a terminal: -c, standard input, --keep-going, exit codes, and the
// numbered errors on stderr. (What each command does is the session's tests' business.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, makeLab } from './tmux.js';

const skip = existsSync(join(BUILD_DIR, 'shell', 'session.js')) ? false : 'the session engine is not in this build';

function lbctl(t: { after(fn: () => void): void }, args: string[], input?: string) {
  const lab = makeLab();
  t.after(() => lab.cleanup());
  const [first, ...rest] = lbctlCommand();
  const launcherEnv = first.startsWith('LBCTL_LAUNCH=') ? { LBCTL_LAUNCH: '1' } : {};
  const argv = first.startsWith('LBCTL_LAUNCH=') ? rest : [first, ...rest];
  const env: NodeJS.ProcessEnv = { ...process.env, ...launcherEnv, HOME: lab.home };
  delete env.CI;
  return spawnSync(argv[0], [...argv.slice(1), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, ...args], {
    input: input ?? '',
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
}

test('-c runs the commands in order and exits 0', { skip }, (t) => {
  const r = lbctl(t, ['-c', 'configure; service web; show | display set']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /service web/);
  assert.equal(r.stderr, '');
});

test('-c stops at the first error with exit 1 and a numbered error; --keep-going runs the rest', { skip }, (t) => {
  const stop = lbctl(t, ['-c', 'show version; show ipvz; show version']);
  assert.equal(stop.status, 1);
  assert.equal(stop.stdout.match(/Running revision/g)?.length, 1, 'the third command did not run');
  const lines = stop.stderr.split('\n');
  assert.equal(lines[0], '% command 2: lb1[lab]#show ipvz');
  assert.equal(lines[1], ' '.repeat('% command 2: lb1[lab]#show ipv'.length) + '^');
  assert.equal(lines[2], "% Invalid input detected at '^' marker.");
  const go = lbctl(t, ['--keep-going', '-c', 'show version; show ipvz; show version']);
  assert.equal(go.status, 1);
  assert.equal(go.stdout.match(/Running revision/g)?.length, 2);
});

test('commands from standard input, one or more per line', { skip }, (t) => {
  const r = lbctl(t, [], 'configure\nservice web; description "from stdin; really"\nshow | compare\n');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /from stdin; really/);
});

test('a bad option is a usage error (exit 2)', { skip }, (t) => {
  const r = lbctl(t, ['--bogus']);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /usage: lbctl shell/);
});

// Issue 15 point 4: `load merge` of what is not a configuration changes nothing and says why.
test('load merge refuses a device and an empty file; the candidate stays unchanged', { skip }, (t) => {
  const dev = lbctl(t, ['-c', 'configure; load merge /dev/zero']);
  assert.equal(dev.status, 1);
  assert.match(dev.stderr, /% load merge \/dev\/zero: 1 error; the candidate is unchanged\.\n {2}\/dev\/zero: cannot read: not a regular file \(a character device\)/);
  const empty = lbctl(t, ['-c', 'configure; load merge /dev/null']);
  assert.equal(empty.status, 1);
  assert.match(empty.stderr, /\/dev\/null: cannot read: not a regular file/);
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-blank-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const blank = join(dir, 'blank.yaml');
  writeFileSync(blank, '# nothing but a comment\n');
  const none = lbctl(t, ['-c', `configure; load merge ${blank}; show | compare`]);
  assert.equal(none.status, 1);
  assert.match(none.stderr, /the file holds no configuration \(no node:, vip:, daemon:, ha:, observability:, system:, services: section\); the candidate is unchanged\./);
});

// Issue 15 point 6: a description holding ESC [2J cleared the operator's screen.
test('stored strings with terminal escapes are printed escaped, in the shell and in lbctl show', { skip }, (t) => {
  const lab = makeLab();
  t.after(() => lab.cleanup());
  writeFileSync(
    join(lab.config, 'config.d', 'zz-evil.yaml'),
    'services:\n  - name: evil\n    description: "wipe \\e[2J\\e]0;owned\\a done"\n    vip: 203.0.113.200\n    ports: [80]\n    backends:\n      - address: 198.51.100.9\n',
  );
  const [first, ...rest] = lbctlCommand();
  const launcherEnv = first.startsWith('LBCTL_LAUNCH=') ? { LBCTL_LAUNCH: '1' } : {};
  const argv = first.startsWith('LBCTL_LAUNCH=') ? rest : [first, ...rest];
  const env: NodeJS.ProcessEnv = { ...process.env, ...launcherEnv, HOME: lab.home };
  delete env.CI;
  const run = (args: string[]) => spawnSync(argv[0], [...argv.slice(1), ...args, '--lab', '--config', lab.config, '--state-dir', lab.state], { input: '', encoding: 'utf8', env, timeout: 60_000 });
  const shell = run(['shell', '-c', 'show running-config service evil; show service evil']);
  assert.equal(shell.status, 0, shell.stderr);
  assert.doesNotMatch(shell.stdout, /[\u001b\u0007]/, 'a raw escape reached the terminal');
  assert.match(shell.stdout, /description: "wipe \\e\[2J\\e\]0;owned\\a done"/, 'running-config is YAML: its own escapes');
  assert.match(shell.stdout, /Description: wipe \\x1b\[2J\\x1b\]0;owned\\x07 done/);
  // `lbctl show config` prints YAML, whose double-quoted escapes (\e) are already visible text.
  const yaml = run(['show', 'config']);
  assert.equal(yaml.status, 0, yaml.stderr);
  assert.doesNotMatch(yaml.stdout, /[\u001b\u0007]/, 'a raw escape reached the terminal');
  // An audit field (a commit comment) and a refused line echoed in an error: escaped too.
  const audited = run(['shell', '-c', 'configure; service evil; description calm; commit comment "a\u001b[2Jb"; do show audit last 1; nosuch\u001bx']);
  assert.doesNotMatch(audited.stdout + audited.stderr, /[\u001b\u0007]/, 'a raw escape reached the terminal');
  assert.match(audited.stdout, /comment: a\\x1b\[2Jb/);
  assert.match(audited.stderr, /#nosuch\\x1bx\n/);
  // A key in a validation error.
  writeFileSync(join(lab.config, 'config.d', 'zz-key.yaml'), 'services:\n  - name: k\n    vip: 203.0.113.201\n    ports: [80]\n    "bad\\e[2Jkey": 1\n');
  const invalid = run(['validate']);
  assert.equal(invalid.status, 1);
  assert.doesNotMatch(invalid.stdout + invalid.stderr, /[\u001b\u0007]/, 'a raw escape reached the terminal');
  assert.match(invalid.stdout + invalid.stderr, /unknown key "bad\\x1b\[2Jkey"/);
});
