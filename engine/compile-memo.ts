// compile() remembered per configuration object and inputs: the daemon judges its running configuration for
// every `status` and `show ipvs` (and the shell's views), and compiling 10,000 services costs hundreds of ms.
// Only frozen configurations are remembered (the store freezes its revisions; a candidate may be edited in
// place), and the engine replaces its inputs object whenever a verdict, a drain or a VRRP state changes, so the
// pair identifies the answer. Each caller gets its own maps (the engine's resolveHeld deletes from them, a commit
// patches its converged base); the services in them are shared and only read.
import type { Config } from '../config/model.js';
import { compile, type DesiredState } from './compile.js';
import type { EngineInputs } from './inputs.js';

const memo = new WeakMap<Config, { inputs: EngineInputs; desired: DesiredState }>();

export function compileMemo(config: Config, inputs: EngineInputs): DesiredState {
  // Only a frozen configuration is known not to change under its identity (the store's revisions are).
  if (!Object.isFrozen(config)) return compile(config, inputs);
  let hit = memo.get(config);
  if (!hit || hit.inputs !== inputs) {
    hit = { inputs, desired: compile(config, inputs) };
    memo.set(config, hit);
  }
  const d = hit.desired;
  // `declared` too: a plan's desired state becomes the engine's converged base, which a later commit patches in
  // place (service-changes.ts patchDesired).
  return { services: new Map(d.services), declared: new Map(d.declared), notProgrammed: new Map(d.notProgrammed), ...(d.held ? { held: new Map(d.held) } : {}) };
}
