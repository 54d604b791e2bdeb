// The ink face in a real terminal (tmux), on a fake session: proves the keys, the screen layout, the pager
// and history independently of the grammar. tui-lab.test.ts drives the real `lbctl shell --lab`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, TmuxTerminal, tmuxAvailable } from './tmux.js';

const skip = tmuxAvailable() ? false : 'tmux is not installed';

function startFake(
  t: { after(fn: () => void): void },
  env: Record<string, string> = {},
  history?: string,
): { term: TmuxTerminal; home: string } {
  const home = mkdtempSync(join(tmpdir(), 'lbctl-face-'));
  if (history !== undefined) writeFileSync(join(home, '.lbctl_history'), history);
  const term = TmuxTerminal.start([process.execPath, join(BUILD_DIR, 'test', 'integration', 'shell', 'fixtures', 'fake-shell.js')], {
    env: { LBCTL_FAKE_SHELL: '1', HOME: home, ...env },
  });
  t.after(() => {
    term.kill();
    rmSync(home, { recursive: true, force: true });
  });
  return { term, home };
}

test('line editing keys act on the visible line and the cursor', { skip }, async (t) => {
  const { term } = startFake(t);
  await term.waitForLastLine('lab#');
  term.type('show vrsion');
  term.keys('Left', 'Left', 'Left', 'Left', 'Left');
  term.type('e');
  await term.waitForLastLine('lab#show version');
  assert.equal(term.cursor().x, 'lab#show ve'.length, 'the cursor stands after the inserted character');
  term.keys('C-a');
  term.type('X');
  term.keys('C-e');
  term.type('Y');
  await term.waitForLastLine('lab#Xshow versionY');
  term.keys('BSpace', 'Home', 'DC');
  await term.waitForLastLine('lab#show version');
  term.keys('End', 'M-b');
  term.keys('C-k');
  await term.waitForLastLine('lab#show ');
  term.keys('C-w');
  await term.waitForLastLine('lab#');
  term.type('show version');
  term.keys('C-u');
  await term.waitForLastLine('lab#');
});

test('? lists help at once and brings the line back; TAB completes; Ctrl-C drops the line', { skip }, async (t) => {
  const { term } = startFake(t);
  await term.waitForLastLine('lab#');
  term.type('show ?');
  const screen = await term.waitFor(/lab#show \?\n {2}ipvs +Show ipvs\n[\s\S]*version +Show version\nlab#show$/);
  assert.match(screen, /running-config {2}Show running-config/);
  term.type('ver');
  term.keys('Tab');
  await term.waitForLastLine('lab#show version ');
  term.keys('C-c');
  await term.waitFor(/lab#show version \^C\nlab#$/);
});

test('--More-- pages long output: space, Enter, q', { skip }, async (t) => {
  const { term } = startFake(t);
  await term.waitForLastLine('lab#');
  term.type('show long');
  term.keys('Enter');
  let screen = await term.waitFor(/--More--$/);
  // 40 rows: 38 lines, --More--, and the row ink keeps under its live area (the echoed command scrolled
  // off, as on IOS; no output line did).
  assert.match(screen, /^line 1\n[\s\S]*line 38\n--More--$/);
  term.keys('Enter');
  screen = await term.waitFor(/line 39\n--More--$/);
  term.keys('Space');
  screen = await term.waitFor(/line 77\n--More--$/);
  term.type('q');
  screen = await term.waitFor(/line 77\nlab#$/);
  assert.doesNotMatch(screen, /line 78/);
});

test('history from ~/.lbctl_history is recalled with Up, searched with Ctrl-R, and appended to', { skip }, async (t) => {
  const { term, home } = startFake(t, {}, 'terminal length 0\nshow ipvs\n');
  await term.waitForLastLine('lab#');
  term.keys('Up');
  await term.waitForLastLine('lab#show ipvs');
  term.keys('Up');
  await term.waitForLastLine('lab#terminal length 0');
  term.keys('Down', 'Down');
  await term.waitForLastLine('lab#');
  term.type('show version');
  term.keys('Enter');
  await term.waitFor(/lbctl 0\.1\.0\nlab#$/);
  term.type('configure');
  term.keys('Enter');
  await term.waitForLastLine('lab(config)#');
  term.keys('C-r');
  term.type('len');
  await term.waitForLastLine("(reverse-i-search)`len': terminal length 0");
  term.keys('C-g');
  await term.waitForLastLine('lab(config)#');
  term.keys('C-r');
  term.type('ver');
  await term.waitForLastLine("(reverse-i-search)`ver': show version");
  term.keys('Enter');
  await term.waitFor(/lab\(config\)#show version\nlbctl 0\.1\.0\nlab\(config\)#$/);
  assert.equal(
    readFileSync(join(home, '.lbctl_history'), 'utf8'),
    'terminal length 0\nshow ipvs\nshow version\nconfigure\nshow version\n',
  );
});

test('exit, end and Ctrl-Z move through the modes; a question is answered on the prompt line; Ctrl-D leaves', { skip }, async (t) => {
  const { term } = startFake(t, { LBCTL_FAKE_ROLE: '{master}' });
  await term.waitFor(/\{master\}\nlab#$/);
  term.type('configure');
  term.keys('Enter');
  await term.waitFor(/\{master\}\nlab\(config\)#$/);
  term.type('service web');
  term.keys('Enter');
  await term.waitForLastLine('lab(config-svc-web)#');
  term.keys('C-z');
  await term.waitFor(/lab\(config-svc-web\)#\^Z\nUncommitted changes found, commit them before exiting\? \[yes\/no\/cancel\]$/);
  term.type('no');
  term.keys('Enter');
  await term.waitFor(/\[yes\/no\/cancel\] no\n\{master\}\nlab#$/);
  term.keys('C-d');
  await term.waitFor(/\nlab#\n\n?\[exited 0\]$/);
});

test('errors are red on a terminal, and plain with NO_COLOR', { skip }, async (t) => {
  const coloured = startFake(t).term;
  await coloured.waitForLastLine('lab#');
  coloured.type('bogus');
  coloured.keys('Enter');
  await coloured.waitFor(/% Invalid input/);
  assert.match(coloured.screenWithEscapes(), /\x1b\[31m +\^\n% Invalid input/);
  const plain = startFake(t, { NO_COLOR: '1' }).term;
  await plain.waitForLastLine('lab#');
  plain.type('bogus');
  plain.keys('Enter');
  await plain.waitFor(/% Invalid input/);
  assert.doesNotMatch(plain.screenWithEscapes(), /\x1b\[3\dm/);
});
