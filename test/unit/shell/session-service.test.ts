// Service mode: every command and its `no` form, checked through `show | display set` (the commands that build
// the service) and `show | compare` (the candidate against running).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, type Fixture } from './session-fixture.js';

async function inService(config?: unknown): Promise<Fixture> {
  const f = fixture({ config: config ?? { services: [{ name: 'web', vip: '192.0.2.10', ports: [80] }] } });
  await f.run('configure', 'service web');
  return f;
}

/** The service's lines in `show | display set`, without `service web` / `exit`. */
async function lines(f: Fixture): Promise<string[]> {
  const out = (await f.out('show | display set')).trimEnd().split('\n');
  assert.equal(out[0], 'service web');
  assert.equal(out[out.length - 1], ' exit');
  return out.slice(1, -1).map((l) => l.trim());
}

test('service NAME creates a service with defaults and enters it; an existing one is entered', async () => {
  const f = fixture();
  await f.run('configure');
  assert.equal(await f.out('service api'), 'Service api created.\n');
  assert.equal(f.session.prompt(), 'lb1(config-svc-api)#');
  assert.deepEqual((await f.out('show | display set')).trimEnd().split('\n'), ['service api', ' exit']);
  await f.run('exit');
  assert.equal(await f.out('service api'), '');
  await f.run('exit');
  assert.equal(
    await f.err('service bad/name'),
    ' '.repeat('lb1(config)#service '.length) + "^\n% Invalid input detected at '^' marker.\n% \"bad/name\": a name holds letters, digits, _ and -; \"/\" is not one of them.",
  );
  assert.equal(
    await f.err('service ' + 'x'.repeat(65)),
    ' '.repeat('lb1(config)#service '.length) + `^\n% Invalid input detected at '^' marker.\n% "${'x'.repeat(20)}…" is 65 characters long: a name has at most 64.`,
  );
});

test('vip and fwmark are exclusive: setting one removes the other and says so', async () => {
  const f = await inService();
  assert.equal(await f.out('fwmark 7'), 'vip 192.0.2.10 and ports removed: a fwmark service has no vip or ports\n');
  assert.deepEqual(await lines(f), ['fwmark 7']);
  assert.equal(await f.out('vip 2001:db8::1'), 'fwmark 7 removed: a service has a vip or a fwmark, not both\n');
  assert.deepEqual(await lines(f), ['vip 2001:db8::1']);
  await f.run('no vip');
  assert.deepEqual(await lines(f), []);
  await f.run('fwmark 9', 'no fwmark');
  assert.deepEqual(await lines(f), []);
});

test('protocol, ports, port ranges and their no forms', async () => {
  const f = await inService();
  await f.run('protocol udp', 'port 53', 'port 7000-7010', 'port 53', 'port-range 9000-9005', 'port-range 9100');
  assert.deepEqual(await lines(f), ['protocol udp', 'vip 192.0.2.10', 'port 80', 'port 53', 'port 7000-7010', 'port-range 9000-9005', 'port-range 9100']);
  await f.run('no port 80', 'no port 7000-7010', 'no port-range 9100');
  assert.deepEqual(await lines(f), ['protocol udp', 'vip 192.0.2.10', 'port 53', 'port-range 9000-9005']);
  assert.equal(await f.err('no port 81'), '% Port 81 is not configured.');
  await f.run('no port', 'no port-range', 'no protocol');
  assert.deepEqual(await lines(f), ['vip 192.0.2.10']);
  // A range must go upwards.
  assert.match(await f.err('port 90-80'), /Invalid input/);
});

test('port adds to the ports and says so; a backend at an address that has one is added beside it, and says so', async () => {
  const f = await inService({ services: [{ name: 'web', vip: '192.0.2.10', ports: [80], backends: [{ address: '10.0.0.1' }] }] });
  assert.equal(await f.out('port 81'), "Port 81 added: the service's ports are now 80, 81 ('no port 81' takes it out).\n");
  assert.equal(await f.out('port 81'), '', 'already there: nothing added, nothing said');
  assert.equal(
    await f.out('backend 10.0.0.1 port 8080 weight 3'),
    "Backend 10.0.0.1 port 8080 added beside 10.0.0.1 port 0, which stays ('backend 10.0.0.1 port 0 …' edits that one; 'no backend 10.0.0.1 port 0' removes it).\n",
  );
  assert.equal(await f.out('backend 10.0.0.1 port 0 weight 7'), '', 'an edit of the one that exists: nothing to warn about');
  assert.deepEqual((await lines(f)).filter((l) => l.startsWith('backend')), ['backend 10.0.0.1 weight 7', 'backend 10.0.0.1 port 8080 weight 3']);
});

test('changing the protocol keeps a defaulted health check fitting it', async () => {
  const f = await inService();
  await f.run('protocol udp');
  assert.match(await f.out('show'), /name: web/);
  assert.doesNotMatch(await f.out('show'), /health/, 'udp default health (none) is a default: not shown');
  await f.run('protocol tcp');
  assert.deepEqual(await lines(f), ['vip 192.0.2.10', 'port 80']);
});

test('scheduler with flags, persistence with netmask, forwarding methods and tunnels', async () => {
  const f = await inService();
  await f.run('scheduler mh mh-port mh-fallback', 'persistence 600 netmask 255.255.255.0', 'forwarding dr');
  assert.deepEqual((await lines(f)).slice(2), ['scheduler mh mh-port mh-fallback', 'persistence 600 netmask 255.255.255.0', 'forwarding dr']);
  await f.run('sched rr', 'persist 30 netmask 24', 'forwarding tunnel gue port 6080 csum remcsum');
  assert.deepEqual((await lines(f)).slice(2), ['scheduler rr', 'persistence 30 netmask 24', 'forwarding tunnel gue port 6080 csum remcsum']);
  // The address family refuses a netmask when it is typed, not at commit (issue 12 point 5).
  assert.equal(await f.err('persistence 30 netmask 64'), '% netmask 64: an IPv4 service takes a prefix length 1-32 or a dotted mask (255.255.255.0).');
  assert.equal((await lines(f))[3], 'persistence 30 netmask 24', 'a refused command changes nothing');
  await f.run('forwarding tunnel csum nocsum ipip');
  assert.deepEqual((await lines(f)).slice(4), ['forwarding tunnel ipip csum nocsum']);
  await f.run('forwarding tunnel');
  assert.deepEqual((await lines(f)).slice(4), ['forwarding tunnel']);
  await f.run('no scheduler', 'no persistence', 'no forwarding');
  assert.deepEqual(await lines(f), ['vip 192.0.2.10', 'port 80']);
  assert.match(await f.err('scheduler xx'), /Invalid input/);
  assert.match(await f.err('persistence 2678401'), /Invalid input/);
});

test('backend adds or updates, disables and enables, and is removed', async () => {
  const f = await inService();
  await f.run('backend 10.0.0.1 port 8080 weight 5', 'backend 10.0.0.2', 'backend 2001:db8::7 weight 0 port 81');
  assert.deepEqual((await lines(f)).slice(2), ['backend 10.0.0.1 port 8080 weight 5', 'backend 10.0.0.2 weight 1', 'backend 2001:db8::7 port 81 weight 0']);
  // Without a port, the only backend with that address is meant.
  await f.run('backend 10.0.0.1 weight 9 u-threshold 100 l-threshold 10');
  await f.run('backend 10.0.0.2 disable');
  assert.deepEqual((await lines(f)).slice(2), [
    'backend 10.0.0.1 port 8080 weight 9 u-threshold 100 l-threshold 10',
    'backend 10.0.0.2 weight 1',
    'backend 10.0.0.2 disable',
    'backend 2001:db8::7 port 81 weight 0',
  ]);
  await f.run('no backend 10.0.0.1 u-threshold');
  assert.equal((await lines(f))[2], 'backend 10.0.0.1 port 8080 weight 9 l-threshold 10');
  await f.run('no backend 10.0.0.1 port 8080 l-threshold');
  assert.equal((await lines(f))[2], 'backend 10.0.0.1 port 8080 weight 9');
  await f.run('backend 10.0.0.2 port 0 enable', 'no backend 2001:db8::7 port 81', 'no backend 10.0.0.1');
  assert.deepEqual((await lines(f)).slice(2), ['backend 10.0.0.2 weight 1']);
  assert.equal(await f.err('no backend 10.9.9.9'), '% Backend 10.9.9.9 is not configured.');
  assert.equal(await f.err('no backend 10.0.0.2 port 5'), '% Backend 10.0.0.2 port 5 is not configured.');
  assert.match(await f.err('backend 10.0.0.300'), /Invalid input/);
  assert.match(await f.err('backend 10.0.0.1 weight 2147483648'), /Invalid input/);
  // Options in any order, each at most once.
  assert.match(await f.err('backend 10.0.0.1 weight 1 weight 2'), /Invalid input/);
});

test('health: type and options, disable/enable, and no health back to the default', async () => {
  const f = await inService();
  await f.run('health http path /healthz interval 2000 timeout 500 fail-after 5 recover-after 4 port 8080 expect-status 200,204 method head host example.org insecure');
  assert.deepEqual((await lines(f)).slice(2), [
    'health http port 8080 interval 2000 timeout 500 fail-after 5 recover-after 4 path /healthz method head host example.org expect-status 200,204 insecure',
  ]);
  await f.run('no health port', 'no health host', 'no health insecure');
  assert.deepEqual((await lines(f)).slice(2), [
    'health http interval 2000 timeout 500 fail-after 5 recover-after 4 path /healthz method head expect-status 200,204',
  ]);
  await f.run('health disable');
  assert.deepEqual((await lines(f)).slice(3), ['health disable']);
  await f.run('health enable', 'no health');
  assert.deepEqual(await lines(f), ['vip 192.0.2.10', 'port 80']);
  await f.run('health udp-echo payload "PING me" expect PONG');
  assert.deepEqual((await lines(f)).slice(2), ['health udp-echo expect PONG payload "PING me"']);
  await f.run('no health payload', 'no health expect');
  assert.deepEqual((await lines(f)).slice(2), ['health udp-echo']);
  await f.run('no health', 'health dns query example.org record-type aaaa');
  assert.deepEqual((await lines(f)).slice(2), ['health dns query example.org record-type aaaa']);
  await f.run('no health');
  assert.equal(await f.err('health dns'), '% A dns check needs a name to resolve: add "query NAME".');
  assert.match(await f.err('health tcp interval 99'), /Invalid input/);
});

test('description takes the rest of the line (quotes and pipes kept), shutdown, on-down, thresholds', async () => {
  const f = await inService();
  await f.run('description front end | public, "v2"');
  assert.match(await f.out('show'), /description: front end \| public, "v2"$/m);
  await f.run('description "  padded  "');
  assert.deepEqual((await lines(f))[0], 'description "  padded  "');
  await f.run('no description', 'shutdown', 'on-down remove', 'u-threshold 100', 'l-threshold 5');
  assert.deepEqual((await lines(f)).slice(2), ['on-down remove', 'u-threshold 100', 'l-threshold 5', 'shutdown']);
  await f.run('no shutdown', 'no on-down', 'no u-threshold', 'no l-threshold');
  assert.deepEqual(await lines(f), ['vip 192.0.2.10', 'port 80']);
});

test('show | compare in a service shows the candidate against running, as the hierarchy with + and -', async () => {
  const f = await inService();
  assert.equal(await f.out('show | compare'), '');
  await f.run('port 443', 'scheduler rr');
  const diff = await f.out('show | compare');
  assert.match(diff, /^\[edit services web\]$/m);
  assert.match(diff, /^-   ports: \[80\]$/m);
  assert.match(diff, /^\+   ports: \[80, 443\]$/m);
  assert.match(diff, /^\+   scheduler: rr$/m);
  assert.doesNotMatch(diff, /Validation/);
  // Problems a commit would refuse are listed under the difference.
  await f.run('health udp-echo');
  assert.match(await f.out('show | compare'), /^Validation: 1 problem \(a commit would refuse this candidate\):\n  service "web" \(services\[0\]\.health\.type\): .*udp_echo/m);
  await f.run('no health');
  // running is untouched until commit (issue 6)
  assert.doesNotMatch(await f.out('do show running-config'), /443/);
});

test('a removed service cannot be edited further; the candidate survives leaving configuration mode', async () => {
  const f = await inService();
  await f.run('port 8443', 'end', 'configure');
  assert.match(await f.out('show | compare'), /8443/, 'the candidate is kept across configure sessions until commit');
  await f.run('no service web');
  assert.match(await f.out('show | compare'), /^-   - name: web$/m);
  assert.equal(await f.err('no service web'), ' '.repeat('lb1(config)#no service '.length) + "^\n% Invalid input detected at '^' marker.\n% Unknown service \"web\".");
});
