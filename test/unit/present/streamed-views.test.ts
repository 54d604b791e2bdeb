// The streamed views print what the whole-text renderers print: `show ipvs` laid out in two passes over its
// entries (present/ipvs.ts ipvsListingLines) against the table renderTable lays out from every row at once, at
// every width (shrinking the Name column, a spilling scheduler line that wraps), with and without a State column;
// JSON written in pieces (present/json-stream.ts) against JSON.stringify of the whole object.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ipvsListing, ipvsListingLines, type IpvsStateCells } from '../../../present/ipvs.js';
import { chunked } from '../../../present/table.js';
import { renderTable } from '../../../shell/format.js';
import { chunkedPieces, JsonList, jsonPieces } from '../../../present/json-stream.js';
import type { IpvsTableEntry } from '../../../engine/host.js';

const dest = (addr: string, port: number, weight: number) => ({ addr, port, fwdMethod: 0, weight, uThresh: 0, lThresh: 0, activeConns: weight * 3, inactConns: 1 });

function entries(): IpvsTableEntry[] {
  const out: IpvsTableEntry[] = [];
  for (let i = 0; i < 40; i++) {
    out.push({
      service: { key: { af: 2, protocol: i % 3 === 0 ? 17 : 6, addr: `192.0.2.${(i * 7) % 50}`, port: 80 + (i % 4) }, scheduler: i % 5 === 0 ? 'sh' : 'wrr', flags: i % 5 === 0 ? 0x10 | 1 : 0, timeout: i % 5 === 0 ? 300 : 0, netmask: 0xffffffff },
      dests: Array.from({ length: i % 4 }, (_, j) => dest(`198.51.100.${i + j}`, 8080 + j, j + 1)),
    });
  }
  out.push({ service: { key: { af: 10, protocol: 6, addr: '2001:db8::1', port: 443 }, scheduler: 'wlc', flags: 0, timeout: 0, netmask: 128 }, dests: [dest('2001:db8::10', 443, 5)] });
  return out;
}

const names = (id: string) => (id.includes('192.0.2.7:') ? 'a-service-with-a-rather-long-name-for-the-column' : id.includes(':81') ? '(not ours)' : `svc-${id.length}`);

const state: IpvsStateCells = {
  headline: 'NOT in sync with the running configuration (1 differs, 1 missing)',
  service: (id) => (id.endsWith(':82') ? 'differs (scheduler wrr→wlc)' : 'in sync'),
  dest: (_id, did) => (did.endsWith(':8081') ? 'differs (weight 2→20)' : 'in sync'),
  missingDests: (id) => (id.endsWith(':83') ? ['198.51.100.250:8080'] : []),
  missingServices: [{ id: 'tcp 203.0.113.9:25', name: 'mail', dests: ['198.51.100.9:25', '198.51.100.10:25'] }],
};

const info = { kind: 'memory', version: '1.2.1', connTabSize: 4096 };

test('show ipvs in two passes prints what renderTable prints from every row, at every width and view', () => {
  for (const view of ['basic', 'stats', 'rate'] as const)
    for (const withState of [true, false])
      for (const width of [0, 200, 80, 60, 40]) {
        const s = withState ? state : undefined;
        const listing = ipvsListing(entries(), info, view, { service: names }, s);
        const whole = [listing.text, renderTable(listing.table!, width)].join('\n') + '\n';
        const streamed = [...chunked(ipvsListingLines(entries(), info, view, { service: names }, s, width), 512)];
        assert.ok(streamed.length > 3, 'several chunks');
        assert.equal(streamed.join(''), whole, `${view}, state ${withState}, width ${width}`);
      }
});

test('an empty table is its two lines', () => {
  const listing = ipvsListing([], info, 'basic', { service: names });
  assert.equal(listing.table, undefined);
  assert.equal([...chunked(ipvsListingLines([], info, 'basic', { service: names }, undefined, 0))].join(''), listing.text + '\n');
});

test('JSON in pieces is JSON.stringify(…, null, 2) of the whole object', () => {
  const services = [{ id: 'a', dests: [{ id: 'x', stats: { conns: '1' } }], empty: [], nothing: {} }, { id: 'b', dests: [] }, 'text', 7, null];
  const cases: [string, unknown][][] = [
    [['version', '1.2.1'], ['services', services], ['missing', [{ id: 'm', dests: [] }]]],
    [['services', []], ['n', 0]],
    [['services', [services[0]]]],
    [['inSync', false], ['warnings', []], ['nested', { a: [1, { b: 2 }] }]],
    [],
  ];
  for (const fields of cases) {
    const whole = JSON.stringify(Object.fromEntries(fields), null, 2);
    const pieces = fields.map(([k, v]): [string, unknown] => [k, Array.isArray(v) ? new JsonList(v) : v]);
    assert.equal([...chunkedPieces(jsonPieces(pieces), 16)].join(''), whole);
    assert.deepEqual(JSON.parse([...jsonPieces(pieces)].join('')), Object.fromEntries(fields));
  }
});
