// The shell edits slow_start_s, quorum and sorry (service mode), shows them in `| display set` (which replays to
// an equal configuration), and `show health` without a daemon says that no checks run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture } from '../shell/session-fixture.js';

test('slow-start, quorum and sorry: set, shown as set commands, replayed, and unset', async () => {
  const f = fixture({ config: { services: [{ name: 'web', vip: '192.0.2.1', ports: [80], backends: [{ address: '192.0.2.21' }, { address: '192.0.2.22' }] }] } });
  await f.run('configure', 'service web', 'slow-start 30', 'quorum 2', 'sorry 192.0.2.9 port 8080', 'top');
  const json = JSON.parse(await f.out('show | json')).services[0];
  assert.deepEqual([json.slow_start_s, json.quorum, json.sorry], [30, 2, '192.0.2.9:8080']);
  const set = await f.out('show service web | display set');
  assert.match(set, /^ slow-start 30\n quorum 2\n sorry 192\.0\.2\.9 port 8080\n/m);
  const g = fixture();
  await g.run('configure', ...set.trimEnd().split('\n').map((l) => l.trim()));
  assert.deepEqual(JSON.parse(await g.out('show | json')).services[0], json);
  await f.run('service web', 'sorry 2001:db8::9 port 443', 'top');
  assert.equal(JSON.parse(await f.out('show | json')).services[0].sorry, '[2001:db8::9]:443');
  await f.run('service web', 'no slow-start', 'no quorum', 'no sorry', 'top');
  const cleared = JSON.parse(await f.out('show | json')).services[0];
  assert.deepEqual([cleared.slow_start_s, cleared.quorum, cleared.sorry], [undefined, undefined, undefined]);
});

test('show health without a daemon: no checks run, and how to start them', async () => {
  const f = fixture();
  assert.equal(await f.out('show health'), 'no health checks are running: start the daemon (lbctl daemon, or systemctl start lbctl)\n');
  assert.deepEqual(JSON.parse(await f.out('show health | json')), { running: false, rows: [], services: [] });
});

test('request backend … health is for the lab only', async () => {
  const f = fixture();
  const out = await f.err('request backend 192.0.2.21 health down');
  assert.match(out, /only in the lab/);
});
