// Equality and identity of configurations.
// - configsEqual: no difference that `show | compare` would show. Services, backends and VRRP instances are
//   matched by name / address+port, so their order does not matter (after a restart services come back in
//   file order, which is not a change); defaults written or omitted make no difference.
// - configHash: sha256 of the canonical rendering (renderYaml), so it is stable across processes; it does see
//   the order of services. Use it to identify a revision's exact content, configsEqual to ask "any change?".
import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import type { Config } from './model.js';
import { renderYaml } from './render.js';
import { diffConfig } from './diff.js';

export function configsEqual(a: Config, b: Config): boolean {
  // Identical values first (the common "nothing changed" case, ~20× cheaper than two renders at 10,000
  // services); otherwise the semantic diff decides, as `show | compare` would.
  return a === b || isDeepStrictEqual(a, b) || diffConfig(a, b).length === 0;
}

/** sha256 (hex) of renderYaml(config). */
export function configHash(config: Config): string {
  return createHash('sha256').update(renderYaml(config)).digest('hex');
}
