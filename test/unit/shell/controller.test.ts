import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ShellController } from '../../../shell/tui/controller.js';
import { decodeKeys } from '../../../shell/keys.js';
import { HistoryFile } from '../../../shell/history.js';
import { layoutLive } from '../../../shell/tui/app.js';
import { FakeSession, type FakeSessionOptions } from './fixtures/fake-session.js';

function setup(options: FakeSessionOptions = {}, height = 24) {
  const session = new FakeSession(options);
  let exited = 0;
  const controller = new ShellController(session, { width: 80, height, onExit: () => void exited++ });
  controller.start();
  const type = async (input: string) => {
    controller.feed(decodeKeys(input));
    await controller.settled();
  };
  return { session, controller, type, exits: () => exited };
}

test('starts with the banner and the exec prompt, and tells the session the terminal size', () => {
  const { controller, session } = setup({}, 30);
  assert.match(controller.scrollback(), /fake session/);
  assert.equal(controller.getSnapshot().live.prompt, 'lab#');
  assert.deepEqual(session.sizes, [[80, 30]]);
});

test('Enter runs the line; the prompt and line stay in the scrollback above the output', async () => {
  const { controller, type, session } = setup();
  await type('show version\r');
  assert.deepEqual(session.executed, ['show version']);
  assert.match(controller.scrollback(), /lab#show version\nlbctl 0\.1\.0/);
  assert.equal(controller.getSnapshot().live.line, '');
});

test('? prints help and shows the same line again; the ? itself is echoed but not kept', async () => {
  const { controller, type } = setup();
  await type('show ?');
  const text = controller.scrollback();
  assert.match(text, /lab#show \?\n {2}ipvs {12}Show ipvs\n/);
  assert.equal(controller.getSnapshot().live.line, 'show ');
  await type('zz?');
  assert.match(controller.scrollback(), /lab#show zz\?\n% Unrecognized command$/);
  assert.equal(controller.getSnapshot().live.line, 'show zz');
});

test('TAB: unique prefix completes in place; ambiguous lists candidates and keeps the line', async () => {
  const { controller, type } = setup();
  await type('conf\t');
  assert.equal(controller.getSnapshot().live.line, 'configure ');
  const before = controller.scrollback();
  await type('\x15show r\t');
  assert.equal(controller.getSnapshot().live.line, 'show running-config ');
  assert.equal(controller.scrollback(), before, 'a unique completion prints nothing');
  await type('\x15show serv\t');
  assert.equal(controller.getSnapshot().live.line, 'show service', 'completed to the longest common prefix');
  assert.match(controller.scrollback(), /lab#show serv\nservice +services$/);
});

test('TAB with several candidates lists them under the echoed line', async () => {
  const { controller, type } = setup();
  await type('show \t');
  assert.match(controller.scrollback(), /lab#show \nipvs +long +running-config +service +services\nversion/);
  assert.equal(controller.getSnapshot().live.line, 'show ');
});

test('Ctrl-C prints ^C after the dropped line and gives a fresh prompt', async () => {
  const { controller, type, session } = setup();
  await type('show ver\x03');
  assert.match(controller.scrollback(), /lab#show ver\^C$/);
  assert.equal(controller.getSnapshot().live.line, '');
  assert.deepEqual(session.executed, []);
});

test('errors keep the session caret (already aligned to the prompt)', async () => {
  const { controller, type } = setup();
  await type('show ipvz\r');
  const lines = controller.scrollback().split('\n');
  const at = lines.indexOf('lab#show ipvz');
  assert.equal(lines[at + 1].indexOf('^'), 'lab#show '.length);
});

test('long output pages with --More--: Enter one line, space a page, q quits', async () => {
  const { controller, type } = setup({ longLines: 100 }, 10);
  await type('show long\r');
  assert.equal(controller.getSnapshot().live.mode, 'more');
  assert.match(controller.scrollback(), /line 9$/);
  assert.doesNotMatch(controller.scrollback(), /line 10\b/);
  assert.deepEqual(layoutLive(controller.getSnapshot().live, 80).rows, ['--More--']);
  await type('\r');
  assert.match(controller.scrollback(), /line 10$/);
  await type(' ');
  assert.match(controller.scrollback(), /line 19$/);
  await type('q');
  assert.equal(controller.getSnapshot().live.mode, 'edit');
  assert.doesNotMatch(controller.scrollback(), /line 20\b/);
  await type('terminal length 0\rshow long\r');
  assert.match(controller.scrollback(), /line 100$/);
  assert.equal(controller.getSnapshot().live.mode, 'edit');
});

test('at --More-- any key but space and Enter ends the output, and what is typed ahead is kept (IOS)', async () => {
  const { controller, type, session } = setup({ longLines: 100 }, 10);
  await type('show long\r');
  assert.equal(controller.getSnapshot().live.mode, 'more');
  await type('show ver');
  assert.equal(controller.getSnapshot().live.mode, 'edit', 'the s ended the paging');
  assert.equal(controller.getSnapshot().live.line, 'show ver', 'and no typed character was eaten');
  assert.doesNotMatch(controller.scrollback(), /line 10\b/);
  await type('sion\r');
  assert.deepEqual(session.executed, ['show long', 'show version']);
});

test('keys typed while paging or running wait their turn', async () => {
  const { controller, type, session } = setup({ longLines: 30 }, 10);
  await type('show long\rqshow version\r');
  assert.deepEqual(session.executed, ['show long', 'show version']);
  assert.match(controller.scrollback(), /lab#show version\nlbctl/);
});

test('exit / end / Ctrl-Z walk the modes; a question takes the next line as its answer', async () => {
  const { controller, type, exits, session } = setup();
  await type('configure\r');
  assert.equal(controller.getSnapshot().live.prompt, 'lab(config)#');
  await type('service web\r');
  assert.equal(controller.getSnapshot().live.prompt, 'lab(config-svc-web)#');
  await type('exit\r');
  assert.equal(controller.getSnapshot().live.prompt, 'lab(config)#');
  await type('service web\rport 80\x1a');
  assert.match(controller.scrollback(), /lab\(config-svc-web\)#port 80\^Z$/m);
  assert.deepEqual(session.executed.slice(-2), ['port 80', 'end'], 'Ctrl-Z with a command on the line runs it, then ends (IOS)');
  assert.equal(controller.getSnapshot().live.mode, 'question');
  assert.match(controller.getSnapshot().live.prompt, /^Uncommitted changes found.*\[yes\/no\/cancel\] $/);
  await type('yes\r');
  assert.match(controller.scrollback(), /\[yes\/no\/cancel\] yes\n% Configuration committed/);
  assert.equal(controller.getSnapshot().live.prompt, 'lab#');
  assert.deepEqual(session.executed.slice(-1), ['end']);
  await type('\x1a');
  assert.equal(controller.getSnapshot().live.prompt, 'lab#', 'Ctrl-Z at exec does nothing');
  await type('ask\rno?\r');
  assert.match(controller.scrollback(), /Proceed\? \[yes\/no\] no\?\n% Aborted\.$/, 'in a question ? is a character');
  await type('exit\r');
  assert.equal(exits(), 1);
  assert.equal(session.closed, true);
});

test('Ctrl-D exits only at an empty exec prompt', async () => {
  const { type, exits, session } = setup();
  await type('configure\r\x04');
  assert.equal(exits(), 0);
  await type('end\r\x04');
  assert.equal(exits(), 1);
  assert.equal(session.closed, true);
});

test('history: Up recalls, lines persist to the history file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-ctl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'h');
  const session = new FakeSession();
  const controller = new ShellController(session, { history: new HistoryFile(path) });
  controller.start();
  controller.feed(decodeKeys('show version\r\x1b[A'));
  await controller.settled();
  assert.equal(controller.getSnapshot().live.line, 'show version');
  assert.equal(readFileSync(path, 'utf8'), 'show version\n');
  const next = new ShellController(new FakeSession(), { history: new HistoryFile(path) });
  next.start();
  next.feed(decodeKeys('\x1b[A'));
  await next.settled();
  assert.equal(next.getSnapshot().live.line, 'show version');
});

test('notices are printed before the prompt; the role line stands above it', async () => {
  const { controller, type, session } = setup({ role: '{master}' });
  assert.equal(controller.getSnapshot().live.roleLine, '{master}');
  session.notices.push('% Commit confirmed will be rolled back in 1 minute');
  await type('show version\r');
  assert.match(controller.scrollback(), /\{master\}\nlab#show version\nlbctl 0\.1\.0\n% Commit confirmed will be rolled back/);
});

test('layoutLive wraps the prompt line hard and puts the cursor on the right cell', () => {
  const live = { mode: 'edit' as const, roleLine: '{master}', prompt: 'lab#', line: 'abcdefgh', cursor: 6, search: null };
  const layout = layoutLive(live, 5);
  assert.deepEqual(layout.rows, ['lab#a', 'bcdef', 'gh']);
  assert.deepEqual(layout.cursor, { x: 0, y: 3 });
  const search = layoutLive({ ...live, roleLine: null, search: { query: 'sh', failed: false } }, 80);
  assert.equal(search.rows[0], "(reverse-i-search)`sh': abcdefgh");
});

test('a ? list or TAB list taller than the terminal pages, then the line comes back unchanged', async () => {
  const session = new FakeSession();
  const many = Array.from({ length: 30 }, (_, i) => ({ token: `svc${i}`, help: `service ${i}` }));
  session.help = () => ({ ok: true, entries: many });
  session.complete = (line) => ({ line, candidates: many.map((e) => e.token + 'x'.repeat(70)) });
  const controller = new ShellController(session, { width: 80, height: 10 });
  controller.start();
  const type = async (input: string) => {
    controller.feed(decodeKeys(input));
    await controller.settled();
  };
  await type('show service ?');
  assert.equal(controller.getSnapshot().live.mode, 'more');
  assert.match(controller.scrollback(), /svc8 +service 8$/);
  await type(' ');
  await type(' ');
  await type(' ');
  assert.equal(controller.getSnapshot().live.mode, 'edit');
  assert.match(controller.scrollback(), /svc29 +service 29$/);
  assert.equal(controller.getSnapshot().live.line, 'show service ');
  await type('\t');
  assert.equal(controller.getSnapshot().live.mode, 'more');
  await type('q');
  assert.equal(controller.getSnapshot().live.line, 'show service ');
  assert.doesNotMatch(controller.scrollback(), /svc29x/);
});

test('Ctrl-C during a question abandons it and returns to the prompt', async () => {
  const { controller, type, session } = setup();
  await type('ask\rye\x03');
  assert.match(controller.scrollback(), /Proceed\? \[yes\/no\] ye\^C$/);
  assert.equal(controller.getSnapshot().live.mode, 'edit');
  assert.equal(controller.getSnapshot().live.prompt, 'lab#');
  await type('show version\r');
  assert.deepEqual(session.executed, ['ask', 'show version'], 'the abandoned reply was never sent');
});

test('notices that arrive while the operator sits at the prompt are printed without a keypress', async () => {
  const session = new FakeSession();
  const controller = new ShellController(session, { noticePollMs: 10 });
  controller.start();
  session.notices.push('% Commit confirmed expires in 1 minute');
  const deadline = Date.now() + 5000;
  while (!controller.scrollback().includes('expires in 1 minute') && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert.match(controller.scrollback(), /% Commit confirmed expires in 1 minute$/);
  controller.feed(decodeKeys('exit\r'));
  await controller.settled();
});

test('a session that throws gives an internal error and the prompt back, never a dead shell', async () => {
  const { controller, type, session } = setup();
  await type('boom\r');
  assert.match(controller.scrollback(), /lab#boom\n% Internal error: kaboom$/);
  session.help = () => {
    throw new Error('help broke');
  };
  await type('show ?');
  assert.match(controller.scrollback(), /% Internal error: help broke$/);
  assert.equal(controller.getSnapshot().live.mode, 'edit');
  assert.equal(controller.getSnapshot().live.line, 'show ');
});
