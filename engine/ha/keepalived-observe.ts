// What keepalived's signal says about one configured instance: keepalived adds the VIPs to the instance's
// interface as Master and removes them as Backup (docs/ha.md). Pure.
import type { VrrpInstance } from '../../config/model.js';
import { canonicalAddr, familyOf } from '../../netlink/addr.js';
import type { AddrInfo } from '../../netlink/rtnetlink.js';
import type { Observation } from './state.js';

/** An address in one spelling, so a configured VIP and the kernel's text compare equal. */
export function canonicalVip(addr: string): string {
  const af = familyOf(addr);
  return af === null ? addr : canonicalAddr(af, addr);
}

/** The instance's VIPs present on its interface, from a dump (`ifname` filled). */
export function presentVips(inst: VrrpInstance, addrs: readonly AddrInfo[]): Set<string> {
  const wanted = new Set(inst.vips.map(canonicalVip));
  const out = new Set<string>();
  for (const a of addrs) if (a.ifname === inst.interface && wanted.has(a.address)) out.add(a.address);
  return out;
}

/** Does this address event concern the instance (one of its VIPs, on its interface)? */
export function isInstanceVip(inst: VrrpInstance, addr: AddrInfo): boolean {
  return addr.ifname === inst.interface && inst.vips.some((v) => canonicalVip(v) === addr.address);
}

export function vipObservation(inst: VrrpInstance, present: ReadonlySet<string>): Observation {
  if (inst.vips.length === 0)
    return { state: 'unknown', reason: 'no vips configured: keepalived state is read from the VIPs on the interface' };
  if (present.size === 0) return { state: 'backup' };
  // keepalived adds an instance's VIPs back to back; a part of them is a Master mid-way (or an operator's edit).
  if (present.size < inst.vips.length)
    return { state: 'master', reason: `only ${present.size} of ${inst.vips.length} VIPs on ${inst.interface}` };
  return { state: 'master' };
}
