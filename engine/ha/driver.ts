// What the watcher gives a source driver, and what a driver is. A driver (frr, keepalived, none) knows how to
// read the truth (start-up and poll) and how to read a kernel event; the watcher owns the timer, the event
// socket, the state table and onChange.
import type { Ha } from '../../config/model.js';
import type { AddrInfo, LinkInfo, RtEvent, Subscription } from '../../netlink/rtnetlink.js';
import type { Observation } from './state.js';
import type { VrrpInstanceState, VrrpStateSource } from './types.js';
import type { CommandRunner } from './vtysh.js';

/** The kernel as the watcher uses it (rtnetlink in this network namespace); injected by unit tests. */
export interface HaKernel {
  subscribe(groups: number[]): Promise<Subscription>;
  dumpLinks(): Promise<LinkInfo[]>;
  dumpAddrs(): Promise<AddrInfo[]>;
}

export type HaLog = (level: 'info' | 'warn', message: string, fields?: Record<string, unknown>) => void;

export interface Change {
  name: string;
  obs: Observation;
  source: VrrpStateSource;
}

export interface DriverContext {
  readonly ha: Ha;
  readonly kernel: HaKernel;
  readonly run: CommandRunner;
  readonly vtysh: string;
  readonly commandTimeoutMs: number;
  readonly log: HaLog;
  current(name: string): VrrpInstanceState | undefined;
  /** Apply observations together: one onChange for all the transitions they make. */
  commit(changes: Change[]): void;
  /** Is an event socket open (else the driver must read everything itself at each poll)? */
  subscribed(): boolean;
  /**
   * Hand the driver (onEvent) every event already in the socket, now. A poll does this before it judges, so
   * an event the kernel delivered while vtysh was answering counts as the event it is, not as a disagreement.
   */
  drainEvents(): void;
}

export interface SourceDriver {
  /** rtnetlink groups to subscribe to (none: no events). */
  readonly groups: number[];
  /** Read the truth and commit it, as `start` or `poll`. */
  read(origin: 'start' | 'poll'): Promise<void>;
  onEvent(ev: RtEvent): void;
  /** Events were lost (socket overrun, or re-subscribed): the next read must re-read what events kept. */
  resync(): void;
}

/**
 * Counts events per instance, so that a poll answer that was asked for before an event arrived does not
 * overrule that event: the event is newer news than the poll (vtysh takes 25–45 ms to answer).
 */
export class EventCounter {
  private readonly counts = new Map<string, number>();
  bump(name: string): void {
    this.counts.set(name, (this.counts.get(name) ?? 0) + 1);
  }
  mark(): Map<string, number> {
    return new Map(this.counts);
  }
  changedSince(mark: Map<string, number>, name: string): boolean {
    return (this.counts.get(name) ?? 0) !== (mark.get(name) ?? 0);
  }
}
