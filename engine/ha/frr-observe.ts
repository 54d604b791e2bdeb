// What FRR's two signals say about one configured instance. Pure.
//  - the poll: vrrpd's own state from `show vrrp json`, per family;
//  - the event: the protodown flag vrrpd sets on its VRRP macvlan (off as Master, on as Backup).
// Both are checked against the parent link, because vrrpd keeps saying Master on a node whose parent link is
// down while the peer takes over (trap 1 in docs/ha.md).
import type { VrrpInstance } from '../../config/model.js';
import type { FrrRouter, FrrStatus } from './frr-json.js';
import type { LinkTable } from './links.js';
import type { Observation } from './state.js';
import { familiesOf, type HaFamily } from './vmac.js';

const FAMILY_KEY = { inet: 'v4', inet6: 'v6' } as const;

/** Master only when every family the VIPs use is Master; Backup when none is; a mix is reported, not guessed. */
function combine(inst: VrrpInstance, states: { family: HaFamily; master: boolean; word: string }[], links: LinkTable, why: string): Observation {
  if (states.every((s) => s.master)) return withParent(inst, { state: 'master' }, links);
  if (states.every((s) => !s.master)) {
    const odd = states.filter((s) => s.word !== 'Backup').map((s) => `${FAMILY_KEY[s.family]} ${s.word}`);
    return odd.length ? { state: 'backup', reason: `${why}: ${odd.join(', ')}` } : { state: 'backup' };
  }
  return { state: 'unknown', reason: `${why}: ${states.map((s) => `${FAMILY_KEY[s.family]} ${s.word}`).join(', ')}` };
}

/** A Master claim on a node whose parent is down is not real: the peer stopped hearing us and is Master too. */
function withParent(inst: VrrpInstance, obs: Observation, links: LinkTable): Observation {
  const down = links.parentDown(inst.interface);
  return down ? { ...obs, splitBrain: true, reason: `${down}: this node claims Master but the peer cannot hear it` } : obs;
}

export function frrPollObservation(inst: VrrpInstance, routers: readonly FrrRouter[], links: LinkTable): Observation {
  const r = routers.find((x) => x.vrid === inst.vrid && x.interface === inst.interface);
  if (!r) return { state: 'unknown', reason: `vrrpd has no vrrp ${inst.vrid} on ${inst.interface}` };
  const fams = familiesOf(inst.vips);
  const states = fams.map((f) => {
    const status: FrrStatus = r[FAMILY_KEY[f]].status;
    return { family: f, master: status === 'Master', word: status };
  });
  const obs = combine(inst, states, links, 'vrrpd says');
  const prio = r[FAMILY_KEY[fams[0]]].effectivePriority;
  return prio === undefined ? obs : { ...obs, priority: prio };
}

/**
 * The protodown flags of the instance's VRRP macvlans, as a key that changes only when one of them flips: the
 * watcher acts on a link event only when this key changes, so an unrelated link event (MTU, carrier) never
 * turns into a state claim.
 */
export function protodownKey(inst: VrrpInstance, links: LinkTable): string | null {
  const parts: string[] = [];
  for (const f of familiesOf(inst.vips)) {
    const mv = links.vrrpMacvlan(inst.interface, f, inst.vrid);
    if (!mv) return null;
    parts.push(`${mv.ifindex}:${mv.protoDown ? 1 : 0}`);
  }
  return parts.join(',');
}

/** What the macvlans' protodown flags say now; null when a family has no VRRP macvlan (nothing to read). */
export function frrLinkObservation(inst: VrrpInstance, links: LinkTable): Observation | null {
  const states: { family: HaFamily; master: boolean; word: string }[] = [];
  for (const f of familiesOf(inst.vips)) {
    const mv = links.vrrpMacvlan(inst.interface, f, inst.vrid);
    if (!mv) return null;
    states.push({ family: f, master: !mv.protoDown, word: mv.protoDown ? 'protodown on' : 'protodown off' });
  }
  return combine(inst, states, links, 'macvlan');
}

/** The parent link changed: a Master's claim is re-checked (split brain set or cleared); null otherwise. */
export function frrParentObservation(inst: VrrpInstance, current: Observation, links: LinkTable): Observation | null {
  if (current.state !== 'master') return null;
  return withParent(inst, { state: 'master', priority: current.priority }, links);
}
