// Crash safety of revision files stored as differences (store/revision-format.ts) and of the pruning that keeps
// their checkpoints. A child commits one weight change with keep = PRUNE_KEEP, which prunes, and is SIGKILLed right
// after every disk-changing step (store/atomic.ts step hook, as in crash.test.ts), in two scenarios:
//   hide: revisions 1..3 on disk, 1 whole and 2, 3 differences from it; revision 4 (another difference) prunes 1,
//         which kept revisions still need: it is renamed to 0000000001.base.json, not removed;
//   drop: revisions 16..18 listed (16 a difference from the hidden 1, 17 whole), revision 19 prunes 16 and
//         removes the hidden 1, which nothing needs any more.
// After each kill, first a read-only reader (no recovery) and then a real open must read every listed revision,
// each exactly as committed; the next commit then leaves exactly PRUNE_KEEP revisions and only the needed
// checkpoints.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../../store/store.js';
import { comparableHash, hashConfig } from '../../../store/store-files.js';
import { loadConfig } from '../../../config/load.js';
import { checkpointInPrefix } from '../../../store/revision-format.js';
import { TMP_MARKER } from '../../../store/atomic.js';
import { PRUNE_KEEP, reweighted } from './fixtures/scenario.js';
import { configOf } from '../../unit/store/fixtures.js';
import { hookArgs } from '../../support/hooks.js';

const CHILD = fileURLToPath(new URL('./fixtures/prune-child.js', import.meta.url));
const paths = (dir: string) => ({ stateDir: join(dir, 'state'), configDir: join(dir, 'etc') });

interface Template {
  root: string;
  /** The running revision before the child's commit. */
  before: number;
  /** Each revision's recorded hash, and the configuration hash the child's commit must give. */
  hashes: Map<number, string>;
  hashNew: string;
}

async function makeTemplate(revisions: number): Promise<Template> {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-prune-crash-'));
  const { stateDir, configDir } = paths(root);
  const store = await openStore({ stateDir, configPath: configDir, keep: PRUNE_KEEP });
  await store.commit(configOf(40), 0, { origin: 'shell' });
  while (store.running().number < revisions) {
    const running = store.running();
    await store.commit(reweighted(running.config, running.number), running.number, { origin: 'shell' });
  }
  const hashes = new Map(store.list().map((r) => [r.number, r.hash]));
  const running = store.running();
  return { root, before: running.number, hashes, hashNew: comparableHash(reweighted(running.config, running.number)) };
}

function runChild(dir: string, hooks: Parameters<typeof hookArgs>[0]) {
  const { stateDir, configDir } = paths(dir);
  return spawnSync(process.execPath, [CHILD, ...hookArgs(hooks), stateDir, configDir], { encoding: 'utf8', timeout: 60_000 });
}

const revisionFiles = (stateDir: string) => readdirSync(join(stateDir, 'revisions')).filter((f) => !f.includes(TMP_MARKER)).sort();

/** Every listed revision reads, hashes as it recorded, and is what the template committed. */
function assertListedRead(store: Store, t: Template, label: string): void {
  const listed = store.list();
  assert.ok(listed.length >= 1);
  for (const entry of listed) {
    assert.equal(entry.unreadable, undefined, `${label}: revision ${entry.number} is listed readable`);
    const rev = store.get(entry.number);
    assert.ok(rev, `${label}: revision ${entry.number} reads`);
    assert.equal(hashConfig(rev.config), rev.hash, `${label}: revision ${entry.number} is rebuilt exactly`);
    if (entry.number <= t.before) assert.equal(rev.hash, t.hashes.get(entry.number), `${label}: revision ${entry.number} as committed`);
    else assert.equal(comparableHash(rev.config), t.hashNew, `${label}: the new revision is the new configuration`);
  }
}

/** After the next commit: exactly PRUNE_KEEP listed, and hidden checkpoints only where a kept difference needs one. */
function assertPrunedExactly(stateDir: string, store: Store, label: string): void {
  const listed = store.list().map((r) => r.number);
  assert.equal(listed.length, PRUNE_KEEP, `${label}: ${listed.join(' ')}`);
  const needed = new Set<number>();
  for (const n of listed) {
    const c = checkpointInPrefix(readFileSync(join(stateDir, 'revisions', `${String(n).padStart(10, '0')}.json`), 'utf8').slice(0, 64));
    if (c !== null && !listed.includes(c)) needed.add(c);
  }
  const hidden = revisionFiles(stateDir).filter((f) => f.endsWith('.base.json')).map((f) => Number(f.slice(0, 10)));
  assert.deepEqual(hidden.sort(), [...needed].sort(), `${label}: hidden checkpoints are exactly the needed ones`);
}

async function trial(t: Template, step: number, commitPoint: number): Promise<'old' | 'new' | 'done'> {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-prune-trial-'));
  try {
    cpSync(t.root, dir, { recursive: true });
    const run = runChild(dir, { crashAtStep: step });
    const label = `crash at step ${step}`;
    if (run.signal !== 'SIGKILL') {
      assert.equal(run.status, 0, `${label}: ${run.stderr}`);
      return 'done';
    }
    const { stateDir, configDir } = paths(dir);
    // What the kill left, read as it is: consistent by itself.
    const reader = await openStore({ stateDir, configPath: configDir, readOnly: true });
    assertListedRead(reader, t, `${label} (read-only)`);
    const seen = reader.running().number;
    assert.equal(seen, step < commitPoint ? t.before : t.before + 1, `${label}: old before the commit point, new from it on`);
    // A real open completes whatever was interrupted.
    const store = await openStore({ stateDir, configPath: configDir, keep: PRUNE_KEEP, lockWaitMs: 5000 });
    assertListedRead(store, t, label);
    const running = store.running();
    assert.equal(running.number, seen);
    assert.equal(comparableHash(loadConfig(configDir).config!), comparableHash(running.config), `${label}: files say the running revision`);
    assert.ok(!readdirSync(join(stateDir, 'revisions')).some((f) => f.includes(TMP_MARKER)), `${label}: temp files swept`);
    const next = reweighted(running.config, running.number + 7);
    await store.commit(next, running.number, { origin: 'shell' });
    assertListedRead(store, { ...t, before: running.number, hashes: new Map([...t.hashes, [running.number, running.hash]]), hashNew: comparableHash(next) }, `${label}, next commit`);
    assertPrunedExactly(stateDir, store, `${label}, next commit`);
    return step < commitPoint ? 'old' : 'new';
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [name, revisions, expectFiles] of [
  ['hide: the pruned revision is the checkpoint of kept ones', 3, ['0000000001.base.json', '0000000002.json', '0000000003.json', '0000000004.json']],
  ['drop: a hidden checkpoint nobody needs any more is removed', 18, ['0000000017.json', '0000000018.json', '0000000019.json']],
] as const) {
  test(`SIGKILL after every step of a pruning commit (${name}): every kept revision always reads`, async () => {
    const t = await makeTemplate(revisions);
    try {
      // A traced run: the steps there are, where the commit point (the intent's rename) is, and the end state.
      const traced = mkdtempSync(join(tmpdir(), 'lbctl-prune-trace-'));
      cpSync(t.root, traced, { recursive: true });
      const run = runChild(traced, { traceSteps: true });
      assert.equal(run.status, 0, run.stderr);
      const steps = [...run.stderr.matchAll(/^step (\d+) (.*)$/gm)].map((m) => ({ n: Number(m[1]), label: m[2] }));
      const ready = Number(/ready (\d+)/.exec(run.stdout)![1]);
      const commitPoint = steps.find((s) => s.n > ready && /^rename .*intent\.json$/.test(s.label))!.n;
      assert.ok(steps.some((s) => /\.base\.json|unlink .*revisions/.test(s.label)), 'the commit prunes');
      assert.deepEqual(revisionFiles(paths(traced).stateDir), expectFiles);
      rmSync(traced, { recursive: true, force: true });
      const tally = { old: 0, new: 0, done: 0 };
      for (let step = ready + 1; step <= steps[steps.length - 1].n + 1; step++) tally[await trial(t, step, commitPoint)]++;
      console.log(`# ${name}: ${steps.length - ready} steps, outcomes ${JSON.stringify(tally)}`);
      assert.ok(tally.old > 0 && tally.new > 0 && tally.done === 1, JSON.stringify(tally));
    } finally {
      rmSync(t.root, { recursive: true, force: true });
    }
  });
}
