// Equality and identity of configurations.
// - configsEqual: no difference that `show | compare` would show. Services, backends and VRRP instances are
//   matched by name / address+port, so their order does not matter (after a restart services come back in
//   file order, which is not a change); defaults written or omitted make no difference.
// - configHash: sha256 of the canonical JSON (sorted keys) of the sections and of each service's digest, so it
//   is stable across processes; it does see the order of services. Use it to identify a revision's exact content, configsEqual to ask "any change?".
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
 * sha256 (hex) of the configuration as a list of digests: the canonical JSON of every top-level section except
 * `services` (keys sorted, undefined-valued keys left out), then for each service in order the sha256 of its
 * canonical JSON. Same model → same hash, however the model was built; it sees the order of services.
 *
 * Per service rather than of the whole text: a commit takes the hash of every revision, and at 10,000 services
 * the whole text is 6 MB of sha256 (8–20 ms a commit) where the list of digests is 650 KB. A frozen service's
 * digest is remembered (the store's running revision shares its services with the next candidate), so a commit
 * digests the services it changed. (Revisions written before this scheme keep the hash they were written with;
 * nothing compares a stored hash with a recomputed one across versions: the intent completes a commit with the
 * revision's own record.)
 */
export function configHash(config: Config): string {
  const h = createHash('sha256');
  const obj = config as unknown as Record<string, unknown>;
  const sections: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) if (k !== 'services') sections[k] = obj[k];
  h.update(canonicalJson(sections));
  const services = obj.services;
  if (Array.isArray(services)) {
    // One update of the joined digests: 10,000 small updates cost more than hashing the 650 KB.
    const digests = new Array<string>(services.length);
    for (let i = 0; i < services.length; i++) digests[i] = services[i] === undefined ? 'null' : serviceDigest(services[i]);
    h.update(digests.length > 0 ? `\nservices\n${digests.join('\n')}` : '\nservices');
  } else if (services !== undefined) h.update(`\nservices:${canonicalJson(services)}`);
  return h.digest('hex');
}

const rememberedDigests = new WeakMap<object, string>();
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

/** sha256 (hex) of a service's canonical JSON, remembered for a frozen one. */
function serviceDigest(v: unknown): string {
  return remembered(rememberedDigests, v, (x) => createHash('sha256').update(canonicalJson(x)).digest('hex'));
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
