// The daemon's rehearsal of a commit's writing steps runs whole commits in a scratch directory under the state
// directory and leaves nothing behind: not the scratch directory, not a file of the daemon's own store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { rehearseWritingCommits, WARM_UP_DIR } from '../../../engine/daemon/warm-writes.js';
import { openStore } from '../../../store/store.js';
import { observeAudit } from '../../../engine/audit.js';
import { tempDirs } from '../store/fixtures.js';

/** Every file under `dir` with its bytes (directories by name), for a before/after comparison. */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        out[relative(dir, p) + '/'] = '';
        walk(p);
      } else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

test('the writing rehearsal records its commits in a scratch store and leaves the real state directory as it was', async () => {
  const dirs = tempDirs();
  mkdirSync(join(dirs.configDir, 'config.d'), { recursive: true });
  writeFileSync(join(dirs.configDir, 'config.yaml'), 'node:\n  name: lb1\n');
  writeFileSync(join(dirs.configDir, 'config.d/web.yaml'), 'services:\n  - name: web\n    vip: 192.0.2.1\n    ports: [80]\n    backends: [{address: 198.51.100.1, weight: 3}]\n');
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir });
  const before = tree(dirs.stateDir);
  const config = tree(dirs.configDir);
  assert.ok(Object.keys(before).some((k) => k.startsWith('revisions/')), 'a real store to leave alone');

  // A scratch directory left by a daemon killed during its rehearsal goes first.
  mkdirSync(join(dirs.stateDir, WARM_UP_DIR, 'state'), { recursive: true });
  writeFileSync(join(dirs.stateDir, WARM_UP_DIR, 'state', 'leftover'), 'x');

  // The daemon repeats every audit record it hears in its log (stderr, GELF): the warm-up's are not heard.
  const heard: string[] = [];
  const unobserve = observeAudit((r) => heard.push(`${r.action} ${r.result}`));
  let recorded: number;
  try {
    recorded = await rehearseWritingCommits(dirs.stateDir, 3);
  } finally {
    unobserve();
  }
  assert.equal(recorded, 3, 'three commits went through the whole transaction');
  assert.deepEqual(heard, [], 'no audit record told to the observers');
  assert.equal(existsSync(join(dirs.stateDir, WARM_UP_DIR)), false, 'the scratch directory is removed');
  assert.deepEqual(tree(dirs.stateDir), before, 'the state directory holds what it held, byte for byte');
  assert.deepEqual(tree(dirs.configDir), config);
  assert.equal(store.running().number, 1);
});

test('a rehearsal that cannot run (the scratch directory cannot be made) ends quietly', async () => {
  const dirs = tempDirs();
  mkdirSync(dirs.root, { recursive: true });
  writeFileSync(join(dirs.root, 'not-a-dir'), 'x');
  assert.equal(await rehearseWritingCommits(join(dirs.root, 'not-a-dir')), 0);
});
