// `inactive: true` (Junos deactivate): the statement stays in the configuration and validates like any other;
// compile and the health checks leave it out; display set writes it as commands that rebuild it; a value that is not a boolean is refused where it is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import { validateConfig } from '../../../config/validate.js';
import { formatConfigError } from '../../../config/errors.js';
import { compile } from '../../../engine/compile.js';
import { healthTargets } from '../../../engine/health/targets.js';
import { diffConfig } from '../../../config/diff.js';
import type { Config } from '../../../config/model.js';
import { displaySet } from '../../../modes/display-set.js';
import { fixture } from '../shell/session-fixture.js';

const config = (inactive: { service?: unknown; backend?: unknown }) =>
  applyDefaults({
    vip: '192.0.2.10',
    services: [
      {
        name: 'web',
        protocol: 'tcp',
        ports: [80],
        backends: [
          { address: '198.51.100.11', port: 80, weight: 100 },
          { address: '198.51.100.12', port: 80, weight: 50, ...(inactive.backend !== undefined ? { inactive: inactive.backend } : {}) },
        ],
      },
      { name: 'api', protocol: 'tcp', ports: [8080], ...(inactive.service !== undefined ? { inactive: inactive.service } : {}), backends: [{ address: '198.51.100.21', port: 8080 }] },
    ],
  });

test('compile leaves inactive services and backends out of the kernel and says why', () => {
  const desired = compile(config({ service: true, backend: true }));
  assert.deepEqual([...desired.services.values()].map((s) => `${s.name}: ${[...s.dests.keys()].join(', ')}`), ['web: 198.51.100.11:80']);
  assert.deepEqual([...desired.notProgrammed], [['api', 'inactive in the configuration']]);
  // Still declared: an inactive service's address is not free for another service.
  assert.deepEqual([...desired.declared.values()].map((d) => d.name), ['web', 'api']);
  const active = compile(config({ service: false }));
  assert.deepEqual([...active.services.values()].map((s) => `${s.name}: ${[...s.dests.keys()].join(', ')}`), ['web: 198.51.100.11:80, 198.51.100.12:80', 'api: 198.51.100.21:8080']);
});

test('inactive statements are not health-checked', () => {
  const targets = healthTargets(config({ service: true, backend: true }));
  assert.deepEqual(targets.flatMap((t) => t.users.map((u) => `${u.service} ${u.address}:${u.port}`)), ['web 198.51.100.11:80']);
});

test('inactive must be true or false, located', () => {
  assert.deepEqual(validateConfig(config({ service: true, backend: false })), []);
  assert.deepEqual(validateConfig(config({ service: 'yes' })).map(formatConfigError), [
    'services[1].inactive: must be true or false, got "yes" (YAML 1.2 reads yes/no/on/off as text: write true or false)',
  ]);
});

test('display set writes deactivate lines that rebuild the same configuration', async () => {
  const original = config({ service: true, backend: true });
  const text = displaySet(original);
  assert.deepEqual(text.split('\n').filter((l) => l.includes('deactivate')), [' deactivate backend 198.51.100.12 port 80', 'deactivate service api']);
  const f = fixture();
  await f.run('configure');
  for (const line of text.split('\n')) if (line.trim() !== '') await f.run(line);
  await f.run('top');
  const rebuilt = JSON.parse(await f.out('show | json')) as Config;
  assert.deepEqual(diffConfig(original, rebuilt), []);
});
