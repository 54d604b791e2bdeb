// The revision store in one process: first use, compare-and-swap refusals, no-change commits, pruning,
// relative numbers, commit confirmed and its expiry (injected clock), hand edits, exclusive lock, identity.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, statSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ExclusiveLockedError,
  HandEditsPendingError,
  InvalidConfigFilesError,
  openStore,
  StaleBaseError,
  type Store,
  type StoreOptions,
} from '../../../store/store.js';
import { comparableHash } from '../../../store/store-files.js';
import { loadConfig } from '../../../config/load.js';
import { acquireExclusiveLock, describeHolder } from '../../../locks/index.js';
import { configOf, configWith, FakeClock, service, tempDirs } from './fixtures.js';

/** 15:02:11 local time today: messages print local clock times. */
function at(h: number, m: number, s: number): number {
  const d = new Date();
  d.setHours(h, m, s, 0);
  return d.getTime();
}

async function fresh(extra: Partial<StoreOptions> = {}, user = 'alice') {
  const dirs = tempDirs();
  const clock = new FakeClock(at(15, 0, 0));
  let who = user;
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, now: clock.now, identity: () => ({ user: who }), ...extra });
  return { ...dirs, clock, store, as: (u: string) => (who = u) };
}

function writeFiles(configDir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(join(configDir, rel, '..'), { recursive: true });
    writeFileSync(join(configDir, rel), text);
  }
}

const WEB = 'services:\n  - name: web # the shop\n    vip: 192.0.2.10\n    ports: [80]\n    backends:\n      - {address: 10.0.0.1, port: 8080, weight: 10}\n';

test('first use without files: revision 0 is the default configuration, and writes no files', async () => {
  const { store, configDir } = await fresh();
  assert.equal(store.openReport.initialized, 'default');
  const r = store.running();
  assert.equal(r.number, 0);
  assert.equal(r.origin, 'init');
  assert.equal(r.id, '1000000000');
  assert.deepEqual(r.config.services, []);
  assert.equal(existsSync(configDir), false);
  const edits = await store.detectHandEdits();
  assert.equal(edits.filesDiffer, false);
  assert.equal(edits.configDiffers, false);
});

test('first use with files: revision 1 (origin file) is their configuration; hand comments survive a commit', async () => {
  const dirs = tempDirs();
  writeFiles(dirs.configDir, { 'config.d/web.yaml': WEB });
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  assert.equal(store.openReport.initialized, 'files');
  const r1 = store.running();
  assert.equal(r1.number, 1);
  assert.equal(r1.origin, 'file');
  assert.deepEqual(Object.keys(r1.files), ['config.d/web.yaml']);
  const cand = structuredClone(r1.config);
  cand.services[0].backends[0].weight = 20;
  const out = await store.commit(cand, 1, { origin: 'shell', comment: 'reweight' });
  assert.equal(out.kind, 'committed');
  assert.deepEqual(out.kind === 'committed' && out.filesWritten, ['config.d/web.yaml']);
  const text = readFileSync(join(dirs.configDir, 'config.d/web.yaml'), 'utf8');
  assert.match(text, /# the shop/);
  assert.match(text, /weight: 20/);
});

test('first use with files that do not load: located errors, nothing recorded', async () => {
  const dirs = tempDirs();
  writeFiles(dirs.configDir, { 'config.d/web.yaml': WEB.replace('weight: 10', 'weight: -5') });
  await assert.rejects(openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir }), (err: unknown) => {
    assert.ok(err instanceof InvalidConfigFilesError);
    assert.equal(err.errors[0].file, 'config.d/web.yaml');
    assert.equal(err.errors[0].line, 6);
    assert.match(err.message, /config\.d\/web\.yaml:6:\d+: services\[0\]\.backends\[0\]\.weight: /);
    return true;
  });
  const revisions = join(dirs.stateDir, 'revisions');
  assert.equal(existsSync(revisions) ? readdirSync(revisions).length : 0, 0);
});

test('compare-and-swap: a stale base is refused with who committed what and when in between', async () => {
  const { store, clock, as } = await fresh();
  clock.t = at(15, 1, 2);
  as('bob');
  await store.commit(configOf(1), 0, { origin: 'shell', comment: 'tweak' });
  clock.t = at(15, 2, 11);
  as('alice');
  await store.commit(configOf(2), 1, { origin: 'shell', comment: 'add web' });
  as('carol');
  await assert.rejects(store.commit(configOf(3), 0, { origin: 'shell' }), (err: unknown) => {
    assert.ok(err instanceof StaleBaseError);
    assert.equal(err.running.number, 2);
    assert.equal(err.base, 0);
    assert.deepEqual(err.between.map((r) => r.user), ['alice', 'bob']);
    assert.equal(
      err.message,
      "running is revision 2 (alice, 15:02:11, 'add web'), your candidate is based on 0; revisions in between: 1 (bob, 15:01:02, 'tweak'), 2 (alice, 15:02:11, 'add web')",
    );
    return true;
  });
  assert.equal(store.running().number, 2, 'the refused commit changed nothing');
});

test('an identical configuration (even with services reordered) is "no changes": no new revision', async () => {
  const { store } = await fresh();
  await store.commit(configOf(3), 0, { origin: 'shell' });
  const same = configOf(3);
  same.services.reverse();
  const out = await store.commit(same, 1, { origin: 'shell' });
  assert.equal(out.kind, 'no-changes');
  assert.equal(out.revision.number, 1);
  assert.equal(store.list().length, 2);
});

test('an invalid candidate is refused with located errors and records nothing', async () => {
  const { store } = await fresh();
  const bad = configOf(1);
  bad.services[0].backends[0].weight = -5;
  await assert.rejects(store.commit(bad, 0, { origin: 'shell' }), (err: unknown) => {
    assert.ok(err instanceof InvalidConfigFilesError);
    assert.match(err.message, /config\.d\/web1\.yaml:\d+:\d+: services\[0\]\.backends\[0\]\.weight: .*-5/);
    return true;
  });
  assert.equal(store.running().number, 0);
});

test('pruning keeps the newest `keep` revisions; numbers and ids are never reused; relative numbers count back', async () => {
  const { store } = await fresh({ keep: 5 });
  for (let i = 1; i <= 8; i++) await store.commit(configOf(i), i - 1, { origin: 'shell', comment: `c${i}` });
  const list = store.list();
  assert.deepEqual(list.map((r) => r.number), [8, 7, 6, 5, 4]);
  assert.deepEqual(list.map((r) => r.relative), [0, 1, 2, 3, 4]);
  assert.deepEqual(list.map((r) => r.id), ['1000000008', '1000000007', '1000000006', '1000000005', '1000000004']);
  assert.equal(store.getRelative(0)?.number, 8);
  assert.equal(store.getRelative(3)?.comment, 'c5');
  assert.equal(comparableHash(store.getRelative(2)!.config), comparableHash(configOf(6)), 'rollback 2 = revision current-2');
  assert.equal(store.getRelative(5), null, 'pruned');
  assert.equal(store.get(3), null);
  const out = await store.commit(configOf(1), 8, { origin: 'rollback' });
  assert.equal(out.revision.number, 9, 'a rollback is a new revision with the next number');
});

test('by default 50 revisions are kept (from daemon.revisions_kept)', async () => {
  const { store } = await fresh();
  for (let i = 1; i <= 53; i++) {
    const c = configOf(1);
    c.node.name = `n${i}`;
    await store.commit(c, i - 1, { origin: 'shell' });
  }
  const list = store.list();
  assert.equal(list.length, 50);
  assert.equal(list[49].number, 4);
  assert.equal(store.getRelative(49)?.number, 4);
});

test('commit confirmed: persisted, listed, expires on the injected clock into a confirm-timeout revision', async () => {
  const { store, clock, configDir } = await fresh();
  await store.commit(configOf(2), 0, { origin: 'shell', comment: 'good' });
  const out = await store.commit(configOf(3), 1, { origin: 'shell', comment: 'risky', confirmMinutes: 10 });
  assert.equal(out.kind, 'committed');
  const pending = store.pendingConfirm();
  assert.deepEqual(pending, { revision: 2, previousRevision: 1, deadline: new Date(clock.t + 600_000).toISOString(), user: 'alice', minutes: 10 });
  assert.deepEqual(store.list().map((r) => r.pendingConfirm), [true, false, false]);
  clock.advance(9 * 60_000);
  assert.equal(await store.expireConfirmIfDue(), null, 'not yet due');
  clock.advance(61_000);
  const exp = await store.expireConfirmIfDue();
  assert.ok(exp);
  assert.equal(exp.expired.revision, 2);
  assert.equal(exp.replaced.number, 2);
  assert.equal(exp.revision?.number, 3);
  assert.equal(exp.revision?.origin, 'confirm-timeout');
  assert.match(exp.revision!.comment!, /commit 2 by alice was not confirmed/);
  assert.equal(comparableHash(exp.revision!.config), comparableHash(configOf(2)), 'the previous configuration is back');
  assert.equal(comparableHash(loadConfig(configDir).config!), comparableHash(configOf(2)), 'and so are its files');
  assert.equal(store.pendingConfirm(), null);
  assert.equal(await store.expireConfirmIfDue(), null, 'only once');
});

test('a plain commit, a no-change commit, or confirm() confirms; commit confirmed again extends and keeps the first previous', async () => {
  const { store, clock } = await fresh();
  await store.commit(configOf(1), 0, { origin: 'shell' });
  await store.commit(configOf(2), 1, { origin: 'shell', confirmMinutes: 5 });
  const again = await store.commit(configOf(3), 2, { origin: 'shell', confirmMinutes: 5 });
  assert.equal(again.kind === 'committed' && again.confirm?.previousRevision, 1, 'rollback target stays the last confirmed revision');
  clock.advance(60_000);
  const extend = await store.commit(configOf(3), 3, { origin: 'shell', confirmMinutes: 7 });
  assert.equal(extend.kind, 'no-changes');
  assert.equal(store.pendingConfirm()?.deadline, new Date(clock.t + 7 * 60_000).toISOString());
  const plain = await store.commit(configOf(3), 3, { origin: 'shell' });
  assert.equal(plain.kind, 'no-changes');
  assert.equal(plain.confirmed?.revision, 3);
  assert.equal(store.pendingConfirm(), null);

  await store.commit(configOf(4), 3, { origin: 'shell', confirmMinutes: 1 });
  const byApi = await store.confirm('alice');
  assert.equal(byApi?.revision, 4);
  assert.equal(store.pendingConfirm(), null);
  clock.advance(3_600_000);
  assert.equal(await store.expireConfirmIfDue(), null, 'a confirmed commit never rolls back');
  await store.commit(configOf(5), 4, { origin: 'shell', confirmMinutes: 1 });
  const next = await store.commit(configOf(6), 5, { origin: 'shell' });
  assert.equal(next.kind === 'committed' && next.confirmed?.revision, 5, 'a plain commit with changes confirms too');
});

test('opening the store rolls back an expired confirmation; its rollback target is never pruned', async () => {
  const { store, clock, stateDir, configDir } = await fresh({ keep: 2 });
  await store.commit(configOf(1), 0, { origin: 'shell' });
  await store.commit(configOf(2), 1, { origin: 'shell', confirmMinutes: 1 });
  await store.commit(configOf(3), 2, { origin: 'shell', confirmMinutes: 1 });
  await store.commit(configOf(4), 3, { origin: 'shell', confirmMinutes: 1 });
  assert.deepEqual(store.list().map((r) => r.number), [4, 3, 1], 'revision 1 (the rollback target) survives keep=2');
  clock.advance(120_000);
  const reopened = await openStore({ stateDir, configPath: configDir, now: clock.now, keep: 2 });
  const exp = reopened.openReport.expiredConfirm;
  assert.equal(exp?.revision?.number, 5);
  assert.equal(exp?.revision?.origin, 'confirm-timeout');
  assert.equal(comparableHash(reopened.running().config), comparableHash(configOf(1)));
  assert.equal(reopened.pendingConfirm(), null);
});

test('hand edits: detected per file, block a commit, recorded as origin file; comment-only edits are harmless', async () => {
  const { store, configDir } = await fresh();
  await store.commit(configOf(2), 0, { origin: 'shell' });
  const web1 = join(configDir, 'config.d/web1.yaml');
  writeFileSync(web1, readFileSync(web1, 'utf8').replace('ports: [8001]', 'ports: [9001]'));
  const report = await store.detectHandEdits();
  assert.equal(report.filesDiffer, true);
  assert.equal(report.configDiffers, true);
  assert.deepEqual(report.files, [{ path: 'config.d/web1.yaml', change: 'modified' }]);
  await assert.rejects(store.commit(configOf(3), 1, { origin: 'shell' }), (err: unknown) => {
    assert.ok(err instanceof HandEditsPendingError);
    assert.match(err.message, /edited by hand since revision 1: config\.d\/web1\.yaml \(modified\)/);
    return true;
  });
  const rec = await store.recordFileRevision({ comment: 'hand edit' });
  assert.equal(rec.kind, 'recorded');
  const r2 = store.running();
  assert.equal(r2.number, 2);
  assert.equal(r2.origin, 'file');
  assert.deepEqual(r2.config.services.find((s) => s.name === 'web1')?.ports, [9001]);
  assert.equal((await store.detectHandEdits()).filesDiffer, false);
  assert.equal((await store.recordFileRevision()).kind, 'no-changes');

  // A new file and a comment: the files differ, the configuration does not; commits go on and keep the comment.
  writeFileSync(web1, '# edited by hand: keep me\n' + readFileSync(web1, 'utf8'));
  const cosmetic = await store.detectHandEdits();
  assert.equal(cosmetic.filesDiffer, true);
  assert.equal(cosmetic.configDiffers, false);
  const cand = structuredClone(r2.config);
  cand.services.push(service('api', 8100));
  await store.commit(cand, 2, { origin: 'shell' });
  assert.match(readFileSync(web1, 'utf8'), /^# edited by hand: keep me/);

  writeFileSync(join(configDir, 'config.d/extra.yaml'), 'services:\n  - name: extra\n    vip: 192.0.2.99\n    ports: [25]\n');
  const added = await store.detectHandEdits();
  assert.deepEqual(added.files, [{ path: 'config.d/extra.yaml', change: 'added' }]);
});

test('invalid hand-edited files: located errors reported, nothing recorded; a commit can overwrite them on request', async () => {
  const { store, configDir } = await fresh();
  await store.commit(configOf(1), 0, { origin: 'shell' });
  const web1 = join(configDir, 'config.d/web1.yaml');
  writeFileSync(web1, readFileSync(web1, 'utf8').replace('port: 8080', 'port: 99999'));
  const report = await store.detectHandEdits();
  assert.equal(report.configDiffers, true);
  assert.match(`${report.errors[0].file}:${report.errors[0].line}`, /^config\.d\/web1\.yaml:\d+$/);
  const rec = await store.recordFileRevision();
  assert.equal(rec.kind, 'invalid');
  assert.equal(rec.kind === 'invalid' && rec.errors[0].file, 'config.d/web1.yaml');
  assert.equal(store.running().number, 1);
  const out = await store.commit(configOf(2), 1, { origin: 'shell' }, { overwriteHandEdits: true });
  assert.equal(out.kind, 'committed');
  assert.deepEqual(loadConfig(configDir).errors, []);
});

test('configure exclusive: another session cannot commit; the holder can', async () => {
  const { store, stateDir } = await fresh();
  const since = new Date(at(15, 2, 11));
  const lock = await acquireExclusiveLock(stateDir, describeHolder({ user: 'alice', tty: 'pts/3', session: 's1', since }));
  try {
    await assert.rejects(store.commit(configOf(1), 0, { origin: 'shell', session: 's2' }), (err: unknown) => {
      assert.ok(err instanceof ExclusiveLockedError);
      assert.equal(err.message, `configuration locked exclusively by alice (pid ${process.pid}, pts/3) since 15:02:11; commit refused`);
      return true;
    });
    const out = await store.commit(configOf(1), 0, { origin: 'shell', session: 's1' });
    assert.equal(out.kind, 'committed');
  } finally {
    await lock.release();
  }
  assert.equal((await store.commit(configOf(2), 1, { origin: 'shell', session: 's2' })).kind, 'committed');
});

test('identity: the store records the OS identity given to it, sudo noted separately, meta.user for a peer', async () => {
  const { store } = await fresh({ identity: () => ({ user: 'root', uid: 0, sudoUser: 'alice' }) });
  await store.commit(configOf(1), 0, { origin: 'shell' });
  const r = store.running();
  assert.equal(r.user, 'root');
  assert.equal(r.uid, 0);
  assert.equal(r.sudoUser, 'alice');
  await store.commit(configOf(2), 1, { origin: 'api', user: 'bob', uid: 1001 });
  assert.equal(store.running().user, 'bob');
  assert.equal(store.running().sudoUser, undefined);
});

test('a commit keeps the mode of the files it replaces', async () => {
  const { store, configDir } = await fresh();
  await store.commit(configOf(1), 0, { origin: 'shell' });
  const web1 = join(configDir, 'config.d/web1.yaml');
  chmodSync(web1, 0o640);
  const cand = configOf(1);
  cand.services[0].backends[0].weight = 7;
  await store.commit(cand, 1, { origin: 'shell' });
  assert.match(readFileSync(web1, 'utf8'), /weight: 7/);
  assert.equal(statSync(web1).mode & 0o777, 0o640);
});

test('a single-file configuration stays one file', async () => {
  const dirs = tempDirs();
  mkdirSync(dirs.configDir, { recursive: true });
  const file = join(dirs.configDir, 'lb.yaml');
  writeFileSync(file, '# all in one\n' + WEB);
  const store: Store = await openStore({ stateDir: dirs.stateDir, configPath: file });
  const cand = configWith([...store.running().config.services, service('api', 8100)]);
  cand.vip = undefined;
  await store.commit(cand, 1, { origin: 'shell' });
  assert.deepEqual(readdirSync(dirs.configDir), ['lb.yaml']);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^# all in one/);
  assert.match(text, /name: api/);
  assert.deepEqual(Object.keys(store.running().files), ['lb.yaml']);
});

test('a read-only open writes nothing and reads what the writers committed', async () => {
  const { store, stateDir, configDir } = await fresh();
  await store.commit(configOf(2), 0, { origin: 'shell', comment: 'two' });
  const before = readdirSync(join(stateDir, 'locks'));
  const reader = await openStore({ stateDir, configPath: configDir, readOnly: true });
  assert.equal(reader.running().number, 1);
  assert.deepEqual(reader.list().map((r) => r.comment), ['two', 'default configuration (no configuration files)']);
  assert.deepEqual(readdirSync(join(stateDir, 'locks')), before, 'no lock taken');
  const empty = tempDirs();
  mkdirSync(empty.stateDir, { recursive: true });
  const nothing = await openStore({ stateDir: empty.stateDir, configPath: empty.configDir, readOnly: true });
  assert.throws(() => nothing.running(), /no revisions/);
  assert.deepEqual(readdirSync(empty.stateDir), [], 'nothing created');
});
