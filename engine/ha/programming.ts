// Programming by role: which configuration services this node puts in IPVS, given each VRRP instance's state.
// Pure: compile() asks it per service, the engine asks it which services a transition concerns.
//
// The rules (docs/ha-programming.md):
//   - `program: always` (or `source: none`): every service is programmed on both nodes.
//   - `program: master-only`: a service whose VIP some instance holds (`ha.instances[].vips`) is programmed while
//     at least one of those instances is Master here. All of them Backup: not programmed (lbctl removes only its
//     own services). None Master but one unknown: the service is HELD: kept exactly as present or absent in the
//     kernel, because removing it could cut the traffic of a node that is in fact Master, and adding it could make
//     two nodes answer for one VIP; the operator is told loudly instead.
//   - A service whose VIP no instance holds (a fwmark service, a VIP outside VRRP) is always programmed: VRRP does
//     not move its traffic, so there is nothing for this node to wait for.
import type { Config, Ha, Service } from '../../config/model.js';
import { canonical, familyOfCached as familyOf } from '../identity.js';
import type { VrrpState } from './types.js';

/** Instance name → its state on this node. An instance missing from the map is unknown. */
export type VrrpStates = ReadonlyMap<string, VrrpState>;

export type HaDecision =
  | { kind: 'program' }
  | { kind: 'suppress'; reason: string }
  /** Keep as it is in the kernel: programmed (and kept up to date) if present, left absent if absent. */
  | { kind: 'hold'; reason: string };

const PROGRAM: HaDecision = { kind: 'program' };

/** The canonical spelling of an address, or null when it is not one. */
function canon(addr: string): string | null {
  const af = familyOf(addr);
  return af === null ? null : canonical(af, addr);
}

/** The VIP a service answers on (its own or the top-level one), canonical; null for fwmark services. */
export function serviceVip(config: Config, svc: Service): string | null {
  if (svc.fwmark !== undefined && svc.fwmark !== null) return null;
  const vip = svc.vip ?? config.vip;
  return vip ? canon(vip) : null;
}

/** VIP (canonical) → the names of the instances that hold it. */
export function vipHolders(ha: Ha | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const inst of ha?.instances ?? [])
    for (const v of inst.vips ?? []) {
      const c = canon(v);
      if (c === null) continue;
      const list = out.get(c) ?? [];
      if (!list.includes(inst.name)) list.push(inst.name);
      out.set(c, list);
    }
  return out;
}

/** True when the role matters at all: master-only with a source to ask. */
export function roleMatters(ha: Ha | undefined): boolean {
  return ha?.program === 'master-only' && ha.source !== 'none';
}

/** What this node does with one service, given the states of the instances holding its VIP. */
export function decide(holders: readonly string[] | undefined, states: VrrpStates): HaDecision {
  if (!holders || holders.length === 0) return PROGRAM;
  let unknown: string | null = null;
  for (const name of holders) {
    const s = states.get(name) ?? 'unknown';
    if (s === 'master') return PROGRAM;
    if (s === 'unknown') unknown ??= name;
  }
  if (unknown !== null) return { kind: 'hold', reason: `ha: instance ${unknown} unknown (program: master-only): kept as it is` };
  return { kind: 'suppress', reason: `ha backup: instance${holders.length > 1 ? 's' : ''} ${holders.join(', ')} (program: master-only)` };
}

/**
 * A decision per configuration service, memoising the VIP index: compile() calls it once per service.
 * Returns a function so one configuration's index is built once per compile.
 */
export function haDecider(config: Config, states: VrrpStates): (svc: Service) => HaDecision {
  if (!roleMatters(config.ha)) return () => PROGRAM;
  const holders = vipHolders(config.ha);
  return (svc) => {
    const vip = serviceVip(config, svc);
    return vip === null ? PROGRAM : decide(holders.get(vip), states);
  };
}

/**
 * The configuration services a change of these instances' states concerns: those whose VIP one of them holds.
 * (The event path re-plans only these.)
 */
export function servicesOfInstances(config: Config, instances: ReadonlySet<string>): Set<string> {
  const out = new Set<string>();
  if (instances.size === 0) return out;
  const holders = vipHolders(config.ha);
  for (const svc of config.services ?? []) {
    const vip = serviceVip(config, svc);
    if (vip !== null && (holders.get(vip) ?? []).some((n) => instances.has(n))) out.add(svc.name);
  }
  return out;
}

/** The instances whose state differs between two maps (a missing entry counts as unknown). */
export function changedInstances(before: VrrpStates, after: VrrpStates): Set<string> {
  const out = new Set<string>();
  for (const name of new Set([...before.keys(), ...after.keys()]))
    if ((before.get(name) ?? 'unknown') !== (after.get(name) ?? 'unknown')) out.add(name);
  return out;
}
