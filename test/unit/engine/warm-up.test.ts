// A daemon warms its commit path after its start: the first commit then judges the rules across services from
// its change, as every later one does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rehearsalCandidate, warmCommitPath } from '../../../engine/warm-up.js';
import { validateConfig } from '../../../config/validate.js';
import { acrossServicesStep } from '../../../config/across-services.js';
import { applyDefaults } from '../../../config/defaults.js';
import type { Config } from '../../../config/model.js';
import { deepFreeze } from '../config/helpers.js';

test('after warmCommitPath(running), a candidate changing one service of it is judged by its change', () => {
  const running = deepFreeze(applyDefaults({ vip: '192.0.2.1', services: Array.from({ length: 8 }, (_, k) => ({ name: `s${k}`, ports: [80 + k] })) }) as Config);
  const candidate = { ...running, services: running.services.map((s, k) => (k === 3 ? deepFreeze({ ...s, scheduler: 'wlc' as const }) : s)) };
  // Another configuration validated last (as a shell's or a test's would be): no index for this one.
  warmCommitPath(deepFreeze(applyDefaults({ vip: '198.51.100.1', services: [{ name: 'other', ports: [1] }] }) as Config));
  assert.equal(acrossServicesStep(candidate as never), null, 'not from the other configuration');
  warmCommitPath(running);
  const step = acrossServicesStep(candidate as never);
  assert.ok(step, 'the index of the running configuration is built');
  assert.deepEqual(step.changed, [3]);
});

test('the rehearsal: one backend weight of one service changed, every other service shared; the steps get that candidate', () => {
  const running = deepFreeze(
    applyDefaults({
      vip: '192.0.2.1',
      services: Array.from({ length: 6 }, (_, k) => ({ name: `s${k}`, ports: [80 + k], backends: [{ address: `198.51.100.${k + 1}`, weight: 1 }, { address: '198.51.100.99' }] })),
    }) as Config,
  );
  const candidate = rehearsalCandidate(running);
  assert.ok(candidate);
  const changed = candidate.services.filter((s, k) => s !== running.services[k]);
  assert.equal(changed.length, 1, 'one service differs, the others are the same objects');
  const [s] = changed;
  const before = running.services.find((r) => r.name === s.name)!;
  assert.deepEqual(s.backends.map((b) => b.weight), [2, before.backends[1].weight], 'the first backend weighted differently');
  assert.deepEqual({ ...s, backends: [] }, { ...before, backends: [] }, 'nothing else of the service');
  assert.deepEqual(validateConfig(candidate), [], 'a valid candidate');

  const seen: { files: Config[]; plans: Config[] } = { files: [], plans: [] };
  warmCommitPath(running, { previewFiles: (c) => seen.files.push(c), plan: (c) => seen.plans.push(c) });
  assert.equal(seen.files.length, 3, 'rehearsed three times');
  assert.equal(seen.plans.length, 3);
  for (const c of [...seen.files, ...seen.plans]) assert.deepEqual(c, candidate);
  // A step that throws ends the rehearsal quietly (the real commit meets it), and the running index is still built.
  assert.doesNotThrow(() => warmCommitPath(running, { plan: () => { throw new Error('engine closed'); } }));
  assert.equal(rehearsalCandidate(deepFreeze(applyDefaults({ vip: '192.0.2.1', services: [{ name: 'x', ports: [1] }] }) as Config)), null, 'no backend: no rehearsal');
});
