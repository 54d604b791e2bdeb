// `lbctl init`: create a configuration on purpose. Nothing else writes one: a shell or status with no
// configuration says so and writes nothing (shell/session-backend.ts).
import { existsSync, readdirSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';
import { resolveContext } from '../../config/context.js';
import { startingConfiguration } from '../../config/starting-config.js';
import { ensureDir, writeNewFile } from '../../store/atomic.js';
import { assertTrustedPath } from '../../store/dir-safety.js';

const USAGE = `usage: lbctl init [--config DIR] [--lab]

Creates a commented starting configuration: DIR/config.yaml (node name, daemon, HA and metrics defaults, no
services) and an empty DIR/config.d/ for service files. DIR defaults to /etc/lbctl. It refuses a DIR that already
holds files, and writes nothing else (the revision store records the configuration at the first commit or apply).

Then: 'lbctl validate', and 'lbctl shell' to add services (configure; service NAME; …; commit).
`;

const cmd: CliCommand = {
  name: 'init',
  summary: 'create a commented starting configuration (no services) where none exists',
  usage: USAGE,
  async run(argv, io) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, lab: { type: 'boolean' } }, strict: true }));
    } catch (e) {
      throw new UserError(`${(e as Error).message}\n\n${USAGE}`);
    }
    const ctx = resolveContext(values, io.env);
    const dir = ctx.configPath;
    if (existsSync(dir)) {
      if (!statSync(dir).isDirectory()) throw new UserError(`${dir} exists and is not a directory: nothing written`);
      const present = readdirSync(dir);
      if (present.length > 0) throw new UserError(`${dir} already holds a configuration (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}): nothing written`);
    }
    ensureDir(dir, 0o755);
    assertTrustedPath(dir, 'configuration'); // the same rule every later start applies
    ensureDir(join(dir, 'config.d'), 0o755);
    const file = join(dir, 'config.yaml');
    writeNewFile(file, startingConfiguration(hostname().split('.')[0].replace(/[^A-Za-z0-9_-]/g, '') || 'lb1'), 0o644);
    io.stdout(`Wrote ${file} (no services) and ${join(dir, 'config.d')}/.\nNext: lbctl validate${values.config ? ` --config ${dir}` : ''}; lbctl shell${values.config ? ` --config ${dir}` : ''} to add services.\n`);
    return 0;
  },
};
export default cmd;
