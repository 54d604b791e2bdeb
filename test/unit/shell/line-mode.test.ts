import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { runCommandString, runStream } from '../../../shell/line-mode.js';
import { FakeSession } from './fixtures/fake-session.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) }, out, err };
}

test('-c runs each command in order through the session; output on stdout; exit 0', async () => {
  const session = new FakeSession();
  const { io, out, err } = capture();
  const code = await runCommandString(session, 'show version; configure\nexit', io);
  assert.equal(code, 0);
  assert.deepEqual(session.executed, ['show version', 'configure', 'exit']);
  assert.equal(out.join(''), 'lbctl 0.1.0\n');
  assert.deepEqual(err, []);
  assert.equal(session.closed, true);
});

test('the first error stops with exit 1; stderr names the command number with the caret under the bad word', async () => {
  const session = new FakeSession();
  const { io, err } = capture();
  const code = await runCommandString(session, 'show version; show ipvz; show version', io);
  assert.equal(code, 1);
  assert.deepEqual(session.executed, ['show version', 'show ipvz']);
  const lines = err.join('').split('\n');
  assert.equal(lines[0], '% command 2: lab#show ipvz');
  assert.equal(lines[1].indexOf('^'), lines[0].indexOf('ipvz'));
  assert.equal(lines[2], "% Invalid input detected at '^' marker.");
});

test('--keep-going runs everything and still exits 1', async () => {
  const session = new FakeSession();
  const { io, err } = capture();
  const code = await runCommandString(session, 'bogus; show version; s', io, { keepGoing: true });
  assert.equal(code, 1);
  assert.deepEqual(session.executed, ['bogus', 'show version', 's']);
  const text = err.join('');
  assert.match(text, /^% command 1: lab#bogus$/m);
  assert.match(text, /^% command 3: lab#s\n% Ambiguous command: {2}"s"$/m);
});

test('no pager in line mode: long output comes out whole', async () => {
  const session = new FakeSession({ longLines: 300 });
  const { io, out } = capture();
  assert.equal(await runCommandString(session, 'show long', io), 0);
  assert.equal(out.join('').split('\n').filter(Boolean).length, 300);
});

test('a question with -c fails with a clear error; from stdin it takes the next line as its answer', async () => {
  const c = capture();
  assert.equal(await runCommandString(new FakeSession(), 'ask', c.io), 1);
  assert.match(c.err.join(''), /% command 1: lab#ask\n% The command asks "Proceed\? \[yes\/no\]" but there is no input/);

  const session = new FakeSession();
  const s = capture();
  const code = await runStream(session, Readable.from(['ask\n', 'yes\n', 'show version\n']), s.io);
  assert.equal(code, 0);
  assert.deepEqual(session.executed, ['ask', 'show version'], 'the answer line is not run as a command');
  assert.equal(s.out.join(''), 'Proceed? [yes/no] yes\ndone\nlbctl 0.1.0\n');
});

test('stdin: commands per line (and ; within a line), input ending mid-question is an error', async () => {
  const session = new FakeSession();
  const s = capture();
  const code = await runStream(session, Readable.from(['configure; service web\n', 'exit\n', 'end\n']), s.io);
  assert.equal(code, 1, 'end asks about uncommitted changes, and the input has ended');
  assert.deepEqual(session.executed, ['configure', 'service web', 'exit', 'end']);
  assert.match(s.err.join(''), /% command 4: lab\(config\)#end\n% The command asks "Uncommitted changes found.*input ended/);
});

test('exit at exec ends the run early with success; an exception becomes a numbered error', async () => {
  const session = new FakeSession();
  const s = capture();
  assert.equal(await runStream(session, Readable.from(['exit\n', 'show version\n']), s.io), 0);
  assert.deepEqual(session.executed, ['exit']);
  const b = capture();
  assert.equal(await runCommandString(new FakeSession(), 'boom', b.io), 1);
  assert.match(b.err.join(''), /% command 1: lab#boom\n% Internal error: kaboom/);
});

test('notices go to stderr', async () => {
  const session = new FakeSession();
  session.notices.push('Commit was not confirmed; automatic rollback complete.');
  const s = capture();
  await runCommandString(session, 'show version', s.io);
  assert.deepEqual(s.err, ['Commit was not confirmed; automatic rollback complete.\n']);
});
