// The session through its public face (execute / complete / help), as the terminal UI and line mode use it:
// prompts and modes, the exec commands, the exact error forms with their caret, abbreviations, TAB, `?`, pipes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AF_INET, IPPROTO_TCP, FWD_MASQ } from '../../../netlink/dataplane.js';
import { fixture, RICH_CONFIG } from './session-fixture.js';

const INVALID = "% Invalid input detected at '^' marker.";

test('prompts follow the mode stack; exit, end, top and Ctrl-Z style navigation', async () => {
  const f = fixture();
  const s = f.session;
  assert.equal(s.prompt(), 'lb1#');
  await f.run('configure terminal');
  assert.equal(s.prompt(), 'lb1(config)#');
  await f.run('service web');
  assert.equal(s.prompt(), 'lb1(config-svc-web)#');
  await f.run('exit');
  assert.equal(s.prompt(), 'lb1(config)#');
  await f.run('service web', 'top');
  assert.equal(s.prompt(), 'lb1(config)#');
  await f.run('service web', 'end');
  assert.equal(s.prompt(), 'lb1#');
  await f.run('conf', 'exit');
  assert.equal(s.prompt(), 'lb1#');
  const r = await f.run('exit');
  assert.equal(r.exitShell, true);
  assert.equal((await f.session.execute('quit')).exitShell, true);
});

test('the prompt names the node from the running config, marks --lab and read-only users', async () => {
  assert.equal(fixture({ config: { node: { name: 'edge1' } } }).session.prompt(), 'edge1#');
  assert.equal(fixture({ hostname: 'sys-host' }).session.prompt(), 'sys-host#');
  assert.equal(fixture({ lab: true }).session.prompt(), 'lb1[lab]#');
  const ro = fixture({ readOnly: true });
  assert.equal(ro.session.prompt(), 'lb1>');
  assert.equal(await ro.err('configure'), '% Permission denied: read-only user.');
  assert.equal(ro.session.prompt(), 'lb1>');
  // Looking is allowed.
  assert.match(await ro.out('show version'), /^lbctl /);
});

test('role line and banner', () => {
  assert.equal(fixture().session.roleLine(), null);
  assert.equal(fixture({ role: 'master' }).session.roleLine(), '{master}');
  assert.equal(fixture({ role: 'backup' }).session.roleLine(), '{backup}');
  const b = fixture({ lab: true, config: { node: { name: 'edge9' } } }).session.banner();
  assert.match(b, /^lbctl \d+\.\d+\.\d+ on edge9$/m);
  assert.match(b, /revision 7/);
  assert.match(b, /in-process/);
  assert.match(b, /Lab mode/);
  assert.doesNotMatch(fixture().session.banner(), /Lab mode/);
});

test('invalid input: the caret stands under the first bad character, aligned to the prompt', async () => {
  const f = fixture();
  // lb1#show ipvz: "lb1#" (4) + "show ipv" (8) → caret at column 12
  assert.equal(await f.err('show ipvz'), ' '.repeat(12) + '^\n' + INVALID);
  // A word that starts no keyword: caret at its first character.
  assert.equal(await f.err('xshow'), ' '.repeat(4) + '^\n' + INVALID);
  // A word too many: caret at its start.
  assert.equal(await f.err('show version extra'), ' '.repeat(4 + 13) + '^\n' + INVALID);
  // Out of range number.
  assert.equal(await f.err('terminal length 513'), ' '.repeat(4 + 16) + '^\n' + INVALID + '\n% 513 is out of range: 0 to 512.');
  await f.run('configure');
  // lb1(config)# is 12 wide
  assert.equal(await f.err('hostname bad/name'), ' '.repeat(12 + 9) + '^\n' + INVALID + '\n% "bad/name": a name holds letters, digits, ., _ and -; "/" is not one of them.');
  await f.run('service web');
  // lb1(config-svc-web)# is 20 wide; "port 99999"
  assert.equal(await f.err('port 99999'), ' '.repeat(20 + 5) + '^\n' + INVALID + '\n% 99999 is out of range: 1 to 65535.');
  assert.equal(await f.err('protocol icmp'), ' '.repeat(20 + 9) + '^\n' + INVALID);
  assert.equal(await f.err('vip 10.0.0.300'), ' '.repeat(20 + 4) + '^\n' + INVALID);
  // after `do`, columns still count from the prompt
  assert.equal(await f.err('do show ipvz'), ' '.repeat(20 + 11) + '^\n' + INVALID);
});

test('ambiguous and incomplete commands, exactly', async () => {
  const f = fixture();
  assert.equal(await f.err('show'), '% Incomplete command.');
  assert.equal(await f.err('terminal'), '% Incomplete command.');
  assert.equal(await f.err('show s'), '% Ambiguous command:  "show s"\n  service\n  services\n  system');
  await f.run('configure');
  assert.equal(await f.err('s'), '% Ambiguous command:  "s"\n  service\n  show\n  status\n  system');
  assert.equal(await f.err('service'), '% Incomplete command.');
  assert.equal(await f.err('do'), '% Incomplete command.');
});

test('unknown existing names get a did-you-mean hint', async () => {
  const f = fixture({ config: RICH_CONFIG });
  assert.equal(
    await f.err('show service wbe'),
    ' '.repeat('edge1#show service '.length) + '^\n' + INVALID + '\n% Unknown service "wbe": did you mean "web"?',
  );
  await f.run('configure');
  assert.equal(await f.err('no service ech'), ' '.repeat('edge1(config)#no service '.length) + '^\n' + INVALID + '\n% Unknown service "ech": did you mean "echo"?');
});

test('every keyword may be abbreviated to a unique prefix; an exact keyword beats a longer one', async () => {
  const f = fixture({ config: RICH_CONFIG });
  const full = await f.out('show ipvs service web stats');
  assert.equal(await f.out('sh ipv ser web st'), full);
  assert.equal(await f.out('sh run ser web'), await f.out('show running-config service web'));
  // `service` is exact even though `services` starts with it.
  assert.match(await f.out('show service web'), /^Service web, shut down/);
  assert.match(await f.out('sh services'), /^Name +VIP/);
  assert.equal(await f.out('conf t'), 'Entering configuration mode.\n');
  assert.equal(f.session.prompt(), 'edge1(config)#');
  // Case-insensitive keywords.
  assert.equal(await f.out('SHOW | COUNT'), 'Count: ' + (await f.out('show')).trimEnd().split('\n').length + ' lines\n');
});

test('TAB: a unique prefix completes with a space; an ambiguous one gives its common prefix and the candidates', () => {
  const f = fixture({ config: RICH_CONFIG });
  const s = f.session;
  assert.deepEqual(s.complete('sh'), { line: 'show ', candidates: [] });
  assert.deepEqual(s.complete('show ip'), { line: 'show ipvs ', candidates: [] });
  assert.deepEqual(s.complete('show serv'), { line: 'show service', candidates: ['service', 'services'] });
  assert.deepEqual(s.complete('show service '), { line: 'show service ', candidates: ['dns6', 'echo', 'marked', 'web'] });
  assert.deepEqual(s.complete('show service w'), { line: 'show service web ', candidates: [] });
  assert.deepEqual(s.complete('show service e'), { line: 'show service echo ', candidates: [] });
  assert.deepEqual(s.complete('show zzz'), { line: 'show zzz', candidates: [] });
  assert.deepEqual(s.complete('show ipvs | inc'), { line: 'show ipvs | include ', candidates: [] });
  assert.deepEqual(s.complete('conf'), { line: 'configure ', candidates: [] });
});

test('?: after a partial word the keywords it may become; after a blank the next tokens and <cr>', async () => {
  const f = fixture({ config: RICH_CONFIG });
  const s = f.session;
  const tokens = (line: string) => {
    const h = s.help(line);
    assert.ok(h.ok, `help(${line}) failed: ${!h.ok && h.error}`);
    return h.entries.map((e) => e.token);
  };
  assert.deepEqual(tokens('sh'), ['show']);
  assert.deepEqual(tokens('show '), ['audit', 'commit', 'configuration', 'drains', 'ha', 'health', 'ipvs', 'running-config', 'service', 'services', 'system', 'terminal', 'version', 'vrrp']);
  assert.deepEqual(tokens('show ipvs '), ['rate', 'service', 'stats', '<cr>']);
  assert.deepEqual(tokens('show ipvs stats '), ['service', '<cr>']);
  assert.deepEqual(tokens('terminal length '), ['<0-512>']);
  assert.deepEqual(tokens('show service '), ['NAME', 'dns6', 'echo', 'marked', 'web']);
  assert.deepEqual(tokens('configure '), ['exclusive', 'private', 'terminal', '<cr>']);
  // every entry has help text (except <cr>)
  for (const e of (s.help('show ') as { entries: { token: string; help: string }[] }).entries) assert.notEqual(e.help, '');
  assert.deepEqual(s.help('xyz'), { ok: false, error: '% Unrecognized command' });
  assert.deepEqual(s.help('show xyz'), { ok: false, error: '% Unrecognized command' });
  const bad = s.help('show ipvz ');
  assert.deepEqual(bad, { ok: false, error: ' '.repeat('edge1#show ipv'.length) + '^\n' + INVALID });
  // pipes
  assert.deepEqual(tokens('show services | '), ['begin', 'count', 'exclude', 'include', 'json', 'no-more', 'section']);
  assert.deepEqual(tokens('show running-config | d'), ['display']);
  await f.run('configure');
  assert.deepEqual(tokens('show | c'), ['compare', 'count']);
  assert.deepEqual(tokens('do sh'), ['show']);
  assert.ok(tokens('do ').includes('show'));
  assert.ok(!tokens('do ').includes('configure'), 'configure cannot run under do');
  await f.run('service web');
  assert.deepEqual(tokens('backend 10.0.0.1 '), ['disable', 'enable', 'l-threshold', 'port', 'u-threshold', 'weight', '<cr>']);
  assert.deepEqual(tokens('backend 10.0.0.1 weight 5 '), ['l-threshold', 'port', 'u-threshold', '<cr>']);
  assert.deepEqual(tokens('description '), ['LINE']);
  assert.deepEqual(tokens('description hello '), ['LINE', '<cr>']);
  assert.deepEqual(tokens('backend '), ['ADDRESS', '10.0.0.1', '10.0.0.2']);
});

test('show services, show service, show running-config, show version', async () => {
  const f = fixture({ config: RICH_CONFIG });
  const services = await f.out('show services');
  const lines = services.trimEnd().split('\n');
  assert.match(lines[0], /^Name +VIP +Proto +Ports +Sched +Fwd +Backends +State$/);
  assert.match(lines[2], /^web +192\.0\.2\.10 +tcp +80,443,8000-8010,9000-9001,9100 +sh +tunnel +2\/3 +shutdown$/);
  assert.match(services, /^echo +192\.0\.2\.1 +udp +7 /m, 'the default vip is shown for a service without one');
  assert.match(services, /^marked +fwmark 42 +tcp +- /m);
  const detail = await f.out('show service dns6');
  assert.match(detail, /^Service dns6, enabled$/m);
  assert.match(detail, /Health: dns, every 1000 ms/);
  assert.match(detail, /^2001:db8::1 +53 \(0\) +1 +enabled$/m);
  const yaml = await f.out('show running-config');
  assert.match(yaml, /^node:\n  name: edge1$/m);
  assert.match(yaml, /^  - name: web$/m);
  const one = await f.out('show running-config service echo');
  assert.match(one, /name: echo/);
  assert.doesNotMatch(one, /name: web/);
  assert.doesNotMatch(one, /edge1/);
  const v = await f.out('show version');
  assert.match(v, /^lbctl \d/);
  assert.match(v, /^IPVS: 1\.2\.1 .*in-memory/m);
  assert.match(v, /^Running revision: 7$/m);
  assert.match(v, /^Engine: in-process/m);
  assert.equal(JSON.parse(await f.out('show version | json')).runningRevision, 7);
  assert.match(await f.out('help'), /question mark/);
  assert.equal(await f.out('show services | count'), 'Count: 6 lines\n');
  assert.equal(await fixture().out('show services'), 'No services configured.\n');
});

test('show ipvs reads the dataplane and names the configuration service of each entry', async () => {
  const f = fixture({ config: RICH_CONFIG });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 80 } as const;
  const other = { af: AF_INET, protocol: IPPROTO_TCP, addr: '198.51.100.1', port: 22 } as const;
  const res = await f.dataplane.apply([
    { op: 'newService', service: { key, scheduler: 'sh', flags: 0, timeout: 0, netmask: 0xffffffff } },
    { op: 'newDest', key, dest: { addr: '10.0.0.1', port: 8080, fwdMethod: FWD_MASQ, weight: 5, uThresh: 0, lThresh: 0 } },
    { op: 'newService', service: { key: other, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
  ]);
  assert.ok(res.every((r) => r.ok));
  const all = await f.out('show ipvs');
  assert.match(all, /^2 services, 1 destination$/m);
  assert.match(all, /^tcp 192\.0\.2\.10:80 +web +sh/m);
  assert.match(all, /^ +-> 10\.0\.0\.1:8080 +nat +5 +0 +0$/m);
  assert.match(all, /^tcp 198\.51\.100\.1:22 +\(not ours\) +rr/m);
  // This backend cannot judge the table against the configuration (no engine): no Kernel line, no State column.
  assert.doesNotMatch(await f.out('show service web'), /Kernel/);
  const web = await f.out('show ipvs service web');
  assert.match(web, /^1 service, 1 destination$/m);
  assert.doesNotMatch(web, /198\.51/);
  const stats = await f.out('show ipvs stats');
  assert.match(stats.split('\n')[2], /Conns +InPkts +OutPkts +InBytes +OutBytes/);
  const rate = await f.out('show ipvs rate');
  assert.match(rate.split('\n')[2], /CPS +InPPS +OutPPS +InBPS +OutBPS/);
  const json = JSON.parse(await f.out('show ipvs | json'));
  assert.equal(json.length, 2);
  assert.equal(json[0].name, 'web');
  assert.equal(typeof json[0].stats.conns, 'string', 'bigint counters become strings in JSON');
});

test("show ipvs reads the kernel's counters only to show them: stats, rate, | json", async () => {
  const f = fixture({ config: RICH_CONFIG });
  const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.10', port: 80 } as const;
  await f.dataplane.apply([{ op: 'newService', service: { key, scheduler: 'sh', flags: 0, timeout: 0, netmask: 0xffffffff } }]);
  const asked: boolean[] = [];
  const table = f.backend.table.bind(f.backend);
  f.backend.table = (opts) => {
    asked.push(opts?.counters !== false);
    return table(opts);
  };
  for (const line of ['show ipvs', 'show ipvs stats', 'show ipvs rate', 'show ipvs | json', 'show ipvs | count', 'show ipvs']) await f.out(line);
  assert.deepEqual(asked, [false, true, true, true, false, false], 'the flag of a piped command does not outlive it');
  assert.equal(JSON.parse(await f.out('show ipvs | json'))[0].stats.conns, '0');
});

test('show ipvs and show service say so when the dataplane cannot be read', async () => {
  const f = fixture({ config: RICH_CONFIG });
  f.dataplane.readAll = async () => {
    throw new Error('IPVS is not available in this kernel\n(more detail)');
  };
  f.dataplane.listServices = f.dataplane.readAll as never;
  f.backend.sync = f.dataplane.readAll as never;
  assert.equal(await f.err('show ipvs'), '% The IPVS table cannot be read: IPVS is not available in this kernel');
  assert.match(await f.out('show service web'), /^  Kernel: unknown \(IPVS is not available in this kernel\)$/m);
  assert.match(await f.out('show services'), /^% Kernel state unknown: IPVS is not available in this kernel\nName .* State +Kernel\n/m);
  assert.match(await f.out('show services'), /^dns6 .* enabled +unknown$/m);
  assert.match(await f.out('show system status'), /^Kernel: +unknown \(IPVS is not available in this kernel\)$/m);
  await f.run('configure');
  assert.equal(await f.err('status'), '% The kernel cannot be compared with the running configuration: IPVS is not available in this kernel.');
});

test('pipes: include, exclude, begin, section, count, json, no-more, chained', async () => {
  const f = fixture({ config: RICH_CONFIG });
  assert.equal(await f.out('show services | include ^web'), (await f.out('show services')).split('\n').filter((l) => /^web/.test(l)).join('\n') + '\n');
  const ex = await f.out('show services | exclude udp');
  assert.doesNotMatch(ex, /udp/);
  assert.match(ex, /^web/m);
  assert.match(await f.out('show running-config | begin ^services'), /^services:\n  - name: web\n/);
  assert.equal(await f.out('show running-config | include name: | count'), 'Count: 7 lines\n', 'node, 2 VRRP instances, 4 services');
  assert.equal(await f.out('show services | include "echo|dns6" | count'), 'Count: 2 lines\n');
  const sec = await f.out('show running-config | section ^ha');
  assert.match(sec, /^ha:\n  source: frr/);
  assert.doesNotMatch(sec, /services/);
  const r = await f.session.execute('show services | no-more');
  assert.equal(r.noMore, true);
  assert.equal(r.output, await f.out('show services'));
  assert.deepEqual(JSON.parse(await f.out('show services | json')).map((s: { name: string }) => s.name), ['web', 'dns6', 'echo', 'marked']);
  assert.match(await f.out('show running-config | display set | include ^hostname'), /^hostname edge1\n$/);
  assert.equal(await f.out('show services | include nomatch'), '');
  assert.equal(await f.err('show services |'), '% Incomplete command.');
  assert.equal(await f.err('show services | count |  '), '% Incomplete command.');
  // display set only exists for configurations, compare only for the candidate.
  assert.equal(await f.err('show services | display set'), ' '.repeat(6 + 16) + '^\n' + INVALID);
  assert.equal(await f.err('show running-config | compare'), ' '.repeat(6 + 22 + 2) + '^\n' + INVALID);
  // A bad regular expression is refused at its first character.
  assert.equal(await f.err('show services | include ('), ' '.repeat(6 + 24) + '^\n' + INVALID + '\n% Not a regular expression: /(/: Unterminated group.');
  // A command without pipes keeps `|` as text when its grammar takes it, else refuses.
  assert.equal(await f.err('terminal length 5 | count'), ' '.repeat(6 + 18) + '^\n' + INVALID);
});

test('terminal length and width; the terminal size from the face; tables cut to the width', async () => {
  const f = fixture({ config: RICH_CONFIG });
  const wide = await f.out('show services');
  assert.ok(wide.split('\n').some((l) => l.length > 70), 'the table is wider than 70 columns unconstrained');
  await f.run('terminal length 0', 'terminal width 70');
  assert.deepEqual(f.session.terminal(), { length: 0, width: 70 });
  f.session.setTerminalSize(100, 50);
  assert.deepEqual(f.session.terminal(), { length: 0, width: 70 }, 'the operator’s choice survives a resize');
  const out = await f.out('show services');
  for (const l of out.trimEnd().split('\n')) assert.ok(l.length <= 70, `line too wide: ${l}`);
  assert.match(out, /^web +192\.0\.2\.10 +tcp +80,4\d*…/m, 'the ports column is cut with …');
  const g = fixture();
  g.session.setTerminalSize(132, 40);
  assert.deepEqual(g.session.terminal(), { length: 40, width: 132 });
  assert.match(await g.out('show terminal'), /Length: 40 lines\nWidth: 132 columns/);
});

test('configure exclusive and private are accepted and say they act as the shared candidate for now', async () => {
  const f = fixture();
  assert.match(await f.out('configure exclusive'), /Note: exclusive and private candidates arrive with the commit workflow/);
  await f.run('end');
  assert.match(await f.out('configure private'), /shared candidate/);
  assert.equal(f.session.prompt(), 'lb1(config)#');
});

test('do runs exec commands from every configuration level, but not mode changes', async () => {
  const f = fixture({ config: RICH_CONFIG });
  await f.run('configure', 'service web');
  assert.equal(await f.out('do show services'), await fixture({ config: RICH_CONFIG }).out('show services'));
  assert.equal(f.session.prompt(), 'edge1(config-svc-web)#');
  // `do` shows running, not the candidate.
  await f.run('description changed');
  assert.match(await f.out('do show running-config service web'), /description: front web \| public/);
  assert.equal(await f.err('do configure'), ' '.repeat('edge1(config-svc-web)#do '.length) + '^\n' + INVALID);
  await f.run('do terminal length 10');
  assert.equal(f.session.terminal().length, 10);
});

test('an empty or blank line does nothing; notices start empty', async () => {
  const f = fixture();
  assert.deepEqual(await f.session.execute(''), { output: '' });
  assert.deepEqual(await f.session.execute('   '), { output: '' });
  assert.deepEqual(f.session.takeNotices(), []);
});
