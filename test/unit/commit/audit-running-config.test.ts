// A commit's audit record goes where the running configuration says at the moment it is written: the transaction
// hands the configuration it holds to the audit instead of reading the running revision again (a one-shot
// command's store would parse the whole revision file for it). So a commit that moves the trail
// (observability.audit.path) records itself in the new place, and a refused one in the old.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../store/store.js';
import { runCommitTransaction, CommitRefusedError, type CommitTransactionJob } from '../../../engine/commit-transaction.js';
import { Engine } from '../../../engine/engine.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import type { Config } from '../../../config/model.js';
import { tempDirs } from '../store/fixtures.js';

const job = (candidate: Config, base: number): CommitTransactionJob => ({
  candidate,
  base,
  action: 'commit',
  record: { how: 'commit', meta: { origin: 'shell' } },
  describe: (r) => `refused: ${r.kind}`,
});

const actions = (path: string) =>
  existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { action: string; result: string }).result) : [];

test('the audit record of a commit that moves the trail is written where the committed configuration says; a refusal where the running one says', async () => {
  const dirs = tempDirs();
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const engine = new Engine({ dataplane: new MemoryDataplane(), stateDir: null });
  await engine.start();
  const opts = { stateDir: dirs.stateDir, store, lab: false, engine: async () => engine, identity: { user: 'alice' } };
  const oldTrail = join(dirs.stateDir, 'audit.jsonl');
  const newTrail = join(dirs.stateDir, 'moved-audit.jsonl');

  const base = store.running();
  const moved = structuredClone(base.config);
  moved.observability.audit = { ...moved.observability.audit, path: 'moved-audit.jsonl' };
  const out = await runCommitTransaction(opts, job(moved, base.number));
  assert.equal(out.kind, 'committed');
  assert.deepEqual(actions(newTrail), ['ok'], 'the commit is recorded in the trail it moved to');
  assert.deepEqual(actions(oldTrail), []);

  // Refused (invalid): recorded where the running configuration (the moved one) says, not where the candidate says.
  const back = structuredClone(store.running().config);
  back.observability.audit = { ...back.observability.audit, path: 'audit.jsonl' };
  back.services = [{ name: '' } as unknown as Config['services'][number]];
  await assert.rejects(runCommitTransaction(opts, job(back, store.running().number)), CommitRefusedError);
  assert.deepEqual(actions(newTrail), ['ok', 'refused']);
  assert.deepEqual(actions(oldTrail), []);
});
