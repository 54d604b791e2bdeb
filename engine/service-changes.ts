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
  for (const id of idsDeclaredBy(base.declared, names)) if (!partial.declared.has(id)) dropped.add(id);
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
  for (const id of actual.foreignIds(owned)) {
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
  return { plan: { steps, foreign, clashes: [], adopted: [], desired: partial }, dropped };
}

type Declared = DesiredState['declared'];

/**
 * The ids each configuration service declares in `declared`, built at the first partial plan on a converged base
 * (one walk of 10,000 ids) and kept equal to it by patchDesired, the only writer of a base after its compile: a
 * commit then finds the ids a changed service dropped without walking every declared id again.
 */
const idsByName = new WeakMap<Declared, Map<string, string[]>>();

function declaredByName(declared: Declared): Map<string, string[]> {
  let index = idsByName.get(declared);
  if (!index) {
    index = new Map();
    for (const [id, d] of declared) addId(index, d.name, id);
    idsByName.set(declared, index);
  }
  return index;
}

/** The ids the services `names` declare in `declared` (a converged base's: see idsByName). */
export function* idsDeclaredBy(declared: Declared, names: Iterable<string>): Generator<string> {
  const byName = declaredByName(declared);
  for (const name of names) yield* byName.get(name) ?? [];
}

// Arrays, not sets: a service declares one id per port (a few), and 10,000 sets would weigh ~1.5 MB more. An id
// is added only where `declared` does not have it under that name yet, so it is never in the array already.
function addId(index: Map<string, string[]>, name: string, id: string): void {
  const ids = index.get(name);
  if (ids) ids.push(id);
  else index.set(name, [id]);
}

function removeId(index: Map<string, string[]>, name: string, id: string): void {
  const ids = index.get(name);
  const at = ids?.indexOf(id) ?? -1;
  if (!ids || at < 0) return;
  ids.splice(at, 1);
  if (ids.length === 0) index.delete(name);
}

/** Make `base` what compiling the whole new configuration would give, once the change's plan is applied. */
export function patchDesired(base: DesiredState, change: ServicesChange, names: ReadonlySet<string>): void {
  const partial = change.plan.desired;
  const index = idsByName.get(base.declared);
  for (const id of change.dropped) {
    const was = base.declared.get(id);
    if (index && was) removeId(index, was.name, id);
    base.services.delete(id);
    base.declared.delete(id);
    base.held?.delete(id);
  }
  for (const [id, d] of partial.declared) {
    const was = base.declared.get(id);
    if (index && was?.name !== d.name) {
      if (was) removeId(index, was.name, id);
      addId(index, d.name, id);
    }
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
