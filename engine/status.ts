// Status: per service, desired against actual: in sync, or what differs. Data only; cli/ and the shell format it.
import type { ActualState } from './actual.js';
import type { DesiredState } from './compile.js';
import { clashLines, clashText, planLines, type Clash, type Plan } from './plan.js';
import { destStates, type DestStatus } from './sync-state.js';

export type { DestState, DestStatus } from './sync-state.js';

export type ServiceState =
  /** In the kernel exactly as desired. */
  | 'in-sync'
  /** Declared and programmable, but not in the kernel. */
  | 'missing'
  /** In the kernel with different attributes or destinations. */
  | 'differs'
  /** Declared but deliberately not programmed (disabled, HA backup) and indeed absent. */
  | 'not-programmed'
  /** lbctl's, must not be there (removed from the configuration, disabled), yet is in the kernel. */
  | 'stale';

export interface ServiceStatus {
  id: string;
  /** Configuration service name (absent for a recorded service no longer configured). */
  name?: string;
  state: ServiceState;
  /** Why not programmed, for `not-programmed`/`stale`. */
  reason?: string;
  desiredDests: number;
  actualDests: number;
  /** The plan lines that would fix it. */
  differences: string[];
  /** Per destination (only when asked for: the shell's views; `lbctl status` does without). */
  dests?: DestStatus[];
}

export interface ForeignService {
  id: string;
  dests: number;
}

export interface StatusReport {
  inSync: boolean;
  services: ServiceStatus[];
  foreign: ForeignService[];
  /** Operations a sync would send now. */
  pendingOps: number;
  /** Declared identities held by a service lbctl does not own (left alone); also in `foreign`. */
  clashes?: Clash[];
}

export interface StatusOptions {
  /** Add each service's destinations and their states (engine/sync-state.ts). */
  dests?: boolean;
}

export function statusReport(desired: DesiredState, actual: ActualState, recorded: ReadonlySet<string>, plan: Plan, opts: StatusOptions = {}): StatusReport {
  const byService = new Map<string, Plan['steps']>();
  for (const s of plan.steps) {
    const list = byService.get(s.serviceId) ?? [];
    list.push(s);
    byService.set(s.serviceId, list);
  }
  const services: ServiceStatus[] = [];
  const seen = new Set<string>();
  const clashes = new Map((plan.clashes ?? []).map((c) => [c.id, c]));
  for (const [id, decl] of desired.declared) {
    seen.add(id);
    const want = desired.services.get(id);
    const have = actual.get(id);
    const steps = byService.get(id) ?? [];
    let differences = steps.length ? planLines({ ...plan, steps }) : [];
    let state: ServiceState;
    let reason: string | undefined;
    const clash = clashes.get(id);
    if (clash) {
      // Someone else's service holds the identity: lbctl leaves it alone. Not in sync if lbctl wants it programmed.
      state = clash.programmed ? 'differs' : 'not-programmed';
      reason = clash.programmed ? clashText(clash) : `${clash.reason ?? 'not programmed'}; the kernel's ${id} is not lbctl's: left alone`;
      differences = clashLines({ clashes: [clash] });
    } else if (want) state = !have ? 'missing' : steps.length ? 'differs' : 'in-sync';
    else {
      reason = desired.notProgrammed.get(decl.name);
      state = have ? 'stale' : 'not-programmed';
    }
    services.push({
      id,
      name: decl.name,
      state,
      reason,
      desiredDests: want?.dests.size ?? 0,
      actualDests: have?.dests.size ?? 0,
      differences,
      ...(opts.dests ? { dests: destStates(want, have, !clash && (!have || recorded.has(id))) } : {}),
    });
  }
  for (const id of recorded) {
    const have = actual.get(id);
    if (seen.has(id) || !have) continue;
    const steps = byService.get(id) ?? [];
    services.push({
      id,
      state: 'stale',
      reason: 'created by lbctl, no longer configured',
      desiredDests: 0,
      actualDests: have.dests.size,
      differences: planLines({ ...plan, steps }),
      ...(opts.dests ? { dests: destStates(undefined, have, true) } : {}),
    });
  }
  const foreign = plan.foreign.map((id) => ({ id, dests: actual.get(id)?.dests.size ?? 0 }));
  const hardClash = (plan.clashes ?? []).some((c) => c.programmed);
  return { inSync: plan.steps.length === 0 && !hardClash, services, foreign, pendingOps: plan.steps.length, clashes: plan.clashes ?? [] };
}
