// A plan of a frozen configuration (a revision) reuses its compiled form (engine/compile-memo.ts): the daemon's
// drift check plans the running revision every reconcile interval, and compiling 10,000 services again each time
// was most of its CPU and ~30 MB of short-lived objects. Each plan still owns its maps, because the plan of a
// sync becomes the engine's converged base and a later commit patches that base in place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { Engine } from '../../../engine/engine.js';
import { freezeConfig } from '../../../store/store.js';
import { config, service, web } from './helpers.js';

const frozen = () =>
  freezeConfig(config({ services: [web(), service('api', { vip: '10.0.0.11', backends: [{ address: '10.0.2.1', port: 8080, weight: 5 }] })] }));

async function started(): Promise<Engine> {
  const engine = new Engine({ dataplane: new MemoryDataplane(), stateDir: null });
  await engine.start();
  return engine;
}

test('planning a frozen configuration twice compiles it once; each plan has maps of its own', async () => {
  const engine = await started();
  const running = frozen();
  const a = engine.plan(running).desired;
  const b = engine.plan(running).desired;
  const id = [...a.services.keys()][0];
  assert.ok(id, 'the plan programs services');
  assert.equal(b.services.get(id), a.services.get(id), 'the same compiled service: not compiled again');
  assert.notEqual(b.services, a.services);
  assert.notEqual(b.declared, a.declared, 'a converged base is patched in place: it must not be the memo’s map');
  assert.notEqual(b.notProgrammed, a.notProgrammed);
});

test('an editable configuration, or one planned with inputs of its own, is compiled afresh', async () => {
  const engine = await started();
  const editable = config({ services: [web()] });
  const id = [...engine.plan(editable).desired.services.keys()][0];
  assert.notEqual(engine.plan(editable).desired.services.get(id), engine.plan(editable).desired.services.get(id));
  const running = frozen();
  const plain = engine.plan(running).desired.services.get(id);
  const drained = engine.plan(running, { verdicts: new Map() }).desired.services.get(id);
  assert.notEqual(drained, plain, 'inputs given to plan() are not the engine’s: no memo');
});

test('a commit patching the base a drift check planned leaves the revision it ran before as it compiles', async () => {
  const engine = await started();
  const first = frozen();
  assert.equal((await engine.commit(first)).ok, true);
  await engine.reconcile(); // the base now comes from the memo of `first`
  const second = freezeConfig(config({ services: [web({ backends: [{ address: '10.0.1.1', port: 8080, weight: 7 }] })] }));
  assert.equal((await engine.commit(second)).ok, true); // api dropped: the base's declared loses its ids
  const again = engine.plan(first).desired;
  assert.deepEqual(
    [...again.declared.values()].map((d) => d.name).sort(),
    ['api', 'web'],
    'the memo of the first revision still declares both services',
  );
});
