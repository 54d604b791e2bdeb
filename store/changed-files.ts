// A commit's file plan made from the change alone: only the files that hold a changed, added or removed service
// or a changed global section are parsed, rendered (comments kept, as renderConfigFiles always does) and loaded
// back; every other file keeps its bytes and is not read beyond its fingerprint. This is what makes a one-weight
// commit among 10,000 services cost one file, not the whole directory (issue 13; docs/store.md).
//
// It applies only when the running revision's layout describes the files on disk (their fingerprints are the
// ones the revision recorded) and the layout is a directory. Otherwise, or for anything it cannot place with
// certainty, it answers null and the store makes the plan of the whole directory as before.
import { normalizeWrittenService, parseConfigDocument, readFileBack, type LoadedFile } from '../config/load.js';
import { applyDefaults, defaultConfig } from '../config/defaults.js';
import { renderConfigFiles, serviceFileName } from '../config/render.js';
import { TOP_LEVEL_KEYS } from '../config/schema.js';
import { sameData } from '../config/same-data.js';
import { changedIndexesInPlace, servicesByName } from '../config/delta.js';
import { configsEqual } from '../config/equal.js';
import type { Config, Service } from '../config/model.js';
import type { ConfigError } from '../config/errors.js';
import { layoutOfDocuments, loadOrder, type FileLayout } from './file-layout.js';
import { spliceServicesChecked, type SpliceCheck } from './service-splice.js';
import { looksLikeJson, spliceJsonServicesChecked } from './json-service-splice.js';
import type { FilePlan } from './store-files.js';

export interface ChangedFilesPlan {
  plan: FilePlan;
  /** The configuration the directory says after the plan (services in file order, as a restart loads them). */
  committed: Config;
  layout: FileLayout;
}

type Obj = Record<string, unknown>;


const rememberedHomes = new WeakMap<FileLayout, { serviceHome: Map<string, string>; sectionHome: Map<string, string> }>();

/**
 * The file each service and each section is in; remembered for a frozen layout (the running revision's, which a
 * commit that changes services in place keeps for the next revision).
 */
function homesOf(layout: FileLayout): { serviceHome: ReadonlyMap<string, string>; sectionHome: ReadonlyMap<string, string> } {
  const known = rememberedHomes.get(layout);
  if (known) return known;
  const serviceHome = new Map<string, string>();
  const sectionHome = new Map<string, string>();
  for (const [file, entry] of Object.entries(layout)) {
    for (const name of entry.services) if (!serviceHome.has(name)) serviceHome.set(name, file);
    for (const key of entry.sections) if (!sectionHome.has(key)) sectionHome.set(key, file);
  }
  if (Object.isFrozen(layout)) rememberedHomes.set(layout, { serviceHome, sectionHome });
  return { serviceHome, sectionHome };
}

/**
 * The plan that makes the directory say `candidate`, given that it says `running` now, laid out as `layout`.
 * `readFile` returns a file's current text (only files the change touches are read). Null: plan the whole
 * directory instead. `errors`: the rewritten files would not load back to the candidate (a renderer bug).
 */
export function planChangedFiles(
  running: Config,
  layout: FileLayout,
  candidate: Config,
  readFile: (rel: string) => string,
): ChangedFilesPlan | { errors: ConfigError[] } | null {
  const before = servicesByName(running.services);
  const after = servicesByName(candidate.services);
  if (!before || !after) return null;

  const { serviceHome, sectionHome } = homesOf(layout);
  // In place (the usual commit), the services that differ are found by identity (config/delta.ts): a one-weight
  // commit among 10,000 services looks at one of them here.
  const inPlace = changedIndexesInPlace(running.services, candidate.services);
  /** The running list is this layout's services in file order (the last plan said so): nothing to check again. */
  const runningInFileOrder = isInFileOrder(layout, running.services);
  // The layout must place every running service, and nothing else: otherwise it does not describe these files.
  if (!runningInFileOrder && (serviceHome.size !== before.size || [...before.keys()].some((n) => !serviceHome.has(n)))) return null;

  const touched = new Set<string>();
  /** Services changed in place (same name, in the file that holds them), by file; null once anything else changed. */
  let modifiedOnly: Map<string, Service[]> | null = new Map();
  const lookAt = inPlace ? inPlace.map((i) => [candidate.services[i], i] as const) : candidate.services.map((s, i) => [s, i] as const);
  lookAt.forEach(([s, i]) => {
    const old = before.get(s.name);
    if (old === s || (old && sameData(old, s))) return;
    const home = serviceHome.get(s.name) ?? serviceFileName(s.name, i);
    touched.add(home);
    if (!old) modifiedOnly = null;
    else modifiedOnly?.set(home, [...(modifiedOnly.get(home) ?? []), s]);
  });
  /** Services removed, by the file that held them: a JSON file has them cut out (store/json-service-splice.ts). */
  const removedFrom = new Map<string, Set<string>>();
  let removedCount = 0;
  // In place, every name is where it was: nothing was removed.
  if (!inPlace) {
    for (const name of before.keys()) {
      if (after.has(name)) continue;
      const home = serviceHome.get(name)!;
      touched.add(home);
      if (!removedFrom.has(home)) removedFrom.set(home, new Set());
      removedFrom.get(home)!.add(name);
      removedCount++;
    }
  }
  // Nothing added (each service is one of the running ones, above): the names are the running ones less those removed.
  if (after.size + removedCount !== before.size) modifiedOnly = null;
  const top = 'config.yaml' in layout ? 'config.yaml' : 'config.yml' in layout ? 'config.yml' : 'config.yaml';
  const sections = TOP_LEVEL_KEYS.filter((k) => k !== 'services');
  for (const k of [...sections, ...Object.keys(candidate).filter((k) => !TOP_LEVEL_KEYS.includes(k))]) {
    const a = (running as unknown as Obj)[k];
    const b = (candidate as unknown as Obj)[k];
    if (!sameData(a, b)) {
      touched.add(sectionHome.get(k) ?? top);
      modifiedOnly = null;
    }
  }
  if (touched.size === 0) return { plan: { writes: {}, unchanged: [], deletes: [] }, committed: candidate, layout };

  // The configuration that the touched files must say: their services and sections; every section written
  // elsewhere is set to its default, so that the renderer leaves it out of these files.
  const defaults = defaultConfig() as unknown as Obj;
  const part: Obj = {};
  for (const k of Object.keys(candidate)) {
    if (k === 'services') continue;
    const home = sectionHome.get(k) ?? top;
    part[k] = touched.has(home) ? (candidate as unknown as Obj)[k] : defaults[k];
  }
  // The touched files' services: needed to render files whole, not for a splice (which renders the changed ones).
  const withServices = () => {
    part.services ??= candidate.services.filter((s, i) => touched.has(serviceHome.get(s.name) ?? serviceFileName(s.name, i)));
    return part as unknown as Config;
  };

  // Services changed in place: each is rendered alone into its file's text (store/service-splice.ts, or
  // store/json-service-splice.ts for a file written as JSON), without parsing the rest of the file; otherwise, or when a file is not laid out for it, the touched files are parsed
  // and rendered whole.
  const texts = new Map<string, string>();
  const readOnce = (rel: string) => texts.get(rel) ?? texts.set(rel, readFile(rel)).get(rel)!;
  let rendered: Map<string, string> | null = null;
  if (modifiedOnly) {
    rendered = new Map();
    const modified = modifiedOnly as Map<string, Service[]>;
    /** A file's layout once its removed services are out. */
    const left = (rel: string): FileLayout[string] => {
      const removed = removedFrom.get(rel);
      return removed ? { services: layout[rel].services.filter((n) => !removed.has(n)), sections: layout[rel].sections } : layout[rel];
    };
    for (const rel of new Set([...modified.keys(), ...removedFrom.keys()])) {
      const services = modified.get(rel) ?? [];
      const removed = [...(removedFrom.get(rel) ?? [])];
      // An item the substitution already loaded and found to be its service is not loaded again by the check.
      const loaded = new Map<string, Service>();
      const loadsAs = (alone: string, s: Service) => {
        const ok = itemLoadsAs(rel, alone, s);
        if (ok) loaded.set(alone, s);
        return ok;
      };
      const sections = { ...(part as unknown as Config), services: [] };
      const text = rel in layout ? readOnce(rel) : null;
      // Only a JSON file has its removed items cut out; a YAML one is rendered whole (comments belong to items).
      const spliced =
        text === null ? null
        : looksLikeJson(text) ? spliceJsonServicesChecked(text, services, sections, { before, loadsAs }, removed)
        : removed.length > 0 ? null
        : spliceServicesChecked(text, rel, services, sections, { before, loadsAs });
      if (spliced === null || !(splicedItemsLoadBack(rel, spliced.check, left(rel), loaded) || splicedLoadsBack(rel, spliced.text, left(rel), services))) {
        rendered = null;
        break;
      }
      rendered.set(rel, spliced.text);
    }
    if (rendered) {
      // Each file holds the same services and sections as before, less the removed ones (checked): the layout
      // stays, or loses those names.
      const writes = Object.fromEntries([...rendered].sort(([a], [b]) => loadOrder(a, b)));
      const unchanged = Object.keys(writes).filter((rel) => texts.get(rel) === writes[rel]);
      const nextLayout = removedFrom.size === 0 ? layout : Object.fromEntries(Object.keys(layout).map((rel) => [rel, left(rel)]));
      // Services changed in place on a list known to be in file order: the candidate is in file order too.
      const committed = inPlace && runningInFileOrder ? candidate : inLoadOrder(candidate, inFileOrder(nextLayout, after));
      if (committed === candidate && nextLayout === layout) rememberInFileOrder(layout, candidate.services);
      return { plan: { writes, unchanged, deletes: [] }, committed, layout: nextLayout };
    }
  }
  const previous: LoadedFile[] = [];
  if (!rendered) {
    for (const rel of [...touched].sort(loadOrder)) {
      if (!(rel in layout)) continue; // a new file
      const text = readOnce(rel);
      const doc = parseConfigDocument(text);
      if (doc.errors.length > 0) return null;
      previous.push({ path: rel, text, doc });
    }
    rendered = renderConfigFiles(withServices(), previous, { layout: 'directory' });
  }

  const writes: Record<string, string> = {};
  const unchanged: string[] = [];
  for (const [rel, text] of rendered) {
    if (!touched.has(rel)) return null; // the renderer placed something where the layout did not expect it
    writes[rel] = text;
    if (texts.get(rel) === text) unchanged.push(rel);
  }
  const deletes = [...touched].filter((rel) => rel in layout && !(rel in writes)).sort();

  // Load the rewritten files back, as a restart would (js-yaml first, the comment-keeping parser only for a
  // file it will not read), and check they say exactly what was asked of them.
  const back = Object.entries(writes).map(([path, text]) => readFileBack(path, text));
  const backLayout = layoutOfDocuments(back);
  if (!backLayout) return { errors: [renderBug('a rewritten file does not parse back')] };
  const raw: Obj = {};
  const services: unknown[] = [];
  for (const file of back) {
    const data = 'data' in file ? file.data : (file.doc.toJS({ maxAliasCount: 1000 }) as unknown);
    if (data === null || data === undefined) continue;
    if (typeof data !== 'object' || Array.isArray(data)) return { errors: [renderBug('a rewritten file is not a mapping')] };
    for (const [k, v] of Object.entries(data as Obj)) {
      if (k === 'services') services.push(...(Array.isArray(v) ? v.map(normalizeWrittenService) : []));
      else raw[k] = v;
    }
  }
  raw.services = services;
  if (!configsEqual(applyDefaults(raw), withServices())) {
    return { errors: [renderBug('the rewritten files do not load back to the candidate configuration')] };
  }

  const nextLayout: FileLayout = {};
  for (const [rel, entry] of Object.entries(layout)) if (!touched.has(rel)) nextLayout[rel] = entry;
  Object.assign(nextLayout, backLayout);
  const ordered = inFileOrder(nextLayout, after);
  if (ordered.length !== candidate.services.length || ordered.some((s) => s === undefined)) {
    return { errors: [renderBug('the rewritten files do not hold every service of the candidate')] };
  }
  return {
    plan: { writes, unchanged: unchanged.sort(), deletes },
    committed: inLoadOrder(candidate, ordered),
    layout: Object.fromEntries(Object.entries(nextLayout).sort(([a], [b]) => loadOrder(a, b))),
  };
}

/**
 * Service lists known to be exactly their layout's services in file order: the committed list of a splice plan
 * made against that layout. Both are frozen (the running revision's), so the fact stays true; the next commit on
 * top, changing services in place, need not walk 10,000 names again to know that the layout places them all and
 * that its candidate is in load order (each such pass ~25 ms under emulation).
 */
const inFileOrderLists = new WeakMap<FileLayout, WeakSet<object>>();

function isInFileOrder(layout: FileLayout, list: Service[]): boolean {
  return inFileOrderLists.get(layout)?.has(list) === true;
}

function rememberInFileOrder(layout: FileLayout, list: Service[]): void {
  if (!Object.isFrozen(layout) || !Object.isFrozen(list)) return;
  let lists = inFileOrderLists.get(layout);
  if (!lists) inFileOrderLists.set(layout, (lists = new WeakSet()));
  lists.add(list);
}

/**
 * The candidate with its services in load order: the candidate itself when they are in that order already (the
 * usual case), so that the store's revision, the engine's running configuration and the next candidate share one
 * list, whose indexes by name are then built once per revision (config/delta.ts).
 */
function inLoadOrder(candidate: Config, ordered: Service[]): Config {
  const same = ordered.length === candidate.services.length && ordered.every((s, i) => s === candidate.services[i]);
  return same ? candidate : { ...candidate, services: ordered };
}

/** The services in the order a restart loads them: files in load order, each file's services in its order. */
function inFileOrder(layout: FileLayout, byName: ReadonlyMap<string, Service>): Service[] {
  const ordered: Service[] = [];
  for (const rel of Object.keys(layout).sort(loadOrder)) for (const name of layout[rel].services) ordered.push(byName.get(name)!);
  return ordered;
}

/**
 * The splice checked item by item, without loading the whole file back: the file's items, as its lines show them,
 * are the layout's services in order, the sequence ends where the lines say, and each rewritten item, loaded as a
 * restart would load it (js-yaml) from its own lines, is exactly the service asked for. Every byte outside the
 * rewritten items is the file's own (unchanged since the running revision, by its fingerprint), and an item whose
 * lines are all indented past its dash is the same YAML node alone as inside the file: so this says what loading
 * the whole file would. False when it cannot tell (the caller then loads the whole file back). `loaded`: item texts
 * already loaded and found to be the service given (the substitution's own check), not loaded again.
 */
export function splicedItemsLoadBack(rel: string, check: SpliceCheck, before: FileLayout[string], loaded: ReadonlyMap<string, Service> = new Map()): boolean {
  if (!check.endsPlainly || check.names.length !== before.services.length || check.names.some((n, i) => n !== before.services[i])) return false;
  return check.items.every(({ service, alone }) => alone !== null && (loaded.get(alone) === service || itemLoadsAs(rel, alone, service)));
}

/** `alone` (`services:` and one item, as a SpliceCheck holds it), loaded as a restart would, is exactly `service`. */
function itemLoadsAs(rel: string, alone: string, service: Service): boolean {
  const file = readFileBack(rel, alone);
  const data = 'data' in file ? (file.data as Obj | null) : null;
  const keys = data && typeof data === 'object' && !Array.isArray(data) ? Object.keys(data) : [];
  if (keys.length !== 1 || keys[0] !== 'services' || !Array.isArray(data!.services) || data!.services.length !== 1) return false;
  const item = data!.services[0] as Obj;
  return item?.name === service.name && loadsAs([item], [service]);
}

/**
 * A spliced file, loaded back as a restart would (js-yaml), holds exactly the sections and services, in order,
 * that it held before, and the changed services load back to what was asked. The bytes outside the changed items
 * are the file's own, so this is what could have gone wrong.
 */
function splicedLoadsBack(rel: string, text: string, before: FileLayout[string], changed: Service[]): boolean {
  const file = readFileBack(rel, text);
  const data = 'data' in file ? (file.data as Obj | null) : null;
  if (!data || typeof data !== 'object' || Array.isArray(data) || !Array.isArray(data.services)) return false;
  const sections = Object.keys(data).filter((k) => k !== 'services');
  if (sections.length !== before.sections.length || sections.some((k, i) => k !== before.sections[i])) return false;
  const items = data.services as Obj[];
  if (items.length !== before.services.length || items.some((item, i) => item?.name !== before.services[i])) return false;
  const names = new Set(changed.map((s) => s.name));
  return loadsAs(items.filter((item) => names.has(item.name as string)), changed);
}

/** Written service items, loaded as a restart loads them (normalised, defaults filled), are exactly `services`. */
function loadsAs(items: unknown[], services: Service[]): boolean {
  const loaded = applyDefaults({ services: items.map(normalizeWrittenService) });
  return configsEqual(loaded, { ...loaded, services });
}

function renderBug(what: string): ConfigError {
  return { file: '', line: 0, column: 0, path: '', message: `${what} (a renderer bug); nothing was written` };
}
