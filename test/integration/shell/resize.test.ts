// SIGWINCH: resizing the terminal re-lays out what the shell prints next (issue 16): a wide table printed at 160
// columns is wider than 60, and after the window shrinks to 60 columns the same command fits in 60.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, makeLab, TmuxTerminal, tmuxAvailable } from './tmux.js';

const PROMPT = 'lb1[lab]#';
const skip = !tmuxAvailable()
  ? 'tmux is not installed'
  : !existsSync(join(BUILD_DIR, 'shell', 'session.js'))
    ? 'the session engine is not in this build'
    : false;

/** The lines a command printed: between its echoed line and the next prompt. */
function outputOf(screen: string, command: string): string[] {
  const lines = screen.split('\n');
  const start = lines.lastIndexOf(PROMPT + command);
  assert.ok(start >= 0, `the screen shows ${command}:\n${screen}`);
  return lines.slice(start + 1, -1);
}

test('resize: after SIGWINCH a wide table re-wraps to the new width', { skip }, async (t) => {
  const lab = makeLab(3);
  const term = TmuxTerminal.start([...lbctlCommand(), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state], {
    cols: 160,
    rows: 50,
    env: { HOME: lab.home, NO_COLOR: '1' },
  });
  t.after(() => {
    term.kill();
    lab.cleanup();
  });
  await term.waitForLastLine(PROMPT, 20_000);
  const command = 'show services | no-more';
  term.type(command);
  term.keys('Enter');
  // Until the output is there: ink may show one stale frame (the echoed line, the prompt below it) while the
  // command runs, before its table arrives.
  const printed = (s: string) => s.endsWith(`\n${PROMPT}`) && s.includes(PROMPT + command) && /\n----/.test(s.slice(s.lastIndexOf(PROMPT + command)));
  const wide = outputOf(await term.waitFor(printed), command);
  const widest = Math.max(...wide.map((l) => l.length));
  assert.ok(widest > 60, `at 160 columns the table is wider than 60 (${widest}):\n${term.screen()}`);
  term.keys('C-l');
  term.resize(60, 50);
  await new Promise((r) => setTimeout(r, 300));
  term.keys('C-u');
  term.type(command);
  term.keys('Enter');
  const narrow = outputOf(await term.waitFor((s) => printed(s) && s.lastIndexOf(PROMPT + command) < s.lastIndexOf(PROMPT)), command);
  assert.ok(narrow.length > 0);
  for (const l of narrow) assert.ok(l.length <= 60, `fits in 60 columns: '${l}'`);
});
