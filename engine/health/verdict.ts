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

/** The verdict after one more result, and the transition it caused, if any. `v` is not changed. */
export function nextVerdict(v: Verdict, result: ProbeResult, policy: VerdictPolicy, now: number): { verdict: Verdict; transition?: Transition } {
  const okStreak = result.ok ? v.okStreak + 1 : 0;
  const failStreak = result.ok ? 0 : v.failStreak + 1;
  const last: LastResult = { ...result, at: now };
  const next: Verdict = { ...v, probes: v.probes + 1, okStreak, failStreak, last };
  delete next.reason;
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
