// What `show health` gets from the daemon (the `health` request) and what a hand-set verdict (`setHealth`, lab
// only) asks and answers: plain data, the same over the socket and in tests.

export type HealthRowState = 'up' | 'down' | 'unknown';

/** One backend of one service. */
export interface HealthRow {
  service: string;
  /** `127.0.0.1:8080`, or the address alone for a port-0 backend (the service's port). */
  backend: string;
  /** The backend's address (canonical) and configured port (0 = the service's port), to match IPVS rows. */
  address: string;
  port: number;
  /** The configured weight. */
  weight: number;
  /** `tcp :8080`, `http GET /health :80`, `none`. */
  check: string;
  state: HealthRowState;
  /** `lab: not probed`, `set by hand`, `slow start 50 %`, `inhibited`, `removed`, `no check: always up`. */
  detail?: string;
  /** ISO time the backend entered its state (null: no check). */
  since: string | null;
  /** `ok`, the last failure in words, or null before the first probe. */
  last: string | null;
  latencyMs: number | null;
  transitions: number;
  probes: number;
}

export interface HealthServiceSummary {
  service: string;
  backends: number;
  healthy: number;
  quorum: number;
  /** The sorry backend as configured, and whether it is programmed now (fewer than quorum healthy). */
  sorry?: string;
  sorryActive?: boolean;
}

export interface HealthReport {
  lab: boolean;
  generatedAt: string;
  rows: HealthRow[];
  services: HealthServiceSummary[];
}

/** `request backend ADDRESS [port N] [service NAME] health up|down|auto` (lab only). */
export interface ManualHealthRequest {
  address: string;
  port?: number;
  service?: string;
  state: 'up' | 'down' | 'auto';
}

export interface ManualHealthResult {
  /** backendRef()s the request applied to. */
  backends: string[];
  /** How many of them changed state. */
  changed: number;
  state: 'up' | 'down' | 'auto';
  /** Backends at that address whose service has no check (always up): left alone. */
  unchecked?: string[];
}
