// Per destination of one IPVS service: is the kernel's destination the one the configuration wants? Pure (desired
// against actual, nothing read), so that the shell's views (`show services`, `show service`, `show ipvs`) and
// `lbctl status` judge alike; engine/status.ts calls it per service when a view asks for destinations.
import type { ActualService } from './actual.js';
import type { DesiredService } from './compile.js';
import { destChanges, sameDest } from './compare.js';

export type DestState =
  /** In the kernel exactly as desired. */
  | 'in-sync'
  /** In the kernel with another weight, forwarding or thresholds (`changes` says which, kernel→configuration). */
  | 'differs'
  /** Desired, not in the kernel. */
  | 'missing'
  /** In a service lbctl owns, not desired (a disabled or removed backend, or one added by hand): a commit removes it. */
  | 'stale';

export interface DestStatus {
  /** destId: `10.0.1.2:80`, `[2001:db8::2]:443`. */
  id: string;
  /** The configuration backend it comes from (backendRef, `web/10.0.1.2:0`); absent for a stale destination. */
  ref?: string;
  state: DestState;
  /** For `differs`: `weight 5→100`, … (what a commit changes, in the plan's words). */
  changes?: string[];
}

/**
 * `want`: the desired service (absent: lbctl wants none there); `have`: the kernel's (absent: none there).
 * `owned`: lbctl owns the kernel's service; a foreign one's destinations are not lbctl's to judge (empty list).
 * Desired destinations first, in configuration order, then the stale ones in the kernel's order.
 */
export function destStates(want: DesiredService | undefined, have: ActualService | undefined, owned: boolean): DestStatus[] {
  const svc = want ?? have;
  if (!svc || (have && !owned)) return [];
  const out: DestStatus[] = [];
  const af = svc.service.key.af;
  if (want)
    for (const [id, d] of want.dests) {
      const cur = have?.dests.get(id);
      if (!cur) out.push({ id, ref: d.ref, state: 'missing' });
      else if (sameDest(af, d.dest, cur)) out.push({ id, ref: d.ref, state: 'in-sync' });
      else out.push({ id, ref: d.ref, state: 'differs', changes: destChanges(af, d.dest, cur) });
    }
  if (have) for (const id of have.dests.keys()) if (!want?.dests.has(id)) out.push({ id, state: 'stale' });
  return out;
}
