// The vocabulary of the health-check runtime: what is probed (a target), how (a check definition, the
// configuration's `health` section without the parts that only select targets) and what a probe says.
import type { Health, HealthType } from '../../config/model.js';
import type { ProbeCancel } from './probe-cancel.js';

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

