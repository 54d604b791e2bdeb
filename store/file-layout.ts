// Where each service and each global section of a configuration directory is written, recorded with every
// revision (`Revision.layout`). With it a commit knows which files a change touches without parsing the others:
// while the files on disk still carry the fingerprints the running revision recorded, the running revision's
// layout describes them exactly. docs/store.md ("Rewriting only what changed") has the argument.
import type { Document } from 'yaml';
import { isMap, isScalar, isSeq } from '../config/yaml-lib.js';

/** File (relative path) → the names of the services it holds, in file order, and its top-level sections. */
export type FileLayout = Record<string, { services: string[]; sections: string[] }>;

/**
 * The layout of loaded files: from the data the fast load read when there is some (no YAML document parsed),
 * else from their documents. Null when a file does not parse or a service has no name to be placed by.
 */
export function layoutOfDocuments(files: { path: string; doc: Document; data?: unknown }[]): FileLayout | null {
  const out: FileLayout = {};
  for (const f of files) {
    const entry = 'data' in f && f.data !== undefined ? entryOfData(f.data) : entryOfDocument(f.doc);
    if (!entry) return null;
    out[f.path] = entry;
  }
  return out;
}

type Entry = FileLayout[string];

function entryOfData(data: unknown): Entry | null {
  const entry: Entry = { services: [], sections: [] };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return entry;
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (key !== 'services') {
      entry.sections.push(key);
      continue;
    }
    if (!Array.isArray(value)) continue;
    for (const item of value) {
      const name = (item as { name?: unknown } | null)?.name;
      if (typeof name !== 'string') return null;
      entry.services.push(name);
    }
  }
  return entry;
}

function entryOfDocument(doc: Document): Entry | null {
  if (doc.errors.length > 0) return null;
  const entry: Entry = { services: [], sections: [] };
  const c = doc.contents;
  if (!isMap(c)) return entry;
  for (const p of c.items) {
    const key = String(isScalar(p.key) ? p.key.value : p.key);
    if (key !== 'services') {
      entry.sections.push(key);
      continue;
    }
    if (!isSeq(p.value)) continue;
    for (const item of p.value.items) {
      const name = isMap(item) ? item.get('name') : undefined;
      // A service without a string name cannot be placed by name: the layout would be wrong, so none.
      if (typeof name !== 'string') return null;
      entry.services.push(name);
    }
  }
  return entry;
}

/** Load order of a directory: config.yaml (config.yml) first, then config.d/ by code point. */
export function loadOrder(a: string, b: string): number {
  const depth = (p: string) => (p.includes('/') ? 1 : 0);
  return depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
}
