// Issue 12 point 7: the first prompt is painted before ink loads (shell/tui/early-prompt.ts), and before the
// session opens when a running revision is on disk (shell/first-screen.ts); ink takes the screen over. In a real
// terminal (tmux): what is typed the moment the prompt shows reaches the shell, in order, and the screen holds
// one banner and one prompt, as if ink had drawn them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { lbctlVersion } from '../../../engine/version.js';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, makeLab, TmuxTerminal, tmuxAvailable } from './tmux.js';

const PROMPT = 'lb1[lab]#';

const skip = !tmuxAvailable() ? 'tmux is not installed' : !existsSync(join(BUILD_DIR, 'shell', 'session.js')) ? 'the session engine is not in this build' : false;

/**
 * Types `sh ver`, TAB, Enter at once (ink is most likely still loading, so these keys wait for it: TAB needs the
 * controller), and returns the final screen as the banner's lines and the lines from the first prompt on.
 */
async function typeAtOnce(term: TmuxTerminal): Promise<{ banner: string; rest: string[] }> {
  term.type('sh ver');
  term.keys('Tab');
  term.keys('Enter');
  const lines = (await term.waitFor(/Node\.js: v\S+\nlb1\[lab\]#$/, 20_000)).split('\n');
  const first = lines.findIndex((l) => l.startsWith(PROMPT));
  return { banner: lines.slice(0, first).join('\n'), rest: lines.slice(first) };
}

const ONE_BANNER = /^lbctl \S+ on lb1\nRunning configuration: revision 1\nEngine: in-process \(no daemon attached\)\nLab mode: [^\n]+\nType "\?" for help on any command, "help" for how this shell works\.$/;

test('keys typed as soon as the first prompt shows are kept, and the screen shows one banner and one prompt', { skip }, async (t) => {
  const lab = makeLab();
  const term = TmuxTerminal.start([...lbctlCommand(), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state], { env: { HOME: lab.home, NO_COLOR: '1' } });
  t.after(() => {
    term.kill();
    lab.cleanup();
  });
  await term.waitForLastLine(PROMPT, 20_000);
  const { banner, rest } = await typeAtOnce(term);
  assert.match(banner, ONE_BANNER);
  assert.deepEqual(
    rest.map((l) => l.replace(/^lbctl \S+$/, 'lbctl VERSION').replace(/^Node\.js: v\S+$/, 'Node.js: VERSION')),
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

test('with a running revision on disk, the prompt comes before the session opens; typed keys and the banner are whole', { skip }, async (t) => {
  const lab = makeLab();
  t.after(() => lab.cleanup());
  // A balancer that has run before: the store has its running revision (shell/first-screen.ts reads it).
  const init = spawnSync(lbctlCommand()[0], ['shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', 'show version'], {
    env: { ...process.env, HOME: lab.home },
    encoding: 'utf8',
  });
  assert.equal(init.status, 0, init.stderr);
  // A daemon socket that accepts and never answers: the session waits 2 s for its hello before it runs
  // in-process, which holds the session's opening back long enough to see the prompt come before it.
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(join(lab.state, 'lbctl.sock'), resolve));
  t.after(() => silent.close());
  const term = TmuxTerminal.start([...lbctlCommand(), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state], { env: { HOME: lab.home, NO_COLOR: '1' } });
  t.after(() => term.kill());
  const atPrompt = await term.waitForLastLine(PROMPT, 20_000);
  // The head and the prompt, before the session has opened (it would say which engine it has).
  assert.equal(atPrompt, `lbctl ${lbctlVersion()} on lb1\nRunning configuration: revision 1\n${PROMPT}`);
  const { banner, rest } = await typeAtOnce(term);
  assert.match(banner, ONE_BANNER);
  assert.equal(rest[0], `${PROMPT}sh version`);
});
