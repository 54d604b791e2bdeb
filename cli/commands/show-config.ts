// `lbctl show config`: the configuration as lbctl understands it, in canonical YAML (defaults omitted unless
// --defaults) or as the JSON model with every default filled in (for scripts).
import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';
import { loadConfig } from '../../config/load.js';
import { renderYaml } from '../../config/render.js';
import { configPathSeeding, parseCommandArgs, reportErrors } from './validate.js';

const USAGE = `usage: lbctl show config [--config DIR|FILE] [--format yaml|json] [--defaults]

Prints the configuration as lbctl reads it: every file of the directory merged, in canonical form.

Options:
  --config DIR|FILE   configuration directory or file (default /etc/lbctl, env LBCTL_CONFIG)
  --format yaml|json  yaml (default): canonical YAML (the same model always gives the same bytes);
                      json: the full model, every default filled in
  --defaults          yaml: write fields that are at their default too
  --lab               use the lab configuration directory (seeded from the examples the first time)

An invalid configuration prints its errors (as lbctl validate does) and exits 1.
`;

const showConfig: CliCommand = {
  name: 'show config',
  summary: 'print the configuration in canonical YAML or as JSON',
  usage: USAGE,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(
      'show config',
      argv,
      { format: { type: 'string' }, defaults: { type: 'boolean' } },
      1,
    );
    const format = values.format ?? 'yaml';
    if (format !== 'yaml' && format !== 'json') throw new UserError(`show config: --format must be yaml or json, got '${format}'`, 2);
    const path = await configPathSeeding(values, positionals[0], io, 'show config');
    const result = loadConfig(path);
    if (result.errors.length > 0 || !result.config) {
      reportErrors(result, path, io);
      return 1;
    }
    if (format === 'json') io.stdout(JSON.stringify(result.config, null, 2) + '\n');
    else io.stdout(renderYaml(result.config, { withDefaults: Boolean(values.defaults) }));
    return 0;
  },
};
export default showConfig;
