// What the daemon's main thread and its probe worker (probe-worker.ts, worker-scheduler.ts) say to each other.
// Plain data: it crosses the thread boundary by structured clone, and a batch's numbers by transfer.
//
// Results travel as columns of numbers, not as objects: at 10,000 probes a second, a batch of [key, verdict,
// transition] triples made the main thread deserialise 10,000 keys and 20,000 objects a second (~6 MB/s through
// V8's API, plus their unpacking), all of it garbage at once. That allocation rate alone kept V8 from ever
// shrinking the main heap (its memory reducer waits for a quiet mutator). Now a result is RESULT_FIELDS numbers
// in a transferred Float64Array, its target named by its index in the update it was probed under, its error
// words an index into the batch's few distinct strings; transitions, rare, come as objects.
import type { ScheduledTarget } from './scheduler.js';
import type { HealthState, Transition, Verdict } from './verdict.js';

export interface WorkerSetup {
  /** --lab: probe loopback only (lab.ts loopbackOnly), else every address. */
  lab: boolean;
}

/** Main → worker. `generation` counts updates, so that results of a target removed since are told apart. */
export type ToWorker = { type: 'update'; generation: number; targets: ScheduledTarget[] } | { type: 'stop' };

/**
 * Worker → main: `count` results, all recorded after update `generation` was applied (ResultPacker lays them
 * out); `stopped` at the end.
 */
export type FromWorker = { type: 'results'; generation: number; count: number; numbers: Float64Array; errors: string[]; transitions: Array<[result: number, transition: Transition]> } | { type: 'stopped' };

/** A result's numbers, in this order. */
const TARGET = 0;
const STATE = 1;
const SINCE = 2;
const TRANSITIONS = 3;
const PROBES = 4;
const OK_STREAK = 5;
const FAIL_STREAK = 6;
const OK = 7;
const LATENCY = 8;
const AT = 9;
/** Index into the batch's errors, or -1. */
const ERROR = 10;
export const RESULT_FIELDS = 11;

const STATES: readonly HealthState[] = ['unknown', 'up', 'down'];
const stateCode = (s: HealthState): number => (s === 'up' ? 1 : s === 'down' ? 2 : 0);

/** The worker's side: results laid out as they are recorded, taken as one message per batch. */
export class ResultPacker {
  private numbers: Float64Array;
  private count = 0;
  private errors: string[] = [];
  private errorIndex = new Map<string, number>();
  private transitions: Array<[number, Transition]> = [];

  constructor(private readonly initialResults = 256) {
    this.numbers = new Float64Array(initialResults * RESULT_FIELDS);
  }

  get size(): number {
    return this.count;
  }

  /** One recorded result: the target's index in its update and its verdict after the probe (which has a `last`). */
  add(target: number, verdict: Verdict): void {
    if ((this.count + 1) * RESULT_FIELDS > this.numbers.length) {
      const grown = new Float64Array(this.numbers.length * 2);
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const f = this.numbers;
    const o = this.count * RESULT_FIELDS;
    const last = verdict.last;
    f[o + TARGET] = target;
    f[o + STATE] = stateCode(verdict.state);
    f[o + SINCE] = verdict.since;
    f[o + TRANSITIONS] = verdict.transitions;
    f[o + PROBES] = verdict.probes;
    f[o + OK_STREAK] = verdict.okStreak;
    f[o + FAIL_STREAK] = verdict.failStreak;
    f[o + OK] = last?.ok ? 1 : 0;
    f[o + LATENCY] = last?.latencyMs ?? 0;
    f[o + AT] = last?.at ?? 0;
    let error = -1;
    if (last?.error !== undefined) {
      error = this.errorIndex.get(last.error) ?? -1;
      if (error === -1) {
        error = this.errors.push(last.error) - 1;
        this.errorIndex.set(last.error, error);
      }
    }
    f[o + ERROR] = error;
    this.count++;
  }

  /** The state change the last result added caused. */
  transitionOfLast(transition: Transition): void {
    if (this.count > 0) this.transitions.push([this.count - 1, transition]);
  }

  /** The batch as a message (its numbers' buffer to be transferred), and a new empty batch begun. */
  take(generation: number): Extract<FromWorker, { type: 'results' }> {
    const message = { type: 'results' as const, generation, count: this.count, numbers: this.numbers.slice(0, this.count * RESULT_FIELDS), errors: this.errors, transitions: this.transitions };
    this.count = 0;
    this.errors = [];
    this.errorIndex = new Map();
    this.transitions = [];
    return message;
  }
}

/** The index, in its update, of result `r`'s target. */
export function resultTarget(message: Extract<FromWorker, { type: 'results' }>, r: number): number {
  return message.numbers[r * RESULT_FIELDS + TARGET];
}

/**
 * Makes `kept` say what result `r` of the batch says, in place (main thread: a target keeps one verdict object,
 * verdict.ts copyVerdictInto says why). A verdict after a probe has no `reason`.
 */
export function readResultInto(kept: Verdict, message: Extract<FromWorker, { type: 'results' }>, r: number): void {
  const f = message.numbers;
  const o = r * RESULT_FIELDS;
  kept.state = STATES[f[o + STATE]] ?? 'unknown';
  kept.since = f[o + SINCE];
  kept.transitions = f[o + TRANSITIONS];
  kept.probes = f[o + PROBES];
  kept.okStreak = f[o + OK_STREAK];
  kept.failStreak = f[o + FAIL_STREAK];
  if (kept.reason !== undefined) kept.reason = undefined;
  const ok = f[o + OK] === 1;
  const latencyMs = f[o + LATENCY];
  const at = f[o + AT];
  const error = f[o + ERROR] >= 0 ? message.errors[f[o + ERROR]] : undefined;
  if (kept.last === undefined) kept.last = { ok, latencyMs, at, error };
  else {
    kept.last.ok = ok;
    kept.last.latencyMs = latencyMs;
    kept.last.at = at;
    kept.last.error = error;
  }
}
