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
import { cliFixWords, formatStatus, unsettledWarnings } from '../../present/status.js';
import { readKernelPending } from '../../store/kernel-pending.js';
import { openStore } from '../../store/store.js';
import { canConfigure, operatorIdentity } from '../../config/identity.js';
import { unsettledChanges } from '../../store/unsettled.js';

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
    // A change a killed process left between the kernel and the store: status finishes it like any start when
    // this user may configure (the host's first open runs engine/recover.ts with a writable store).
    const pending = readKernelPending(ctx.stateDir);
    const store = pending && (ctx.lab || canConfigure(operatorIdentity())) ? await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath }).catch(() => null) : null;
    const host = await connectEngine({ stateDir: ctx.stateDir, lab: ctx.lab, store, describe: describeInVoice, openDataplane: () => openContextDataplane(ctx) });
    try {
      let report: StatusReport;
      try {
        report = await host.status(config);
      } catch (e) {
        if (e instanceof CompileError || (e as Error).name === 'CompileError') throw new UserError(`cannot program this configuration: ${(e as Error).message}`);
        throw e;
      }
      // The files may equal the kernel while the kernel runs a commit nobody confirmed in time: not in sync.
      const warnings = unsettledWarnings(unsettledChanges(ctx.stateDir));
      const inSync = report.inSync && warnings.length === 0;
      io.stdout(values.json ? JSON.stringify({ ...report, inSync, warnings }, null, 2) + '\n' : formatStatus(report, cliFixWords(ctx.lab ? 'lbctl apply --lab' : 'lbctl apply')) + warnings.map((w) => w + '\n').join(''));
      return inSync ? 0 : 3;
    } finally {
      await host.close();
    }
  },
};

export default status;
