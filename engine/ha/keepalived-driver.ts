// ha.source keepalived: keepalived adds the VIPs as Master and removes them as Backup. Address events
// (RTM_NEWADDR/RTM_DELADDR) give the change in about a millisecond; an in-process address dump at start and at
// every poll is the truth they are checked against.
import type { RtEvent } from '../../netlink/rtnetlink.js';
import { RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR, RTNLGRP_LINK } from '../../netlink/rtnetlink.js';
import { EventCounter, type Change, type DriverContext, type SourceDriver } from './driver.js';
import { isInstanceVip, presentVips, vipObservation } from './keepalived-observe.js';

export class KeepalivedDriver implements SourceDriver {
  // Link events keep the subscription's ifindex → name map current (an interface renamed or re-created).
  readonly groups = [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR];
  private readonly present = new Map<string, Set<string>>();
  private readonly events = new EventCounter();

  constructor(private readonly ctx: DriverContext) {}

  /** Nothing to do: every read is a full address dump. */
  resync(): void {}

  async read(origin: 'start' | 'poll'): Promise<void> {
    const mark = this.events.mark();
    let failed: string | null = null;
    const addrs = await this.ctx.kernel.dumpAddrs().catch((e: Error) => {
      failed = `cannot read the addresses: ${e.message}`;
      return [];
    });
    // Events delivered meanwhile go first; the instances they touched keep what the events said (newer news).
    this.ctx.drainEvents();
    const changes: Change[] = [];
    for (const inst of this.ctx.ha.instances) {
      if (origin === 'poll' && this.events.changedSince(mark, inst.name)) continue;
      if (failed) {
        changes.push({ name: inst.name, obs: { state: 'unknown', reason: failed }, source: origin });
        continue;
      }
      const present = presentVips(inst, addrs);
      this.present.set(inst.name, present);
      changes.push({ name: inst.name, obs: vipObservation(inst, present), source: origin });
    }
    this.ctx.commit(changes);
  }

  onEvent(ev: RtEvent): void {
    if (ev.kind !== 'addr') return;
    const changes: Change[] = [];
    for (const inst of this.ctx.ha.instances) {
      if (!isInstanceVip(inst, ev.addr)) continue;
      const present = this.present.get(inst.name) ?? new Set<string>();
      if (ev.action === 'add') present.add(ev.addr.address);
      else present.delete(ev.addr.address);
      this.present.set(inst.name, present);
      this.events.bump(inst.name);
      changes.push({ name: inst.name, obs: vipObservation(inst, present), source: 'event' });
    }
    this.ctx.commit(changes);
  }
}
