import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diffConfig, renderCompare } from '../../../config/diff.js';
import { applyDefaults } from '../../../config/defaults.js';
import type { Config } from '../../../config/model.js';

function base(): Config {
  return applyDefaults({
    vip: '192.0.2.1',
    services: [
      { name: 'web', ports: [80, 443], backends: [{ address: '198.51.100.11', weight: 100 }, { address: '198.51.100.12', weight: 100 }] },
      { name: 'dns', protocol: 'udp', ports: [53], backends: [{ address: '198.51.100.53' }] },
    ],
  });
}

test('equal configurations: no changes, empty compare', () => {
  assert.deepEqual(diffConfig(base(), base()), []);
  assert.equal(renderCompare(base(), base()), '');
});

test('diffConfig: leaf changes carry old and new, services by name, backends by address and port', () => {
  const a = base();
  const b = base();
  b.services[0].backends[1].weight = 5;
  b.services[0].scheduler = 'rr';
  b.services[0].backends.push({ address: '198.51.100.13', port: 8080, weight: 1, enabled: true });
  b.services[0].backends.splice(0, 1);
  b.services.splice(1, 1);
  b.daemon.revisions_kept = 80;
  assert.deepEqual(diffConfig(a, b), [
    { path: ['daemon', 'revisions_kept'], text: 'daemon revisions_kept', kind: 'change', item: false, old: 50, new: 80 },
    { path: ['services', 'dns'], text: 'services dns', kind: 'remove', item: true, old: { name: 'dns', protocol: 'udp', ports: [53], backends: [{ address: '198.51.100.53' }] } },
    { path: ['services', 'web', 'scheduler'], text: 'services web scheduler', kind: 'change', item: false, old: 'wlc', new: 'rr' },
    { path: ['services', 'web', 'backends', '198.51.100.11'], text: 'services web backends 198.51.100.11', kind: 'remove', item: true, old: { address: '198.51.100.11', weight: 100 } },
    { path: ['services', 'web', 'backends', '198.51.100.12', 'weight'], text: 'services web backends 198.51.100.12 weight', kind: 'change', item: false, old: 100, new: 5 },
    { path: ['services', 'web', 'backends', '198.51.100.13:8080'], text: 'services web backends 198.51.100.13:8080', kind: 'add', item: true, new: { address: '198.51.100.13', port: 8080 } },
  ]);
});

test('renderCompare: Junos-style hierarchy with - and + lines', () => {
  const a = base();
  const b = base();
  b.vip = '192.0.2.2';
  b.services[0].backends[1].weight = 5;
  b.services[0].ports = [80, { from: 8000, to: 8010 }];
  b.services[0].persistence = { timeout: 300 };
  b.services[1].backends.push({ address: '198.51.100.54', port: 0, weight: 1, enabled: true });
  b.services.push(applyDefaults({ services: [{ name: 'api', vip: '192.0.2.3', ports: [8443], backends: [{ address: '198.51.100.20' }] }] }).services[0]);
  assert.equal(
    renderCompare(a, b),
    `[edit]
-   vip: 192.0.2.1
+   vip: 192.0.2.2
[edit services web]
-   ports: [80, 443]
+   ports: [80, 8000-8010]
+   persistence:
+     timeout: 300
[edit services web backends 198.51.100.12]
-   weight: 100
+   weight: 5
[edit services dns backends]
+   - address: 198.51.100.54
[edit services]
+   - name: api
+     vip: 192.0.2.3
+     ports: [8443]
+     backends:
+       - address: 198.51.100.20
`,
  );
});

test('renderCompare: a removed section and a change of a default show the old value', () => {
  const a = base();
  a.node.name = 'lb1';
  const b = base();
  b.services[1].health.type = 'udp_echo';
  b.services[1].health.payload = 'PING';
  assert.equal(
    renderCompare(a, b),
    `[edit node]
-   name: lb1
[edit services dns health]
-   type: none
+   type: udp_echo
+   payload: PING
`,
  );
});

test('sections shared by both configurations (a commit\'s candidate and its base) are left out, and the changes are the same', async () => {
  const { withoutSharedSections } = await import('../../../config/diff.js');
  const a = base();
  const b = { ...a, services: [...a.services] };
  b.services[0] = { ...structuredClone(a.services[0]), scheduler: 'rr' };
  // Shared: every section but daemon, which b changes, and ha, which it holds as an equal copy.
  b.daemon = { ...structuredClone(a.daemon), revisions_kept: 80 };
  b.ha = structuredClone(a.ha);
  delete (b as { observability?: unknown }).observability;
  const [sa, sb] = withoutSharedSections(a, b);
  assert.ok(!('node' in sa) && !('node' in sb) && !('vip' in sa), 'a shared section is left out of both');
  assert.ok('daemon' in sa && 'daemon' in sb && 'ha' in sa && 'ha' in sb, 'changed and copied sections stay');
  assert.ok('observability' in sa && !('observability' in sb), 'a section on one side only stays');
  const unshared = diffConfig(structuredClone(a), structuredClone(b));
  assert.deepEqual(diffConfig(a, b), unshared);
  assert.deepEqual(new Set(unshared.map((c) => c.text.split(' ').slice(0, 2).join(' '))), new Set(['daemon revisions_kept', 'observability', 'services web']), 'the changes are there to compare');
  assert.equal(renderCompare(a, b), renderCompare(structuredClone(a), structuredClone(b)));
});

test('a changed integer or flag is written as the YAML library writes it, without the library; anything else is left to it', async () => {
  const { plainPair } = await import('../../../config/diff.js');
  const { renderFragment } = await import('../../../config/render.js');
  const keys = ['weight', 'port', 'timeout_ms', '_x', 'Weight', 'true', 'null', 'yes', 'No', 'y', 'on', '1x', 'a-b', 'a b', '', 'é'];
  const values: unknown[] = [0, 1, -1, 5, 100, 65535, -0, 2 ** 53 - 1, 2 ** 53, 1.5, -2.25, 1e21, NaN, Infinity, true, false, null, 'wlc', '5', 'true', [1], { a: 1 }];
  let fast = 0;
  for (const key of keys) {
    for (const v of values) {
      const mine = plainPair(key, v);
      if (mine === null) continue;
      fast++;
      assert.equal(mine, renderFragment({ [key]: v }), `${key}: ${String(v)}`);
    }
  }
  // The usual change takes the short way: a weight, a port, a flag.
  assert.equal(plainPair('weight', 7), 'weight: 7\n');
  assert.equal(plainPair('enabled', false), 'enabled: false\n');
  assert.ok(fast >= 40, `${fast} pairs written without the library`);
  // What it leaves to the library: strings, fractions, huge numbers, -0, keys a reader could take for another type.
  for (const [k, v] of [['scheduler', 'wlc'], ['weight', 1.5], ['weight', 2 ** 53], ['weight', -0], ['true', 1], ['a-b', 1]] as const) {
    assert.equal(plainPair(k, v), null, `${k}: ${String(v)}`);
  }
});
