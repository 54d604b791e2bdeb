// The HA watcher's vocabulary: what it knows of each VRRP instance, and what everyone else (the engine's role
// input, `show vrrp`, the shell's `{master}` line, the metrics, the audit trail) reads from it. Plain data: it
// crosses the daemon's socket.
import type { HaProgramMode, HaSource } from '../../config/model.js';

/** One instance's VRRP state on this node. `unknown`: vrrpd/keepalived not answering, not reported yet, a timeout. */
export type VrrpState = 'master' | 'backup' | 'unknown';

/** What told the watcher: a kernel event (link/address), a poll (vtysh JSON, address list), the start-up read, or `ha.source: none`. */
export type VrrpStateSource = 'event' | 'poll' | 'start' | 'static';

export interface VrrpInstanceState {
  /** The configuration's `ha.instances[].name`. */
  name: string;
  vrid: number;
  /** The parent interface (`ha.instances[].interface`). */
  interface: string;
  family: 'inet' | 'inet6';
  state: VrrpState;
  /** ISO-8601 time the state was entered. */
  since: string;
  source: VrrpStateSource;
  /** The instance's VIPs (configuration), for display and for programming by role. */
  vips: string[];
  /** Effective priority, when the source tells it (FRR `effectivePriority`). */
  priority?: number;
  /** Why the state is what it is, when that is not obvious (`vrrpd is not running`, `parent eth0 is down`, …). */
  reason?: string;
  /** This node programs the instance's services now (program: always, or master-only and Master). */
  programs: boolean;
  /**
   * Set with state `master` when this node's Master claim is not real: vrrpd says Master but the parent link is
   * down, so the peer has become Master too (docs/ha.md, trap 1). The summary is then `master,split-brain`.
   */
  splitBrain?: boolean;
}

/** The whole picture, for `show vrrp`, the prompt line and the metrics. */
export interface HaSnapshot {
  source: HaSource;
  program: HaProgramMode;
  instances: VrrpInstanceState[];
  /**
   * One word for the shell's line above the prompt (Junos style): `master`, `backup`, `master,split-brain`
   * (this node and the peer both claim Master, e.g. after the parent link went down), `unknown`, or `none`
   * (ha.source none: no line is shown).
   */
  summary: 'master' | 'backup' | 'master,split-brain' | 'unknown' | 'none';
}

/** One transition, for the log and the audit trail. */
export interface VrrpTransition {
  instance: string;
  from: VrrpState;
  to: VrrpState;
  at: string;
  source: VrrpStateSource;
  reason?: string;
  /** The event and the poll disagreed; the poll won. */
  disagreement?: boolean;
  /** The split-brain mark changed (set or cleared); `from` and `to` may then both be `master`. */
  splitBrain?: boolean;
}

/**
 * What the daemon (or an in-process shell) holds: engine/ha/watcher.ts implements it for frr, keepalived and none.
 * `update` follows a commit (instances or the source changed); `onChange` (given at construction) is called after
 * every transition with the new snapshot, and is what reaches the engine's role input, the log and the audit.
 */
export interface HaWatcherLike {
  start(): Promise<void>;
  stop(): Promise<void>;
  snapshot(): HaSnapshot;
  update(ha: import('../../config/model.js').Ha): Promise<void>;
}

export type HaChange = (snapshot: HaSnapshot, transitions: VrrpTransition[]) => void;
