// The shared candidate with two live `lbctl shell` processes on one lab (issue 12 point 1): terminals in tmux,
// and scripts run as `lbctl shell -c` children, exactly as operators met the bugs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { BUILD_DIR, lbctlCommand, makeLab, TmuxTerminal, tmuxAvailable, type LabDirs } from './tmux.js';

const PROMPT = 'lb1[lab]#';
const CONFIG = 'lb1[lab](config)#';
const ME = userInfo().username;

const skip = !tmuxAvailable()
  ? 'tmux is not installed'
  : !existsSync(join(BUILD_DIR, 'shell', 'session.js'))
    ? 'the session engine (shell/session.ts) is not in this build'
    : false;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function labFor(t: { after(fn: () => void): void }): LabDirs {
  const lab = makeLab();
  t.after(() => lab.cleanup());
  return lab;
}

/** An operator's terminal: `lbctl shell --lab` in tmux, at its first prompt. */
async function terminal(t: { after(fn: () => void): void }, lab: LabDirs): Promise<TmuxTerminal> {
  const term = TmuxTerminal.start([...lbctlCommand(), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state], {
    env: { HOME: lab.home, NO_COLOR: '1' },
  });
  t.after(() => term.kill());
  await term.waitForLastLine(PROMPT, 20_000);
  return term;
}

/** Types a line and waits for `until` (default: the next prompt after it). */
async function enter(term: TmuxTerminal, line: string, until: RegExp): Promise<string> {
  term.type(line);
  term.keys('Enter');
  return term.waitFor(until, 15_000);
}

/** `lbctl shell -c SCRIPT` on the same lab, as a child process without a terminal. */
function script(lab: LabDirs, text: string) {
  const [first, ...rest] = lbctlCommand();
  const launch = first.startsWith('LBCTL_LAUNCH=');
  const argv = launch ? rest : [first, ...rest];
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: lab.home, ...(launch ? { LBCTL_LAUNCH: '1' } : {}) };
  delete env.CI;
  return spawnSync(argv[0], [...argv.slice(1), 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', text], {
    input: '',
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
}

/** B's edit in its terminal: a description of service web, back at the top level. */
async function bEdits(b: TmuxTerminal, line = 'description from-b'): Promise<void> {
  await enter(b, 'configure', new RegExp(`${escape(CONFIG)}$`));
  await enter(b, 'service web', /\(config-svc-web\)#$/);
  await enter(b, line, /\(config-svc-web\)#$/);
  await enter(b, 'top', new RegExp(`${escape(CONFIG)}$`));
}

test('two terminals: A leaves (end, and "no" to the question) and B keeps its uncommitted edit', { skip }, async (t) => {
  const lab = labFor(t);
  const b = await terminal(t, lab);
  const a = await terminal(t, lab);
  await bEdits(b);
  // A made no change: `end` asks nothing, says what stays, and leaves.
  const entered = await enter(a, 'configure', new RegExp(`${escape(CONFIG)}$`));
  assert.match(entered, new RegExp(`^ {2}service web: ${ME} \\(session \\d+-[0-9a-f]+, editing now\\)$`, 'm'));
  const left = await enter(a, 'end', new RegExp(`${escape(PROMPT)}$`));
  assert.doesNotMatch(left, /Uncommitted changes found/);
  assert.match(left, /% The shared candidate keeps these uncommitted changes:\n {2}service web: /);
  // A changes something of its own, then answers "no": only A's change goes.
  await enter(a, 'configure', new RegExp(`${escape(CONFIG)}$`));
  await enter(a, 'vip 192.0.2.99', new RegExp(`${escape(CONFIG)}vip 192\\.0\\.2\\.99\\n${escape(CONFIG)}$`));
  await enter(a, 'end', /Uncommitted changes found, commit them before exiting\? \[yes\/no\/cancel\]/);
  const no = await enter(a, 'no', new RegExp(`${escape(PROMPT)}$`));
  assert.match(no, /% Your uncommitted changes were discarded \(vip\)\./);
  const compare = await enter(b, 'show | compare', new RegExp(`show \\| compare\\n[\\s\\S]*${escape(CONFIG)}$`));
  const shown = compare.slice(compare.lastIndexOf('show | compare'));
  assert.match(shown, /\+ {3}description: from-b/, "B's edit survived A's leaving");
  assert.doesNotMatch(shown, /192\.0\.2\.99/, "A's discarded change is gone");
});

test('a script that stops on an error leaves B\'s terminal edit and nothing of its own', { skip }, async (t) => {
  const lab = labFor(t);
  const b = await terminal(t, lab);
  await bEdits(b);
  const r = script(lab, 'configure; service broken; vip 192.0.2.99; commit');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /^% The run stopped: its uncommitted changes were taken out of the shared candidate \(service broken\)\.$/m);
  const compare = await enter(b, 'show | compare', new RegExp(`show \\| compare\\n[\\s\\S]*${escape(CONFIG)}$`));
  const shown = compare.slice(compare.lastIndexOf('show | compare'));
  assert.match(shown, /\+ {3}description: from-b/);
  assert.doesNotMatch(shown, /broken|192\.0\.2\.99/, "nothing of the failed script stays for the next commit");
});

test("a script's commit refuses to carry B's uncommitted weight change unless it says `commit and-others`", { skip }, async (t) => {
  const lab = labFor(t);
  const b = await terminal(t, lab);
  await bEdits(b, 'backend 198.51.100.11 weight 7');
  const refused = script(lab, 'configure; vip 192.0.2.99; commit');
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /^% Commit refused: the shared candidate holds uncommitted changes of other sessions:\n {2}service web: \S+ \(session \d+-[0-9a-f]+, editing now\)$/m);
  const compare = await enter(b, 'show | compare', new RegExp(`show \\| compare\\n[\\s\\S]*${escape(CONFIG)}$`));
  assert.match(compare.slice(compare.lastIndexOf('show | compare')), /\+ +weight: 7/, 'B still holds it, uncommitted');
  const taken = script(lab, 'configure; vip 192.0.2.99; commit and-others');
  assert.equal(taken.status, 0, taken.stderr);
  assert.match(taken.stdout, /^% This commit also carries uncommitted changes of other sessions:\n {2}service web: /m);
  // Committed: nothing left to compare, and B is told that its change left the shared candidate.
  await enter(
    b,
    'show | compare',
    new RegExp(
      `show \\| compare\\n% Your uncommitted changes to service web are no longer in the shared candidate: another session committed\\s+\\(revision 2,\\s+"show commit list"\\) or took them out\\.\\n${escape(CONFIG)}$`,
    ),
  );
});
