// A daemon warms its commit path after its start: the first commit then judges the rules across services from
// its change, as every later one does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { warmCommitPath } from '../../../engine/warm-up.js';
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
