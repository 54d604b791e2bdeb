// Equality and identity of configurations.
// - configsEqual: no difference that `show | compare` would show. Services, backends and VRRP instances are
//   matched by name / address+port, so their order does not matter (after a restart services come back in
//   file order, which is not a change); defaults written or omitted make no difference.
// - configHash: sha256 of the canonical JSON (sorted keys) of the sections and of each service's digest, so it
//   is stable across processes; it does see the order of services. Use it to identify a revision's exact content, configsEqual to ask "any change?".
import { createHash } from 'node:crypto';
import type { Config, Service } from './model.js';
import { diffConfig } from './diff.js';
import { sameData } from './same-data.js';
import { changedIndexesInPlace } from './delta.js';

export function configsEqual(a: Config, b: Config): boolean {
  // Frozen lists whose changed services are known (config/delta.ts: a commit's candidate and its base): no pass
  // over 10,000 services to find the one that differs.
  const la = a.services;
  const lb = b.services;
  if (Array.isArray(la) && Array.isArray(lb) && Object.isFrozen(la) && Object.isFrozen(lb)) {
    const changed = changedIndexesInPlace(la, lb);
    if (changed && changed.length === 0 && sameSections(a, b)) return true;
    if (changed) return diffConfig(a, b).length === 0;
  }
  // Identical values first (the common "nothing changed" case, ~20× cheaper than two renders at 10,000
  // services); otherwise the semantic diff decides, as `show | compare` would.
  return sameData(a, b) || diffConfig(a, b).length === 0;
}

/** Every top-level key but `services` holds the same data in both. */
function sameSections(a: Config, b: Config): boolean {
  const x = a as unknown as Record<string, unknown>;
  const y = b as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) if (k !== 'services' && !sameData(x[k], y[k])) return false;
  return true;
}

/**
 * sha256 (hex) of the configuration as a tree of digests: the canonical JSON of every top-level section except
 * `services` (keys sorted, undefined-valued keys left out), then per run of SERVICES_PER_CHUNK services in order
 * the sha256 of their own sha256s (each of a service's canonical JSON). Same model → same hash, however the model
 * was built; it sees the order of services.
 *
 * A tree rather than the whole text: a commit takes the hash of every revision, and at 10,000 services the whole
 * text is 6 MB of sha256 (8–20 ms a commit). A frozen service's digest is remembered (the store's running
 * revision shares its services with the next candidate), and so is each run's digest for the list hashed last:
 * a one-weight commit digests one service and one run, and compares 10,000 pointers. (Revisions written before
 * this scheme keep the hash they were written with; nothing compares a stored hash with a recomputed one across
 * versions: the intent completes a commit with the revision's own record.)
 */
export function configHash(config: Config): string {
  const h = createHash('sha256');
  const obj = config as unknown as Record<string, unknown>;
  const sections: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) if (k !== 'services') sections[k] = obj[k];
  h.update(canonicalJson(sections));
  const services = obj.services;
  if (Array.isArray(services)) h.update(`\nservices${chunkDigests(services).map((d) => `\n${d}`).join('')}`);
  else if (services !== undefined) h.update(`\nservices:${canonicalJson(services)}`);
  return h.digest('hex');
}

const SERVICES_PER_CHUNK = 256;

/**
 * The list hashed last, as it was (its items; the list itself when frozen), and its runs' digests: null for a run
 * with an unfrozen item.
 */
let lastHashed: { items: unknown[]; chunks: (string | null)[] } | null = null;

function chunkDigests(services: unknown[]): string[] {
  const frozen = Object.isFrozen(services);
  const items = frozen ? services : services.slice();
  const dirty = dirtyChunks(lastHashed?.items, items);
  const chunks: (string | null)[] = [];
  const out: string[] = [];
  for (let at = 0, c = 0; at < items.length; at += SERVICES_PER_CHUNK, c++) {
    const end = Math.min(at + SERVICES_PER_CHUNK, items.length);
    const known = lastHashed?.chunks[c];
    let same: boolean;
    if (known === undefined || known === null) same = false;
    else if (dirty) same = !dirty.has(c);
    else {
      // The same run: the same frozen items at the same places, and no more or fewer of them.
      same = Math.min(at + SERVICES_PER_CHUNK, lastHashed!.items.length) === end;
      for (let i = at; same && i < end; i++) same = items[i] === lastHashed!.items[i];
    }
    let digest: string;
    let allFrozen = true;
    if (same) digest = known!;
    else {
      const digests: string[] = [];
      for (let i = at; i < end; i++) {
        const s = items[i];
        if (s !== null && typeof s === 'object' && !Object.isFrozen(s)) allFrozen = false;
        digests.push(s === undefined ? 'null' : serviceDigest(s));
      }
      digest = createHash('sha256').update(digests.join('\n')).digest('hex');
    }
    chunks.push(allFrozen ? digest : null);
    out.push(digest);
  }
  lastHashed = { items, chunks };
  return out;
}

/**
 * The runs that hold a service whose data changed since `last`, when both lists are frozen and that is known
 * without a pass (config/delta.ts remembers it for a commit's candidate and its base); undefined otherwise. A run
 * outside them holds the same data, so the same digest: a frozen list's items are the store's, frozen deeply, or
 * a candidate's new services, which no one changes before the store freezes them with the revision.
 */
function dirtyChunks(last: unknown[] | undefined, items: unknown[]): Set<number> | undefined {
  if (!last || last.length !== items.length || !Object.isFrozen(last) || !Object.isFrozen(items)) return undefined;
  if (last === items) return new Set();
  const changed = changedIndexesInPlace(last as Service[], items as Service[]);
  return changed ? new Set(changed.map((i) => Math.floor(i / SERVICES_PER_CHUNK))) : undefined;
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
