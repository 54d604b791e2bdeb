import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildRows, filterRows, sortRows } from '../../../present/monitor/rows.js';
import { HEALTH, sample, stats, table } from './fixture.js';

const labels = (rows: { label: string }[]) => rows.map((r) => r.label);

test('rows: each service then its backends, names from the configuration, weights configured/effective', () => {
  const rows = buildRows(sample(0, table(stats(5n), stats(0n), stats(0n), 0)), null);
  assert.deepEqual(labels(rows), ['tcp 192.0.2.10:80', '-> 198.51.100.11:80', '-> 198.51.100.12:80', 'udp 192.0.2.53:53', '-> 198.51.100.53:53']);
  assert.deepEqual(
    rows.map((r) => [r.name, r.weight, r.health]),
    [
      ['web', '', ''],
      ['', '100/100', '-'],
      ['', '50/0', '-'],
      ['dns', '', ''],
      ['', '1/1', '-'],
    ],
  );
  assert.equal(rows[0].active, 9, 'a service counts the active connections of its backends');
  assert.equal(rows[1].rates.cps, null, 'one read: no rates yet');
});

test('rows: health verdicts from the daemon report, a service counts its healthy backends', () => {
  const rows = buildRows(sample(0, table(stats(5n)), HEALTH), null);
  assert.deepEqual(rows.map((r) => r.health), ['1/2 up', 'up', 'down', '1/1 up', 'up']);
});

test('rows: rates per second between two samples, per service and per backend', () => {
  const a = sample(1000, table(stats(100n, 1000n), stats(10n)));
  const b = sample(3000, table(stats(300n, 5000n), stats(10n)));
  const rows = buildRows(b, a);
  assert.deepEqual(rows.map((r) => r.rates.cps), [100, 100, 0, 0, 0]);
  assert.equal(rows[1].rates.inPps, 2000);
});

test('sort: services by the key, highest first, each keeping its backends under it, also sorted', () => {
  const a = sample(0, table(stats(0n), stats(0n), stats(0n)));
  const b = sample(1000, table(stats(1n), stats(5n), stats(50n)));
  const rows = buildRows(b, a);
  assert.deepEqual(labels(sortRows(rows, 'cps')), ['udp 192.0.2.53:53', '-> 198.51.100.53:53', 'tcp 192.0.2.10:80', '-> 198.51.100.12:80', '-> 198.51.100.11:80']);
  assert.deepEqual(labels(sortRows(rows, 'cps', true)), ['tcp 192.0.2.10:80', '-> 198.51.100.11:80', '-> 198.51.100.12:80', 'udp 192.0.2.53:53', '-> 198.51.100.53:53']);
  assert.deepEqual(labels(sortRows(rows, 'name')), ['udp 192.0.2.53:53', '-> 198.51.100.53:53', 'tcp 192.0.2.10:80', '-> 198.51.100.11:80', '-> 198.51.100.12:80']);
  assert.deepEqual(labels(sortRows(rows, 'active')).slice(0, 3), ['tcp 192.0.2.10:80', '-> 198.51.100.11:80', '-> 198.51.100.12:80']);
});

test('filter: a matching service keeps its backends; a matching backend keeps its service above it; any case', () => {
  const rows = buildRows(sample(0, table(stats(0n)), HEALTH), null);
  assert.deepEqual(labels(filterRows(rows, 'DNS')), ['udp 192.0.2.53:53', '-> 198.51.100.53:53']);
  assert.deepEqual(labels(filterRows(rows, '100.12')), ['tcp 192.0.2.10:80', '-> 198.51.100.12:80']);
  assert.deepEqual(labels(filterRows(rows, 'down')), ['tcp 192.0.2.10:80', '-> 198.51.100.12:80']);
  assert.deepEqual(filterRows(rows, 'nothing-like-it'), []);
  assert.equal(filterRows(rows, '  ').length, rows.length);
});
