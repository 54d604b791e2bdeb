// The frame every prober runs in: one promise that settles exactly once, by the prober's verdict, by its
// timeout or by an abort, and that runs every registered cleanup (socket close) whichever comes first.
// One object per probe and no closure of its own beyond the promise's: at 10,000 probes a second the frame is
// on the hot path. Timeouts share one Node timer per millisecond (slot-timers.ts) instead of one each.
import { performance } from 'node:perf_hooks';
import type { ProbeOptions, ProbeResult } from '../types.js';
import { describeError } from './errors.js';
import { SlotTimers } from '../slot-timers.js';

export interface ProbeRun {
  /** The probe succeeded. */
  ok(): void;
  /** The probe failed, for this reason in words. */
  fail(error: string): void;
  /** Fails with the words of a Node error (errno, TLS and HTTP parser codes). */
  failWith(err: unknown): void;
  /** Runs when the probe settles, whatever way: close sockets here. */
  onSettle(cleanup: () => void): void;
  /** What the probe was doing, for the timeout's words: "connecting", "waiting for the reply", … */
  phase: string;
  /** When set, what a timeout says instead of "timed out after N ms PHASE" (e.g. only wrong replies came). */
  timeoutError?: string;
  readonly settled: boolean;
}

/** Every probe's timeout, batched by the millisecond it is due. */
const probeTimers = new SlotTimers();

const round = (ms: number) => Math.round(ms * 10) / 10;

class BoundedRun implements ProbeRun {
  phase = 'connecting';
  timeoutError?: string;
  settled = false;
  private readonly t0 = performance.now();
  /** Most probes register one cleanup: kept without an array until a second comes. */
  private cleanup?: () => void;
  private more?: Array<() => void>;
  private timer: unknown;

  constructor(
    private readonly options: ProbeOptions,
    private readonly resolve: (result: ProbeResult) => void,
  ) {}

  ok(): void {
    this.settle(undefined);
  }

  fail(error: string): void {
    this.settle(error);
  }

  failWith(err: unknown): void {
    this.settle(describeError(err));
  }

  onSettle(cleanup: () => void): void {
    if (this.settled) runCleanup(cleanup);
    else if (this.cleanup === undefined) this.cleanup = cleanup;
    else (this.more ??= []).push(cleanup);
  }

  /** The abort listener: an object with handleEvent needs no bound function per probe. */
  handleEvent(): void {
    this.settle('cancelled');
  }

  arm(): void {
    this.timer = probeTimers.setTimeout(() => this.settle(this.timeoutError ?? `timed out after ${this.options.timeoutMs} ms ${this.phase}`), this.options.timeoutMs);
    this.options.signal?.addEventListener('abort', this);
    this.options.cancel?.listen(this);
  }

  private settle(error: string | undefined): void {
    if (this.settled) return;
    this.settled = true;
    if (this.timer !== undefined) probeTimers.clearTimeout(this.timer);
    this.options.signal?.removeEventListener('abort', this);
    this.options.cancel?.unlisten(this);
    const { cleanup, more } = this;
    this.cleanup = this.more = undefined;
    if (cleanup !== undefined) runCleanup(cleanup);
    if (more !== undefined) for (const c of more) runCleanup(c);
    const latencyMs = round(performance.now() - this.t0);
    this.resolve(error === undefined ? { ok: true, latencyMs } : { ok: false, latencyMs, error });
  }
}

/** Runs `start` inside a bounded probe; `start` registers its sockets with `onSettle` as soon as it opens them. */
export function bounded(options: ProbeOptions, start: (run: ProbeRun) => void): Promise<ProbeResult> {
  return new Promise<ProbeResult>((resolve) => {
    const run = new BoundedRun(options, resolve);
    if (options.signal?.aborted || options.cancel?.cancelled) return run.handleEvent();
    run.arm();
    try {
      start(run);
    } catch (err) {
      run.failWith(err);
    }
  });
}

function runCleanup(cleanup: () => void): void {
  try {
    cleanup();
  } catch {
    /* a socket that cannot be closed twice is closed */
  }
}
