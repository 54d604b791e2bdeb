// The state of one target, as a pure function of the results it has had: no clock, no I/O.
//
//   unknown ──first success──────────────► up
//   unknown ──fail_after failures in a row─► down
//   up      ──fail_after failures in a row─► down
//   down    ──recover_after successes in a row─► up
//
// As keepalived (without `alpha`) treats a real server it has not checked yet as alive, `unknown` is counted
// like `up`: it takes fail_after failures in a row to become down, so a daemon restart or a reload never marks a
// backend down on one lost probe; the first success confirms it up. recover_after applies to down targets only.
import type { ProbeResult } from './types.js';

export type HealthState = 'unknown' | 'up' | 'down';

export interface VerdictPolicy {
  fail_after: number;
  recover_after: number;
}

export interface LastResult extends ProbeResult {
  /** When the result was recorded (the scheduler's clock, ms). */
  at: number;
}

export interface Verdict {
  state: HealthState;
  /** When the target entered `state` (ms). */
  since: number;
  /** Why the state is what it is when no probe says so: "lab: not probed", "no port to check: …". */
  reason?: string;
  /** State changes so far (unknown → up counts). */
  transitions: number;
  /** Results recorded so far. */
  probes: number;
  /** Successes and failures in a row up to the last result (one of them is 0). */
  okStreak: number;
  failStreak: number;
  last?: LastResult;
}

export interface Transition {
  from: HealthState;
  to: HealthState;
  at: number;
  /** The streak that caused it: so many failures (to down) or successes (to up) in a row. */
  streak: number;
  /** The failing result's words, for a transition to down. */
  error?: string;
}

export function initialVerdict(now: number, reason?: string): Verdict {
  const v: Verdict = { state: 'unknown', since: now, transitions: 0, probes: 0, okStreak: 0, failStreak: 0 };
  if (reason !== undefined) v.reason = reason;
  return v;
}

/**
 * initialVerdict for a verdict kept for the target's life and changed in place (copyVerdictInto): every field in
 * the literal, unset ones undefined. Built as initialVerdict, `reason` and later `last` went to an out-of-line
 * property array (40 bytes more a target, and a map transition at the first result); hand out verdictSnapshot.
 */
export function keptVerdict(now: number, reason?: string): Verdict {
  return { state: 'unknown', since: now, reason, transitions: 0, probes: 0, okStreak: 0, failStreak: 0, last: undefined };
}

/** The verdict after one more result, and the transition it caused, if any. `v` is not changed. */
export function nextVerdict(v: Verdict, result: ProbeResult, policy: VerdictPolicy, now: number): { verdict: Verdict; transition?: Transition } {
  const okStreak = result.ok ? v.okStreak + 1 : 0;
  const failStreak = result.ok ? 0 : v.failStreak + 1;
  const last: LastResult = { ok: result.ok, latencyMs: result.latencyMs, at: now };
  if (result.error !== undefined) last.error = result.error;
  // Written out field by field, without `reason` (a probe has spoken): a spread and a `delete` would leave V8 a
  // dictionary-mode object for every result, several times the size of one with a fixed shape.
  const next: Verdict = { state: v.state, since: v.since, transitions: v.transitions, probes: v.probes + 1, okStreak, failStreak, last };
  let to: HealthState = v.state;
  if (result.ok && (v.state === 'unknown' || (v.state === 'down' && okStreak >= policy.recover_after))) to = 'up';
  if (!result.ok && v.state !== 'down' && failStreak >= policy.fail_after) to = 'down';
  if (to === v.state) return { verdict: next };
  next.state = to;
  next.since = now;
  next.transitions = v.transitions + 1;
  const transition: Transition = { from: v.state, to, at: now, streak: result.ok ? okStreak : failStreak };
  if (result.error !== undefined) transition.error = result.error;
  return { verdict: next, transition };
}

/**
 * Makes `kept` say what `from` says, in place. A target keeps one verdict object for its whole life: a long-lived
 * object that pointed at each new verdict would keep it past the young generation's collections, so at 10,000
 * probes a second every result would be promoted to the old generation and left there as garbage until a full
 * collection (the daemon at 10,000 × 4 with tcp checks: hundreds of MiB of heap). Copied, the new verdict dies young.
 */
export function copyVerdictInto(kept: Verdict, from: Verdict): void {
  kept.state = from.state;
  kept.since = from.since;
  kept.transitions = from.transitions;
  kept.probes = from.probes;
  kept.okStreak = from.okStreak;
  kept.failStreak = from.failStreak;
  if (from.reason !== undefined) kept.reason = from.reason;
  else if (kept.reason !== undefined) kept.reason = undefined;
  if (from.last === undefined) kept.last = undefined;
  else if (kept.last === undefined) kept.last = { ok: from.last.ok, latencyMs: from.last.latencyMs, at: from.last.at, error: from.last.error };
  else {
    kept.last.ok = from.last.ok;
    kept.last.latencyMs = from.last.latencyMs;
    kept.last.at = from.last.at;
    kept.last.error = from.last.error;
  }
}

/** A copy of a kept verdict for someone who may hold on to it (the kept one changes in place), without unset keys. */
export function verdictSnapshot(v: Verdict): Verdict {
  const out: Verdict = { state: v.state, since: v.since, transitions: v.transitions, probes: v.probes, okStreak: v.okStreak, failStreak: v.failStreak };
  if (v.reason !== undefined) out.reason = v.reason;
  if (v.last !== undefined) {
    out.last = { ok: v.last.ok, latencyMs: v.last.latencyMs, at: v.last.at };
    if (v.last.error !== undefined) out.last.error = v.last.error;
  }
  return out;
}
