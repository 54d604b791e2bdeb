// A commit planned from the change alone: the configuration services a commit adds, changes or removes are
// compiled and planned against the cache; the other 9,999 keep what the last converged apply compiled for them
// (Engine's `lastDesired`). This is what makes a one-weight commit at 10,000 services cost one service's work and
// send one netlink message (issue 13). Pure: the engine applies the plan and patches its base on success.
//
// Whenever the answer could differ from the whole plan's in any way (another top-level section changed, two
// services declare one identity, the service limit is near, a foreign service holds a declared identity), it
// answers null and the engine compiles and plans the whole configuration as before, which also gives the exact
// errors and clash reports.
import type { Config } from '../config/model.js';
import { configDelta } from '../config/delta.js';
import type { ActualState } from './actual.js';
import { CompileError, FALLBACK_MAX_SERVICES, compileServices, type DesiredState } from './compile.js';
import type { EngineInputs } from './inputs.js';
import { planService, removeServiceStep, type Plan, type PlanStep } from './plan.js';

/**
 * The names of the services that differ between `running` and `cand` (added, changed or removed), or null when
 * anything else differs (a top-level section: the VIP, limits, HA... may change every service) or names do not
 * identify services. The order of services is not a difference the kernel sees.
 */
export function changedServiceNames(running: Config, cand: Config): Set<string> | null {
  const delta = configDelta(running, cand);
  if (!delta || delta.unset.length > 0 || Object.keys(delta.set).length > 0) return null;
  return new Set([...delta.services.map((s) => s.name), ...delta.removed]);
}

export interface ServicesChange {
  plan: Plan;
  /** Ids the base declared for the changed names that they no longer declare. */
  dropped: ReadonlySet<string>;
}

/**
 * The plan that takes the kernel from `base` (what running compiled to, converged) to `config`, which differs
 * from running only in the services `names`. `resolveHeld` settles held services as the engine does. Null: plan
 * the whole configuration instead (see the top of this file).
 */
export function planServicesChange(
  base: DesiredState,
  config: Config,
  names: ReadonlySet<string>,
  inputs: EngineInputs,
  actual: ActualState,
  owned: ReadonlySet<string>,
  resolveHeld: (d: DesiredState) => DesiredState,
): ServicesChange | null {
  let partial: DesiredState;
  try {
    partial = compileServices(config, inputs, names);
  } catch (e) {
    if (e instanceof CompileError) return null; // the whole compile lists every problem, in its order
    throw e;
  }
  const dropped = new Set<string>();
  for (const [id, d] of base.declared) if (names.has(d.name) && !partial.declared.has(id)) dropped.add(id);
  // An identity an unchanged service declares: the whole compile names both services.
  for (const id of partial.declared.keys()) {
    const owner = base.declared.get(id);
    if (owner && !names.has(owner.name)) return null;
  }
  // Declared ids bound the programmed ones: below the limit, the whole compile would not count them.
  const maxServices = config.daemon?.limits?.max_services ?? FALLBACK_MAX_SERVICES;
  let stillDeclared = base.declared.size - dropped.size;
  for (const id of partial.declared.keys()) if (!base.declared.has(id)) stillDeclared++;
  if (stillDeclared > maxServices) return null;

  const foreign: string[] = [];
  for (const id of actual.services.keys()) {
    if (owned.has(id)) continue;
    // A declared identity held by a foreign service: the whole plan reports every clash in configuration order.
    if (partial.declared.has(id) || (base.declared.has(id) && !dropped.has(id))) return null;
    foreign.push(id);
  }
  resolveHeld(partial);
  const steps: PlanStep[] = [];
  for (const id of dropped) {
    const have = actual.get(id);
    // Named from what ran (as Engine.plan names the removals of a whole plan).
    if (have && owned.has(id)) steps.push(removeServiceStep(have, base.declared.get(id)?.name));
  }
  for (const [id, d] of partial.declared) {
    const want = partial.services.get(id);
    const have = actual.get(id);
    if (want) planService(want, have, steps);
    else if (have && owned.has(id)) steps.push(removeServiceStep(have, d.name));
  }
  return { plan: { steps, foreign: foreign.sort(), clashes: [], adopted: [], desired: partial }, dropped };
}

/** Make `base` what compiling the whole new configuration would give, once the change's plan is applied. */
export function patchDesired(base: DesiredState, change: ServicesChange, names: ReadonlySet<string>): void {
  const partial = change.plan.desired;
  for (const id of change.dropped) {
    base.services.delete(id);
    base.declared.delete(id);
    base.held?.delete(id);
  }
  for (const [id, d] of partial.declared) {
    base.declared.set(id, d);
    const want = partial.services.get(id);
    if (want) base.services.set(id, want);
    else base.services.delete(id);
    const held = partial.held?.get(id);
    if (held !== undefined) (base.held ??= new Map()).set(id, held);
    else base.held?.delete(id);
  }
  for (const name of names) {
    const why = partial.notProgrammed.get(name);
    if (why !== undefined) base.notProgrammed.set(name, why);
    else base.notProgrammed.delete(name);
  }
}
