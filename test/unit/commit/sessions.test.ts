import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { listSessions, registerSession, sessionsDir, type SessionEntry } from '../../../engine/sessions.js';
import { formatSessions } from '../../../present/sessions.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true, maxRetries: 5 })));
function tracked(dir: string): string {
  roots.push(dir);
  return dir;
}

const tmp = () => tracked(mkdtempSync(join(tmpdir(), 'lbctl-sessions-')));

test('register, update, list and close a session of this process', () => {
  const dir = tmp();
  let t = Date.parse('2026-11-25T15:00:00Z');
  const now = () => new Date(t);
  const s = registerSession(dir, { kind: 'private', user: 'alice', tty: 'pts/4', baseRevision: 7, now });
  let [e] = listSessions(dir);
  assert.equal(e.id, s.id);
  assert.equal(e.user, 'alice');
  assert.equal(e.pid, process.pid);
  assert.equal(e.kind, 'private');
  assert.equal(e.dirty, false);
  assert.deepEqual(e.path, []);
  t += 5000;
  s.update({ dirty: true, path: ['services', 'web'] });
  [e] = listSessions(dir);
  assert.equal(e.dirty, true);
  assert.deepEqual(e.path, ['services', 'web']);
  assert.equal(e.lastActive, '2026-11-25T15:00:05.000Z');
  assert.equal(e.since, '2026-11-25T15:00:00.000Z');
  s.close();
  assert.deepEqual(listSessions(dir), []);
  assert.deepEqual(readdirSync(sessionsDir(dir)), []);
  s.touch(); // after close: must not resurrect the entry
  assert.deepEqual(listSessions(dir), []);
});

test('an entry whose pid is gone (or reused by another process) is pruned on read; damaged files are skipped', () => {
  const dir = tmp();
  mkdirSync(sessionsDir(dir), { recursive: true });
  const ghost: SessionEntry = { id: 'ghost', user: 'bob', pid: 2 ** 22 + 17, host: hostname(), kind: 'shared', since: 'x', lastActive: 'x', dirty: false, path: [] };
  writeFileSync(join(sessionsDir(dir), 'ghost.json'), JSON.stringify(ghost));
  const reused: SessionEntry = { ...ghost, id: 'reused', pid: process.pid, pidStart: 1 };
  writeFileSync(join(sessionsDir(dir), 'reused.json'), JSON.stringify(reused));
  writeFileSync(join(sessionsDir(dir), 'broken.json'), '{"id":');
  const live = registerSession(dir, { kind: 'shared' });
  assert.deepEqual(listSessions(dir).map((e) => e.id), [live.id]);
  assert.deepEqual(readdirSync(sessionsDir(dir)).sort(), ['broken.json', `${live.id}.json`].sort());
  live.close();
});

// Issue 15 point 10: leaked temp files of killed writers were never removed.
test('a dead writer\'s sessions/*.tmp is swept on read; a live one\'s is left alone', async () => {
  const dir = tmp();
  const { spawnSync } = await import('node:child_process');
  mkdirSync(sessionsDir(dir), { recursive: true });
  const dead = spawnSync('true').pid!;
  const leaked = `.1234-abcdef.${dead}.0a1b2c.tmp`;
  const inFlight = `.5678-fedcba.${process.pid}.3d4e5f.tmp`;
  writeFileSync(join(sessionsDir(dir), leaked), '{}');
  writeFileSync(join(sessionsDir(dir), inFlight), '{}');
  assert.deepEqual(listSessions(dir), []);
  assert.deepEqual(readdirSync(sessionsDir(dir)), [inFlight]);
});

test('formatSessions prints Junos-style status lines', () => {
  const now = new Date(2026, 10, 25, 15, 10, 0);
  const entries: SessionEntry[] = [
    { id: 'a', user: 'alice', pid: 4242, host: hostname(), tty: 'pts/1', kind: 'exclusive', since: new Date(2026, 10, 25, 15, 2, 11).toISOString(), lastActive: new Date(2026, 10, 25, 15, 6, 50).toISOString(), dirty: true, path: ['services', 'web'], baseRevision: 12 },
    { id: 'b', user: 'root', sudoUser: 'bob', pid: 99, host: 'lb2', kind: 'shared', since: new Date(2026, 10, 25, 15, 9, 0).toISOString(), lastActive: new Date(2026, 10, 25, 15, 9, 0).toISOString(), dirty: false, path: [] },
  ];
  assert.equal(
    formatSessions(entries, { now, self: 'b' }),
    'Users currently editing the configuration:\n' +
      '  alice terminal pts/1 (pid 4242) on since 15:02:11, idle 00:03:10, exclusive, uncommitted changes, based on revision 12\n' +
      '      [edit services web]\n' +
      '* bob (as root) no terminal (pid 99 on lb2) on since 15:09:00, idle 00:01:00\n' +
      '      [edit]\n',
  );
  assert.equal(formatSessions([]), 'No users are editing the configuration.\n');
});
