// Fuzzing the session in line mode: 12,000 random and mutated command lines from a seeded PRNG (the same lines
// on every run). The session must never throw or hang, every rejection must be one of the documented error
// forms (completion/errors.ts), and TAB and `?` must answer every prefix without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDocumentedError } from '../../../completion/errors.js';
import { fixture, RICH_CONFIG } from './session-fixture.js';
import { prng } from '../../support/prng.js';
import { SEEDS, mutate } from '../../fuzz/shell-corpus.js';


test('12,000 random and mutated lines: no throw, no hang, every rejection a documented form', { timeout: 300_000 }, async () => {
  const rnd = prng(0x5eed);
  const f = fixture({ config: RICH_CONFIG });
  const s = f.session;
  let rejected = 0;
  let accepted = 0;
  const undocumented: string[] = [];
  for (let i = 0; i < 12_000; i++) {
    const base = SEEDS[Math.floor(rnd() * SEEDS.length)];
    const line = rnd() < 0.15 ? base : mutate(mutate(base, rnd), rnd);
    // TAB and ? on the line and on a prefix of it.
    const cut = line.slice(0, Math.floor(rnd() * (line.length + 1)));
    for (const l of [line, cut]) {
      const c = s.complete(l);
      assert.equal(typeof c.line, 'string');
      assert.ok(c.line.startsWith(l.slice(0, Math.max(0, l.lastIndexOf(' ')))), `TAB lost the line: ${JSON.stringify(l)} → ${JSON.stringify(c.line)}`);
      const h = s.help(l);
      if (!h.ok && !isDocumentedError(h.error)) undocumented.push(`? ${JSON.stringify(l)} → ${h.error}`);
    }
    const r = await s.execute(line);
    assert.equal(typeof r.output, 'string');
    if (r.error !== undefined) {
      rejected++;
      if (!isDocumentedError(r.error)) undocumented.push(`${JSON.stringify(line)} → ${r.error}`);
    } else accepted++;
    // Leave the mode sometimes so every level gets its share of lines.
    if (rnd() < 0.02) await s.execute('end');
  }
  assert.deepEqual(undocumented.slice(0, 20), []);
  // The corpus exercises both sides.
  assert.ok(accepted > 1000, `accepted ${accepted}`);
  assert.ok(rejected > 1000, `rejected ${rejected}`);
});
