import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import {
  canConfigure,
  displayUser,
  groupNamesOf,
  operatorIdentity,
  parseGroup,
  parsePasswd,
  parsePretendIdentity,
  permissionDeniedMessage,
  realIdentity,
  recordedUser,
  setPretendIdentity,
} from '../../../config/identity.js';

// The fixture lives in the source tree (tsc does not copy it): build-x/test/unit/commit → test/unit/commit/fixtures.
const root = fileURLToPath(new URL('../../../../test/unit/commit/fixtures/identity/', import.meta.url));

test('parsePasswd / parseGroup skip comments and malformed lines', () => {
  assert.deepEqual(parsePasswd('root:x:0:0:root:/root:/bin/bash\n# c\nbad:x::1::/:/bin/sh\nshort:x:1\n'), [{ name: 'root', uid: 0, gid: 0, home: '/root' }]);
  assert.deepEqual(parseGroup('adm:x:4:a, b\n#x\nnogid:x::\n'), [{ name: 'adm', gid: 4, members: ['a', 'b'] }]);
});

test('groupNamesOf: primary gid, listed memberships, and supplementary gids', () => {
  const groups = parseGroup('a:x:1:\nb:x:2:u\nc:x:3:\nd:x:4:other\n');
  assert.deepEqual(groupNamesOf('u', 1, groups, [3]), ['a', 'b', 'c']);
});

test('realIdentity from a fixture root: names, primary and listed groups', () => {
  const alice = realIdentity({ root, uid: 1000, gid: 1000, env: {} });
  assert.deepEqual(alice, { user: 'alice', uid: 1000, gid: 1000, groups: ['alice', 'lbctl-admin'] });
  // SUDO_USER from a non-root process is a claim anyone can make: dropped.
  const bob = realIdentity({ root, uid: 1001, env: { SUDO_USER: 'mallory' }, parentCommand: 'sudo' });
  assert.deepEqual(bob, { user: 'bob', uid: 1001, gid: 100, groups: ['ops', 'users'] });
  const carol = realIdentity({ root, uid: 1003, env: {} });
  assert.deepEqual(carol.groups, ['carol', 'ops', 'wheel']);
  const unknown = realIdentity({ root, uid: 4242, gid: 4242, env: {} });
  assert.equal(unknown.user, 'uid4242');
  assert.deepEqual(unknown.groups, []);
});

// Issue 15 point 11: `SUDO_USER=alice lbctl ...` as root made the audit say alice(root).
test('the sudo invoker is believed only from root, with sudo the parent and SUDO_UID naming the same user', () => {
  const viaSudo = { SUDO_USER: 'alice', SUDO_UID: '1000' };
  assert.equal(realIdentity({ root, uid: 0, env: viaSudo, parentCommand: 'sudo' }).sudoUser, 'alice');
  assert.equal(realIdentity({ root, uid: 0, env: viaSudo, parentCommand: 'bash' }).sudoUser, undefined, 'set by hand in a root shell');
  assert.equal(realIdentity({ root, uid: 0, env: viaSudo, parentCommand: null }).sudoUser, undefined, 'parent unknown');
  assert.equal(realIdentity({ root, uid: 0, env: { SUDO_USER: 'alice', SUDO_UID: '1001' }, parentCommand: 'sudo' }).sudoUser, undefined, 'uid of someone else');
  assert.equal(realIdentity({ root, uid: 0, env: { SUDO_USER: 'alice' }, parentCommand: 'sudo' }).sudoUser, undefined, 'no SUDO_UID');
  assert.equal(realIdentity({ root, uid: 1000, env: viaSudo, parentCommand: 'sudo' }).sudoUser, undefined, 'not root');
});

test('canConfigure: root and members of the admin group (name configurable)', () => {
  assert.equal(canConfigure(realIdentity({ root, uid: 0, env: {} })), true);
  assert.equal(canConfigure(realIdentity({ root, uid: 1000, env: {} })), true);
  assert.equal(canConfigure(realIdentity({ root, uid: 1001, env: {} })), false);
  assert.equal(canConfigure(realIdentity({ root, uid: 1001, env: {} }), 'ops'), true);
  assert.equal(canConfigure(realIdentity({ root, uid: 1003, env: {} })), false);
  // SUDO_USER names nobody into the admin group.
  assert.equal(canConfigure(realIdentity({ root, uid: 1001, env: { SUDO_USER: 'alice' } })), false);
});

test('a pretend identity is honoured only when injected, never from the environment', () => {
  const viewer = { user: 'viewer', uid: 1500, groups: ['users'] };
  const injected = JSON.stringify(viewer);
  // The variables older builds honoured change nothing, with or without NODE_ENV=test.
  for (const env of [{ LBCTL_TEST_IDENTITY: injected }, { NODE_ENV: 'test', LBCTL_TEST_IDENTITY: injected }]) {
    const ignored = operatorIdentity({ root, uid: 0, env });
    assert.equal(ignored.test, undefined);
    assert.equal(canConfigure(ignored), true);
  }
  // Injected by the caller (per call, or for the process through setPretendIdentity as a test launcher does).
  const perCall = operatorIdentity({ root, uid: 0, env: {}, pretend: viewer });
  setPretendIdentity(viewer);
  let global: ReturnType<typeof operatorIdentity>;
  try {
    global = operatorIdentity({ root, uid: 0, env: {} });
    assert.equal(operatorIdentity({ root, uid: 0, env: {}, pretend: null }).test, undefined, 'a caller may opt out of the injected one');
  } finally {
    setPretendIdentity(null);
  }
  assert.equal(operatorIdentity({ root, uid: 0, env: {} }).test, undefined, 'setPretendIdentity(null) removes it');
  for (const used of [perCall, global]) {
    assert.deepEqual(used.test, { user: 'viewer', uid: 1500, groups: ['users'] });
    assert.equal(canConfigure(used), false, 'root pretending to be a viewer is read-only');
    assert.equal(displayUser(used), 'viewer');
    assert.equal(recordedUser(used), 'root', 'commits are signed with the real name');
    assert.equal(permissionDeniedMessage(used), '% Permission denied: user viewer is neither root nor a member of group lbctl-admin (read-only access)');
  }
});

test('a pretend identity can never raise privileges', () => {
  const pretend = parsePretendIdentity(JSON.stringify({ user: 'root', uid: 0, groups: ['lbctl-admin'] }));
  const bob = operatorIdentity({ root, uid: 1001, env: {}, pretend });
  assert.equal(canConfigure(bob), false);
  assert.equal(recordedUser(bob), 'bob');
  const alice = operatorIdentity({ root, uid: 1000, env: {}, pretend });
  assert.equal(canConfigure(alice), true, 'an admin pretending to be root stays an admin');
  setPretendIdentity(pretend);
  try {
    const bobToo = operatorIdentity({ root, uid: 1001, env: {} });
    assert.equal(canConfigure(bobToo), false);
    assert.equal(recordedUser(bobToo), 'bob');
  } finally {
    setPretendIdentity(null);
  }
});

test('parsePretendIdentity explains bad input', () => {
  assert.throws(() => parsePretendIdentity('{'), /pretend identity: not JSON/);
  assert.throws(() => parsePretendIdentity('{', '--identity'), /--identity: not JSON/);
  assert.throws(() => parsePretendIdentity('{"uid":1}'), /"user" \(a non-empty string\) is required/);
  assert.throws(() => parsePretendIdentity('{"user":"x","uid":-1}'), /"uid" must be a non-negative integer/);
  assert.throws(() => parsePretendIdentity('{"user":"x","groups":"a"}'), /"groups" must be a list of names/);
  assert.deepEqual(parsePretendIdentity('{"user":"x"}'), { user: 'x', uid: 65534, groups: [] });
});

test('osIdentity (what commits and the audit record) ignores a SUDO_USER set by hand', async () => {
  const { spawnSync } = await import('node:child_process');
  const store = new URL('../../../store/store.js', import.meta.url).href;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(store)}).then((m) => console.log(JSON.stringify(m.osIdentity())))`], {
    env: { ...process.env, SUDO_USER: 'alice', SUDO_UID: '1000' },
    encoding: 'utf8',
  });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).sudoUser, undefined);
});
