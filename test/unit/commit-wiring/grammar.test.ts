// The commit workflow's commands as the grammar reads them (no store): which request each spelling makes, the
// exit question, and `show | compare rollback N` against the backend's revision.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import type { CommitPort, CommitRequest } from '../../../modes/backend.js';
import type { CommandOutput, ModeContext } from '../../../modes/types.js';
import { createSession } from '../../../shell/session.js';
import { createStaticBackend } from '../../../shell/session-backend.js';

function withPort(opts: { dirty?: boolean } = {}) {
  const calls: string[] = [];
  const requests: CommitRequest[] = [];
  const ok = async (text: string): Promise<CommandOutput> => ({ text });
  const port: CommitPort = {
    beforeCommand: async () => void calls.push('before'),
    afterCommand: async () => void calls.push('after'),
    dirty: () => Boolean(opts.dirty),
    enterConfigure: async (ctx: ModeContext, kind) => {
      calls.push(`enter ${kind}`);
      ctx.enter({ kind: 'configure' });
      return { text: 'in' };
    },
    leaveConfigure: async () => void calls.push('leave'),
    commit: async (ctx, req) => {
      requests.push(req);
      if (req.andQuit) ctx.end();
      return { text: 'committed' };
    },
    abort: async (ctx) => {
      calls.push('abort');
      ctx.end();
      return { text: 'discarded' };
    },
    loadRollback: async (_c, n) => ok(`rollback ${n}`),
    execRollback: async (_c, n) => ok(`exec rollback ${n}`),
    update: async () => ok('update'),
    load: async (_c, how, file) => ok(`load ${how} ${file}`),
    commitList: () => ({ text: 'list' }),
    commitChanges: (n) => ({ text: `changes ${n}` }),
    sessions: () => ({ text: 'sessions' }),
    audit: (last, detail) => ({ text: `audit ${last ?? 'all'} ${detail ? 'detail' : ''}`.trim() }),
    close: async () => {},
    abandon: async () => [],
    rollbackSession: (_c, id) => ({ text: `rollback session ${id}` }),
    sharedEditors: () => [{ value: '4242-a1b2c3', help: 'alice, gone: service broken' }],
  };
  const running = applyDefaults({ vip: '192.0.2.1', services: [{ name: 'web', ports: [80] }] });
  const old = applyDefaults({ vip: '192.0.2.1', services: [{ name: 'old', ports: [81] }] });
  const backend = Object.assign(createStaticBackend({ config: running, hostname: 'lb1' }), {
    commit: port,
    revisionConfig: (n: number) => (n === 1 ? old : null),
  });
  const session = createSession({ backend, terminal: { width: 120, length: 0 } });
  return { session, calls, requests };
}

test('commit spellings make the documented requests', async () => {
  const { session, requests } = withPort();
  await session.execute('configure private');
  for (const line of ['commit', 'commit check', 'commit comment "two words" confirmed 5', 'commit confirmed', 'commit and-others', 'commit full', 'commit check full', 'com che and-quit']) {
    const r = await session.execute(line);
    assert.equal(r.error, undefined, `${line}: ${r.error}`);
  }
  assert.deepEqual(requests, [
    { check: false, full: false, andQuit: false, andOthers: false },
    { check: true, full: false, andQuit: false, andOthers: false },
    { check: false, full: false, comment: 'two words', confirmMinutes: 5, andQuit: false, andOthers: false },
    { check: false, full: false, confirmMinutes: 10, andQuit: false, andOthers: false },
    { check: false, full: false, andQuit: false, andOthers: true },
    { check: false, full: true, andQuit: false, andOthers: false },
    { check: true, full: true, andQuit: false, andOthers: false },
    { check: true, full: false, andQuit: true, andOthers: false },
  ]);
  assert.equal(session.prompt(), 'lb1#');
  await session.execute('configure');
  assert.equal((await session.execute('rollback session 4242-a1b2c3')).output, 'rollback session 4242-a1b2c3\n');
  // TAB offers the sessions that have changes in the shared candidate.
  assert.equal(session.complete('rollback session 42').line, 'rollback session 4242-a1b2c3 ');
  await session.execute('end');
  const bad = await session.execute('configure');
  assert.equal(bad.error, undefined);
  assert.match((await session.execute('commit confirmed 0')).error ?? '', /Invalid input/);
});

test('configure kinds, rollback, load, status, and the exec commands reach the port', async () => {
  const { session, calls } = withPort();
  const outOf = async (l: string) => {
    const r = await session.execute(l);
    assert.equal(r.error, undefined, `${l}: ${r.error}`);
    return r.output.trimEnd();
  };
  assert.equal(await outOf('show commit list'), 'list');
  assert.equal(await outOf('show system commit'), 'list');
  assert.equal(await outOf('show configuration commit changes 3'), 'changes 3');
  assert.equal(await outOf('show configuration sessions'), 'sessions');
  assert.equal(await outOf('show audit last 5 detail'), 'audit 5 detail');
  assert.equal(await outOf('rollback 2'), 'exec rollback 2');
  await outOf('configure exclusive');
  assert.equal(await outOf('rollback'), 'rollback 0');
  assert.equal(await outOf('rollback 3'), 'rollback 3');
  assert.equal(await outOf('load merge /tmp/x.yaml'), 'load merge /tmp/x.yaml');
  assert.equal(await outOf('load override /tmp/y.yaml'), 'load override /tmp/y.yaml');
  // Who is editing: `show configuration sessions` (`status` is what `lbctl status` prints, issue 12).
  assert.equal(await outOf('show configuration sessions'), 'sessions');
  assert.equal(await outOf('update'), 'update');
  assert.ok(calls.includes('enter exclusive'));
  // Clean candidate: `end` leaves without asking, telling the port.
  const r = await session.execute('end');
  assert.equal(r.question, undefined);
  assert.ok(calls.includes('leave'));
  assert.equal(session.prompt(), 'lb1#');
});

test('end/exit with uncommitted changes ask yes/no/cancel', async () => {
  const { session, requests, calls } = withPort({ dirty: true });
  await session.execute('configure');
  await session.execute('service web');
  assert.equal((await session.execute('exit')).question, undefined, 'exit from a service only goes up a level');
  const q = await session.execute('exit');
  assert.equal(q.question?.prompt, 'Uncommitted changes found, commit them before exiting? [yes/no/cancel]');
  assert.match((await q.question!.answer('cancel')).output, /cancelled/);
  assert.equal(session.prompt(), 'lb1(config)#');
  const q2 = await session.execute('end');
  await q2.question!.answer('yes');
  assert.deepEqual(requests.at(-1), { andQuit: true });
  assert.equal(session.prompt(), 'lb1#');
  await session.execute('configure');
  await (await session.execute('end')).question!.answer('no');
  assert.ok(calls.includes('abort'));
  assert.equal(session.prompt(), 'lb1#');
});

test('show | compare rollback N compares the candidate with revision current-N', async () => {
  const { session } = withPort();
  await session.execute('configure');
  const r = await session.execute('show | compare rollback 1');
  assert.equal(r.error, undefined, r.error);
  assert.match(r.output, /^- +- name: old/m);
  assert.match(r.output, /^\+ +- name: web/m);
  assert.match((await session.execute('show | compare rollback 7')).output, /no revision current-7/);
  assert.equal((await session.execute('show | compare')).output, '');
});
