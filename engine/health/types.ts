// The vocabulary of the health-check runtime: what is probed (a target), how (a check definition, the
// configuration's `health` section without the parts that only select targets) and what a probe says.
import type { Health, HealthType } from '../../config/model.js';

/** A check that probes: every type but `none`. */
export type ProbeType = Exclude<HealthType, 'none'>;

/** How one target is checked: the service's `health` without `enabled` and `port` (they select targets). */
export type CheckDefinition = Omit<Health, 'enabled' | 'port' | 'type'> & { type: ProbeType };

/** Where a probe goes: the backend's own address and the port to check (never a name, never a DNS lookup). */
export interface ProbeEndpoint {
  address: string;
  port: number;
}

/** What one probe found. `error` is in plain words ("connection refused", "status 503, expected 200"). */
export interface ProbeResult {
  ok: boolean;
  /** Wall time from the probe's start to its verdict, in milliseconds (0.1 ms resolution). */
  latencyMs: number;
  error?: string;
}

export interface ProbeOptions {
  /** The probe settles (with a failure) at this many milliseconds, whatever the peer does. */
  timeoutMs: number;
  /** Aborting settles the probe at once as a failure ("cancelled") and closes its sockets. */
  signal?: AbortSignal;
  /** The same as `signal`, for a caller that starts a probe per target every interval (the scheduler). */
  cancel?: ProbeCancel;
  /** https: certificate authorities to trust instead of Node's bundled ones (PEM). */
  ca?: string | Buffer | Array<string | Buffer>;
}

/** A probe: settles within `timeoutMs`, never rejects, and leaves no socket open behind it. */
export type Prober = (endpoint: ProbeEndpoint, check: CheckDefinition, options: ProbeOptions) => Promise<ProbeResult>;

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
