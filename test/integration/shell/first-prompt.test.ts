// Issue 12 point 7: the first prompt is painted before ink loads (shell/tui/early-prompt.ts), and ink takes the
// screen over. In a real terminal (tmux): what is typed the moment the prompt shows reaches the shell, in
// order, and the screen holds one banner and one prompt, as if ink had drawn them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, makeLab, TmuxTerminal, tmuxAvailable } from './tmux.js';

const PROMPT = 'lb1[lab]#';

const skip = !tmuxAvailable() ? 'tmux is not installed' : !existsSync(join(BUILD_DIR, 'shell', 'session.js')) ? 'the session engine is not in this build' : false;

test('keys typed as soon as the first prompt shows are kept, and the screen shows one banner and one prompt', { skip }, async (t) => {
  const lab = makeLab();
  const term = TmuxTerminal.start([...lbctlCommand(), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state], { env: { HOME: lab.home, NO_COLOR: '1' } });
  t.after(() => {
    term.kill();
    lab.cleanup();
  });
  await term.waitForLastLine(PROMPT, 20_000);
  // At once: ink is most likely still loading, so these keys wait for it (TAB needs the controller).
  term.type('sh ver');
  term.keys('Tab');
  term.keys('Enter');
  const screen = await term.waitFor(/Node\.js: v\S+\nlb1\[lab\]#$/, 20_000);
  const lines = screen.split('\n');
  const first = lines.findIndex((l) => l.startsWith(PROMPT));
  assert.match(lines.slice(0, first).join('\n'), /^lbctl \S+ on lb1\nRunning configuration: revision 1\nEngine: in-process \(no daemon attached\)\nLab mode: [^\n]+\nType "\?" for help on any command, "help" for how this shell works\.$/);
  assert.deepEqual(
    lines.slice(first).map((l) => l.replace(/^lbctl \S+$/, 'lbctl VERSION').replace(/^Node\.js: v\S+$/, 'Node.js: VERSION')),
    [
      `${PROMPT}sh version`,
      'lbctl VERSION',
      'Node: lb1 (lab)',
      'IPVS: 1.2.1 (connection table 4096), in-memory',
      'Running revision: 1',
      'Engine: in-process (no daemon)',
      'Node.js: VERSION',
      PROMPT,
    ],
  );
});
