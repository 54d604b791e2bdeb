// The frame every prober runs in: one promise that settles exactly once, by the prober's verdict, by its
// timeout or by an abort, and that runs every registered cleanup (socket close) whichever comes first.
import { performance } from 'node:perf_hooks';
import type { ProbeOptions, ProbeResult } from '../types.js';
import { describeError } from './errors.js';

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

const round = (ms: number) => Math.round(ms * 10) / 10;

/** Runs `start` inside a bounded probe; `start` registers its sockets with `onSettle` as soon as it opens them. */
export function bounded(options: ProbeOptions, start: (run: ProbeRun) => void): Promise<ProbeResult> {
  const t0 = performance.now();
  return new Promise<ProbeResult>((resolve) => {
    const cleanups: Array<() => void> = [];
    let timer: NodeJS.Timeout | undefined;
    const onAbort = () => settle('cancelled');
    const run: ProbeRun = {
      ok: () => settle(undefined),
      fail: (error) => settle(error),
      failWith: (err) => settle(describeError(err)),
      onSettle: (cleanup) => {
        if (run.settled) runCleanup(cleanup);
        else cleanups.push(cleanup);
      },
      phase: 'connecting',
      settled: false,
    };
    function settle(error: string | undefined): void {
      if (run.settled) return;
      (run as { settled: boolean }).settled = true;
      if (timer !== undefined) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      for (const c of cleanups.splice(0)) runCleanup(c);
      const latencyMs = round(performance.now() - t0);
      resolve(error === undefined ? { ok: true, latencyMs } : { ok: false, latencyMs, error });
    }
    if (options.signal?.aborted) return settle('cancelled');
    options.signal?.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => settle(run.timeoutError ?? `timed out after ${options.timeoutMs} ms ${run.phase}`), options.timeoutMs);
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
