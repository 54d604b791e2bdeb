// The verdict machine: exact thresholds, streaks reset by the other outcome, the unknown rule, and the counts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyVerdictInto, initialVerdict, nextVerdict, verdictSnapshot, type Verdict, type Transition } from '../../../engine/health/verdict.js';

const OK = { ok: true, latencyMs: 1 };
const FAIL = { ok: false, latencyMs: 2, error: 'connection refused' };

/** Feeds `pattern` ('+' success, '-' failure) and returns the state after each result and the transitions. */
function feed(pattern: string, policy = { fail_after: 3, recover_after: 2 }, start: Verdict = initialVerdict(0)) {
  let v = start;
  const states: string[] = [];
  const transitions: Transition[] = [];
  [...pattern].forEach((c, i) => {
    const r = nextVerdict(v, c === '+' ? OK : FAIL, policy, (i + 1) * 100);
    v = r.verdict;
    states.push(v.state);
    if (r.transition) transitions.push(r.transition);
  });
  return { v, states, transitions };
}

test('unknown becomes up on the first success', () => {
  const { states, transitions } = feed('+');
  assert.deepEqual(states, ['up']);
  assert.deepEqual(transitions, [{ from: 'unknown', to: 'up', at: 100, streak: 1 }]);
});

test('unknown becomes down after exactly fail_after failures, not before', () => {
  assert.deepEqual(feed('---').states, ['unknown', 'unknown', 'down']);
  assert.deepEqual(feed('-', { fail_after: 1, recover_after: 1 }).states, ['down']);
  assert.deepEqual(feed('--+').states, ['unknown', 'unknown', 'up'], 'a success before the threshold brings it up');
});

test('up becomes down after exactly fail_after consecutive failures; a success in between starts the count again', () => {
  assert.deepEqual(feed('+---').states, ['up', 'up', 'up', 'down']);
  assert.deepEqual(feed('+--+---').states, ['up', 'up', 'up', 'up', 'up', 'up', 'down']);
  const { transitions } = feed('+---');
  assert.deepEqual(transitions[1], { from: 'up', to: 'down', at: 400, streak: 3, error: 'connection refused' });
});

test('down becomes up after exactly recover_after consecutive successes; a failure in between starts again', () => {
  assert.deepEqual(feed('---++').states, ['unknown', 'unknown', 'down', 'down', 'up']);
  assert.deepEqual(feed('---+-++').states, ['unknown', 'unknown', 'down', 'down', 'down', 'down', 'up']);
  assert.deepEqual(feed('---++++', { fail_after: 3, recover_after: 4 }).states.slice(3), ['down', 'down', 'down', 'up']);
  assert.deepEqual(feed('---------').states.slice(2), Array(7).fill('down'), 'more failures while down change nothing');
});

test('the verdict counts probes and transitions, keeps since, streaks and the last result', () => {
  const { v } = feed('+---++-');
  assert.equal(v.state, 'up');
  assert.equal(v.probes, 7);
  assert.equal(v.transitions, 3, 'unknown→up, up→down, down→up');
  assert.equal(v.since, 600, 'since the result that made it up');
  assert.deepEqual([v.okStreak, v.failStreak], [0, 1]);
  assert.deepEqual(v.last, { ...FAIL, at: 700 });
});

test('a reason (lab, no port) is kept until a result replaces it; the input verdict is never changed', () => {
  const start = initialVerdict(5, 'lab: not probed');
  assert.deepEqual(start, { state: 'unknown', since: 5, reason: 'lab: not probed', transitions: 0, probes: 0, okStreak: 0, failStreak: 0 });
  const frozen = structuredClone(start);
  const { verdict } = nextVerdict(start, OK, { fail_after: 3, recover_after: 2 }, 10);
  assert.equal(verdict.reason, undefined);
  assert.deepEqual(start, frozen);
});

test('a kept verdict copied into says exactly what each new one says, through reasons and errors that come and go', () => {
  const policy = { fail_after: 1, recover_after: 1 };
  const kept = initialVerdict(5, 'lab: not probed');
  const keptLast = () => kept.last;
  let v: Verdict = initialVerdict(5, 'lab: not probed');
  const steps: Verdict[] = [];
  for (const [i, r] of [FAIL, OK, FAIL, OK].entries()) {
    v = nextVerdict(v, r, policy, 100 * (i + 1)).verdict;
    copyVerdictInto(kept, v);
    steps.push(verdictSnapshot(kept));
  }
  // Each snapshot equals the verdict nextVerdict made at that step (no stale reason, error or count).
  let w: Verdict = initialVerdict(5, 'lab: not probed');
  for (const [i, r] of [FAIL, OK, FAIL, OK].entries()) {
    w = nextVerdict(w, r, policy, 100 * (i + 1)).verdict;
    assert.deepEqual(steps[i], w, `step ${i + 1}`);
  }
  const lastObject = keptLast();
  copyVerdictInto(kept, nextVerdict(w, FAIL, policy, 600).verdict);
  assert.equal(kept.last, lastObject, 'the kept result object is reused, not replaced (it lives in the old generation)');
  assert.deepEqual(verdictSnapshot(kept).last, { ...FAIL, at: 600 });
  copyVerdictInto(kept, initialVerdict(700, 'no port to check'));
  assert.deepEqual(verdictSnapshot(kept), initialVerdict(700, 'no port to check'));
});
