// The links of this namespace as the HA watcher needs them: by ifindex, kept current from a dump and from link
// events. Pure (fed by the watcher). It answers two questions: is an instance's parent link really up (trap 1:
// FRR keeps saying Master on a node whose parent link is down), and which macvlan is an instance's VRRP
// macvlan (the VRRP MAC, on that parent).
import { IFF_RUNNING, IFF_UP, type LinkInfo } from '../../netlink/rtnetlink.js';
import { vrrpMac, type HaFamily } from './vmac.js';

export class LinkTable {
  private readonly byIndex = new Map<number, LinkInfo>();

  /** Replace everything with a fresh dump (a poll, or after the kernel dropped events). */
  replace(links: readonly LinkInfo[]): void {
    this.byIndex.clear();
    for (const l of links) this.byIndex.set(l.ifindex, l);
  }

  set(link: LinkInfo): void {
    this.byIndex.set(link.ifindex, link);
  }

  delete(ifindex: number): void {
    this.byIndex.delete(ifindex);
  }

  byName(name: string): LinkInfo | undefined {
    for (const l of this.byIndex.values()) if (l.name === name) return l;
    return undefined;
  }

  /**
   * Why `name` cannot carry traffic, or null when it can. IFF_RUNNING is the kernel's "operationally up" (it is
   * set for oper state up or unknown), so a veth whose peer is gone or a NIC without carrier counts as down.
   */
  parentDown(name: string): string | null {
    const l = this.byName(name);
    if (!l) return `parent ${name} does not exist`;
    if (!(l.flags & IFF_UP)) return `parent ${name} is administratively down`;
    if (!(l.flags & IFF_RUNNING)) return `parent ${name} is down (${l.operState})`;
    return null;
  }

  /** The VRRP macvlan of (parent, family, VRID): the link with the VRRP MAC whose lower link is the parent. */
  vrrpMacvlan(parent: string, family: HaFamily, vrid: number): LinkInfo | undefined {
    const p = this.byName(parent);
    if (!p) return undefined;
    const mac = vrrpMac(family, vrid);
    for (const l of this.byIndex.values()) if (l.mac === mac && l.parent === p.ifindex) return l;
    return undefined;
  }

  /** Is `link` the VRRP macvlan of (parent, family, VRID)? (For one event, without a table scan.) */
  isVrrpMacvlan(link: LinkInfo, parent: string, family: HaFamily, vrid: number): boolean {
    return link.mac === vrrpMac(family, vrid) && link.parent !== undefined && this.byIndex.get(link.parent)?.name === parent;
  }
}
