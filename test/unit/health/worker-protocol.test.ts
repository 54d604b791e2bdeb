// The probe worker's results as columns of numbers (engine/health/worker-protocol.ts): what the main thread reads
// back is the verdict the worker recorded, field for field, with the batch's distinct error words and its
// transitions in place; a batch grows past its first size and starts empty after it is taken.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResultPacker, readResultInto, resultTarget } from '../../../engine/health/worker-protocol.js';
import { initialVerdict, nextVerdict, verdictSnapshot, type Transition, type Verdict } from '../../../engine/health/verdict.js';

const POLICY = { fail_after: 2, recover_after: 1 };

test('a batch read back gives each target its verdict, errors and transitions, in order', () => {
  const packer = new ResultPacker(2); // grows past two results
  const sent: Array<{ target: number; verdict: Verdict; transition?: Transition }> = [];
  let v = initialVerdict(1_700_000_000_000);
  for (let i = 0; i < 7; i++) {
    const ok = i < 2 || i > 4;
    const step = nextVerdict(v, ok ? { ok: true, latencyMs: 0.3 + i } : { ok: false, latencyMs: 300, error: i === 4 ? 'timed out after 300 ms connecting' : 'connection refused' }, POLICY, 1_700_000_000_000 + i * 1000);
    v = step.verdict;
    packer.add(i % 3, v);
    if (step.transition) packer.transitionOfLast(step.transition);
    sent.push({ target: i % 3, verdict: v, transition: step.transition });
  }
  assert.equal(packer.size, 7);
  const message = packer.take(5);
  assert.equal(message.generation, 5);
  assert.equal(message.count, 7);
  assert.deepEqual(message.errors, ['connection refused', 'timed out after 300 ms connecting'], 'distinct error words, once each');
  assert.deepEqual(
    message.transitions.map(([r, t]) => [r, t.from, t.to]),
    sent.flatMap((s, r) => (s.transition ? [[r, s.transition.from, s.transition.to]] : [])),
  );
  assert.ok(message.transitions.length >= 3, 'unknown → up, up → down, down → up');
  // One kept object per target, changed in place, as the main thread keeps them.
  const kept: Verdict = { ...initialVerdict(0, 'lab: not probed') };
  for (let r = 0; r < message.count; r++) {
    assert.equal(resultTarget(message, r), sent[r].target);
    readResultInto(kept, message, r);
    assert.deepEqual(verdictSnapshot(kept), verdictSnapshot(sent[r].verdict), `result ${r}`);
  }
  assert.equal(packer.size, 0, 'taken: the next batch starts empty');
  assert.equal(packer.take(6).count, 0);
});
