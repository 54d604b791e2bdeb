// One real non-root run: a throw-away system user (created and removed here) runs the identity module and is
// refused configuration; added to a test admin group, it is allowed. Needs root (useradd, runuser).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';

const identityModule = fileURLToPath(new URL('../../../config/identity.js', import.meta.url));
const isRoot = process.getuid?.() === 0;
function have(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const skip = !isRoot ? 'needs root to create a system user' : !['useradd', 'userdel', 'groupadd', 'groupdel', 'gpasswd', 'runuser'].every(have) ? 'needs useradd/groupadd/gpasswd/runuser' : false;

test('a real non-root user cannot configure; membership of the admin group allows it', { skip }, () => {
  const tag = randomBytes(3).toString('hex');
  const user = `lbctlt${tag}`;
  const group = `lbctladm${tag}`;
  // The module is self-contained; copy it where the unprivileged user can read it.
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-identity-'));
  chmodSync(dir, 0o755);
  const mod = join(dir, 'identity.mjs');
  copyFileSync(identityModule, mod);
  chmodSync(mod, 0o644);
  // The probe's optional argument is a pretend identity, injected as a test launcher does (setPretendIdentity).
  const probe = `const m = await import(${JSON.stringify(mod)}); const pretend = process.argv[1];
    if (pretend) m.setPretendIdentity(m.parsePretendIdentity(pretend));
    const id = m.operatorIdentity();
    process.stdout.write(JSON.stringify({ id, can: m.canConfigure(id, ${JSON.stringify(group)}), canDefault: m.canConfigure(id) }));`;
  const run = (env: Record<string, string> = {}, pretend?: object) =>
    JSON.parse(
      execFileSync('runuser', ['-u', user, '--', process.execPath, '--input-type=module', '-e', probe, ...(pretend ? [JSON.stringify(pretend)] : [])], {
        encoding: 'utf8',
        cwd: dir,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      }),
    ) as { id: { user: string; uid: number; groups: string[]; test?: unknown }; can: boolean; canDefault: boolean };
  execFileSync('groupadd', ['--system', group]);
  try {
    execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', user]);
    try {
      const before = run();
      assert.equal(before.id.user, user);
      assert.notEqual(before.id.uid, 0);
      assert.equal(before.can, false);
      assert.equal(before.canDefault, false);
      // An identity claiming root changes nothing for a real non-root user: in the environment it is not even read;
      // injected by code, it can only reduce privileges.
      const rootClaim = { user: 'root', uid: 0, groups: [group] };
      const forged = run({ NODE_ENV: 'test', LBCTL_TEST_IDENTITY: JSON.stringify(rootClaim) });
      assert.equal(forged.can, false);
      assert.equal(forged.id.user, user);
      assert.equal(forged.id.test, undefined, 'the environment names no pretend operator');
      const injected = run({}, rootClaim);
      assert.equal(injected.can, false);
      assert.equal(injected.canDefault, false);
      assert.equal(injected.id.user, user);
      execFileSync('gpasswd', ['-a', user, group], { stdio: 'ignore' });
      const after = run();
      assert.ok(after.id.groups.includes(group), JSON.stringify(after.id));
      assert.equal(after.can, true);
    } finally {
      execFileSync('userdel', [user], { stdio: 'ignore' });
    }
  } finally {
    execFileSync('groupdel', [group], { stdio: 'ignore' });
    rmSync(dir, { recursive: true, force: true });
  }
});
