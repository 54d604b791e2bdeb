// After its own commit of a change in place a shell takes the candidate it committed as the running configuration,
// instead of reading back the revision just written (through a daemon, at 10,000 services, every 16th revision is a
// whole 6 MB file the shell would parse): but only while that revision is still the running one. A revision someone
// else recorded since, or a commit that adds a service (the store orders services as their files do), is read from
// the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createContextBackend } from '../../../shell/session-backend.js';
import { openStore } from '../../../store/store.js';
import type { Config } from '../../../config/model.js';
import { makeLab } from './helpers.js';

const YAML = 'services:\n  - name: web\n    vip: 192.0.2.10\n    ports: [80]\n    backends: [{address: 198.51.100.1, weight: 1}]\n';

function withWeight(config: Config, weight: number): Config {
  const next = structuredClone(config);
  next.services[0].backends[0].weight = weight;
  return next;
}

test("a shell takes its own commit's candidate as running while it is the running revision, else reads the store", async () => {
  const lab = makeLab(YAML);
  try {
    const backend = await createContextBackend(lab.ctx, process.env, { ensureGuard: () => {}, daemon: false });
    const other = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    const base = backend.running();
    assert.equal(base.services[0].backends[0].weight, 1);

    // Revision 2 recorded (as a daemon would for this session); the shell is told it committed exactly `mine`.
    const two = await other.commit(withWeight(other.running().config, 2), backend.runningRevision(), { origin: 'shell' });
    assert.equal(two.kind, 'committed');
    const mine = withWeight(base, 2);
    backend.refresh!({ revision: backend.runningRevision() + 1, config: mine });
    assert.equal(backend.runningRevision(), 2);
    assert.equal(backend.running(), mine, 'the committed candidate itself, not the file read back');
    assert.ok(Object.isFrozen(mine) && Object.isFrozen(mine.services[0].backends[0]), 'frozen like a revision the store keeps');

    // Someone else's revision 4 lands before this session hears of its revision 3: the store's word is taken.
    const three = await other.commit(withWeight(other.running().config, 3), 2, { origin: 'shell' });
    const four = await other.commit(withWeight(other.running().config, 4), 3, { origin: 'shell' });
    assert.ok(three.kind === 'committed' && four.kind === 'committed');
    backend.refresh!({ revision: 3, config: withWeight(base, 3) });
    assert.equal(backend.runningRevision(), 4);
    assert.equal(backend.running().services[0].backends[0].weight, 4);

    // A commit that adds a service is read back (the store orders services as their files do).
    const added = structuredClone(other.running().config);
    added.services.push({ ...structuredClone(added.services[0]), name: 'api', vip: '192.0.2.11' });
    const five = await other.commit(added, 4, { origin: 'shell' });
    assert.equal(five.kind, 'committed');
    const sent = structuredClone(added);
    backend.refresh!({ revision: 5, config: sent });
    assert.equal(backend.runningRevision(), 5);
    assert.notEqual(backend.running(), sent, 'read from the store, not taken');
    assert.deepEqual(backend.running().services.map((s) => s.name), ['web', 'api']);
    await backend.close?.();
  } finally {
    lab.cleanup();
  }
});
