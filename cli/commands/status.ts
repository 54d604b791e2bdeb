// `lbctl status`: per IPVS service, the configuration's wish against the kernel's table (in sync or what
// differs), plus the foreign services lbctl leaves alone.
import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';
import { resolveContext } from '../../config/context.js';
import { ensureLab, loadConfigOrReport, openContextDataplane } from '../lab.js';
import { connectEngine } from '../../engine/connect.js';
import { describeInVoice } from '../../present/refusals.js';
import { parseCommandArgs } from './validate.js';
import { CompileError } from '../../engine/compile.js';
import type { StatusReport } from '../../engine/status.js';
import { formatStatus } from '../../present/status.js';

const USAGE = `usage: lbctl status [--json] [--config DIR|FILE] [--state-dir DIR] [--lab]

For every IPVS service the configuration files declare: is the kernel's table as the configuration wants it?
  in sync          present with exactly the desired attributes and destinations
  missing          declared but not in the kernel
  differs          present, with other attributes or destinations (the fix is printed below it)
  not programmed   declared but deliberately absent (disabled)
  stale            lbctl's, must not be there, yet present
Services in the kernel that lbctl does not own are listed as foreign: lbctl never touches them.
Without a running daemon, health verdicts are not known here: every backend counts as up.

Options:
  --json              machine-readable output
  --config DIR|FILE   configuration (default /etc/lbctl, env LBCTL_CONFIG)
  --state-dir DIR     state directory (default /var/lib/lbctl, env LBCTL_STATE_DIR)
  --lab               the lab's in-memory IPVS (~/.lbctl-lab)

Exit status: 0 everything in sync, 3 something differs, 1 error, 2 bad usage.
`;

const status: CliCommand = {
  name: 'status',
  summary: 'per service: is the kernel in sync with the configuration; foreign services listed',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('status', argv, { json: { type: 'boolean' } }, 0);
    const ctx = resolveContext(values, io.env);
    const note = await ensureLab(ctx);
    if (note) io.stderr(note + '\n');
    const config = loadConfigOrReport(ctx, io);
    if (!config) return 1;
    const host = await connectEngine({ stateDir: ctx.stateDir, lab: ctx.lab, store: null, describe: describeInVoice, openDataplane: () => openContextDataplane(ctx) });
    try {
      let report: StatusReport;
      try {
        report = await host.status(config);
      } catch (e) {
        if (e instanceof CompileError || (e as Error).name === 'CompileError') throw new UserError(`cannot program this configuration: ${(e as Error).message}`);
        throw e;
      }
      io.stdout(values.json ? JSON.stringify(report, null, 2) + '\n' : formatStatus(report));
      return report.inSync ? 0 : 3;
    } finally {
      await host.close();
    }
  },
};

export default status;
