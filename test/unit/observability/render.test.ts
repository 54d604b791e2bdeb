// The exposition text of the scrape-time families: HELP and TYPE for every family (empty ones too), label values
// escaped, special values spelled as Prometheus reads them, a body of many chunks equal to the lines in order,
// and a pause every `yieldEvery` lines.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeLabel, formatValue, renderFamilies } from '../../../engine/observability/render.js';
import type { SeriesSet } from '../../../engine/observability/series.js';

const text = (chunks: Buffer[]) => Buffer.concat(chunks).toString('utf8');

describe('renderFamilies', () => {
  it('writes HELP/TYPE for every family, samples in order, labels escaped', async () => {
    const row = { service: 'we"b\\x\ny', backend: '' };
    const series: SeriesSet = new Map([
      ['a_total', [{ labels: row, value: 3 }, { labels: { service: 'é' }, value: 2 ** 40 }]],
      ['b', []],
      ['c', [{ labels: {}, value: -1 }]],
    ]);
    const out = text(
      await renderFamilies(
        [
          { name: 'a_total', type: 'counter', help: 'line\none \\ two' },
          { name: 'b', type: 'gauge', help: 'empty' },
          { name: 'c', type: 'gauge', help: 'c' },
        ],
        series,
      ),
    );
    assert.equal(
      out,
      [
        '# HELP a_total line\\none \\\\ two',
        '# TYPE a_total counter',
        'a_total{service="we\\"b\\\\x\\ny",backend=""} 3',
        'a_total{service="é"} 1099511627776',
        '# HELP b empty',
        '# TYPE b gauge',
        '# HELP c c',
        '# TYPE c gauge',
        'c -1',
        '',
      ].join('\n'),
    );
  });

  it('a large body comes in chunks that join to every line, with a pause every yieldEvery lines', async () => {
    const samples = Array.from({ length: 12_345 }, (_, i) => ({ labels: { service: `s${i % 100}`, backend: `10.0.0.${i % 250}:80` }, value: i }));
    let pauses = 0;
    const chunks = await renderFamilies([{ name: 'x', type: 'gauge', help: 'x' }], new Map([['x', samples]]), { yieldEvery: 1000, pause: async () => void pauses++ });
    assert.ok(chunks.length > 5, `${chunks.length} chunks`);
    const lines = text(chunks).split('\n');
    assert.equal(lines.length, 12_345 + 3);
    assert.equal(lines[2], 'x{service="s0",backend="10.0.0.0:80"} 0');
    assert.equal(lines[12_346], 'x{service="s44",backend="10.0.0.94:80"} 12344');
    assert.equal(pauses, 12);
  });

  it('values: NaN and infinities as Prometheus spells them; plain labels untouched', () => {
    assert.deepEqual([NaN, Infinity, -Infinity, 0.5, 7].map(formatValue), ['NaN', '+Inf', '-Inf', '0.5', '7']);
    assert.equal(escapeLabel('plain-value_1.2:80'), 'plain-value_1.2:80');
  });
});
