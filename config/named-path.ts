// Paths by name instead of index, for the shell: `services web backends 198.51.100.13 weight` rather than
// `services[0].backends[2].weight`: a candidate edited in the shell has no file lines, and names are what the
// operator typed. The same item names as `show | compare` headers (diff.ts itemLabel).
import type { Config } from './model.js';
import type { Locator, Path } from './errors.js';
import { itemLabel } from './diff.js';

const KEYED = new Set(['services', 'backends', 'instances']);

/** `services web backends 198.51.100.13 weight`; indices of other lists stay as `[n]`. */
export function namedPath(config: Config, path: Path): string {
  const words: string[] = [];
  let node: unknown = config;
  let listKey = '';
  for (const seg of path) {
    if (typeof seg === 'number') {
      const list = Array.isArray(node) ? node : [];
      if (KEYED.has(listKey)) words.push(itemLabel(listKey, list[seg], seg));
      else if (words.length > 0) words[words.length - 1] += `[${seg}]`;
      else words.push(`[${seg}]`);
      node = list[seg];
      listKey = '';
    } else {
      words.push(seg);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[seg] : undefined;
      listKey = seg;
    }
  }
  return words.join(' ');
}

/** A Locator for validateConfig that names paths this way (no file, line or column). */
export function namedLocator(config: Config): Locator {
  return (path) => ({ file: '', line: 0, column: 0, path: namedPath(config, path) });
}
