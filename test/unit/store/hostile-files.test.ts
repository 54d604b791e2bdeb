// Issue 15 point 3: what lbctl writes is never reached through a planted symlink, its modes do not depend on the
// umask, and a state or configuration directory someone else can write is refused with the fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appendAudit } from '../../../engine/audit.js';
import { confirmGuardLogPath, guardFileLogger } from '../../../engine/confirm-guard.js';
import { acquireLock } from '../../../locks/lock.js';
import { describeHolder } from '../../../locks/holder.js';
import { ensureDir, writeFileAtomic } from '../../../store/atomic.js';
import { assertTrustedPath, UnsafeDirectoryError } from '../../../store/dir-safety.js';
import { openStore } from '../../../store/store.js';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-hostile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const record = { user: 'root', uid: 0, action: 'commit', result: 'ok', revisionBefore: 1, revisionAfter: 2 } as const;

test('the audit log is never appended through a symlink planted at its name', (t) => {
  const dir = scratch(t);
  const victim = join(dir, 'root-only.txt');
  writeFileSync(victim, 'precious\n', { mode: 0o600 });
  symlinkSync(victim, join(dir, 'audit.jsonl'));
  assert.throws(() => appendAudit(join(dir, 'audit.jsonl'), record as never), /ELOOP|symbolic link/);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('the guard log is never appended through a planted symlink', (t) => {
  const dir = scratch(t);
  const victim = join(dir, 'root-only.txt');
  writeFileSync(victim, 'precious\n', { mode: 0o600 });
  symlinkSync(victim, confirmGuardLogPath(dir));
  guardFileLogger(dir)('rolled back');
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
});

test('modes are explicit whatever the umask (under umask 000: 777 locks/, 666 holder.json)', async (t) => {
  const dir = scratch(t);
  const old = process.umask(0);
  try {
    ensureDir(join(dir, 'state', 'revisions'), 0o755);
    writeFileAtomic(join(dir, 'state', 'file.json'), '{}\n', 0o644);
    appendAudit(join(dir, 'state', 'audit.jsonl'), record as never);
    const lock = await acquireLock({ name: 'test', path: join(dir, 'state', 'locks', 'commit.lock'), holder: describeHolder() });
    try {
      const mode = (p: string) => (statSync(p).mode & 0o777).toString(8);
      assert.equal(mode(join(dir, 'state')), '755');
      assert.equal(mode(join(dir, 'state', 'revisions')), '755');
      assert.equal(mode(join(dir, 'state', 'file.json')), '644');
      assert.equal(mode(join(dir, 'state', 'audit.jsonl')), '640');
      assert.equal(mode(join(dir, 'state', 'locks')), '755');
      assert.equal(mode(join(dir, 'state', 'locks', 'commit.lock', 'holder.json')), '644');
    } finally {
      await lock.release();
    }
  } finally {
    process.umask(old);
  }
});

test('a state directory someone else can write is refused, naming the path and the fix', async (t) => {
  const dir = scratch(t);
  const state = join(dir, 'state');
  mkdirSync(state, { mode: 0o755 });
  chmodSync(state, 0o777);
  await assert.rejects(openStore({ stateDir: state, configPath: join(dir, 'config') }), (e: Error) => {
    assert.ok(e instanceof UnsafeDirectoryError);
    assert.equal(e.message, `the state directory ${state} is writable by everyone (mode 0777): whoever can write there can plant what lbctl applies as root. Fix: chmod o-w ${state}`);
    return true;
  });
  assert.equal(existsSync(join(state, 'revisions')), false, 'nothing was written into it');
  chmodSync(state, 0o775);
  chownSync(state, 0, 4242);
  assert.throws(() => assertTrustedPath(state, 'state directory', { trustedGids: new Set([0]) }), /writable by group 4242 \(mode 0775\).*Fix: chmod g-w .* \(or chgrp lbctl-admin /);
  assert.doesNotThrow(() => assertTrustedPath(state, 'state directory', { trustedGids: new Set([0, 4242]) }), 'the admin group may write');
  chmodSync(state, 0o755);
  chownSync(state, 4242, 0);
  assert.throws(() => assertTrustedPath(state, 'state directory', { uid: 0 }), /is owned by uid 4242, neither root nor you/);
  assert.doesNotThrow(() => assertTrustedPath(state, 'state directory', { uid: 4242 }), 'your own directory (--lab)');
});

test('a directory above it counts too; a sticky one (/tmp) does not', (t) => {
  const dir = scratch(t);
  const parent = join(dir, 'open');
  mkdirSync(join(parent, 'state'), { recursive: true });
  chmodSync(parent, 0o777);
  assert.throws(() => assertTrustedPath(join(parent, 'state'), 'state directory'), (e: Error) => {
    assert.equal((e as UnsafeDirectoryError).path, parent);
    assert.match(e.message, new RegExp(`^${parent}, above the state directory ${join(parent, 'state')}, is writable by everyone`));
    return true;
  });
  chmodSync(parent, 0o1777);
  assert.doesNotThrow(() => assertTrustedPath(join(parent, 'state'), 'state directory'));
  assert.doesNotThrow(() => assertTrustedPath(join(parent, 'state', 'not-yet'), 'state directory'), 'judged by what exists');
});

// Issue 15 point 7: one of 16 concurrent `configure` sessions got "ENOENT ... rename": the store's sweep had
// removed its shared-candidate file in flight.
test('the temp-file sweep removes a dead writer\'s files only, never a live process\'s in flight', async (t) => {
  const dir = scratch(t);
  const { spawn, spawnSync } = await import('node:child_process');
  const live = spawn('sleep', ['30']);
  t.after(() => live.kill());
  const dead = spawnSync('true').pid!;
  const inFlight = `candidate-shared.json.lbctl-tmp-${live.pid}-a1b2c3`;
  const leftover = `candidate-shared.json.lbctl-tmp-${dead}-d4e5f6`;
  const storeTemp = `.0000000007.json.lbctl-tmp-${dead}-0a0b0c0d`;
  for (const n of [inFlight, leftover, storeTemp]) writeFileSync(join(dir, n), '{}');
  const { sweepTempFiles } = await import('../../../store/atomic.js');
  assert.deepEqual(sweepTempFiles(dir).sort(), [storeTemp, leftover].sort());
  assert.equal(existsSync(join(dir, inFlight)), true);
});
