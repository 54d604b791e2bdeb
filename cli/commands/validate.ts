// `lbctl validate`: load a configuration directory or file, print every error located at file:line:column,
// and exit 1 if there is any. The same check `commit` runs, available before anything is applied.
import { parseArgs } from 'node:util';
import type { CliCommand, CliIO } from '../command.js';
import { UserError } from '../command.js';
import { COMMON_OPTIONS, resolveContext } from '../../config/context.js';
import { ensureLab } from '../../config/lab.js';
import { errorSummary, formatConfigError, loadConfig, type LoadResult } from '../../config/load.js';

const USAGE = `usage: lbctl validate [--config DIR|FILE] [--quiet | --json]
       lbctl validate DIR|FILE

Checks a configuration: a directory holding config.yaml and/or config.d/*.yaml, or one YAML file.
Every error is reported, one per line, as FILE:LINE:COLUMN: PATH: MESSAGE, e.g.
  config.d/web.yaml:14:17: services[0].backends[2].weight: must be 0..2147483647, got -5

Options:
  --config DIR|FILE   what to check (default /etc/lbctl, env LBCTL_CONFIG; --lab: ~/.lbctl-lab/config)
  --quiet, -q         print nothing on success
  --json              print one JSON object on stdout instead:
                      {"ok", "path", "errors": [{file, line, column, path, message}], "services", "backends"}
  --lab               use the lab configuration directory (seeded from the examples the first time)

Exit status: 0 valid, 1 invalid, 2 bad usage.
`;

/** parseArgs with the common options plus `extra`; unknown flags and stray words become exit-2 errors. */
export function parseCommandArgs<T extends Record<string, { type: 'string' | 'boolean'; short?: string }>>(
  command: string,
  argv: string[],
  extra: T,
  maxPositionals: number,
) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...extra }, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    // Node's text for an unknown option goes on about positionals; the option's name is what matters.
    const unknown = e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'([^']+)'/.exec(e.message)?.[1] : undefined;
    const msg = unknown !== undefined ? `unknown option '${unknown}'` : e.message.split('\n')[0].replace(/\.$/, '');
    throw new UserError(`${command}: ${msg}. Run 'lbctl help ${command.split(' ')[0]}' for the options.`, 2);
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new UserError(`${command}: unexpected argument '${parsed.positionals[maxPositionals]}'. Run 'lbctl help ${command.split(' ')[0]}'.`, 2);
  }
  return parsed;
}

/** The configuration path a command works on: a positional if given, else --config / env / default. */
export function configPathFrom(values: { config?: string; 'state-dir'?: string; lab?: boolean }, positional: string | undefined, io: CliIO, command: string): string {
  return configContextFrom(values, positional, io, command).configPath;
}

function configContextFrom(values: { config?: string; 'state-dir'?: string; lab?: boolean }, positional: string | undefined, io: CliIO, command: string) {
  if (positional !== undefined && values.config !== undefined) {
    throw new UserError(`${command}: give the configuration either as --config or as an argument, not both`, 2);
  }
  return resolveContext({ ...values, config: positional ?? values.config }, io.env);
}

/**
 * configPathFrom, and with `--lab` on its default paths the lab seeded first (as apply, status and show ipvs do),
 * so `lbctl validate --lab` on a fresh machine checks the examples instead of failing on a missing directory.
 */
export async function configPathSeeding(values: { config?: string; 'state-dir'?: string; lab?: boolean }, positional: string | undefined, io: CliIO, command: string): Promise<string> {
  const ctx = configContextFrom(values, positional, io, command);
  const note = await ensureLab(ctx);
  if (note) io.stderr(note + '\n');
  return ctx.configPath;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Prints the errors of a load to stderr, then the summary line. */
export function reportErrors(result: LoadResult, where: string, io: CliIO): void {
  for (const e of result.errors) io.stderr(formatConfigError(e) + '\n');
  io.stderr(`${errorSummary(result.errors.length)} (${where})\n`);
}

const validate: CliCommand = {
  name: 'validate',
  summary: 'check a configuration directory or file and report every error with its line',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs('validate', argv, { quiet: { type: 'boolean', short: 'q' }, json: { type: 'boolean' } }, 1);
    const path = await configPathSeeding(values, positionals[0], io, 'validate');
    const result = loadConfig(path);
    if (values.json) {
      const services = result.config?.services ?? [];
      const report = {
        ok: result.config !== null,
        path,
        errors: result.errors,
        services: services.length,
        backends: services.reduce((n, s) => n + s.backends.length, 0),
      };
      io.stdout(JSON.stringify(report) + '\n');
      return report.ok ? 0 : 1;
    }
    if (result.errors.length > 0 || !result.config) {
      reportErrors(result, path, io);
      return 1;
    }
    if (result.files.length === 0) io.stderr(`lbctl: note: no configuration files in ${path} (expected config.yaml or config.d/*.yaml)\n`);
    if (!values.quiet) {
      const services = result.config.services;
      const backends = services.reduce((n, s) => n + s.backends.length, 0);
      io.stdout(`configuration OK: ${plural(services.length, 'service')}, ${plural(backends, 'backend')} (${path})\n`);
    }
    return 0;
  },
};
export default validate;
