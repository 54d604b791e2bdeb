// What the daemon's main thread and its probe worker (probe-worker.ts, worker-scheduler.ts) say to each other.
// Plain data only: it crosses the thread boundary by structured clone.
import type { ScheduledTarget } from './scheduler.js';
import type { Transition, Verdict } from './verdict.js';

export interface WorkerSetup {
  /** --lab: probe loopback only (lab.ts loopbackOnly), else every address. */
  lab: boolean;
}

/** Main → worker. `generation` counts updates, so that results of a target removed since are told apart. */
export type ToWorker = { type: 'update'; generation: number; targets: ScheduledTarget[] } | { type: 'stop' };

/** One recorded probe: the target's verdict after it, and the state change it caused, if any. */
export type Recorded = [key: string, verdict: Verdict, transition: Transition | undefined];

/** Worker → main: a batch of results, all recorded after update `generation` was applied; `stopped` at the end. */
export type FromWorker = { type: 'results'; generation: number; results: Recorded[] } | { type: 'stopped' };
