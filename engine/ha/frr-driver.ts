// ha.source frr: vrrpd's state from `show vrrp json` (start-up and every poll) and, between polls, the protodown
// flag vrrpd flips on its VRRP macvlans (link events, ~1 ms after the transition).
import type { RtEvent } from '../../netlink/rtnetlink.js';
import { RTNLGRP_LINK } from '../../netlink/rtnetlink.js';
import { EventCounter, type Change, type DriverContext, type SourceDriver } from './driver.js';
import { frrLinkObservation, frrParentObservation, frrPollObservation, protodownKey } from './frr-observe.js';
import { LinkTable } from './links.js';
import { readFrrVrrp } from './vtysh.js';

export class FrrDriver implements SourceDriver {
  readonly groups = [RTNLGRP_LINK];
  private readonly links = new LinkTable();
  /** Last protodown key per instance: an event acts only when it changes. */
  private readonly keys = new Map<string, string | null>();
  private readonly events = new EventCounter();
  /**
   * The link table must be read whole: at start, after lost events, and at every poll while there is no event
   * socket. Otherwise events keep it current, and a dump taken beside them could be older than an event
   * already applied (it would turn a protodown flip back for a while).
   */
  private needsDump = true;

  constructor(private readonly ctx: DriverContext) {}

  resync(): void {
    this.needsDump = true;
  }

  async read(origin: 'start' | 'poll'): Promise<void> {
    const mark = this.events.mark();
    const dump = this.needsDump || !this.ctx.subscribed();
    this.needsDump = false;
    const [frr, links] = await Promise.all([
      readFrrVrrp(this.ctx.run, { vtysh: this.ctx.vtysh, pathspace: this.ctx.ha.frr_pathspace, timeoutMs: this.ctx.commandTimeoutMs }),
      dump
        ? this.ctx.kernel.dumpLinks().catch((e: Error) => {
            this.ctx.log('warn', `cannot read the links: ${e.message}`);
            this.needsDump = true;
            return null;
          })
        : null,
    ]);
    if (links) {
      this.links.replace(links);
      for (const inst of this.ctx.ha.instances) this.keys.set(inst.name, protodownKey(inst, this.links));
    }
    // Events that arrived while vtysh was answering go first; the instances they touched skip this answer.
    this.ctx.drainEvents();
    const changes: Change[] = [];
    for (const inst of this.ctx.ha.instances) {
      if (origin === 'poll' && this.events.changedSince(mark, inst.name)) continue;
      changes.push({ name: inst.name, obs: frr.ok ? frrPollObservation(inst, frr.routers, this.links) : { state: 'unknown', reason: frr.reason }, source: origin });
    }
    this.ctx.commit(changes);
  }

  onEvent(ev: RtEvent): void {
    if (ev.kind !== 'link') return;
    if (ev.action === 'del') this.links.delete(ev.link.ifindex);
    else this.links.set(ev.link);
    const changes: Change[] = [];
    for (const inst of this.ctx.ha.instances) {
      const key = protodownKey(inst, this.links);
      if (key !== this.keys.get(inst.name)) {
        this.keys.set(inst.name, key);
        const obs = key === null ? null : frrLinkObservation(inst, this.links);
        if (obs) {
          this.events.bump(inst.name);
          changes.push({ name: inst.name, obs, source: 'event' });
          continue;
        }
      }
      const cur = this.ctx.current(inst.name);
      if (ev.link.name === inst.interface && cur) {
        const obs = frrParentObservation(inst, cur, this.links);
        if (obs) {
          this.events.bump(inst.name);
          changes.push({ name: inst.name, obs, source: 'event' });
        }
      }
    }
    this.ctx.commit(changes);
  }
}
