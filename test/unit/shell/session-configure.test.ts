// Configuration mode: hostname, the default vip, services, and the schema-derived commands of daemon, ha and
// observability: every field can be set, shows in `show | display set` and `show | compare`, and `no` puts
// its default back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../../config/defaults.js';
import { derivedCommands } from '../../../modes/schema-commands.js';
import { fixture } from './session-fixture.js';

test('hostname and vip, set and unset; the prompt keeps the running name until commit', async () => {
  const f = fixture();
  await f.run('configure', 'hostname edge-7.dc1', 'vip 192.0.2.1');
  assert.equal(await f.out('show | display set'), 'hostname edge-7.dc1\nvip 192.0.2.1\n');
  assert.equal(f.session.prompt(), 'lb1(config)#');
  const diff = await f.out('show | compare');
  assert.match(diff, /^\[edit node\]\n\+   name: edge-7\.dc1$/m);
  assert.match(diff, /^\+   vip: 192\.0\.2\.1$/m);
  await f.run('no hostname', 'no vip');
  assert.equal(await f.out('show | display set'), '');
  assert.equal(await f.out('show | compare'), '');
});

test('no service removes a service; show service NAME shows one service of the candidate', async () => {
  const f = fixture({ config: { services: [{ name: 'a', vip: '192.0.2.1', ports: [80] }, { name: 'b', vip: '192.0.2.2', ports: [81] }] } });
  await f.run('configure');
  assert.match(await f.out('show service b'), /name: b/);
  assert.doesNotMatch(await f.out('show service b'), /name: a/);
  assert.equal(await f.out('show service b | display set'), 'service b\n vip 192.0.2.2\n port 81\n exit\n');
  await f.run('no service a');
  assert.deepEqual(JSON.parse(await f.out('show | json')).services.map((s: { name: string }) => s.name), ['b']);
});

test('derived commands: one set and one unset command per field of daemon, ha and observability', () => {
  const decls = derivedCommands().map((c) => c.decl.replace(/\$[a-z0-9-]+/g, ''));
  for (const d of [
    'daemon reconcile-interval-ms <100-3600000>',
    'no daemon reconcile-interval-ms',
    'daemon state-cache enabled true|false',
    'daemon state-cache ttl-ms <0-3600000>',
    'daemon limits max-services <1-1000000>',
    'daemon limits max-ports-per-range <1-65535>',
    'daemon revisions-kept <50-100000>',
    'ha source frr|keepalived|none',
    'ha program always|master-only',
    'ha instance ELEMENT',
    'no ha instance ELEMENT',
    'ha instance ELEMENT vrid <1-255>',
    'ha instance ELEMENT interface TEXT',
    'ha instance ELEMENT instance TEXT',
    'ha instance ELEMENT vip ADDRESS',
    'no ha instance ELEMENT vip [ADDRESS]',
    'ha frr-pathspace TEXT',
    'ha poll-interval-ms <100-3600000>',
    'observability prometheus enabled true|false',
    'observability prometheus bind ADDRESS',
    'observability prometheus port <1-65535>',
    'no observability prometheus port',
    'observability gelf enabled true|false',
    'observability gelf host TEXT',
    'observability gelf port <1-65535>',
    'observability gelf facility TEXT',
    'observability audit path TEXT',
  ]) {
    assert.ok(decls.includes(d), `missing: ${d}`);
  }
});

test('every derived field set to a non-default value appears in display set and compare, and no restores it', async () => {
  const f = fixture();
  await f.run('configure');
  const sets = [
    'daemon reconcile-interval-ms 1000',
    'daemon state-cache enabled false',
    'daemon state-cache ttl-ms 9',
    'daemon limits max-services 20',
    'daemon limits max-ports-per-range 30',
    'daemon revisions-kept 60',
    'ha source keepalived',
    'ha program master-only',
    'ha frr-pathspace x1',
    'ha poll-interval-ms 200',
    'observability prometheus enabled false',
    'observability prometheus bind ::1',
    'observability prometheus port 9100',
    'observability gelf enabled true',
    'observability gelf host "logs host"',
    'observability gelf port 1514',
    'observability gelf facility lb',
    'observability audit path /tmp/audit.jsonl',
  ];
  await f.run(...sets);
  assert.deepEqual((await f.out('show | display set')).trimEnd().split('\n'), sets);
  const diff = await f.out('show | compare');
  assert.match(diff, /^\[edit daemon\]$/m);
  assert.match(diff, /^-   reconcile_interval_ms: 5000$/m);
  assert.match(diff, /^\+   reconcile_interval_ms: 1000$/m);
  assert.match(diff, /^\[edit observability gelf\]$/m);
  for (const s of sets) {
    const field = s.split(' ').slice(0, -1).join(' ').replace(/ "logs$/, '');
    await f.run(`no ${field}`);
  }
  assert.equal(await f.out('show | display set'), '');
  assert.equal(await f.out('show | compare'), '');
  assert.deepEqual(JSON.parse(await f.out('show | json')), JSON.parse(JSON.stringify(defaultConfig())));
});

test('named VRRP instances: created, given fields and vips, removed', async () => {
  const f = fixture();
  await f.run('configure', 'ha instance v1 vrid 10', 'ha instance v1 interface eth0', 'ha instance v1 vip 192.0.2.1', 'ha instance v1 vip 192.0.2.2', 'ha instance v2');
  assert.deepEqual((await f.out('show | display set')).trimEnd().split('\n'), [
    'ha instance v1',
    'ha instance v1 vrid 10',
    'ha instance v1 interface eth0',
    'ha instance v1 vip 192.0.2.1',
    'ha instance v1 vip 192.0.2.2',
    'ha instance v2',
  ]);
  assert.match(await f.out('show | compare'), /^\[edit ha instances\]$/m);
  await f.run('no ha instance v1 vip 192.0.2.1', 'no ha instance v1 vrid', 'no ha instance v2');
  assert.deepEqual((await f.out('show | display set')).trimEnd().split('\n'), ['ha instance v1', 'ha instance v1 interface eth0', 'ha instance v1 vip 192.0.2.2']);
  assert.equal(await f.err('no ha instance v9'), '% instance "v9" does not exist.');
  assert.equal(await f.err('no ha instance v1 vip 192.0.2.99'), '% 192.0.2.99 is not configured.');
  await f.run('no ha instance v1 vip', 'no ha instance v1');
  assert.equal(await f.out('show | display set'), '');
  // TAB and ? offer the existing instances.
  await f.run('ha instance blue');
  assert.deepEqual(f.session.complete('ha instance b'), { line: 'ha instance blue ', candidates: [] });
});
