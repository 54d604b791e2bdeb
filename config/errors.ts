// A configuration error names the file, line and column of the offending YAML node, the model path and why:
// `config.d/web.yaml:14:17: services[0].backends[2].weight: must be 0..2147483647, got -5`.

export interface ConfigError {
  /** Relative to the configuration directory (`config.d/web.yaml`); '' when the model came from no file. */
  file: string;
  /** 1-based; 0 when unknown. */
  line: number;
  /** 1-based; 0 when unknown. */
  column: number;
  /** Model path as written in that file (`services[0].backends[2].weight`); '' for file-level errors. */
  path: string;
  message: string;
  /**
   * The name of the service the path is in (`services[6]…`), so an error without a file position (a shell
   * candidate, a daemon commit) names the service and not only its index, which means nothing to an operator.
   */
  service?: string;
}

/** A path into the model: keys and array indices. */
export type Path = (string | number)[];

/** Where a model path was written. `path` is the path as displayed (indices local to the file). */
export interface Location {
  file: string;
  line: number;
  column: number;
  path: string;
}

/**
 * Finds the YAML node of a model path. `target: 'key'` asks for the key itself (unknown keys), 'value' (the
 * default) for its value. When the path does not exist in the file (a missing key), the locator answers with
 * the nearest existing ancestor, so a "required" error points at the mapping that lacks the key.
 */
export type Locator = (path: Path, target?: 'key' | 'value') => Location | undefined;

/** `services[0].backends[2].weight` */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? seg : `.${seg}`;
  }
  return out;
}

/**
 * One error, one line: a line break inside a message or a path (a key or value quoted from the file: `protocol:
 * "tcp\nx"`) is shown as `\n`, so that a script reading one error per line never gets half of one (found by the
 * fuzz run). Other control characters are escaped where lbctl prints (present/visible.ts).
 */
export function formatConfigError(e: ConfigError): string {
  const where = e.file === '' ? '' : e.line > 0 ? `${e.file}:${e.line}:${e.column}: ` : `${e.file}: `;
  const path = e.path === '' ? '' : `${e.path}: `;
  return `${where}${path}${e.message}`.replace(/\n/g, '\\n');
}

/**
 * For an operator editing in the shell (no file positions): `service "web" (services[6].ports): message`, the
 * service named and the model path kept; any other error as formatConfigError writes it.
 */
export function describeConfigError(e: ConfigError): string {
  if (e.file === '' && e.service !== undefined) return `service ${JSON.stringify(e.service)} (${e.path}): ${e.message}`;
  return formatConfigError(e);
}

/** `N errors` / `1 error` */
export function errorSummary(n: number): string {
  return `${n} ${n === 1 ? 'error' : 'errors'}`;
}

/** Sorts errors by file (in the given file order), line, column; stable for equal positions. */
export function sortErrors(errors: ConfigError[], fileOrder: readonly string[] = []): ConfigError[] {
  const rank = (f: string) => {
    const i = fileOrder.indexOf(f);
    return i === -1 ? fileOrder.length : i;
  };
  return errors
    .map((e, i) => ({ e, i }))
    .sort((x, y) => rank(x.e.file) - rank(y.e.file) || x.e.file.localeCompare(y.e.file) || x.e.line - y.e.line || x.e.column - y.e.column || x.i - y.i)
    .map((x) => x.e);
}
