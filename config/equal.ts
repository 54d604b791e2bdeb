// Equality and identity of configurations.
// - configsEqual: no difference that `show | compare` would show. Services, backends and VRRP instances are
//   matched by name / address+port, so their order does not matter (after a restart services come back in
//   file order, which is not a change); defaults written or omitted make no difference.
// - configHash: sha256 of the canonical JSON (sorted keys), so it is stable across processes; it does see the
//   order of services. Use it to identify a revision's exact content, configsEqual to ask "any change?".
import { createHash } from 'node:crypto';
import type { Config } from './model.js';
import { diffConfig } from './diff.js';
import { sameData } from './same-data.js';

export function configsEqual(a: Config, b: Config): boolean {
  // Identical values first (the common "nothing changed" case, ~20× cheaper than two renders at 10,000
  // services); otherwise the semantic diff decides, as `show | compare` would.
  return sameData(a, b) || diffConfig(a, b).length === 0;
}

/**
 * sha256 (hex) of the configuration's canonical JSON: keys sorted, keys holding undefined left out, lists in
 * their order. Same model → same bytes → same hash, however the model was built; about 20× cheaper than the
 * canonical YAML at 10,000 services, and a commit takes it of every revision. The bytes are exactly
 * canonicalJson(config); a frozen service (the store's running revision shares them with the next candidate) is
 * serialised once and remembered, so a commit serialises only the services it changed.
 */
export function configHash(config: Config): string {
  const h = createHash('sha256');
  const obj = config as unknown as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  h.update('{');
  keys.forEach((k, i) => {
    h.update(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`);
    const v = obj[k];
    if (k === 'services' && Array.isArray(v)) {
      h.update('[');
      v.forEach((item, j) => h.update(`${j > 0 ? ',' : ''}${item === undefined ? 'null' : frozenCanonicalJson(item)}`));
      h.update(']');
    } else h.update(canonicalJson(v));
  });
  h.update('}');
  return h.digest('hex');
}

const rememberedCanonical = new WeakMap<object, string>();
const rememberedPlain = new WeakMap<object, string>();

/**
 * `serialise(v)`, remembered for a frozen object: one the store froze deeply cannot change, so neither can its
 * JSON. (Only the store freezes configuration objects, and always deeply.)
 */
function remembered(memo: WeakMap<object, string>, v: unknown, serialise: (v: unknown) => string): string {
  if (v === null || typeof v !== 'object' || !Object.isFrozen(v)) return serialise(v);
  let text = memo.get(v);
  if (text === undefined) {
    text = serialise(v);
    memo.set(v, text);
  }
  return text;
}

/** canonicalJson, remembered for frozen objects. */
export function frozenCanonicalJson(v: unknown): string {
  return remembered(rememberedCanonical, v, canonicalJson);
}

/**
 * JSON.stringify of a configuration (any key order), each frozen service serialised once and remembered: what a
 * revision file holds, written at every commit (10 MB at 10,000 services).
 */
export function configJson(config: Config): string {
  const { services, ...rest } = config;
  const head = JSON.stringify(rest).slice(0, -1);
  if (!Array.isArray(services)) return JSON.stringify(config);
  const items = services.map((s) => (s === undefined ? 'null' : remembered(rememberedPlain, s, (x) => JSON.stringify(x))));
  return `${head}${head.length > 1 ? ',' : ''}"services":[${items.join(',')}]}`;
}

/** JSON with object keys in code-point order and undefined-valued keys omitted (arrays keep their order). */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, sortedKeys) ?? 'null';
}

function sortedKeys(_key: string, v: unknown): unknown {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 1; i < keys.length && sorted; i++) if (keys[i - 1] > keys[i]) sorted = false;
  if (sorted) return v;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = (v as Record<string, unknown>)[k];
  return out;
}
