// `lbctl shell --lab` in a real terminal (tmux): the ink face on the real session engine, the way an operator
// on an SSH session meets it. Configuration: dist/examples plus 120 generated services (listings outgrow the
// 40-row terminal, so the pager has work to do).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, makeLab, TmuxTerminal, tmuxAvailable } from './tmux.js';

const PROMPT = 'lb1[lab]#';
const CONFIG = 'lb1[lab](config)#';
const SERVICE = 'lb1[lab](config-svc-web)#';

const skip = !tmuxAvailable()
  ? 'tmux is not installed'
  : !existsSync(join(BUILD_DIR, 'shell', 'session.js'))
    ? 'the session engine (shell/session.ts) is not in this build'
    : false;

function startLab(t: { after(fn: () => void): void }): { term: TmuxTerminal; home: string } {
  const lab = makeLab(120);
  const term = TmuxTerminal.start(
    [...lbctlCommand(), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state],
    { env: { HOME: lab.home, NO_COLOR: '1' } },
  );
  t.after(() => {
    term.kill();
    lab.cleanup();
  });
  return { term, home: lab.home };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('lab: the banner says lab, then the prompt', { skip }, async (t) => {
  const { term } = startLab(t);
  const screen = await term.waitForLastLine(PROMPT, 20_000);
  assert.match(screen, /lbctl \S+ on lb1/);
  assert.match(screen, /Lab mode/i);
  assert.match(screen, /revision 1/);
});

test('lab: TAB completes a unique prefix in place and lists an ambiguous one, keeping the line', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('conf');
  term.keys('Tab');
  await term.waitForLastLine(`${PROMPT}configure`);
  assert.equal(term.cursor().x, `${PROMPT}configure `.length, 'completion appends a space');
  term.keys('C-u');
  term.type('show s');
  term.keys('Tab');
  // The candidates (at least service and services) under the echoed line, then the line again: kept, or
  // extended to the candidates' longest common prefix.
  const screen = await term.waitFor(new RegExp(`${escape(PROMPT)}show s\\n(.*)\\n${escape(PROMPT)}show s\\S*$`));
  const listed = screen.split('\n').slice(-2)[0].trim().split(/ +/);
  assert.ok(listed.includes('service') && listed.includes('services'), listed.join(' '));
  const line = term.lastLine().slice(PROMPT.length);
  assert.ok(listed.every((c) => `show ${c}`.startsWith(line)), `the kept line '${line}' is a prefix of every candidate`);
});

test('lab: ? after a partial word and after a space lists help and keeps the line', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('sh?');
  await term.waitFor(new RegExp(`${escape(PROMPT)}sh\\?\\n {2}show +Show .*\\n${escape(PROMPT)}sh$`));
  term.type('ow ?');
  const screen = await term.waitFor(new RegExp(`${escape(PROMPT)}show \\?\\n[\\s\\S]*version +.*\\n(?: {2}\\S.*\\n)*${escape(PROMPT)}show$`));
  assert.match(screen, /^ {2}running-config +\S/m);
  assert.match(screen, /^ {2}ipvs +\S/m);
  term.type('version');
  term.keys('Enter');
  await term.waitFor(/Running revision: 1/);
});

test('lab: a mistyped word gets the caret under its first bad character', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('show ipvz');
  term.keys('Enter');
  const screen = await term.waitFor(/% Invalid input detected at '\^' marker\.\n/);
  const lines = screen.split('\n');
  const at = lines.indexOf(`${PROMPT}show ipvz`);
  assert.ok(at >= 0, screen);
  assert.equal(lines[at + 1].trimEnd(), ' '.repeat(`${PROMPT}show ipv`.length) + '^');
});

test('lab: history: Up recalls the last command, and it is saved in ~/.lbctl_history', { skip }, async (t) => {
  const { term, home } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('show version');
  term.keys('Enter');
  await term.waitFor(/Running revision: 1[\s\S]*\n(?:.*\n)*lb1\[lab\]#$/);
  term.keys('Up');
  await term.waitForLastLine(`${PROMPT}show version`);
  assert.equal(readFileSync(join(home, '.lbctl_history'), 'utf8'), 'show version\n');
});

test('lab: Ctrl-C drops the line and gives a fresh prompt', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('show ver');
  term.keys('C-c');
  const screen = await term.waitFor(new RegExp(`${escape(PROMPT)}show ver\\^C\\n${escape(PROMPT)}$`));
  assert.doesNotMatch(screen, /Running revision/, 'the dropped line did not run');
});

test('lab: --More-- pages a long listing; q quits; terminal length 0 turns it off', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('show services');
  term.keys('Enter');
  let screen = await term.waitFor(/--More--$/);
  const lines = screen.split('\n');
  // 40 rows: 38 lines of output, --More--, and the row under it that the live area keeps; the table's header
  // (the first line of output) is still on screen, so nothing scrolled away unread.
  assert.equal(lines.length, 39);
  assert.match(lines[0], /^Name +VIP/);
  const beforeMore = (s: string) => s.split('\n').slice(-2)[0];
  const firstPageEnd = beforeMore(screen);
  term.keys('Space');
  screen = await term.waitFor((s) => s.endsWith('--More--') && beforeMore(s) !== firstPageEnd);
  assert.match(beforeMore(screen), /^bulk\d+ /);
  term.type('q');
  await term.waitForLastLine(PROMPT);
  assert.doesNotMatch(term.screen(), /bulk119/, 'q dropped the rest');
  term.type('terminal length 0');
  term.keys('Enter');
  await term.waitForLastLine(PROMPT);
  term.type('show services');
  term.keys('Enter');
  screen = await term.waitFor(/bulk119 .*\n(?:.*\n)?lb1\[lab\]#$/);
  assert.doesNotMatch(screen, /--More--/);
});

test('lab: exit, end and Ctrl-Z through exec → configure → service; exit at exec leaves', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  const run = async (line: string, prompt: string) => {
    term.type(line);
    term.keys('Enter');
    await term.waitForLastLine(prompt);
  };
  await run('configure', CONFIG);
  await run('service web', SERVICE);
  await run('exit', CONFIG);
  await run('service web', SERVICE);
  await run('end', PROMPT);
  await run('conf t', CONFIG);
  await run('service web', SERVICE);
  term.keys('C-z');
  const screen = await term.waitForLastLine(PROMPT);
  assert.match(screen, new RegExp(`${escape(SERVICE)}\\^Z\\n`));
  await run('configure', CONFIG);
  await run('exit', PROMPT);
  term.type('exit');
  term.keys('Enter');
  await term.waitFor(/lb1\[lab\]#exit\n\n?\[exited 0\]$/);
});

test('lab: the session learns the terminal size at start and on resize', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('show terminal');
  term.keys('Enter');
  await term.waitFor(/Length: 40\b.*\nWidth: 120\b.*\nExec timeout: 30 minutes\nlb1\[lab\]#$/);
  term.resize(100, 30);
  // SIGWINCH and the typed keys reach the shell by different paths, so ask again (a bounded number of times)
  // until the shell has seen the new size.
  let seen = '';
  for (let attempt = 0; attempt < 10 && !/Length: 30\b.*\nWidth: 100\b/.test(seen); attempt++) {
    const answers = (s: string) => (s.match(/Length: \d+/g) ?? []).length;
    const before = answers(term.history());
    term.type('show terminal');
    term.keys('Enter');
    seen = await term.waitFor((s) => answers(s) > before && /lb1\[lab\]#$/.test(s), 10_000, 'history');
    seen = seen.slice(seen.lastIndexOf('Length:'));
  }
  assert.match(seen, /Length: 30\b.*\nWidth: 100\b/);
});

test('lab: leaving with uncommitted changes asks on the prompt line; yes commits them', { skip }, async (t) => {
  const { term } = startLab(t);
  await term.waitForLastLine(PROMPT, 20_000);
  for (const [line, prompt] of [
    ['configure', CONFIG],
    ['service web', SERVICE],
    ['description "typed in tmux"', SERVICE],
  ]) {
    term.type(line);
    term.keys('Enter');
    await term.waitForLastLine(prompt);
  }
  term.keys('C-z');
  await term.waitForLastLine('Uncommitted changes found, commit them before exiting? [yes/no/cancel]');
  term.type('yes');
  term.keys('Enter');
  // The commit reports what it applied; a long report pages.
  const after = await term.waitFor((s) => s.endsWith('--More--') || s.endsWith(PROMPT));
  if (after.endsWith('--More--')) {
    term.type('q');
    await term.waitForLastLine(PROMPT);
  }
  assert.match(term.history(), /\[yes\/no\/cancel\] yes\n/);
  term.type('show running-config service web | include description');
  term.keys('Enter');
  await term.waitFor(/description: typed in tmux\nlb1\[lab\]#$/);
});
