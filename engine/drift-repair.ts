// Which operations of a commit repair drift rather than carry the change: those on services the commit does not
// change. A commit makes the kernel equal to the candidate (engine/plan.ts), so where the kernel had drifted from
// the running configuration (a hand `ipvsadm`, a fresh lab never applied) the same commit repairs it; the operator
// is told, and `commit check` tells the same beforehand (issue 12). Pure: the plan's steps and the two
// configurations in, counts and names out.
import type { Config } from '../config/model.js';
import { configDelta } from '../config/delta.js';
import type { PlanStep } from './plan.js';

/** Top-level sections that change how lbctl runs, never what a service is programmed as. */
const KERNEL_NEUTRAL = new Set(['node', 'daemon', 'observability', 'system']);

export interface DriftRepair {
  /** Operations on services the commit leaves as they were in the running configuration. */
  ops: number;
  /** Their configuration services, in plan order; a leftover no configuration declares is named by its kernel id. */
  services: string[];
}

/**
 * `base`: the running configuration the candidate was edited from. Null when the operations cannot be told apart:
 * the commit changes a section every service may depend on (`vip`, `ha`), or services are not named uniquely.
 */
export function driftRepair(steps: readonly PlanStep[], base: Config | null, candidate: Config): DriftRepair | null {
  if (!base) return null;
  const delta = configDelta(base, candidate);
  if (!delta || [...Object.keys(delta.set), ...delta.unset].some((k) => !KERNEL_NEUTRAL.has(k))) return null;
  const changed = new Set([...delta.services.map((s) => s.name), ...delta.removed]);
  const services = new Set<string>();
  let ops = 0;
  for (const s of steps) {
    // A service no candidate service declares: one this commit removes from the configuration, or a leftover.
    const repair = s.name !== undefined ? !changed.has(s.name) : delta.removed.length === 0;
    if (!repair) continue;
    ops++;
    services.add(s.name ?? s.serviceId);
  }
  return { ops, services: [...services] };
}
