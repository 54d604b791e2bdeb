// The seams the commit workflow (issue 6) plugs into: extra commands per mode, questions answered through the
// faces, notices, and the candidate's base revision (what a commit compares and swaps against).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import { createSession } from '../../../shell/session.js';
import { createStaticBackend } from '../../../shell/session-backend.js';
import { CommandError, type CommandDef } from '../../../modes/types.js';

function session(commands: { exec?: CommandDef[]; configure?: CommandDef[]; service?: CommandDef[] }) {
  const backend = createStaticBackend({ config: applyDefaults({}), revision: 3, hostname: 'lb1' });
  return { backend, s: createSession({ backend, commands, terminal: { width: 80, length: 0 } }) };
}

const ASK: CommandDef = {
  decl: 'wipe <1-9>',
  help: { wipe: 'A test command that asks first' },
  run: (a) => ({
    text: `About to wipe ${a.wipe}.`,
    question: {
      prompt: 'Proceed? [yes/no]',
      answer: (reply, ctx) => {
        if (reply === 'yes') {
          ctx.notify('wiped');
          return { text: 'Done.' };
        }
        if (reply === 'no') return { text: 'Nothing done.' };
        throw new CommandError('% Please answer yes or no.');
      },
    },
  }),
};

test('extra commands join the grammar: parsing, ? and TAB see them; other sessions do not', async () => {
  const { s } = session({ exec: [ASK] });
  const h = s.help('wi');
  assert.deepEqual(h, { ok: true, entries: [{ token: 'wipe', help: 'A test command that asks first' }] });
  assert.deepEqual(s.complete('wi'), { line: 'wipe ', candidates: [] });
  const plain = session({}).s;
  assert.deepEqual(plain.help('wi'), { ok: false, error: '% Unrecognized command' });
});

test('a question comes back to the face, and its answer is shaped like any output', async () => {
  const { s } = session({ exec: [ASK] });
  const r = await s.execute('wipe 4');
  assert.equal(r.output, 'About to wipe 4.\n');
  assert.equal(r.question?.prompt, 'Proceed? [yes/no]');
  assert.deepEqual(await r.question!.answer('no'), { output: 'Nothing done.\n' });
  assert.deepEqual(s.takeNotices(), []);
  assert.deepEqual(await r.question!.answer('yes'), { output: 'Done.\n' });
  assert.deepEqual(s.takeNotices(), ['wiped']);
  assert.deepEqual(s.takeNotices(), [], 'notices are handed out once');
  assert.deepEqual(await r.question!.answer('maybe'), { output: '', error: '% Please answer yes or no.' });
});

test('the candidate remembers the running revision it was copied from, until reset', async () => {
  const BASE: CommandDef = { decl: 'base', help: { base: 'Show the base' }, run: (_a, ctx) => ({ text: `base ${ctx.candidateBase()}` }) };
  const RESET: CommandDef = { decl: 'reset', help: { reset: 'Drop the candidate' }, run: (_a, ctx) => ctx.resetCandidate() };
  const { s, backend } = session({ configure: [BASE, RESET] });
  await s.execute('configure');
  await s.execute('hostname changed');
  backend.setRunning(applyDefaults({ node: { name: 'other' } }), 4);
  assert.equal((await s.execute('base')).output, 'base 3\n', 'based on the revision running at the first edit');
  assert.match((await s.execute('show | compare')).output, /changed/);
  await s.execute('reset');
  assert.equal((await s.execute('base')).output, 'base 4\n');
  assert.doesNotMatch((await s.execute('show | display set')).output, /changed/);
  assert.match((await s.execute('show | display set')).output, /hostname other/);
});
