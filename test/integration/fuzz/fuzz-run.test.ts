// The fuzz runner (test/fuzz/run.ts) with small counts, so that a regression in the error forms, a crash or a
// stack trace fails CI; the full run (100,000 lines, 10,000 YAML directories) is an evidence run (docs/errors.md).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz, summary } from '../../fuzz/run.js';

test('fuzz runner, small counts: no finding, both outcomes seen, the lbctl binary run too', { timeout: 600_000 }, async () => {
  const report = await runFuzz({ lines: 300, yaml: 50, seed: 0xc1, cliShare: 0.1, batch: 30 });
  assert.deepEqual(report.findings, [], summary(report));
  const s = report.shell;
  assert.equal(s.lines, 300);
  assert.ok(s.accepted > 50 && [...s.rejected.values()].reduce((a, b) => a + b, 0) > 50, summary(report));
  assert.ok(s.committed > 0, 'no commit went through');
  assert.equal(s.cliBatches, 1); // every batch/share = 300 lines
  assert.ok(s.cliErrors > 0, 'the binary run saw no error to check');
  const y = report.yaml;
  assert.equal(y.cases, 50);
  assert.ok(y.accepted > 0 && y.rejected > 20, summary(report));
  assert.ok(y.cliRuns > 0, 'no lbctl validate run');
  assert.ok((y.forms.get('FILE:LINE:COLUMN: PATH: MESSAGE') ?? 0) > 0 && (y.forms.get('FILE:LINE:COLUMN: MESSAGE') ?? 0) > 0, summary(report));
});
