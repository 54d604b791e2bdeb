// Timers for the scheduler's unit tests: time moves only when the test says so, and every promise chain the
// fired timers start has run before advance() returns.
import { setImmediate as tick } from 'node:timers/promises';
import type { Timers } from '../../../engine/health/scheduler.js';

interface Pending {
  id: number;
  at: number;
  fn: () => void;
}

export class FakeTimers implements Timers {
  private t = 0;
  private seq = 0;
  private pending: Pending[] = [];

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.push({ id, at: this.t + Math.max(0, ms), fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending = this.pending.filter((p) => p.id !== handle);
  }

  /** Timers still set. */
  get size(): number {
    return this.pending.length;
  }

  /** Moves time forward by `ms`, firing due timers in order (ties in the order they were set). */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (;;) {
      const due = this.pending.filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (due === undefined) break;
      this.pending = this.pending.filter((p) => p !== due);
      this.t = due.at;
      due.fn();
      await settle();
    }
    this.t = end;
  }
}

/** Lets every queued promise callback run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await tick();
}
