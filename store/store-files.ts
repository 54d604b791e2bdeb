// The store's view of the configuration directory: which files are ours, what they contain now, and the plan
// of writes and removals that makes them say a given configuration (rendered with the current files as
// `previous`, so comments an operator wrote by hand survive a commit).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/model.js';
import type { ConfigError } from '../config/errors.js';
import { loadConfig, loadConfigTexts, type LoadedFile } from '../config/load.js';
import { renderConfigFiles, renderYaml } from '../config/render.js';
import { configHash, configsEqual } from '../config/equal.js';
import { loadOrder } from './file-layout.js';
import type { FileFingerprints } from './file-fingerprints.js';

export function sha256(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The configuration hash: sha256 of the canonical rendering (same model → same bytes → same hash). */
export const hashConfig: (config: Config) => string = configHash;

export interface ConfigLocation {
  /** As given: a directory (config.yaml + config.d/) or one YAML file. */
  path: string;
  /** The directory file paths are relative to. */
  dir: string;
  singleFile: boolean;
}

export function locateConfig(configPath: string): ConfigLocation {
  const path = resolve(configPath);
  let singleFile = /\.ya?ml$/.test(path);
  try {
    singleFile = statSync(path).isFile();
  } catch {
    /* missing: decide by the name */
  }
  return { path, dir: singleFile ? dirname(path) : path, singleFile };
}

/** Relative paths of the configuration files that exist now (ours: config.yaml and config.d/*.yaml). */
export function listConfigFiles(loc: ConfigLocation): string[] {
  if (loc.singleFile) return existsSync(loc.path) ? [loc.path.slice(loc.dir.length + 1)] : [];
  const out: string[] = [];
  for (const name of ['config.yaml', 'config.yml']) if (existsSync(join(loc.dir, name))) out.push(name);
  try {
    for (const name of readdirSync(join(loc.dir, 'config.d')).sort()) {
      if (/\.ya?ml$/.test(name) && !name.startsWith('.')) out.push(`config.d/${name}`);
    }
  } catch {
    /* no config.d */
  }
  return out;
}

/**
 * sha256 of each configuration file's bytes, keyed by relative path. `known`: a long-lived store's fingerprints,
 * which read a file again only when its identity changed (store/file-fingerprints.ts).
 */
export function fingerprintFiles(loc: ConfigLocation, known?: FileFingerprints): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of listConfigFiles(loc)) {
    const sum = known ? known.of(join(loc.dir, rel)) : sha256(readFileSync(join(loc.dir, rel)));
    if (sum !== null) out[rel] = sum;
  }
  return out;
}

export interface DiskConfig {
  /** False when there are no configuration files at all. */
  present: boolean;
  config: Config | null;
  errors: ConfigError[];
  files: LoadedFile[];
  fingerprints: Record<string, string>;
}

/** The configuration in the files, with `fingerprints` (the files' as they are now, unless the caller took them). */
export function readDiskConfig(loc: ConfigLocation, fingerprints: Record<string, string> = fingerprintFiles(loc)): DiskConfig {
  if (Object.keys(fingerprints).length === 0) return { present: false, config: null, errors: [], files: [], fingerprints };
  const result = loadConfig(loc.path);
  return { present: true, config: result.errors.length === 0 ? result.config : null, errors: result.errors, files: result.files, fingerprints };
}

export interface FilePlan {
  /** Relative path → full new content. */
  writes: Record<string, string>;
  /** Files of `writes` whose content on disk is already exactly that (not rewritten). */
  unchanged: string[];
  /** Relative paths to remove. */
  deletes: string[];
}

/** The writes and removals that make the directory hold exactly `config` (comments of `previous` kept). */
export function planFiles(loc: ConfigLocation, config: Config, previous: LoadedFile[]): FilePlan {
  const rendered = renderConfigFiles(config, previous, loc.singleFile ? { layout: 'file' } : {});
  const writes: Record<string, string> = {};
  if (loc.singleFile) {
    // One file holds everything: keep its name whatever the renderer calls it.
    const rel = loc.path.slice(loc.dir.length + 1);
    const only = rendered.size === 1 ? [...rendered.values()][0] : renderYaml(config);
    writes[rel] = only;
    return { writes, unchanged: unchangedOf(loc, writes), deletes: [] };
  }
  for (const [rel, content] of rendered) writes[rel] = content;
  const existing = new Set([...listConfigFiles(loc), ...previous.map((f) => f.path)]);
  const deletes = [...existing].filter((rel) => !(rel in writes)).sort();
  return { writes, unchanged: unchangedOf(loc, writes), deletes };
}

/** Files whose bytes on disk already equal the planned content: rewriting them would only cost fsyncs. */
function unchangedOf(loc: ConfigLocation, writes: Record<string, string>): string[] {
  return Object.keys(writes)
    .filter((rel) => {
      try {
        return readFileSync(join(loc.dir, rel), 'utf8') === writes[rel];
      } catch {
        return false;
      }
    })
    .sort();
}

/**
 * Fingerprints by path in code-unit order: the same bytes in a revision whatever the machine's locale (the
 * locale's collation, localeCompare, also cost ~47 ms a commit under emulation in the kernel VM's profile).
 */
export function sortedFingerprints(fingerprints: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(fingerprints).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The fingerprints the directory will have once `plan` is carried out: exactly its files. */
export function fingerprintsOfPlan(plan: FilePlan): Record<string, string> {
  return sortedFingerprints(Object.fromEntries(Object.entries(plan.writes).map(([rel, content]) => [rel, sha256(content)])));
}


/**
 * A hash that ignores the order of services: after a restart services come back in file order (config.yaml,
 * then config.d/ by name), which need not be the order a candidate listed them in; that is not a change.
 */
export function comparableHash(config: Config): string {
  const sorted = { ...config, services: [...(config.services ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  return hashConfig(sorted);
}

export interface LoadBack {
  /** The configuration the planned files say, as a restart would load it (services in file order). */
  config: Config | null;
  errors: ConfigError[];
  /** The planned files as loaded back (their documents give the revision's layout). */
  files: LoadedFile[];
}

/**
 * Loads the planned files back, as a restart would, and checks they say exactly `config` (up to the order of
 * services): the store records this loaded-back configuration, so a revision and its files never disagree.
 */
export function loadPlanBack(loc: ConfigLocation, plan: FilePlan, config: Config): LoadBack {
  const texts = Object.entries(plan.writes)
    .sort(([a], [b]) => loadOrder(a, b))
    .map(([path, text]) => ({ path, text }));
  const result = loadConfigTexts(texts, loc.singleFile ? 'file' : 'directory');
  if (result.errors.length > 0 || !result.config) return { config: null, errors: result.errors, files: [] };
  if (!configsEqual(result.config, config)) {
    return {
      config: null,
      errors: [{ file: '', line: 0, column: 0, path: '', message: 'the rendered configuration files do not load back to the candidate configuration (a renderer bug); nothing was written' }],
      files: [],
    };
  }
  return { config: result.config, errors: [], files: result.files };
}
