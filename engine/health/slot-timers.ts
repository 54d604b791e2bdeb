// Timers batched by the millisecond they are due: every callback due at the same millisecond shares one
// underlying timer. At 10,000 targets a second, the scheduler's next-probe and deadline timers and each probe's
// timeout would be 30,000 Node Timeout objects a second; batched, at most one per millisecond (1,000 a second)
// and a small handle each. Cancelling marks the handle (O(1)); the slot's timer still fires and skips it.
// Pure bookkeeping over an injected clock and timer (tests pass fake ones).

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/** One batched timer: cleared by flag, so cancelling never searches its slot. */
interface SlotHandle {
  fn: (() => void) | undefined;
  /** The millisecond it is due: its slot's key. */
  at: number;
}

interface Slot {
  handles: SlotHandle[];
  /** Handles not cleared yet; at 0 the underlying timer is cleared too. */
  live: number;
  timer: unknown;
}

export class SlotTimers implements Timers {
  private readonly slots = new Map<number, Slot>();

  constructor(private readonly base: Timers = realTimers) {}

  now(): number {
    return this.base.now();
  }

  /** Runs `fn` once `ms` have passed (whole milliseconds of the base clock), with the others due then. */
  setTimeout(fn: () => void, ms: number): unknown {
    const delay = Math.max(0, Math.ceil(ms));
    const at = this.base.now() + delay;
    const handle: SlotHandle = { fn, at };
    let slot = this.slots.get(at);
    if (slot === undefined) {
      slot = { handles: [], live: 0, timer: undefined };
      this.slots.set(at, slot);
      slot.timer = this.base.setTimeout(() => this.fire(at), delay);
    }
    slot.handles.push(handle);
    slot.live++;
    return handle;
  }

  clearTimeout(handle: unknown): void {
    const h = handle as SlotHandle | undefined;
    if (h === undefined || h.fn === undefined) return;
    h.fn = undefined;
    const slot = this.slots.get(h.at);
    if (slot === undefined || --slot.live > 0) return;
    this.base.clearTimeout(slot.timer);
    this.slots.delete(h.at);
  }

  /** Underlying timers set now (one per millisecond that has a live callback). */
  get size(): number {
    return this.slots.size;
  }

  /**
   * Runs the slot's callbacks in the order they were set. The slot is taken out first: a callback that sets a
   * timer for now gets a new slot (a later turn), never a place in the loop that is running.
   */
  private fire(at: number): void {
    const slot = this.slots.get(at);
    if (slot === undefined) return;
    this.slots.delete(at);
    let error: unknown;
    let failed = false;
    for (const h of slot.handles) {
      const fn = h.fn;
      if (fn === undefined) continue;
      h.fn = undefined;
      try {
        fn();
      } catch (err) {
        // One throwing callback must not cancel the others due at the same time; its error surfaces after.
        if (!failed) [failed, error] = [true, err];
      }
    }
    if (failed) throw error;
  }
}
