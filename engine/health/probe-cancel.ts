// How the scheduler stops a probe it started (probes/bounded.ts listens), without an EventTarget.

/** What a probe in flight does when it is cancelled (probes/bounded.ts). */
export interface CancelListener {
  handleEvent(): void;
}

/**
 * Cancels the probe in flight of one target, as an AbortSignal would, without an EventTarget. The scheduler keeps
 * one per target for as long as none is cancelled; an AbortSignal kept that long made every probe add and remove
 * a listener in the signal's own maps, whose tables V8 then promoted to the old generation as garbage (~40 % of
 * the probe worker's promoted bytes at 10,000 probes a second). Here the probe in flight is one field.
 */
export class ProbeCancel {
  private listener: CancelListener | undefined;
  private done = false;

  get cancelled(): boolean {
    return this.done;
  }

  /** The probe now in flight listens (one at a time); told at once if already cancelled. */
  listen(listener: CancelListener): void {
    if (this.done) listener.handleEvent();
    else this.listener = listener;
  }

  /** The probe settled: it no longer listens. */
  unlisten(listener: CancelListener): void {
    if (this.listener === listener) this.listener = undefined;
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    const listener = this.listener;
    this.listener = undefined;
    listener?.handleEvent();
  }
}
