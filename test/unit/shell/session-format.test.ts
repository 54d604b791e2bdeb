// The session's output shaping on its own: tables aligned (and cut) to the terminal width, and the pipe stages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderTable, toJson } from '../../../shell/format.js';
import { applyPipes, pipeGrammar, toStage } from '../../../shell/pipes.js';
import { applyDefaults } from '../../../config/defaults.js';
import { ipvsTable } from '../../../modes/show-ipvs.js';
import { serviceFlagsText } from '../../../present/ipvs.js';
import { servicesTable } from '../../../modes/exec.js';
import { AF_INET, AF_INET6, FWD_TUNNEL, IPPROTO_SCTP, SVC_F_PERSISTENT, SVC_F_SCHED2, TUN_GUE, type IpvsTableEntry, type ServiceKey } from '../../../netlink/dataplane.js';

const TABLE = {
  columns: [{ title: 'Name', shrink: true }, { title: 'N', align: 'right' as const }, { title: 'Note' }],
  rows: [
    ['alpha', '1', 'x'],
    ['a-rather-long-service-name', '12345', ''],
  ],
};

test('tables: columns as wide as their widest cell, numbers right-aligned, no trailing blanks', () => {
  assert.equal(
    renderTable(TABLE, 200),
    [
      'Name                            N  Note',
      '--------------------------  -----  ----',
      'alpha                           1  x',
      'a-rather-long-service-name  12345',
    ].join('\n'),
  );
});

test('tables: a shrinkable column is cut with … to fit the width, never below its floor', () => {
  const out = renderTable(TABLE, 30).split('\n');
  for (const l of out) assert.ok(l.length <= 30, l);
  assert.equal(out[0].length, 30);
  assert.equal(out[3], 'a-rather-long-se…  12345');
  // Too narrow to fit: shrinks to the floor and no further.
  const narrow = renderTable(TABLE, 5).split('\n');
  assert.equal(narrow[2], 'alpha       1  x');
});

test('tables: a column that holds addresses is never cut, even when marked shrinkable; others are cut instead', () => {
  const table = {
    columns: [{ title: 'Name', shrink: true }, { title: 'VIP', shrink: true }, { title: 'State' }],
    rows: [
      ['a-rather-long-service-name', '2001:db8:ffff:ffff:ffff:ffff:ffff:10', 'enabled'],
      ['b', '[2001:db8::1]:8080 and 10.0.0.100:80', 'enabled'],
    ],
  };
  const out = renderTable(table, 40);
  assert.ok(out.includes('2001:db8:ffff:ffff:ffff:ffff:ffff:10'), out);
  assert.ok(out.includes('[2001:db8::1]:8080 and 10.0.0.100:80'), out);
  assert.ok(out.includes('a-rat…  2001'), out);
});

test('show ipvs in an 80-column line mode keeps every address whole and names flags once, as configured', () => {
  const v6 = '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1';
  const entries: IpvsTableEntry[] = [
    {
      service: { key: { af: AF_INET6, protocol: IPPROTO_SCTP, addr: v6, port: 5060 }, scheduler: 'sh', flags: SVC_F_PERSISTENT | SVC_F_SCHED2, timeout: 60, netmask: 128 },
      dests: [
        { addr: '2001:db8:aaaa:bbbb:cccc:dddd:eeee:2', port: 5060, fwdMethod: FWD_TUNNEL, tunType: TUN_GUE, tunPort: 6080, weight: 2147483647, uThresh: 0, lThresh: 0, af: AF_INET6 },
        { addr: '10.0.0.123', port: 5060, fwdMethod: FWD_TUNNEL, tunType: TUN_GUE, tunPort: 6080, weight: 1, uThresh: 0, lThresh: 0, af: AF_INET },
      ],
    },
  ];
  const config = applyDefaults({ services: [{ name: 'a-service-with-a-long-name', vip: v6, protocol: 'sctp', ports: [5060], backends: [] }] });
  const out = ipvsTable(entries, config, { kind: 'memory', version: '1.2.1', connTabSize: 4096 }, 'basic');
  // The JSON is built only when `| json` asks for it (50,000 objects at 10,000 × 4), and then in full.
  assert.equal(out.data, undefined);
  const data = out.json!() as { name: string; dests: { tunnel: { type: string } }[] }[];
  assert.deepEqual([data.length, data[0].name, data[0].dests[0].tunnel.type], [1, 'a-service-with-a-long-name', 'gue']);
  const text = renderTable(out.table!, 80);
  assert.ok(text.includes(`sctp [${v6}]:5060`), text);
  assert.ok(text.includes(`-> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:2]:5060`), text);
  assert.ok(text.includes('-> 10.0.0.123:5060'), text);
  assert.doesNotMatch(text, /persistent.*persistent/, text);
  assert.match(text, /sh-port persistent 60/, text);
});

test('show ipvs flags: the persistence mask when it is not the default, and nothing for a plain service', () => {
  const key: ServiceKey = { af: AF_INET, protocol: 6, addr: '192.0.2.10', port: 80 };
  assert.equal(serviceFlagsText({ key, scheduler: 'wlc', flags: SVC_F_PERSISTENT, timeout: 300, netmask: 0xffffff00 }), 'persistent 300 mask 255.255.255.0');
  assert.equal(serviceFlagsText({ key, scheduler: 'wlc', flags: SVC_F_PERSISTENT, timeout: 300, netmask: 0xffffffff }), 'persistent 300');
  assert.equal(serviceFlagsText({ key, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 0xffffffff }), '');
});

test('show services keeps the VIP whole at any width', () => {
  const vip = '2001:db8:aaaa:bbbb:cccc:dddd:eeee:1';
  const config = applyDefaults({ services: [{ name: 'x'.repeat(40), vip, ports: [80, 443, 8080, 8443], backends: [] }] });
  const text = renderTable(servicesTable(config), 60);
  assert.ok(text.includes(vip), text);
});

test('json: bigints as strings', () => {
  assert.equal(toJson({ n: 12n, s: 'x' }), '{\n  "n": "12",\n  "s": "x"\n}');
  assert.equal(toJson(undefined), 'null');
});

function stages(kind: 'text' | 'config' | 'candidate', ...texts: string[]) {
  return texts.map((t) => {
    const r = pipeGrammar(kind).parse(t, {} as never);
    assert.ok(r.ok && !('empty' in r), t);
    return toStage((r as { command: string }).command, (r as { args: Record<string, unknown> }).args);
  });
}

const TEXT = ['service a', ' port 1', ' exit', 'service b', ' port 2', '  deep', ' exit', 'tail'].join('\n');
const running = applyDefaults({});

test('pipes: section keeps the matching lines and what is indented under them', () => {
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'section ^service b')).text, 'service b\n port 2\n  deep\n exit');
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'section port')).text, ' port 1\n port 2\n  deep');
});

test('pipes: include/exclude/begin/count chain left to right; abbreviations work', () => {
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'inc port', 'count')).text, 'Count: 2 lines');
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'ex "^ "', 'beg b')).text, 'service b\ntail');
  assert.equal(applyPipes({ text: '', running }, stages('text', 'count')).text, 'Count: 0 lines');
  assert.equal(applyPipes({ text: TEXT, running }, stages('text', 'no')).noMore, true);
});

test('pipes: display set and compare need a configuration; json prefers the data', () => {
  const candidate = applyDefaults({ node: { name: 'n1' } });
  assert.equal(applyPipes({ text: 'yaml', config: { value: candidate }, running }, stages('config', 'display set')).text, 'hostname n1');
  assert.equal(applyPipes({ text: 'yaml', config: { value: candidate }, running }, stages('candidate', 'compare')).text, '[edit node]\n+   name: n1');
  assert.equal(applyPipes({ text: 'yaml', data: [1], running }, stages('text', 'json')).text, '[\n  1\n]');
  assert.equal(pipeGrammar('text').parse('display set', {} as never).ok, false);
  assert.equal(pipeGrammar('config').parse('compare', {} as never).ok, false);
});

test('a spilling cell runs on over the empty columns to its right, and wraps at a space past the width', () => {
  const table = {
    columns: [{ title: 'Service' }, { title: 'Sched', spill: true }, { title: 'Weight', align: 'right' as const }],
    rows: [
      ['tcp 192.0.2.10:80', 'mh mh-fallback mh-port persistent 300 mask 255.255.255.0 pe sip'],
      ['  -> 10.0.0.1:80', 'nat', '1'],
    ],
  };
  assert.equal(
    renderTable(table, 50),
    [
      'Service            Sched  Weight',
      '-----------------  -----  ------',
      'tcp 192.0.2.10:80  mh mh-fallback mh-port',
      '                   persistent 300 mask',
      '                   255.255.255.0 pe sip',
      '  -> 10.0.0.1:80   nat         1',
    ].join('\n'),
  );
  // Width 0: no limit, nothing wraps.
  assert.equal(renderTable(table, 0).split('\n')[2], 'tcp 192.0.2.10:80  mh mh-fallback mh-port persistent 300 mask 255.255.255.0 pe sip');
});
