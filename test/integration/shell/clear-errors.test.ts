// Issue 15 point 9: what goes wrong around the store is said in a sentence, never as a stack trace or
// "% Internal error": a damaged newest revision, --state-dir naming a file, one damaged old revision, an audit
// trail the operator may not read.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readableInstall, readableLab } from '../../support/readable-install.js';

// A copy of this build that every user can read (the last test runs as nobody), made once.
const install = readableInstall();
after(() => install.cleanup());

/** A lab with four revisions. */
function lab(t: { after(fn: () => void): void }) {
  const l = readableLab(install, t);
  const run = (args: string[], user?: string, stateDir?: string) => l.run(args, { ...(user ? { user } : {}), ...(stateDir ? { stateDir } : {}) });
  assert.equal(run(['apply']).status, 0);
  for (const d of ['one', 'two', 'three']) assert.equal(run(['shell', '-c', `configure; service web; description ${d}; commit`]).status, 0);
  return { root: l.root, state: l.state, run, revision: (n: number) => join(l.state, 'revisions', String(n).padStart(10, '0') + '.json') };
}

test('a damaged newest revision: one sentence naming the file, exit 1, no stack', (t) => {
  const l = lab(t);
  writeFileSync(l.revision(4), '{garbage');
  const r = l.run(['apply']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `lbctl: the revision store is damaged: ${l.revision(4)}: cannot read revision 4: Expected property name or '}' in JSON at position 1 ('lbctl doctor' checks the store)\n`);
});

test('--state-dir naming a file: one sentence, exit 1, no stack', (t) => {
  const l = lab(t);
  const file = join(l.root, 'not-a-dir');
  writeFileSync(file, '');
  const r = l.run(['status'], undefined, file);
  assert.equal(r.status, 1);
  assert.equal(r.stderr, `lbctl: cannot mkdir ${file}: it exists and is not a directory\n`);
});

test('one damaged old revision does not break the commit list; it is listed as unreadable', (t) => {
  const l = lab(t);
  writeFileSync(l.revision(2), '{garbage');
  const r = l.run(['shell', '-c', 'show system commit | no-more']);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(lines[2], /^\s+0\s+4\s+1000000004\s+\d{4}-/);
  assert.match(lines[4], /^\s+2\s+2\s+1000000002\s+\(unreadable/);
  assert.match(lines[5], /^\s+3\s+1\s+1000000001\s+\d{4}-/);
  const changes = l.run(['shell', '-c', 'show configuration commit changes 3']);
  assert.equal(changes.status, 1);
  assert.match(changes.stderr, new RegExp(`^% ${l.revision(2).replace(/[.]/g, '\\.')}: cannot read revision 2: `, 'm'));
  assert.doesNotMatch(changes.stderr, /Internal error/);
});

test('show audit as a user who may not read it: the reason, not "% Internal error: EACCES"', (t) => {
  const l = lab(t);
  chmodSync(join(l.state, 'audit.jsonl'), 0o600);
  const r = l.run(['shell', '-c', 'show audit last 2'], 'nobody');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /% The audit trail .*audit\.jsonl is not readable by you \(permission denied\): root and its group may read it\./);
  assert.doesNotMatch(r.stderr, /Internal error/);
});
