import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRows } from '../../../present/monitor/rows.js';
import { compactNumber, countText, fitTable, haText, layoutFrame, rateText, snapshotText, type FrameState } from '../../../present/monitor/layout.js';
import { sample, stats, table } from './fixture.js';

test('numbers: compact on screen past 9,999, in full in a pipe; rates with a decimal below 10', () => {
  assert.equal(compactNumber(9999), '9999');
  assert.equal(compactNumber(12_345), '12.3k');
  assert.equal(compactNumber(87_800_000), '87.8M');
  assert.equal(compactNumber(123_456_789_012), '123G');
  assert.equal(countText(2n ** 64n - 1n, false), '18446744073709551615');
  assert.equal(countText(99_999n, true), '99999');
  assert.equal(countText(2n ** 64n - 1n, true), '18.4E');
  assert.equal(rateText(null, true), '-');
  assert.equal(rateText(0, true), '0');
  assert.equal(rateText(2.25, true), '2.3');
  assert.equal(rateText(123_456, true), '123k');
  assert.equal(rateText(123_456, false), '123456');
});

const rows = buildRows(sample(1000, table(stats(300n, 15_000n, 12_000n, 9_000_000n, 270_000_000n))), sample(0, table(stats(0n))));

test('width: the table fits any width, narrowing the name, then dropping the least useful columns', () => {
  const wide = fitTable(rows, 'rates', 200, true);
  assert.match(wide[0], /^Service \/ Backend +Name +Health +Weight +ActConn +InActConn +Conn\/s +InPkt\/s +OutPkt\/s +InB\/s +OutB\/s$/);
  for (const width of [120, 100, 80, 60, 40, 20]) {
    const lines = fitTable(rows, 'rates', width, true);
    assert.ok(lines.every((l) => l.length <= width), `width ${width}:\n${lines.join('\n')}`);
  }
  const w80 = fitTable(rows, 'rates', 80, true);
  assert.ok(!w80[0].includes('InActConn'), 'inactive connections go first');
  assert.ok(!w80[0].includes('OutPkt/s'), 'then packets');
  assert.match(w80[0], /Health +Weight/, 'the verdict and the weights stay');
  assert.match(w80[0], /Conn\/s/, 'connections per second stay');
  assert.match(w80.find((l) => l.includes('198.51.100.11'))!, /-> 198\.51\.100\.11:80/, 'addresses are not cut while columns can go');
});

const state: FrameState = { node: 'lb1', clock: '12:00:00', intervalS: 1, sort: 'name', reverse: false, figures: 'rates', filter: '', editing: null, scroll: 0, error: null };

test('height: the frame is exactly the terminal height; rows that do not fit become "+N more"', () => {
  const all = buildRows(sample(0, table(stats(0n))), null);
  const f = layoutFrame(state, sample(0, table(stats(0n))), all, all, 120, 8);
  assert.equal(f.lines.length, 8);
  // title, summary, columns, 3 rows + "+N more", footer
  assert.deepEqual(f.lines.slice(3, 6).map((l) => l.trim().split(/ {2,}/)[0]), ['tcp 192.0.2.10:80', '-> 198.51.100.11:80', '-> 198.51.100.12:80']);
  assert.match(f.lines[6], /^\+2 more \(0 above, 2 below/);
  assert.match(f.lines[7], /^s sort .* q quit$/);
  const scrolled = layoutFrame({ ...state, scroll: 99 }, sample(0, table(stats(0n))), all, all, 120, 8);
  assert.equal(scrolled.scroll, 2, 'scrolling stops at the last row');
  assert.match(scrolled.lines[6], /^\+2 more \(2 above, 0 below/);
  const big = layoutFrame(state, sample(0, table(stats(0n))), all, all, 120, 30);
  assert.equal(big.lines.length, 30);
  assert.ok(!big.lines.some((l) => l.includes('more (')), 'everything fits: no "+N more"');
  assert.ok(big.lines.every((l) => l.length <= 120));
  assert.match(big.lines[0], /^lbctl monitor on lb1 .* 12:00:00$/);
  assert.equal(big.lines[0].length, 120, 'the clock sits at the right edge');
});

test('the filter being typed shows in the footer', () => {
  const all = buildRows(sample(0, table(stats(0n))), null);
  const f = layoutFrame({ ...state, editing: 'we' }, sample(0, table(stats(0n))), all, all, 100, 12);
  assert.equal(f.lines[11], 'filter: we_   Enter apply  Esc clear');
});

test('HA: none without a watcher; the summary and each instance when known', () => {
  assert.equal(haText(null), 'HA: none');
  const ha = {
    source: 'frr' as const,
    program: 'always' as const,
    summary: 'master' as const,
    instances: [
      { name: 'edge', vrid: 10, interface: 'eth0', family: 'inet' as const, state: 'master' as const, since: '', source: 'event' as const, vips: [], programs: true },
      { name: 'core', vrid: 11, interface: 'eth1', family: 'inet' as const, state: 'backup' as const, since: '', source: 'poll' as const, vips: [], programs: true },
    ],
  };
  assert.equal(haText(ha), 'HA: master  edge (vrid 10, eth0) master, core (vrid 11, eth1) backup');
});

test('snapshot: every counter in full, services by name, no escape codes', () => {
  const text = snapshotText('lb1', sample(0, table(stats(3n, 2n ** 60n, 5n, 2n ** 63n, 7n))), buildRows(sample(0, table(stats(3n, 2n ** 60n, 5n, 2n ** 63n, 7n))), null));
  assert.equal(
    text,
    [
      'lbctl monitor on lb1: one snapshot, totals since the counters were zeroed (a terminal shows rates per second)',
      'Services 2, backends 3  Health: no daemon, not checked  HA: none',
      '',
      'Service / Backend      Name  Health   Weight  ActConn  InActConn  Conns               InPkts  OutPkts              InBytes  OutBytes',
      'udp 192.0.2.53:53      dns                          0          0      0                    0        0                    0         0',
      '  -> 198.51.100.53:53        -           1/1        0          0      0                    0        0                    0         0',
      'tcp 192.0.2.10:80      web                          9          0      3  1152921504606846976        5  9223372036854775808         7',
      '  -> 198.51.100.11:80        -       100/100        7          0      3  1152921504606846976        5  9223372036854775808         7',
      '  -> 198.51.100.12:80        -         50/50        2          0      0                    0        0                    0         0',
    ].join('\n'),
  );
});
