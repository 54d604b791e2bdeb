// Rendering a model as YAML, two ways.
// - Canonical (renderYaml): keys in schema order, defaults omitted, port ranges written `7543-7814`, lists of
//   scalars in flow style. Same model → same bytes, so its sha256 is the configuration's hash.
//   Omitting defaults keeps files as short as operators write them; `withDefaults` shows everything.
// - Into files (renderConfigFiles): given the files as loaded, the yaml Documents are updated in place, so an
//   operator's comments, key order and quoting survive a commit; without them, a canonical directory layout.
import type { Document, Node, Pair, ParsedNode, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import { isAlias, isMap, isScalar, isSeq, newDocument, visit } from './yaml-lib.js';
import type { Config } from './model.js';
import {
  DEFAULT_DNS_RECORD_TYPE,
  DEFAULT_HTTP_CHECK,
  DEFAULT_PERSISTENCE_TIMEOUT,
  DEFAULT_TUNNEL_TYPE,
  defaultBackend,
  defaultConfig,
  defaultService,
} from './defaults.js';
import { backendKey, canonicalAddress, formatPortSpec } from './derive.js';
import { BACKEND_SCHEMA, CONFIG_SCHEMA, NAME_PATTERN, SERVICE_SCHEMA, type Schema, TOP_LEVEL_KEYS } from './schema.js';
import type { LoadedFile } from './load.js';
import { sameData } from './same-data.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface RenderOptions {
  /** Write every field, defaults included (`show config --defaults`). Default false: defaults omitted. */
  withDefaults?: boolean;
  /**
   * Also leave out the defaults inside optional sections (`persistence: {}` rather than `{timeout: 300}`). The
   * files do this, so that a commit never adds a default nobody wrote; the canonical form and `show | compare`
   * spell such a section out.
   */
  omitInnerDefaults?: boolean;
}

// ------------------------------------------------------------------------------------------- written form


/** The default an item of a list is compared with (services depend on their protocol). */
function itemDefault(items: Schema, item: unknown): unknown {
  if (items === SERVICE_SCHEMA) {
    const proto = isObj(item) && typeof item.protocol === 'string' ? item.protocol : 'tcp';
    // The health default depends on the protocol; the protocol's own default is tcp whatever the item says.
    const d: Obj = { ...(defaultService('', proto as 'tcp') as unknown as Obj), protocol: 'tcp' };
    delete d.name;
    return d;
  }
  if (items === BACKEND_SCHEMA) {
    const d = defaultBackend() as unknown as Obj;
    delete d.address;
    return d;
  }
  if (items.kind === 'object' && 'vrid' in items.fields) return { vips: [] };
  return undefined;
}

/**
 * The defaults inside optional sections, which have no default of their own (a service has no `persistence`
 * unless one is written) but whose keys do: `persistence: {}` means timeout 300, so writing `timeout: 300`
 * there would add a default nobody wrote. Mirrors what applyDefaults fills in (config/defaults.ts).
 */
const OPTIONAL_SECTION_DEFAULTS: Record<string, Obj> = {
  persistence: { timeout: DEFAULT_PERSISTENCE_TIMEOUT },
  tunnel: { type: DEFAULT_TUNNEL_TYPE },
  http: { ...DEFAULT_HTTP_CHECK, expect_status: [...DEFAULT_HTTP_CHECK.expect_status] },
  dns: { record_type: DEFAULT_DNS_RECORD_TYPE },
};

/**
 * The model value as written in YAML: keys in schema order, port specs as `80` / `7543-7814`, and (unless
 * withDefaults) every value equal to its default left out. Keys the schema does not know are kept at the end,
 * so rendering an invalid candidate loses nothing.
 */
function written(v: unknown, s: Schema | undefined, d: unknown, withDefaults: boolean, inner = false): unknown {
  if (s?.kind === 'object' && isObj(v)) {
    const out: Obj = {};
    for (const [k, f] of Object.entries(s.fields)) {
      const x = v[k];
      if (x === undefined || x === null) continue;
      const dk = isObj(d) ? d[k] : undefined;
      if (!withDefaults && !f.required && dk !== undefined && sameData(x, dk)) continue;
      // An optional section itself is kept even when it holds only defaults (`persistence: {}` is not its
      // absence); only the keys inside it are compared with their defaults.
      const dx = dk ?? (inner && f.schema.kind === 'object' ? OPTIONAL_SECTION_DEFAULTS[k] : undefined);
      out[k] = written(x, f.schema, dx, withDefaults, inner);
    }
    for (const [k, x] of Object.entries(v)) if (!(k in s.fields) && x !== undefined) out[k] = x;
    return out;
  }
  if (s?.kind === 'array' && Array.isArray(v)) return v.map((x) => written(x, s.items, itemDefault(s.items, x), withDefaults, inner));
  if (s?.kind === 'port-spec' && isObj(v) && typeof v.from === 'number' && typeof v.to === 'number') return formatPortSpec({ from: v.from, to: v.to });
  return v;
}

/** The configuration as plain data in its written form (what renderYaml serialises). */
export function toWritten(config: Config, options: RenderOptions = {}): Obj {
  const w = written(config, CONFIG_SCHEMA, defaultConfig(), options.withDefaults ?? false, options.omitInnerDefaults ?? false);
  return isObj(w) ? w : {};
}

// ---------------------------------------------------------------------------------------------- canonical

const STRINGIFY = { indent: 2, lineWidth: 0, minContentWidth: 0, indentSeq: true, flowCollectionPadding: false } as const;

/** Lists of scalars (ports, flags, status codes, vips) read best on one line. */
function styleNode(node: unknown): void {
  if (isSeq(node)) {
    if (node.items.length > 0 && node.items.every((i) => isScalar(i))) node.flow = true;
    node.items.forEach(styleNode);
  } else if (isMap(node)) {
    for (const p of node.items) styleNode(p.value);
  }
}

function makeDocument(data: unknown): Document {
  const doc = newDocument(data);
  styleNode(doc.contents);
  // A blank line between services makes long files scannable.
  if (isMap(doc.contents)) {
    const services = doc.contents.get('services', true);
    if (isSeq(services)) services.items.forEach((item, i) => i > 0 && ((item as Node).spaceBefore = true));
  }
  return doc;
}

function stringify(doc: Document): string {
  return doc.toString(STRINGIFY);
}

/** Plain data as YAML in the canonical style (used for fragments: `show | compare` lines, shell output). */
export function renderFragment(data: unknown): string {
  return stringify(makeDocument(data));
}

/** The canonical YAML of a configuration: stable (same model → same bytes), defaults omitted unless asked. */
export function renderYaml(config: Config, options: RenderOptions = {}): string {
  const w = toWritten(config, options);
  if (Object.keys(w).length === 0) return '{}\n';
  return stringify(makeDocument(w));
}

// ------------------------------------------------------------------------------------------------ files

export interface RenderFilesOptions {
  /** 'file': everything goes into the one previous file. Default: inferred from `previous`. */
  layout?: 'directory' | 'file';
}

/** `config.d/<name>.yaml`, or a safe fallback for a name that is not a file name (an invalid candidate). */
export function serviceFileName(name: unknown, index: number): string {
  return typeof name === 'string' && NAME_PATTERN.test(name) && name.length <= 64 ? `config.d/${name}.yaml` : `config.d/service-${index + 1}.yaml`;
}

/**
 * The files that make a configuration directory say `config`: relative path → content.
 *
 * Without `previous`: `config.yaml` holds the global sections (or a one-line comment when all are default) and
 * each service gets `config.d/<name>.yaml`.
 * With `previous` (the files as loaded): each Document is updated in place: comments, key order and styles
 * stay; services stay in the file they came from; a new service goes to `config.d/<name>.yaml` (appended if
 * that file exists); a new global section goes to config.yaml. A file left with nothing in it is left out of
 * the map (the store deletes it), except in the single-file layout, whose one file is always rendered.
 */
export function renderConfigFiles(config: Config, previous?: LoadedFile[], options: RenderFilesOptions = {}): Map<string, string> {
  if (!previous || previous.length === 0) return renderCanonicalFiles(config);
  const layout = options.layout ?? inferLayout(previous);
  const full = toWritten(config, { withDefaults: true });
  const stripped = toWritten(config, { omitInnerDefaults: true });
  const fullServices = Array.isArray(full.services) ? full.services : [];
  const strippedServices = Array.isArray(stripped.services) ? stripped.services : [];
  // A file that does not parse cannot be edited in place: its services and sections are placed as if it were
  // absent, and it is left out of the map (so the store replaces it).
  const docs = previous.filter((f) => f.doc.errors.length === 0).map((f) => ({ path: f.path, doc: f.doc.clone() }));
  if (layout === 'file' && docs.length === 0) docs.push({ path: previous[0].path, doc: newDocument(null) });

  // Where each service and each global section lives now.
  const serviceHome = new Map<string, number>();
  const sectionHome = new Map<string, number>();
  docs.forEach(({ doc }, i) => {
    const c = doc.contents;
    if (!isMap(c)) return;
    for (const p of c.items) {
      const k = String(isScalar(p.key) ? p.key.value : p.key);
      if (k === 'services' && isSeq(p.value)) {
        for (const item of p.value.items) {
          const name = isMap(item) ? item.get('name') : undefined;
          if (typeof name === 'string' && !serviceHome.has(name)) serviceHome.set(name, i);
        }
      } else if (k !== 'services' && !sectionHome.has(k)) sectionHome.set(k, i);
    }
  });

  // config.yaml takes new global sections: make sure it is there, first (dropped again if it stays empty).
  if (layout === 'directory' && !docs.some((d) => d.path === 'config.yaml' || d.path === 'config.yml')) {
    docs.unshift({ path: 'config.yaml', doc: newDocument(null) });
    for (const m of [serviceHome, sectionHome]) for (const [k, v] of m) m.set(k, v + 1);
  }
  const top = () => docs.findIndex((d) => d.path === 'config.yaml' || d.path === 'config.yml');
  const fileFor = (path: string) => {
    let i = docs.findIndex((d) => d.path === path);
    if (i === -1) {
      docs.push({ path, doc: newDocument(null) });
      i = docs.length - 1;
    }
    return i;
  };

  // Assign every service and section a home.
  const servicesOf = new Map<number, number[]>();
  fullServices.forEach((svc, si) => {
    const name = isObj(svc) ? svc.name : undefined;
    let home = typeof name === 'string' ? serviceHome.get(name) : undefined;
    if (home === undefined) home = layout === 'file' ? 0 : fileFor(serviceFileName(name, si));
    if (typeof name === 'string' && !serviceHome.has(name)) serviceHome.set(name, home); // a duplicate name joins the first
    servicesOf.set(home, [...(servicesOf.get(home) ?? []), si]);
  });
  const sectionsOf = new Map<number, string[]>();
  for (const k of TOP_LEVEL_KEYS) {
    if (k === 'services' || full[k] === undefined) continue;
    let home = sectionHome.get(k);
    if (home === undefined) {
      if (stripped[k] === undefined) continue; // all default and not written anywhere: stays unwritten
      home = layout === 'file' ? 0 : top();
    }
    sectionsOf.set(home, [...(sectionsOf.get(home) ?? []), k]);
  }
  // Keys outside the schema (an invalid candidate) go to config.yaml so nothing is lost.
  for (const k of Object.keys(full)) {
    if (TOP_LEVEL_KEYS.includes(k)) continue;
    const home = sectionHome.get(k) ?? (layout === 'file' ? 0 : top());
    sectionsOf.set(home, [...(sectionsOf.get(home) ?? []), k]);
  }

  const out = new Map<string, string>();
  docs.forEach(({ path, doc }, i) => {
    const wantFull: Obj = {};
    const wantStripped: Obj = {};
    for (const k of sectionsOf.get(i) ?? []) {
      wantFull[k] = full[k];
      if (stripped[k] !== undefined) wantStripped[k] = stripped[k];
    }
    const mine = servicesOf.get(i) ?? [];
    if (mine.length > 0) {
      wantFull.services = mine.map((si) => fullServices[si]);
      wantStripped.services = mine.map((si) => strippedServices[si]);
    }
    const original = previous.find((f) => f.path === path && f.doc.errors.length === 0);
    if (Object.keys(wantFull).length === 0) {
      // A file that was empty already (comments only) stays as it is; one that became empty is dropped
      // (the store deletes it), except the one file of the single-file layout.
      const wasEmpty = original !== undefined && isEmptyContents(original.doc.contents);
      if (wasEmpty) out.set(path, original.text);
      else if (layout === 'file') out.set(path, emptyDocumentText(doc));
      return;
    }
    const ctx = { changed: false };
    expandAliases(doc);
    // A file's header comment hangs on its first key when no blank line follows it: keep it if that key goes.
    const root = doc.contents;
    const firstPair = isMap(root) && root.items.length > 0 ? root.items[0] : undefined;
    const header = (firstPair?.key as Node | undefined)?.commentBefore;
    doc.contents = reconcile(doc, doc.contents as Node | null, wantFull, wantStripped, '', ctx) as ParsedNode;
    if (header && firstPair && !(isMap(doc.contents) && doc.contents.items.includes(firstPair))) {
      doc.commentBefore = doc.commentBefore ? `${header}\n${doc.commentBefore}` : header;
    }
    // An untouched file keeps its exact bytes (yaml would normalise the spacing before inline comments).
    out.set(path, !ctx.changed && original ? original.text : stringify(doc));
  });
  return out;
}

/**
 * Replaces aliases (`*hc`) with copies of what they point to and merge keys (`<<: *hc`) with the pairs they
 * bring, so an in-place edit of one service never changes another through a shared anchor. This works on the
 * clone being rewritten: an unchanged file is still returned with its exact bytes, anchors and all.
 */
function expandAliases(doc: Document): void {
  let aliases = false;
  let merges = false;
  visit(doc, {
    Alias: () => void (aliases = true),
    Pair: (_k, p) => void (isMergeKey(p) && (merges = true)),
  });
  if (!aliases && !merges) return;
  // Resolve every alias against the original document before anything moves.
  const source = doc.clone();
  const targets = new Map<string, Node>();
  visit(source, {
    Node: (_k, n) => {
      if (!isAlias(n) && (n as Node & { anchor?: string }).anchor) targets.set((n as Node & { anchor: string }).anchor, n as Node);
    },
  });
  visit(doc, {
    Alias: (_k, a) => {
      const t = targets.get(a.source);
      if (!t) return undefined;
      const copy = (t as unknown as { clone(): Node }).clone();
      (copy as Node & { anchor?: string }).anchor = undefined;
      return copy;
    },
  });
  // Nested aliases inside copies were copies of aliases: repeat until none is left (bounded by nesting depth).
  for (let round = 0; round < 10; round++) {
    let again = false;
    visit(doc, { Alias: () => void (again = true) });
    if (!again) break;
    visit(doc, {
      Alias: (_k, a) => {
        const t = targets.get(a.source);
        if (!t) return undefined;
        const copy = (t as unknown as { clone(): Node }).clone();
        (copy as Node & { anchor?: string }).anchor = undefined;
        return copy;
      },
    });
  }
  visit(doc, {
    Map: (_k, m) => {
      const merges = m.items.filter(isMergeKey);
      if (merges.length === 0) return;
      const own = new Set(m.items.filter((p) => !merges.includes(p)).map((p) => keyOf(p)));
      const brought: Pair<unknown, unknown>[] = [];
      for (const mp of merges) {
        const sources = isSeq(mp.value) ? mp.value.items : [mp.value];
        for (const src of sources) {
          if (!isMap(src)) continue;
          for (const p of src.items) {
            const k = keyOf(p);
            if (own.has(k)) continue;
            own.add(k);
            brought.push((p as unknown as { clone(): Pair<unknown, unknown> }).clone());
          }
        }
      }
      m.items = [...m.items.filter((p) => !merges.includes(p)), ...brought];
    },
  });
}

/** `<<:` (yaml gives its key a symbol value when merge keys are on). */
function isMergeKey(p: Pair<unknown, unknown>): boolean {
  return isScalar(p.key) && (p.key.value === '<<' || (typeof p.key.value === 'symbol' && (p.key as Scalar).source === '<<'));
}

function isEmptyContents(c: unknown): boolean {
  return isNullNode(c) || (isMap(c) && c.items.length === 0);
}

/** An empty document that keeps the file's leading comment: the comment lines, or `{}` when there are none. */
function emptyDocumentText(doc: Document): string {
  // yaml attaches a leading comment to the document, the collection, or (no blank line after it) the first key.
  const c = doc.contents;
  const firstKey = isMap(c) && c.items.length > 0 ? (c.items[0].key as Node | null) : null;
  const head = doc.commentBefore ?? (isMap(c) || isSeq(c) ? (c as Node).commentBefore : undefined) ?? firstKey?.commentBefore;
  return head ? head.split('\n').map((l) => (l === '' ? '#' : `#${l}`)).join('\n') + '\n' : '{}\n';
}

function inferLayout(previous: LoadedFile[]): 'directory' | 'file' {
  if (previous.length !== 1) return 'directory';
  const p = previous[0].path;
  return p === 'config.yaml' || p === 'config.yml' || p.startsWith('config.d/') ? 'directory' : 'file';
}

function renderCanonicalFiles(config: Config): Map<string, string> {
  const w = toWritten(config);
  const out = new Map<string, string>();
  const { services, ...globals } = w;
  out.set(
    'config.yaml',
    Object.keys(globals).length > 0 ? stringify(makeDocument(globals)) : '# lbctl configuration: every global setting is at its default; services are in config.d/\n',
  );
  // Two services with one name (an invalid candidate) share a file rather than one being lost.
  const byFile = new Map<string, unknown[]>();
  (Array.isArray(services) ? services : []).forEach((svc, i) => {
    const path = serviceFileName(isObj(svc) ? svc.name : undefined, i);
    byFile.set(path, [...(byFile.get(path) ?? []), svc]);
  });
  for (const [path, list] of byFile) out.set(path, stringify(makeDocument({ services: list })));
  return out;
}

// --------------------------------------------------------------------------------------- in-place update

function keyOf(p: Pair): string {
  return String(isScalar(p.key) ? p.key.value : p.key);
}

/** What identifies an item of a list across edits, by the list's key. Undefined = match by position. */
function identity(listKey: string, item: unknown): string | undefined {
  if (isObj(item)) {
    if (listKey === 'services' || listKey === 'instances') return typeof item.name === 'string' ? `name:${item.name}` : undefined;
    if (listKey === 'backends' && typeof item.address === 'string') {
      return `b:${backendKey({ address: canonicalAddress(item.address), port: typeof item.port === 'number' ? item.port : 0 })}`;
    }
    return undefined;
  }
  return `v:${JSON.stringify(item)}`;
}

function newNode(doc: Document, value: unknown): Node {
  const n = doc.createNode(value) as Node;
  styleNode(n);
  return n;
}

/** Replaces `old` with a new node for `value`, keeping the comments that were attached to it. */
function replaceNode(doc: Document, old: Node | null, value: unknown): Node {
  const n = newNode(doc, value);
  if (old) {
    n.commentBefore = old.commentBefore;
    n.comment = old.comment;
    n.spaceBefore = old.spaceBefore;
  }
  return n;
}

/**
 * Makes `node` say `full`, touching as little as possible. Keys present in the file are kept (even when the
 * value is the default); keys absent from it are added only when not default (`stripped` has them).
 */
function reconcile(doc: Document, node: Node | null, full: unknown, stripped: unknown, listKey: string, ctx: { changed: boolean }): Node {
  // `key:` with no value means "the default": while the value is the default, leave it as written.
  if (stripped === undefined && isNullNode(node)) return node as Node;
  if (isObj(full)) {
    if (!isMap(node)) {
      ctx.changed = true;
      return replaceNode(doc, node, stripped ?? {});
    }
    const map = node as YAMLMap<unknown, unknown>;
    const order = Object.keys(full);
    const before = map.items.length;
    // A key written with no value (`description:`) says "not set" just as its absence does: it may stay.
    map.items = map.items.filter((p) => full[keyOf(p)] !== undefined || isNullNode(p.value));
    if (map.items.length !== before) ctx.changed = true;
    // Duplicate keys cannot load, so none are expected; keep the first if any.
    for (const k of order) {
      const pair = map.items.find((p) => keyOf(p) === k);
      const s = isObj(stripped) ? stripped[k] : undefined;
      if (pair) {
        const hadItems = isMap(pair.value) && pair.value.items.length > 0;
        pair.value = reconcile(doc, (pair.value as Node | null) ?? null, full[k], s, k, ctx);
        // A section whose every written key went and whose value is all default disappears (no `node: {}`);
        // one written empty (`node: {}`) is left as written.
        if (s === undefined && hadItems && isMap(pair.value) && pair.value.items.length === 0) {
          map.items = map.items.filter((p) => p !== pair);
          ctx.changed = true;
        }
      } else if (s !== undefined) {
        ctx.changed = true;
        const created = doc.createPair(k, s) as Pair<unknown, unknown>;
        styleNode(created.value);
        // Insert before the first existing key that comes later in canonical order.
        const at = map.items.findIndex((p) => order.indexOf(keyOf(p)) > order.indexOf(k));
        if (at === -1) map.items.push(created);
        else map.items.splice(at, 0, created);
      }
    }
    return map;
  }
  if (Array.isArray(full)) {
    if (!isSeq(node)) {
      ctx.changed = true;
      return replaceNode(doc, node, stripped ?? full);
    }
    const seq = node as YAMLSeq<unknown>;
    const pool = seq.items.map((n) => ({ node: n as Node, id: identity(listKey, identityFields(n)), used: false }));
    const strippedList = Array.isArray(stripped) ? stripped : [];
    const old = [...seq.items];
    seq.items = full.map((item, i) => {
      const id = identity(listKey, item);
      let match = id !== undefined ? pool.find((p) => !p.used && p.id === id) : undefined;
      if (!match && id === undefined && pool[i] && !pool[i].used && pool[i].id === undefined) match = pool[i];
      const s = strippedList[i] ?? item;
      if (!match) {
        ctx.changed = true;
        const n = newNode(doc, s);
        if (listKey === 'services' && i > 0 && !seq.flow) n.spaceBefore = true;
        return n;
      }
      match.used = true;
      return reconcile(doc, match.node, item, s, listKey, ctx);
    });
    if (old.length !== seq.items.length || old.some((n, i) => n !== seq.items[i])) ctx.changed = true;
    return seq;
  }
  // A scalar. Equal values keep their node (and so their quoting and comments).
  if (isScalar(node)) {
    const sc = node as Scalar;
    if (sc.value === full) return sc;
    ctx.changed = true;
    if (typeof sc.value !== typeof full) sc.type = undefined;
    sc.value = full;
    return sc;
  }
  ctx.changed = true;
  return replaceNode(doc, node, full);
}

function isNullNode(n: unknown): boolean {
  return n === null || n === undefined || (isScalar(n) && n.value === null);
}

/** The fields that identify a list item (name, address, port), read from its node without resolving anything. */
function identityFields(n: unknown): unknown {
  if (isScalar(n)) return n.value;
  if (!isMap(n)) return undefined;
  const out: Obj = {};
  for (const p of n.items) {
    const k = keyOf(p);
    if ((k === 'name' || k === 'address' || k === 'port') && isScalar(p.value)) out[k] = p.value.value;
  }
  return out;
}
