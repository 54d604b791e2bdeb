// Revision files as differences from a checkpoint (store/revision-format.ts, docs/store.md "On-disk layout"),
// through the store: every revision reads back exactly what was committed, however it is stored; a whole file
// every SNAPSHOT_EVERY revisions; pruning hides the checkpoint kept revisions need and removes it once unneeded;
// a store written by an older lbctl (all whole files) still reads and commits; damage stays local.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, readRevisionConfig, StoreCorruptError, type Store, type StoreOptions } from '../../../store/store.js';
import { hashConfig } from '../../../store/store-files.js';
import { configJson } from '../../../config/equal.js';
import { applyConfigDelta } from '../../../config/delta.js';
import type { Config } from '../../../config/model.js';
import { SNAPSHOT_EVERY, checkpointInPrefix } from '../../../store/revision-format.js';
import { FakeClock, configOf, tempDirs } from './fixtures.js';

const SERVICES = 40;
let serial = 0;

async function fresh(extra: Partial<StoreOptions> = {}) {
  const dirs = tempDirs();
  const clock = new FakeClock();
  const open = (more: Partial<StoreOptions> = {}) =>
    openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, now: clock.now, identity: () => ({ user: 'alice' }), ...extra, ...more });
  return { ...dirs, clock, open, store: await open() };
}

/** Commit k of a series: one backend weight of one service (a different one each time), on the running revision. */
function oneWeight(c: Config, k: number): Config {
  const next = structuredClone(c);
  next.services[k % next.services.length].backends[0].weight = 100 + k;
  return next;
}

/** Makes `count` one-weight commits; the configuration committed as each revision number. */
async function commitSeries(store: Store, count: number): Promise<Map<number, Config>> {
  const committed = new Map<number, Config>();
  if (store.running().config.services.length === 0) {
    const out = await store.commit(configOf(SERVICES), store.running().number, { origin: 'shell' });
    assert.equal(out.kind, 'committed');
    committed.set(out.revision.number, store.running().config);
  }
  for (let i = 0; i < count; i++) {
    const k = serial++;
    const running = store.running();
    const out = await store.commit(oneWeight(running.config, k), running.number, { origin: 'shell', comment: `c${k}` });
    assert.equal(out.kind, 'committed');
    committed.set(out.revision.number, oneWeight(running.config, k));
  }
  return committed;
}

const revisionFiles = (stateDir: string) => readdirSync(join(stateDir, 'revisions')).sort();
const fileOf = (stateDir: string, n: number, hidden = false) => join(stateDir, 'revisions', `${String(n).padStart(10, '0')}${hidden ? '.base' : ''}.json`);
const checkpointOfFile = (stateDir: string, n: number) => checkpointInPrefix(readFileSync(fileOf(stateDir, n), 'utf8').slice(0, 64));

/** Every listed revision reads back exactly as committed (same services in the same order), and hashes as recorded. */
function assertAllRead(store: Store, stateDir: string, committed: Map<number, Config>): void {
  for (const entry of store.list()) {
    const rev = store.get(entry.number)!;
    assert.equal(hashConfig(rev.config), rev.hash, `revision ${entry.number} hashes as recorded`);
    const want = committed.get(entry.number);
    if (want) assert.equal(configJson(rev.config), configJson(want), `revision ${entry.number} is what was committed`);
    assert.equal(configJson(readRevisionConfig(stateDir, entry.number)!), configJson(rev.config), `readRevisionConfig(${entry.number})`);
  }
}

test('every revision is a difference from the last whole one, a whole one every SNAPSHOT_EVERY; all read back exactly', async () => {
  const { store, stateDir, open } = await fresh();
  const committed = await commitSeries(store, 2 * SNAPSHOT_EVERY + 3);
  const newest = store.running().number;
  const whole: number[] = [];
  for (let n = 0; n <= newest; n++) {
    const c = checkpointOfFile(stateDir, n);
    if (c === null) whole.push(n);
    else assert.ok(n - c < SNAPSHOT_EVERY && whole.includes(c), `revision ${n} is stored against the whole revision ${c}`);
  }
  // 0 (the default) and 1 (40 services where there were none) are whole; then one every SNAPSHOT_EVERY.
  assert.deepEqual(whole, [0, 1, 1 + SNAPSHOT_EVERY, 1 + 2 * SNAPSHOT_EVERY]);
  const deltaBytes = statSync(fileOf(stateDir, 2)).size;
  const wholeBytes = statSync(fileOf(stateDir, 1)).size;
  assert.ok(deltaBytes * 2 < wholeBytes, `a one-weight difference (${deltaBytes} B) is much smaller than the whole (${wholeBytes} B)`);
  assertAllRead(store, stateDir, committed);
  // Another process (no shared memory) reads the same, and rollback N is revision current−N.
  const other = await open({ readOnly: true });
  assertAllRead(other, stateDir, committed);
  assert.equal(configJson(other.getRelative(5)!.config), configJson(committed.get(newest - 5)!));
});

test('a long-lived store (keepRunning) commits on its kept checkpoint and reads the same as a fresh reader', async () => {
  const { store, stateDir, open } = await fresh({ keepRunning: true });
  const committed = await commitSeries(store, SNAPSHOT_EVERY + 4);
  assertAllRead(await open({ readOnly: true }), stateDir, committed);
  assert.throws(() => {
    (store.running().config.services[0].backends[0] as { weight: number }).weight = 1;
  }, TypeError, 'the kept running revision is frozen');
});

test('a kept revision is frozen through and through, also when its services list came frozen with new services in it (a daemon\'s delta)', async () => {
  const { store } = await fresh({ keepRunning: true });
  await commitSeries(store, 1);
  for (let k = 0; k < 4; k++) {
    const running = store.running();
    const changed = structuredClone(running.config.services[k]);
    changed.backends[0].weight = 200 + k;
    // As the daemon rebuilds a candidate from a client's difference: the list frozen, the changed service new.
    const candidate = applyConfigDelta(running.config, { set: {}, unset: [], services: [changed], removed: [] });
    assert.ok(Object.isFrozen(candidate.services) && !Object.isFrozen(candidate.services[k]));
    const out = await store.commit(candidate, running.number, { origin: 'shell' }, { handOver: true });
    assert.equal(out.kind, 'committed');
    const kept = store.running().config.services;
    assert.equal(kept.filter((s) => Object.isFrozen(s) && Object.isFrozen(s.backends[0])).length, kept.length, `commit ${k}: every service frozen`);
  }
});

test('pruning hides the checkpoint that kept revisions need, and removes it once a newer whole revision replaces it', async () => {
  const { store, stateDir, open } = await fresh({ keep: 3 });
  const committed = await commitSeries(store, 5);
  // 1 is whole; 2..6 are differences from it: 4..6 are kept, 1 is hidden (out of the list, still read).
  assert.deepEqual(store.list().map((r) => r.number), [6, 5, 4]);
  assert.deepEqual(revisionFiles(stateDir), ['0000000001.base.json', '0000000004.json', '0000000005.json', '0000000006.json']);
  assert.equal(store.get(1), null, 'a hidden checkpoint is pruned as far as rollback is concerned');
  assert.equal(store.getRelative(3), null);
  assertAllRead(store, stateDir, committed);
  assertAllRead(await open({ readOnly: true }), stateDir, committed);
  for (const [n, c] of await commitSeries(store, SNAPSHOT_EVERY)) committed.set(n, c);
  // 17 is whole: once 17..22 … are the kept ones, nothing needs 1.
  const newest = store.running().number;
  assert.deepEqual(store.list().map((r) => r.number), [newest, newest - 1, newest - 2]);
  assert.ok(!revisionFiles(stateDir).includes('0000000001.base.json'), `1 is gone: ${revisionFiles(stateDir).join(' ')}`);
  assertAllRead(store, stateDir, committed);
});

test('a long-lived store remembers what its pruning read, and still prunes right when another process committed between', async () => {
  const { store, stateDir, open } = await fresh({ keep: 3, keepRunning: true });
  const committed = await commitSeries(store, 5);
  // Another process (a shell without the daemon) commits past the next whole revision, pruning as it goes.
  const other = await open();
  for (const [n, c] of await commitSeries(other, SNAPSHOT_EVERY)) committed.set(n, c);
  // The long-lived store commits again: what it remembered of revisions since pruned must not keep 1 alive or
  // lose a checkpoint the kept ones need.
  for (const [n, c] of await commitSeries(store, 2)) committed.set(n, c);
  const newest = store.running().number;
  assert.deepEqual(store.list().map((r) => r.number), [newest, newest - 1, newest - 2]);
  assert.ok(!revisionFiles(stateDir).includes('0000000001.base.json'), `1 is gone: ${revisionFiles(stateDir).join(' ')}`);
  for (const n of [newest, newest - 1, newest - 2]) {
    const base = checkpointOfFile(stateDir, n);
    if (base !== null && base < newest - 2) assert.ok(revisionFiles(stateDir).includes(`${String(base).padStart(10, '0')}.base.json`), `${n}'s checkpoint ${base} is kept hidden`);
  }
  assertAllRead(store, stateDir, committed);
  assertAllRead(await open({ readOnly: true }), stateDir, committed);
});

test('the rollback target of a pending commit confirmed is kept with its checkpoint, and restores exactly', async () => {
  const { store, clock, stateDir, open } = await fresh({ keep: 2 });
  const committed = await commitSeries(store, 3);
  const target = store.running().number; // 4, a difference from 1
  assert.equal(checkpointOfFile(stateDir, target), 1);
  for (let i = 0; i < 4; i++) {
    const running = store.running();
    await store.commit(oneWeight(running.config, serial++), running.number, { origin: 'shell', confirmMinutes: 1 });
  }
  assert.deepEqual(store.list().map((r) => r.number), [8, 7, target]);
  assert.ok(revisionFiles(stateDir).includes('0000000001.base.json'));
  clock.advance(120_000);
  const reopened = await open();
  assert.equal(reopened.openReport.expiredConfirm?.revision?.number, 9);
  assert.equal(configJson(reopened.running().config), configJson(committed.get(target)!), 'the rollback restores revision 4 exactly');
});

test('a store written by an older lbctl (every revision whole) reads, commits on top, rolls back and prunes', async () => {
  const { store, stateDir, open } = await fresh({ keep: 4 });
  const committed = await commitSeries(store, 3);
  // Rewrite every revision as the older lbctl wrote it: the whole revision, no format field.
  for (const entry of store.list()) {
    const rev = (await open({ readOnly: true })).get(entry.number)!;
    writeFileSync(fileOf(stateDir, entry.number), JSON.stringify(rev) + '\n');
  }
  const old = await open();
  assertAllRead(old, stateDir, committed);
  for (const [n, c] of await commitSeries(old, 4)) committed.set(n, c);
  assertAllRead(old, stateDir, committed);
  const newest = old.running().number;
  assert.equal(checkpointOfFile(stateDir, newest), 4, 'the new revisions are differences from the newest old whole file');
  assert.ok(revisionFiles(stateDir).includes('0000000004.base.json'), 'an old whole file is a checkpoint like any other');
  const back = old.getRelative(2)!;
  const out = await old.commit(back.config, newest, { origin: 'rollback' });
  assert.equal(configJson(old.get(out.revision.number)!.config), configJson(committed.get(newest - 2)!));
});

test('a damaged difference spoils only itself; a missing checkpoint is named', async () => {
  const { store, stateDir, open } = await fresh();
  const committed = await commitSeries(store, 4);
  writeFileSync(fileOf(stateDir, 3), '{garbage');
  const reader = await open({ readOnly: true });
  assert.throws(() => reader.get(3), StoreCorruptError);
  assert.equal(reader.list().find((r) => r.number === 3)?.unreadable?.includes('cannot read revision 3'), true);
  for (const n of [2, 4, 5]) assert.equal(configJson(reader.get(n)!.config), configJson(committed.get(n)!), `revision ${n} still reads`);
  writeFileSync(fileOf(stateDir, 1), '{garbage');
  assert.throws(() => reader.running(), { name: 'StoreCorruptError', message: /0000000001\.json: cannot read revision 1: / });
  const { rmSync } = await import('node:fs');
  rmSync(fileOf(stateDir, 1));
  assert.throws(() => reader.running(), { name: 'StoreCorruptError', message: /cannot read revision 5: revision 1, which it is stored as the difference from, is missing/ });
});
