// `lbctl apply`: make the kernel's IPVS table match the configuration files, all or nothing, and record the
// files as a revision (origin `file`). `--dry-run` prints the plan and changes nothing.
import type { CliCommand, CliIO } from '../command.js';
import { UserError } from '../command.js';
import { resolveContext } from '../context.js';
import { ensureLab, loadConfigOrReport, startCommandEngine } from '../lab.js';
import { parseCommandArgs } from './validate.js';
import { CompileError } from '../../engine/compile.js';
import { describeFailure } from '../../engine/explain.js';
import { formatPlan } from '../../engine/plan.js';
import type { ApplyResult } from '../../engine/engine.js';
import { openStore } from '../../config/store.js';
import { formatConfigError } from '../../config/load.js';

const USAGE = `usage: lbctl apply [--dry-run] [--config DIR|FILE] [--state-dir DIR] [--lab]

Makes the kernel's IPVS table match the configuration files: computes the difference against the table (one
read), applies exactly that, all or nothing (if the kernel refuses an operation, what was already applied is
undone and the kernel is left as it was), then records the files as a new revision (origin "file").
Services lbctl does not own (Docker's, kube-proxy's, a human's) are never touched; they are listed as foreign.

Plan lines:  + add   ~ change   - remove

Options:
  --dry-run           print the plan only; change nothing
  --config DIR|FILE   configuration (default /etc/lbctl, env LBCTL_CONFIG)
  --state-dir DIR     revision store and ownership record (default /var/lib/lbctl, env LBCTL_STATE_DIR)
  --lab               in-memory IPVS kept in the state directory; config and state under ~/.lbctl-lab

Exit status: 0 applied (or nothing to do), 1 invalid configuration or the kernel refused (kernel restored),
2 bad usage.
`;

function printResult(r: ApplyResult, io: CliIO): void {
  const ms = r.durations.totalMs.toFixed(1);
  if (r.ok) {
    const n = r.applied.length;
    io.stdout(n ? `applied ${n} operation${n === 1 ? '' : 's'} in ${ms} ms (${r.messagesSent} netlink messages)\n` : 'no changes: the kernel already matches the configuration\n');
    if (r.racesResolved) io.stdout(`note: ${r.racesResolved} object(s) changed by someone else meanwhile were re-read and adjusted\n`);
    return;
  }
  if (r.failed) io.stderr(`lbctl: the kernel refused: ${describeFailure(r.failed)}\n`);
  if (r.dataplaneError) io.stderr(`lbctl: the dataplane failed: ${r.dataplaneError}\n`);
  if (r.rolledBack && r.restored && r.undoFailures.length === 0) io.stderr('lbctl: every operation already applied was undone: the kernel is as it was\n');
  else if (r.rolledBack && r.restored) io.stderr('lbctl: undo needed a full re-read, after which the kernel was restored\n');
  else if (r.rolledBack) io.stderr('lbctl: WARNING: the kernel could not be fully restored; run `lbctl status` and `lbctl apply` again\n');
}

const apply: CliCommand = {
  name: 'apply',
  summary: "make the kernel's IPVS table match the configuration files (all or nothing)",
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('apply', argv, { 'dry-run': { type: 'boolean' } }, 0);
    const ctx = resolveContext(values, io.env);
    const note = await ensureLab(ctx);
    if (note) io.stderr(note + '\n');
    const config = loadConfigOrReport(ctx, io);
    if (!config) return 1;

    const host = await startCommandEngine(ctx);
    try {
      let plan;
      try {
        plan = host.engine.plan(config);
      } catch (e) {
        if (e instanceof CompileError) throw new UserError(`cannot program this configuration: ${e.message}`);
        throw e;
      }
      io.stdout(formatPlan(plan));
      if (values['dry-run']) {
        io.stdout('dry run: nothing applied\n');
        return 0;
      }
      const result = await host.engine.commit(config);
      printResult(result, io);
      if (!result.ok) return 1;
    } finally {
      await host.close();
    }
    return recordRevision(ctx.stateDir, ctx.configPath, io);
  },
};

/** The files just applied become the running revision (origin `file`): `rollback` and the shell see them. */
async function recordRevision(stateDir: string, configPath: string, io: CliIO): Promise<number> {
  try {
    const store = await openStore({ stateDir, configPath });
    const outcome = await store.recordFileRevision({ comment: 'lbctl apply' });
    if (outcome.kind === 'recorded') io.stdout(`recorded revision ${outcome.revision.number} (origin file)\n`);
    else if (outcome.kind === 'no-changes') io.stdout(`running revision ${outcome.revision.number} already holds these files\n`);
    else {
      io.stderr(`lbctl: applied, but the files could not be recorded as a revision:\n`);
      for (const e of outcome.errors) io.stderr(formatConfigError(e) + '\n');
      return 1;
    }
    return 0;
  } catch (e) {
    io.stderr(`lbctl: applied to the kernel, but recording the revision failed: ${(e as Error).message}\n`);
    return 1;
  }
}

export default apply;
