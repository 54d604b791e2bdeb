// The scheduler: runs one probe per target on its own timer, keeps each target's verdict and tells every
// result and every state change. Targets are independent: a slow or hung target delays no other, and one target
// never has two probes in flight. Clock, timers, randomness and the prober are injected (tests pass fakes; the
// daemon passes nothing and gets the real ones), and so is `probeAllowed`, the lab's guard.
import { EventEmitter } from 'node:events';
import type { ProbeEndpoint, ProbeOptions, ProbeResult, Prober, CheckDefinition } from './types.js';
import { ProbeCancel } from './probe-cancel.js';
import { copyVerdictInto, keptVerdict, nextVerdict, verdictSnapshot, type Transition, type Verdict } from './verdict.js';
import { probe as realProbe } from './probes/index.js';
import { describeError } from './probes/errors.js';
import { LAB_NOT_PROBED } from './lab.js';
import { SlotTimers, realTimers, type Timers } from './slot-timers.js';

export { realTimers, type Timers };

export const NO_PORT = 'no port to check: set health.port';

/** What the scheduler needs of a target (engine/health/targets.ts HealthTarget has it, and its users). */
export interface ScheduledTarget extends ProbeEndpoint {
  key: string;
  check: CheckDefinition;
}

/** Why a target is never probed (no port, or the lab's guard refuses its address); undefined: it is probed. */
export function notProbedReason(target: ProbeEndpoint, probeAllowed: (address: string) => boolean): string | undefined {
  if (target.port === 0) return NO_PORT;
  return probeAllowed(target.address) ? undefined : LAB_NOT_PROBED;
}

/** Runs an emit: a listener that throws must not break the caller's bookkeeping; its error surfaces afterwards. */
export function tellSafely(emit: () => void): void {
  try {
    emit();
  } catch (err) {
    throwLater(err);
  }
}

/** A listener's exception, thrown at the next microtask: it surfaces, and the caller's loop goes on. */
export function throwLater(err: unknown): void {
  queueMicrotask(() => {
    throw err;
  });
}

export interface SchedulerOptions {
  /** Default: the real probers (engine/health/probes). */
  probe?: Prober;
  /** Default: the real clock and timers. */
  timers?: Timers;
  /** In [0, 1); spreads the first probe of each target over its interval. Default Math.random. */
  random?: () => number;
  /** False = the address is never probed and its target stays unknown ("lab: not probed"). Default: all. */
  probeAllowed?: (address: string) => boolean;
  /** How long past timeout_ms the scheduler waits for a prober before it records a timeout itself. Default 50. */
  deadlineGraceMs?: number;
  /** Passed to every probe (e.g. `ca` for https). */
  probeOptions?: Omit<ProbeOptions, 'timeoutMs' | 'signal' | 'cancel'>;
}

export interface HealthEvents {
  /** A state change: unknown → up, up → down, down → up, unknown → down. */
  verdict: [key: string, verdict: Verdict, transition: Transition];
  /** Every recorded probe result, with the verdict after it. */
  result: [key: string, result: ProbeResult, verdict: Verdict];
}

export interface TargetStatus {
  target: ScheduledTarget;
  verdict: Verdict;
  inFlight: boolean;
}

interface Entry {
  target: ScheduledTarget;
  /** Kept for the target's life and changed in place (verdict.ts copyVerdictInto): handed out as snapshots. */
  verdict: Verdict;
  removed: boolean;
  /** Timer of the next probe start. */
  timer?: unknown;
  /** Starts this entry's next probe: made once, not a closure per probe that would live the whole interval. */
  startNext?: () => void;
  /** The scheduler's own deadline for the probe in flight. */
  deadline?: unknown;
  /** Kept from probe to probe (one per target, not one per probe); replaced only after it cancelled. */
  cancel?: ProbeCancel;
  inFlight?: Promise<void>;
  /** Probe starts so far; a round's result is recorded once (by the prober or by the deadline). */
  round: number;
  recorded: number;
}

export class HealthScheduler extends EventEmitter<HealthEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly probe: Prober;
  private readonly timers: SlotTimers;
  private readonly random: () => number;
  private readonly probeAllowed: (address: string) => boolean;
  private readonly graceMs: number;
  private readonly probeOptions: Omit<ProbeOptions, 'timeoutMs' | 'signal' | 'cancel'>;
  private stopped = false;

  constructor(options: SchedulerOptions = {}) {
    super();
    this.probe = options.probe ?? realProbe;
    // Next-probe and deadline timers share one Node timer per millisecond (slot-timers.ts).
    this.timers = new SlotTimers(options.timers ?? realTimers);
    this.random = options.random ?? Math.random;
    this.probeAllowed = options.probeAllowed ?? (() => true);
    this.graceMs = options.deadlineGraceMs ?? 50;
    this.probeOptions = options.probeOptions ?? {};
  }

  /**
   * Makes the probed set `targets`: new keys start unknown, their first probe at a random point of their
   * interval; keys that are gone stop (a probe in flight is aborted); keys that stay keep their state, streaks
   * and timing, so a reload that leaves a check alone never flaps it.
   */
  update(targets: readonly ScheduledTarget[]): void {
    if (this.stopped) throw new Error('the health scheduler is stopped');
    const wanted = new Map(targets.map((t) => [t.key, t]));
    for (const [key, entry] of this.entries) if (!wanted.has(key)) this.remove(entry);
    for (const target of wanted.values()) {
      const kept = this.entries.get(target.key);
      if (kept !== undefined) {
        kept.target = target;
        continue;
      }
      const now = this.timers.now();
      const reason = notProbedReason(target, this.probeAllowed);
      const entry: Entry = { target, verdict: keptVerdict(now, reason), removed: false, round: 0, recorded: 0 };
      this.entries.set(target.key, entry);
      if (reason === undefined) this.schedule(entry, Math.floor(this.random() * target.check.interval_ms));
    }
  }

  /** Stops every target; resolves when every probe in flight has settled (its sockets closed). */
  async stop(): Promise<void> {
    this.stopped = true;
    const flying = [...this.entries.values()].map((e) => e.inFlight).filter((p): p is Promise<void> => p !== undefined);
    for (const entry of [...this.entries.values()]) this.remove(entry);
    await Promise.all(flying);
  }

  verdict(key: string): Verdict | undefined {
    const entry = this.entries.get(key);
    return entry && verdictSnapshot(entry.verdict);
  }

  /** Every target with its verdict, in the order they were added. */
  status(): TargetStatus[] {
    return [...this.entries.values()].map((e) => ({ target: e.target, verdict: verdictSnapshot(e.verdict), inFlight: e.inFlight !== undefined }));
  }

  /** Probes in flight now (never more than one per target). */
  get inFlight(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.inFlight !== undefined) n++;
    return n;
  }

  private schedule(entry: Entry, delayMs: number): void {
    entry.startNext ??= () => this.start(entry);
    entry.timer = this.timers.setTimeout(entry.startNext, delayMs);
  }

  private start(entry: Entry): void {
    entry.timer = undefined;
    if (entry.removed || entry.inFlight !== undefined) return;
    const { target } = entry;
    const { timeout_ms: timeoutMs, interval_ms: intervalMs } = target.check;
    const round = ++entry.round;
    const startedAt = this.timers.now();
    if (entry.cancel === undefined || entry.cancel.cancelled) entry.cancel = new ProbeCancel();
    const cancel = entry.cancel;
    // The probers settle by timeout_ms themselves; this deadline is for one that does not (a bug): its round is
    // recorded as a timeout at once, and the next probe still waits until it settles (never two in flight).
    entry.deadline = this.timers.setTimeout(() => {
      entry.deadline = undefined;
      this.record(entry, round, { ok: false, latencyMs: timeoutMs, error: `timed out after ${timeoutMs} ms` });
      cancel.cancel();
    }, timeoutMs + this.graceMs);
    let pending: Promise<ProbeResult>;
    try {
      pending = this.probe({ address: target.address, port: target.port }, target.check, { ...this.probeOptions, timeoutMs, cancel });
    } catch (err) {
      pending = Promise.resolve({ ok: false, latencyMs: 0, error: describeError(err) });
    }
    const settled = (result: ProbeResult): void => {
      entry.inFlight = undefined;
      if (entry.deadline !== undefined) this.timers.clearTimeout(entry.deadline);
      entry.deadline = undefined;
      if (entry.removed) return;
      this.schedule(entry, Math.max(0, startedAt + intervalMs - this.timers.now()));
      this.record(entry, round, result);
    };
    entry.inFlight = pending.then(settled, (err: unknown) => settled({ ok: false, latencyMs: 0, error: describeError(err) }));
  }

  private record(entry: Entry, round: number, result: ProbeResult): void {
    if (entry.removed || entry.recorded >= round) return;
    entry.recorded = round;
    const check = entry.target.check;
    const { verdict, transition } = nextVerdict(entry.verdict, result, check, this.timers.now());
    copyVerdictInto(entry.verdict, verdict); // the listeners get `verdict` itself: nobody else changes it
    tellSafely(() => this.emit('result', entry.target.key, result, verdict));
    if (transition !== undefined) tellSafely(() => this.emit('verdict', entry.target.key, verdict, transition));
  }

  private remove(entry: Entry): void {
    entry.removed = true;
    if (entry.timer !== undefined) this.timers.clearTimeout(entry.timer);
    if (entry.deadline !== undefined) this.timers.clearTimeout(entry.deadline);
    entry.timer = entry.deadline = undefined;
    entry.cancel?.cancel();
    this.entries.delete(entry.target.key);
  }
}
