// Exponential backoff with jitter for a kernel that keeps refusing: the reconcile loop waits longer after each
// consecutive failure (base·2^n, capped), randomised so that several nodes, or several retries, do not fall into
// step. "Equal jitter": half the delay is fixed, half random, so a retry never comes back almost at once.

export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  /** Injectable for tests; returns [0, 1). */
  random?: () => number;
}

export class Backoff {
  private failures = 0;
  readonly baseMs: number;
  readonly maxMs: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.baseMs = opts.baseMs ?? 200;
    this.maxMs = opts.maxMs ?? 30_000;
    this.random = opts.random ?? Math.random;
  }

  /** Consecutive failures so far. */
  get attempts(): number {
    return this.failures;
  }

  /** Record a failure; returns how long to wait before the next attempt. */
  fail(): number {
    const ceiling = Math.min(this.maxMs, this.baseMs * 2 ** Math.min(this.failures, 30));
    this.failures++;
    const half = ceiling / 2;
    return Math.round(half + this.random() * half);
  }

  succeed(): void {
    this.failures = 0;
  }
}
