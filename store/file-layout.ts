// Where each service and each global section of a configuration directory is written, recorded with every
// revision (`Revision.layout`). With it a commit knows which files a change touches without parsing the others:
// while the files on disk still carry the fingerprints the running revision recorded, the running revision's
// layout describes them exactly. docs/store.md ("Rewriting only what changed") has the argument.
import { isMap, isScalar, isSeq, type Document } from 'yaml';

/** File (relative path) → the names of the services it holds, in file order, and its top-level sections. */
export type FileLayout = Record<string, { services: string[]; sections: string[] }>;

/** The layout of parsed files (their documents as loaded). Null when one of them does not parse. */
export function layoutOfDocuments(files: { path: string; doc: Document }[]): FileLayout | null {
  const out: FileLayout = {};
  for (const f of files) {
    if (f.doc.errors.length > 0) return null;
    const entry = { services: [] as string[], sections: [] as string[] };
    const c = f.doc.contents;
    if (isMap(c)) {
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
    }
    out[f.path] = entry;
  }
  return out;
}

/** Load order of a directory: config.yaml (config.yml) first, then config.d/ by code point. */
export function loadOrder(a: string, b: string): number {
  const depth = (p: string) => (p.includes('/') ? 1 : 0);
  return depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);
}
