// Loading: a configuration directory (config.yaml + config.d/*.yaml, sorted by name) or one YAML file becomes
// one model. Each file is parsed with the yaml Document API (comments and key order stay available for
// render.ts), the files are merged (services concatenate; any other top-level section may appear in one file
// only), defaults are filled in and the result validated. Errors point at file:line:column of the YAML node;
// a service's path uses its index inside its own file, the way the operator sees it.
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Document, Node } from 'yaml';
import { isMap, isScalar, isSeq, newDocument, newParseError, parseDocument } from './yaml-lib.js';
import type { Config } from './model.js';
import { applyDefaults } from './defaults.js';
import { parsePortText } from './derive.js';
import { type ConfigError, type Location, type Locator, type Path, formatPath, sortErrors } from './errors.js';
import { validateConfig } from './validate.js';
import { readYamlData } from './fast-yaml.js';
import { TOP_LEVEL_KEYS } from './schema.js';

export type { ConfigError } from './errors.js';
export { formatConfigError, errorSummary } from './errors.js';

export const CONFIG_FILE = 'config.yaml';
export const CONFIG_D = 'config.d';

export interface LoadedFile {
  /** Relative to the configuration directory: `config.yaml`, `config.d/web.yaml`; the base name for a single file. */
  path: string;
  text: string;
  /** The comment-keeping document (parsed when first asked for, after a fast load). */
  doc: Document;
  /** The file's data, when the fast load read it (config/fast-yaml.ts). */
  data?: unknown;
}

export interface LoadResult {
  /** The validated model with defaults filled in; null when there are errors. */
  config: Config | null;
  /** Every error, sorted by file (load order), line and column. */
  errors: ConfigError[];
  /** The files read, in load order (config.yaml first, then config.d/ by name). */
  files: LoadedFile[];
  /** 'directory' for a configuration directory, 'file' for a single YAML file (render keeps everything in it). */
  layout: 'directory' | 'file';
}

/** A file's text as read from disk or held by a revision: the input of loadConfigTexts. */
export interface ConfigText {
  path: string;
  text: string;
}

/**
 * The largest configuration file lbctl reads (docs/config.md). 10,000 services with four backends each take
 * 3.6 MB as one file, so this leaves room; anything far beyond is a mistake (`load merge /dev/zero`, a log file),
 * and reading it whole cost gigabytes before the first error could be said.
 */
export const MAX_CONFIG_FILE_BYTES = 8 * 1024 * 1024;

/** Refused before a byte is parsed: not a regular file, or over MAX_CONFIG_FILE_BYTES. */
export class ConfigFileRefusedError extends Error {
  override name = 'ConfigFileRefusedError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * A configuration file's text. Only a regular file is read (a device, a FIFO or a socket never ends or never
 * answers), and at most MAX_CONFIG_FILE_BYTES of it: the size is checked on the open descriptor, so a file
 * swapped or grown in between cannot make the read unbounded.
 */
export function readConfigFile(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ConfigFileRefusedError(path, `not a regular file (${fileKind(st)}): lbctl reads configuration only from regular files`);
    if (st.size > MAX_CONFIG_FILE_BYTES)
      throw new ConfigFileRefusedError(path, `${st.size} bytes is over the ${MAX_CONFIG_FILE_BYTES}-byte limit of one configuration file: split it into config.d/ files`);
    // A buffer the size the file says (plus one byte, to see it grow), enlarged only if it does grow: one of the
    // limit's size per file zero-filled 8 MiB a hundred times for a config.d/ of a hundred files (0.7 s of CPU
    // and most of the peak memory of `lbctl validate` at 10,000 services).
    let buf = Buffer.allocUnsafe(Math.min(st.size + 1, MAX_CONFIG_FILE_BYTES + 1));
    let n = 0;
    for (;;) {
      if (n === buf.length) {
        const bigger = Buffer.allocUnsafe(Math.min(buf.length * 2, MAX_CONFIG_FILE_BYTES + 1));
        buf.copy(bigger, 0, 0, n);
        buf = bigger;
      }
      const got = readSync(fd, buf, n, buf.length - n, null);
      if (got === 0) break;
      n += got;
      if (n > MAX_CONFIG_FILE_BYTES) throw new ConfigFileRefusedError(path, `the file grew over the ${MAX_CONFIG_FILE_BYTES}-byte limit while being read`);
    }
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

function fileKind(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/** The files of a configuration directory in load order, or the single file; throws on I/O errors. */
export function readConfigTexts(path: string): { files: ConfigText[]; layout: 'directory' | 'file' } {
  const st = statSync(path);
  if (!st.isDirectory()) return { files: [{ path: basename(path), text: readConfigFile(path) }], layout: 'file' };
  const files: ConfigText[] = [];
  // config.yml is accepted as a spelling of config.yaml (if both exist both load, and a section in both is an error).
  for (const name of [CONFIG_FILE, 'config.yml']) {
    const top = join(path, name);
    if (existsSync(top)) files.push({ path: name, text: readConfigFile(top) });
  }
  const dDir = join(path, CONFIG_D);
  if (existsSync(dDir) && statSync(dDir).isDirectory()) {
    const names = readdirSync(dDir)
      .filter((n) => /\.ya?ml$/.test(n) && !n.startsWith('.'))
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); // code-point order: the same on every machine and locale
    for (const n of names) {
      const full = join(dDir, n);
      if (!statSync(full).isDirectory()) files.push({ path: `${CONFIG_D}/${n}`, text: readConfigFile(full) });
    }
  }
  return { files, layout: 'directory' };
}

/**
 * Loads a configuration directory (config.yaml and/or config.d/*.yaml) or a single YAML file. Synchronous: the
 * shell and the store call it on their own paths. An existing directory with no files is an empty configuration.
 */
export function loadConfig(path: string): LoadResult {
  let read: { files: ConfigText[]; layout: 'directory' | 'file' };
  try {
    read = readConfigTexts(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = err instanceof ConfigFileRefusedError ? e.message : e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.message;
    // Name the file that was refused or unreadable (inside a directory, the directory alone would not say which).
    const file = (err as { path?: string }).path ?? path;
    return { config: null, errors: [{ file, line: 0, column: 0, path: '', message: `cannot read: ${why}` }], files: [], layout: 'directory' };
  }
  return loadConfigTexts(read.files, read.layout);
}

/** One YAML document given as text (a single-file configuration). */
export function parseConfigText(text: string, fileName: string): LoadResult {
  return loadConfigTexts([{ path: fileName, text }], 'file');
}

/**
 * The model of a set of file texts (as read from a directory, or kept by a revision). Valid files are read the
 * fast way (js-yaml); anything else is read again with `yaml` so that every error is located.
 */
export function loadConfigTexts(texts: ConfigText[], layout: 'directory' | 'file' = 'directory'): LoadResult {
  return fastLoad(texts, layout) ?? locatedLoad(texts, layout);
}

/** A file whose comment-keeping document is parsed only if somebody asks for it (the store's renderer does). */
/**
 * A file whose data was read by the fast load; its comment-keeping document is parsed only if asked for. `data`
 * undefined: the fast load could not read it, and the document is all there is.
 */
export function readFileBack(path: string, text: string): LoadedFile {
  const read = readYamlData(text);
  return 'data' in read ? lazyFile(path, text, read.data) : { path, text, doc: parseConfigDocument(text) };
}

function lazyFile(path: string, text: string, data: unknown): LoadedFile {
  let doc: Document | undefined;
  return {
    path,
    text,
    data,
    get doc() {
      return (doc ??= parseConfigDocument(text));
    },
  };
}

/**
 * The fast load: every file read by js-yaml, merged and validated. Null at the first thing that is not clean
 * (a file js-yaml will not read, a file that is not a mapping, a section in two files, a validation error): the
 * located load then finds and positions everything.
 */
function fastLoad(texts: ConfigText[], layout: 'directory' | 'file'): LoadResult | null {
  const files: LoadedFile[] = [];
  const raw: Obj = {};
  const services: unknown[] = [];
  for (const t of texts) {
    const read = readYamlData(t.text);
    if ('failed' in read) return null;
    const data = read.data;
    files.push(lazyFile(t.path, t.text, data));
    if (data === undefined || data === null) continue;
    if (!isObj(data)) return null;
    for (const [k, v] of Object.entries(data)) {
      if (k === 'services') {
        if (v === null) continue;
        if (!Array.isArray(v)) return null;
        for (const s of v) services.push(s); // applyDefaults reads the written port notation
      } else {
        if (k in raw) return null;
        raw[k] = v;
      }
    }
  }
  raw.services = services;
  const config = applyDefaults(raw);
  if (validateConfig(config).length > 0) return null;
  return { config, errors: [], files, layout };
}

/** The load with `yaml` documents: every error located at file:line:column (exported for the test that holds both loads to one model). */
export function locatedLoad(texts: ConfigText[], layout: 'directory' | 'file'): LoadResult {
  const files: LoadedFile[] = [];
  const errors: ConfigError[] = [];
  const raws: unknown[] = [];
  const broken = new Set<string>();
  for (const t of texts) {
    const deep = tooDeepAt(t.text);
    const doc = deep === null ? parseConfigDocument(t.text) : tooDeepDocument(deep);
    const file: LoadedFile = { path: t.path, text: t.text, doc };
    files.push(file);
    if (doc.errors.length > 0) {
      const said = new Set<string>();
      // A file nested too deeply has that one error: what the parser said after its stack ran out depends on
      // where it ran out, which depends on the caller's stack (lbctl validate and a library call differed).
      const tooDeep = doc.errors.filter((e) => yamlMessage(e.message) === TOO_DEEP_MESSAGE);
      for (const e of tooDeep.length > 0 ? tooDeep.slice(0, 1) : doc.errors) {
        // Positions from the text itself, not from yaml's LineCounter: a parse cut short by nesting too deep
        // stops counting lines, and every later error landed on the last line counted, columns past its end.
        const key = e.code === 'DUPLICATE_KEY' ? /^[^\s:#]+/.exec(t.text.slice(e.pos[0]))?.[0] : undefined;
        const message = key !== undefined ? `duplicate key "${key}": each key may appear once in a mapping` : yamlMessage(e.message);
        // Where the parser's stack ran out depends on how much stack the caller left it (lbctl validate and a
        // library call differed by 136 columns): such an error stands where the nesting gets too deep instead.
        const { line, column } = offsetPosition(file, message === TOO_DEEP_MESSAGE ? tooDeepOffset(t.text) : e.pos[0]);
        // One error per place and message: 20,000 unclosed `[` made 20,000 copies of one sentence.
        if (said.has(`${line}:${column}:${message}`)) continue;
        said.add(`${line}:${column}:${message}`);
        errors.push({ file: t.path, line, column, path: '', message });
      }
      broken.add(t.path);
    }
    // A file with syntax errors still contributes what yaml recovered, so other files are not blamed for what
    // it holds (a default vip, a service name); errors located in it are dropped below as unreliable.
    let raw: unknown;
    try {
      raw = doc.toJS({ maxAliasCount: 1000 });
    } catch (err) {
      // Structurally valid YAML that still is no data: a merge key on a scalar, too many aliases.
      raw = undefined;
      if (!broken.has(t.path)) {
        errors.push({ file: t.path, line: 1, column: 1, path: '', message: err instanceof RangeError ? TOO_DEEP_MESSAGE : `cannot be read as data: ${(err as Error).message}` });
        broken.add(t.path);
      }
    }
    if (!broken.has(t.path) && isObj(raw) && Object.keys(raw).length > 0 && !Object.keys(raw).some((k) => TOP_LEVEL_KEYS.includes(k))) {
      // One sentence, not one "unknown key" per line: `load merge /etc/passwd` is the wrong file, not 30 typos.
      errors.push({ file: t.path, line: 1, column: 1, path: '', message: `holds none of lbctl's sections (${TOP_LEVEL_KEYS.join(':, ')}:): not an lbctl configuration file` });
      broken.add(t.path);
      raw = undefined;
    }
    raws.push(raw);
  }
  const merged = mergeFiles(files, raws, errors);
  const config = applyDefaults(merged.raw);
  errors.push(...validateConfig(config, merged.locate).filter((e) => !broken.has(e.file)));
  const sorted = sortErrors(errors, files.map((f) => f.path));
  return { config: sorted.length === 0 ? config : null, errors: sorted, files, layout };
}

/** One file's YAML document, parsed as every load parses it (the store parses only the files a commit rewrites). */
export function parseConfigDocument(text: string): Document {
  try {
    // merge: YAML 1.1 merge keys (`<<: *common`), which the original Go tooling accepted.
    return parseDocument(text, { prettyErrors: false, uniqueKeys: true, merge: true, logLevel: 'error' });
    // logLevel error: yaml's warnings (a collection as a key) would go to stderr as `(node:PID) Warning: ...`.
  } catch (err) {
    // Thousands of levels of block nesting (each line indented one more) overflow the parser's own stack; the
    // file is then a document with that one error, like any other file that does not parse (found by the fuzz run).
    if (!(err instanceof RangeError)) throw err;
    return tooDeepDocument(tooDeepOffset(text));
  }
}

/** A document holding only the too-deep error, at `offset`. */
function tooDeepDocument(offset: number): Document {
  const doc = newDocument(null);
  doc.errors.push(newParseError([offset, offset + 1], 'RESOURCE_EXHAUSTION', TOO_DEEP_MESSAGE));
  return doc;
}

/** Deeper than this, flow or block, is "nested too deeply", whatever the parser's stack would have managed. */
const MAX_NESTING = 256; // TOO_DEEP_MESSAGE says it

/**
 * Where a text nests deeper than MAX_NESTING, or null. Whether yaml's recursive parser overflows at 1,000 levels
 * depends on the stack its caller left it, so `lbctl validate` refused a file the library read (found by the fuzz
 * runner); a fixed limit, checked before parsing, gives every caller the same answer. Flow levels are `[` and `{`
 * that open a value (after `:`, `-`, `,`, `?`, another opener, or at a line start; not inside quotes or a
 * comment); block levels are the indentations open at a line. An approximation on purpose: no configuration of
 * lbctl comes near either limit.
 */
export function tooDeepAt(text: string): number | null {
  let flow = 0;
  const indents: number[] = [];
  let lineStart = true;
  let indent = 0;
  let prev = '\n'; // last non-blank character
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') {
      lineStart = true;
      indent = 0;
      prev = '\n';
      continue;
    }
    if (lineStart) {
      if (c === ' ') {
        indent++;
        continue;
      }
      lineStart = false;
      if (c !== '#' && flow === 0) {
        while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
        indents.push(indent);
        if (indents.length > MAX_NESTING) return i;
      }
    }
    if (c === '#' && (prev === '\n' || text[i - 1] === ' ' || text[i - 1] === '\t')) {
      const end = text.indexOf('\n', i);
      if (end === -1) break;
      i = end - 1;
      continue;
    }
    if ((c === '"' || c === "'") && ':-,?[{\n'.includes(prev)) {
      // A quoted scalar: skip to its end ('' is a quote in single quotes, \" in double ones).
      let j = i + 1;
      for (; j < text.length; j++) {
        if (c === '"' && text[j] === '\\') j++;
        else if (text[j] === c) {
          if (c === "'" && text[j + 1] === "'") j++;
          else break;
        }
      }
      i = j;
      prev = c;
      continue;
    }
    if ((c === '[' || c === '{') && ':-,?[{\n'.includes(prev)) {
      if (++flow > MAX_NESTING) return i;
    } else if ((c === ']' || c === '}') && flow > 0) flow--;
    if (c !== ' ' && c !== '\t') prev = c;
  }
  return null;
}

/**
 * Where a file nests too deeply, the same whatever the stack: past MAX_NESTING levels (tooDeepAt), else (the
 * parser ran out of stack on something the scan does not count) the most indented line.
 */
export function tooDeepOffset(text: string): number {
  return tooDeepAt(text) ?? deepestLine(text);
}

/** The offset of the first character of the most indented line: where a block nested too deeply goes deepest. */
function deepestLine(text: string): number {
  let best = 0;
  let bestIndent = -1;
  for (let start = 0; start < text.length; ) {
    const end = text.indexOf('\n', start);
    let i = start;
    while (text[i] === ' ') i++;
    if (i - start > bestIndent) {
      bestIndent = i - start;
      best = i;
    }
    if (end === -1) break;
    start = end + 1;
  }
  return best;
}

/** What an operator is told when a value nests deeper than the parser's stack (it said "Maximum call stack size exceeded"). */
export const TOO_DEEP_MESSAGE =
  'nested too deeply to read: the value opens more than 256 levels of [ ], { } or indentation (an lbctl configuration nests fewer than 10)';

/** yaml's messages end with " at line N, column M" in some versions: the location is ours to print. */
function yamlMessage(message: string): string {
  if (/Maximum call stack size exceeded/.test(message)) return TOO_DEEP_MESSAGE;
  return message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Written form → model form: `7543-7814` and `"80"` in ports lists become {from,to} and 80. Others are kept. */
export function normalizeWrittenService(raw: unknown): unknown {
  if (!isObj(raw)) return raw;
  const out: Obj = { ...raw };
  for (const key of ['ports', 'port_ranges']) {
    const list = out[key];
    if (!Array.isArray(list)) continue;
    out[key] = list.map((p) => (typeof p === 'string' ? (parsePortText(p) ?? p) : p));
  }
  return out;
}

interface Merged {
  raw: Obj;
  locate: Locator;
}

function mergeFiles(files: LoadedFile[], raws: unknown[], errors: ConfigError[]): Merged {
  const raw: Obj = {};
  const sectionOwner = new Map<string, number>();
  const serviceOrigin: { file: number; index: number }[] = [];
  const services: unknown[] = [];
  let firstServicesFile: number | undefined;

  files.forEach((f, fi) => {
    const r = raws[fi];
    if (r === undefined || r === null) return; // empty file (or one with parse errors, already reported)
    if (!isObj(r)) {
      errors.push({ ...position(f, f.doc.contents), path: '', message: 'must be a mapping of sections (services:, daemon:, ...), not a list or a scalar' });
      return;
    }
    for (const [k, v] of Object.entries(r)) {
      if (k === 'services') {
        firstServicesFile ??= fi;
        if (v === null) continue;
        if (!Array.isArray(v)) {
          errors.push({ ...position(f, nodeAt(f.doc, ['services']).node), path: 'services', message: 'must be a list of services' });
          continue;
        }
        v.forEach((s, i) => {
          services.push(normalizeWrittenService(s));
          serviceOrigin.push({ file: fi, index: i });
        });
        continue;
      }
      const owner = sectionOwner.get(k);
      if (owner !== undefined) {
        const first = position(files[owner], nodeAt(files[owner].doc, [k], 'key').node);
        errors.push({
          ...position(f, nodeAt(f.doc, [k], 'key').node),
          path: k,
          message: `is already set in ${files[owner].path}:${first.line}:${first.column}; each section may appear in one file only`,
        });
        continue;
      }
      sectionOwner.set(k, fi);
      raw[k] = v;
    }
  });
  raw.services = services;

  const defaultFile = () => {
    const top = files.findIndex((f) => f.path === CONFIG_FILE || f.path === 'config.yml');
    return top !== -1 ? top : 0;
  };

  const locate: Locator = (path, target = 'value') => {
    if (files.length === 0) return undefined;
    let fileIndex: number;
    let local: Path;
    if (path[0] === 'services' && typeof path[1] === 'number' && serviceOrigin[path[1]]) {
      const o = serviceOrigin[path[1]];
      fileIndex = o.file;
      local = ['services', o.index, ...path.slice(2)];
    } else if (path[0] === 'services') {
      fileIndex = firstServicesFile ?? defaultFile();
      local = [...path];
    } else {
      fileIndex = typeof path[0] === 'string' ? (sectionOwner.get(path[0]) ?? defaultFile()) : defaultFile();
      local = [...path];
    }
    const f = files[fileIndex];
    const { node } = nodeAt(f.doc, local, target);
    return { ...position(f, node), path: formatPath(local) };
  };
  return { raw, locate };
}

/**
 * The YAML node at `path` (its key node when target is 'key'), or the nearest existing ancestor when the path
 * goes further than the document (a missing key, a defaulted section).
 */
export function nodeAt(doc: Document, path: Path, target: 'key' | 'value' = 'value'): { node: Node | null; found: boolean } {
  let node: Node | null = (doc.contents as Node | null) ?? null;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(seg));
      if (!pair) return { node, found: false };
      if (last && target === 'key') return { node: pair.key as Node, found: true };
      // `key:` with nothing after it has no value node: the key is the most specific place.
      node = (pair.value as Node | null) ?? (pair.key as Node);
    } else if (isSeq(node) && typeof seg === 'number' && seg < node.items.length) {
      node = node.items[seg] as Node;
    } else {
      return { node, found: false };
    }
  }
  return { node, found: true };
}

const lineCounters = new WeakMap<LoadedFile, number[]>();

/** 1-based line and column of a node's first character in its file (1:1 for an empty document). */
function position(f: LoadedFile, node: Node | null | undefined): Omit<Location, 'path'> {
  return offsetPosition(f, node?.range?.[0] ?? 0);
}

/** 1-based line and column of a character offset in a file. */
function offsetPosition(f: LoadedFile, offset: number): Omit<Location, 'path'> {
  let starts = lineCounters.get(f);
  if (!starts) {
    starts = [0];
    for (let i = 0; i < f.text.length; i++) if (f.text[i] === '\n') starts.push(i + 1);
    lineCounters.set(f, starts);
  }
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { file: f.path, line: lo + 1, column: offset - starts[lo] + 1 };
}
