// The commit's write-ahead record holds the difference from the running revision, not the whole configuration
// (store/intent.ts): a commit interrupted right after the record is durable is completed at the next open from
// that difference and the previous revision file; a format-1 record (written before) is still completed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../store/store.js';
import { setAtomicStepHook } from '../../../store/atomic.js';
import { hashConfig } from '../../../store/store-files.js';
import { loadConfig } from '../../../config/load.js';
import { configsEqual } from '../../../config/equal.js';
import { decodeIntent, encodeIntent } from '../../../store/intent.js';
import type { Config } from '../../../config/model.js';
import { configOf, tempDirs } from './fixtures.js';

/** Runs `commit` and stops it right after the intent's rename (where a kill would leave it); the intent's text. */
async function stopAtCommitPoint(stateDir: string, commit: () => Promise<unknown>): Promise<string> {
  const intentPath = join(stateDir, 'intent.json');
  let text = '';
  setAtomicStepHook((_n, label) => {
    if (label === `rename ${intentPath}`) {
      text = readFileSync(intentPath, 'utf8');
      throw new Error(`stopped after ${label}`);
    }
  });
  try {
    await assert.rejects(commit(), /stopped after rename/);
  } finally {
    setAtomicStepHook(null);
  }
  return text;
}

function weighted(c: Config, name: string, w: number): Config {
  const next = structuredClone(c);
  next.services.find((s) => s.name === name)!.backends[0].weight = w;
  return next;
}

test('the intent of a one-weight commit among 200 services holds that service, not the configuration; the next open completes it exactly', async () => {
  const dirs = tempDirs();
  const first = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const base = configOf(200);
  await first.commit(base, 0, { origin: 'shell' });
  const wanted = weighted(first.running().config, 'web150', 7);
  const intentPath = join(dirs.stateDir, 'intent.json');
  const intentText = await stopAtCommitPoint(dirs.stateDir, () => first.commit(wanted, 1, { origin: 'shell', comment: 'one weight' }));
  const record = JSON.parse(intentText);
  assert.equal(record.format, 2);
  assert.equal(record.revision.config, undefined, 'no whole configuration in the record');
  assert.deepEqual(record.delta.services.map((s: { name: string }) => s.name), ['web150']);
  assert.deepEqual([record.delta.removed, record.delta.unset, record.delta.set, record.delta.order], [[], [], {}, undefined]);
  assert.equal(intentText.split('"backends"').length - 1, 1, 'one service in the record: the changed one');
  assert.equal(record.revision.layout, undefined, 'no whole layout (it names every service) in the record');
  assert.deepEqual(record.layoutDelta, { set: {}, unset: [] }, 'a weight moves no service between files');

  // Read before recovery (lock-free): the interrupted commit is running, rebuilt from revision 1 and the delta.
  const reader = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, readOnly: true });
  assert.equal(reader.running().number, 2);
  assert.equal(reader.running().hash, hashConfig(wanted));

  const reopened = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  assert.equal(reopened.openReport.rolledForward, 2);
  assert.equal(existsSync(intentPath), false);
  const running = reopened.running();
  assert.equal(running.number, 2);
  assert.equal(running.hash, hashConfig(running.config), 'the rebuilt configuration is the one the revision names');
  assert.equal(running.hash, hashConfig(wanted));
  const files = loadConfig(dirs.configDir);
  assert.ok(files.config && configsEqual(files.config, wanted), 'the files say revision 2');
  assert.equal(JSON.parse(readFileSync(join(dirs.stateDir, 'revisions', '0000000002.json'), 'utf8')).hash, running.hash);
  assert.deepEqual(running.layout, first.running().layout, 'the layout is rebuilt from revision 1\'s and the record');
});

test('a format-1 intent (the whole revision, as written before) is still completed at open', async () => {
  const dirs = tempDirs();
  const first = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  await first.commit(configOf(3), 0, { origin: 'shell' });
  const intentPath = join(dirs.stateDir, 'intent.json');
  const text = await stopAtCommitPoint(dirs.stateDir, () => first.commit(weighted(first.running().config, 'web2', 9), 1, { origin: 'shell' }));
  const v2 = decodeIntent(text, (n) => (n === 1 ? first.get(1)!.config : null), (n) => first.get(n)?.layout);
  writeFileSync(intentPath, JSON.stringify({ ...v2, format: 1 }) + '\n');
  const reopened = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  assert.equal(reopened.openReport.rolledForward, 2);
  assert.equal(reopened.running().config.services.find((s) => s.name === 'web2')!.backends[0].weight, 9);
});

test('encodeIntent writes the whole revision when no delta describes the change (service names repeat)', () => {
  const base = configOf(2);
  const twice = { ...base, services: [base.services[0], base.services[0]] };
  const revision = { number: 2, id: '1000000002', time: '', user: 'u', origin: 'shell' as const, hash: 'h', files: {}, config: twice };
  const text = encodeIntent({ format: 2, configDir: '/etc/lbctl', revision, plan: { writes: {}, unchanged: [], deletes: [] }, confirm: null }, base, JSON.stringify(revision));
  const back = decodeIntent(text, () => null);
  assert.equal(back.format, 1);
  assert.deepEqual(back.revision.config, twice);
  assert.throws(() => decodeIntent('{"format":3}', () => null), /unknown format 3/);
  const two = encodeIntent({ format: 2, configDir: '/etc/lbctl', revision: { ...revision, config: weighted(base, 'web1', 3) }, plan: { writes: {}, unchanged: [], deletes: [] }, confirm: null }, base, '');
  assert.throws(() => decodeIntent(two, () => null), /revision 1, which its delta applies to, is missing/);
});

test('an intent whose base revision file is gone is reported as damaged, naming the missing revision', async () => {
  const dirs = tempDirs();
  const first = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  await first.commit(configOf(3), 0, { origin: 'shell' });
  await stopAtCommitPoint(dirs.stateDir, () => first.commit(weighted(first.running().config, 'web1', 5), 1, { origin: 'shell' }));
  rmSync(join(dirs.stateDir, 'revisions', '0000000001.json'));
  const reader = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, readOnly: true });
  assert.throws(() => reader.running(), { name: 'StoreCorruptError', message: /intent\.json: cannot read the commit intent record: revision 1, which its delta applies to, is missing$/ });
});

test('an interrupted commit that adds and removes services: the layout is rebuilt from the record exactly', async () => {
  const dirs = tempDirs();
  const first = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  await first.commit(configOf(6), 0, { origin: 'shell' });
  const cand = structuredClone(first.running().config);
  cand.services = cand.services.filter((s) => s.name !== 'web2');
  cand.services.push({ ...structuredClone(cand.services[0]), name: 'web9', ports: [8009] });
  const text = await stopAtCommitPoint(dirs.stateDir, () => first.commit(cand, 1, { origin: 'shell' }));
  const record = JSON.parse(text);
  assert.equal(record.revision.layout, undefined);
  assert.ok(Object.keys(record.layoutDelta.set).length >= 1 && record.layoutDelta.unset.length >= 1, JSON.stringify(record.layoutDelta));
  const reopened = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  assert.equal(reopened.openReport.rolledForward, 2);
  // The layout a store records when it first reads these files: what the rebuilt one must be.
  const other = tempDirs();
  const fromFiles = await openStore({ stateDir: other.stateDir, configPath: dirs.configDir, readOnly: false });
  assert.deepEqual(Object.entries(reopened.running().layout!), Object.entries(fromFiles.running().layout!));
});
