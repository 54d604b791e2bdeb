// The comment-preserving YAML library (`yaml`), loaded on first use. It is about 80 CommonJS files, tens of
// milliseconds of every start, and most commands never need it: a configuration is read with the fast parser
// (fast-yaml.ts) and its documents are built only to locate an error or to rewrite a file at commit. The
// package is CommonJS, so a synchronous require keeps every caller synchronous.
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';

let lib: typeof Yaml | undefined;

function yaml(): typeof Yaml {
  return (lib ??= createRequire(import.meta.url)('yaml') as typeof Yaml);
}

export const isMap: typeof Yaml.isMap = ((n: unknown) => yaml().isMap(n)) as typeof Yaml.isMap;
export const isSeq: typeof Yaml.isSeq = ((n: unknown) => yaml().isSeq(n)) as typeof Yaml.isSeq;
export const isScalar: typeof Yaml.isScalar = ((n: unknown) => yaml().isScalar(n)) as typeof Yaml.isScalar;
export const isAlias: typeof Yaml.isAlias = ((n: unknown) => yaml().isAlias(n)) as typeof Yaml.isAlias;
// (visit.BREAK, SKIP and REMOVE are not forwarded: nothing here uses them.)
export const visit = ((...a: Parameters<typeof Yaml.visit>) => yaml().visit(...a)) as (...a: Parameters<typeof Yaml.visit>) => void;
export const parseDocument: typeof Yaml.parseDocument = ((...a: Parameters<typeof Yaml.parseDocument>) => yaml().parseDocument(...a)) as typeof Yaml.parseDocument;

/** `new Document(value)`. */
export function newDocument(value: unknown): Yaml.Document {
  return new (yaml().Document)(value);
}

/** `new YAMLParseError(…)`: a parse error the loader adds to a document by itself. */
export function newParseError(...a: ConstructorParameters<typeof Yaml.YAMLParseError>): Yaml.YAMLParseError {
  return new (yaml().YAMLParseError)(...a);
}

/** Loads the library now (a daemon's idle moment after its start), so that the first commit does not pay it. */
export function loadYamlLibrary(): void {
  yaml();
}
