// A revision's configuration is completed with today's defaults when read; complete services (remembered once
// frozen) are taken as they are, and whatever lacks a default is still completed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { completeConfig } from '../../../store/complete-config.js';
import { applyDefaults } from '../../../config/defaults.js';
import type { Config, Service } from '../../../config/model.js';
import { deepFreeze } from '../config/helpers.js';

test('a complete frozen configuration is returned as it is; one sharing its services with an incomplete one is completed', () => {
  const whole = deepFreeze(applyDefaults({ vip: '192.0.2.1', services: [{ name: 'a', ports: [80] }, { name: 'b', ports: [81] }] }) as Config);
  assert.equal(completeConfig(whole), whole);
  assert.equal(completeConfig(whole), whole, 'again, from what it remembers');
  // Written by an older version: a service without the keys this one defaults.
  const older = { ...whole, services: [...whole.services, { name: 'c', ports: [82], backends: [{ address: '198.51.100.3' }] } as unknown as Service] };
  const done = completeConfig(older as Config);
  assert.notEqual(done, older);
  assert.equal(done.services[2].scheduler, whole.services[0].scheduler, 'the default scheduler filled in');
  assert.equal(typeof done.services[2].backends[0].weight, 'number', 'the backend defaults');
  assert.ok(done.services[2].health, 'and the health defaults');
  // A frozen service missing a backend default (a hand-made revision) is not taken as complete either.
  const noWeight = deepFreeze({ ...whole.services[0], name: 'd', backends: [{ address: '198.51.100.4', port: 0, enabled: true }] }) as unknown as Service;
  const withIt = completeConfig({ ...whole, services: [...whole.services, noWeight] } as Config);
  assert.equal(typeof withIt.services[2].backends[0].weight, 'number');
});
