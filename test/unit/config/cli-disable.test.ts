// `lbctl disable` when the configuration does not load: the ownership record alone names what to remove, with no
// service names, and a port range must still read as one line, not one per port.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../../cli/main.js';
import { recordingIO, tempConfigDir } from './helpers.js';

test('disable --dry-run with a configuration that does not load folds the ranges of the ownership record', async (t) => {
  const { dir: home, cleanup } = tempConfigDir({});
  t.after(cleanup);
  const applied = recordingIO({ HOME: home });
  assert.equal(await main(['apply', '--lab'], applied), 0, applied.err.join(''));
  writeFileSync(join(home, '.lbctl-lab', 'config', 'config.yaml'), 'vip: [broken\n');

  const io = recordingIO({ HOME: home });
  assert.equal(await main(['disable', '--lab', '--dry-run'], io), 0, io.err.join(''));
  assert.match(io.err.join(''), /configuration not loaded/);
  const lines = io.out.join('').split('\n');
  const removals = lines.filter((l) => l.startsWith('- service'));
  assert.ok(removals.length < 20, `${removals.length} removal lines:\n${removals.slice(0, 5).join('\n')}`);
  // The example's 272-port udp range, as one line that says how many services it stands for.
  assert.ok(
    removals.some((l) => /^- service udp 203\.0\.113\.10:7543-7814\b.*\b272 services\)/.test(l)),
    removals.join('\n'),
  );
  // Every removal is still counted in the summary.
  assert.match(io.out.join(''), /services \+0 ~0 -2\d\d,/);
});
