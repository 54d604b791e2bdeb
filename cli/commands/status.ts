// `lbctl status`: per IPVS service, the configuration's wish against the kernel's table (in sync or what
// differs), plus the foreign services lbctl leaves alone.
import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';
import { missingConfiguration, resolveContext, type Context } from '../../config/context.js';
import type { Config } from '../../config/model.js';
import { ensureLab } from '../../config/lab.js';
import { parseCommandArgs } from './validate.js';
import { unsettledWarnings } from '../../present/status.js';
import type { DaemonPort } from '../../engine/daemon/port.js';
import { peekRunningFiles } from '../../store/running-peek.js';
import { fingerprintFiles, locateConfig } from '../../store/store-files.js';
import { daemonViews, printView } from '../view-output.js';
import { readKernelPending } from '../../store/kernel-pending.js';
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
    if (missingConfiguration(ctx)) {
      (await import('../lab.js')).reportMissingConfiguration(ctx, io);
      return 1;
    }
    const load = () => import('../lab.js').then((m) => m.loadConfigOrReport(ctx, io));
    // Files exactly as the running revision recorded them say what it says: judge against it, without parsing
    // 10,000 services of YAML (the daemon keeps it; this process reads it from the store). Otherwise the files.
    // (Not while a killed process's change waits to be finished: that may change the running revision.)
    const pending = readKernelPending(ctx.stateDir);
    const unchanged = pending ? null : runningFilesUnchanged(ctx);
    let config: Config | null = null;
    if (!unchanged) {
      config = await load();
      if (!config) return 1;
    }
    // The files may equal the kernel while the kernel runs a commit nobody confirmed in time: not in sync. Read
    // when the view is asked for: an in-process host finishes a killed process's change first (engine/recover.ts).
    const params = (c: Config | null) => ({
      config: c,
      warnings: unsettledWarnings(unsettledChanges(ctx.stateDir)),
      json: values.json === true,
      applyCommand: ctx.lab ? 'lbctl apply --lab' : 'lbctl apply',
    });
    const exit = (r: { inSync: boolean }) => (r.inSync ? 0 : 3);
    // The daemon renders from the running revision it keeps when the files are that revision's; only its text
    // comes here. Its running revision must be the one the files match, or the files are read after all.
    const daemon = await daemonViews(ctx.stateDir);
    try {
      if (daemon) {
        const c = unchanged && daemon.info.runningRevision !== unchanged.number ? await load() : config;
        if (unchanged && daemon.info.runningRevision !== unchanged.number && !c) return 1;
        const shown = await compileErrorSaid(() => daemon.print<{ inSync: boolean }>(io, 'status', params(c)));
        if (shown) return exit(shown.result);
      }
    } finally {
      daemon?.close();
    }
    const [{ connectEngine }, { openContextDataplane, runningConfig }, { describeInVoice }, { openStore }, { EngineHost }] = await Promise.all([
      import('../../engine/connect.js'),
      import('../lab.js'),
      import('../../present/refusals.js'),
      import('../../store/store.js'),
      import('../../engine/host.js'),
    ]);
    // A change a killed process left between the kernel and the store: status finishes it like any start when
    // this user may configure (the host's first open runs engine/recover.ts with a writable store).
    const store = pending && (ctx.lab || canConfigure(operatorIdentity())) ? await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath }).catch(() => null) : null;
    const host = await connectEngine({ stateDir: ctx.stateDir, lab: ctx.lab, store, describe: describeInVoice, openDataplane: () => openContextDataplane(ctx), daemon: daemon !== null });
    try {
      // Without a daemon, the store's running configuration (a tenth of the files' parse); failing that, or with
      // a daemon of an older lbctl on another revision, the files.
      if (unchanged && !(host.mode === 'daemon' && (host as DaemonPort).info.runningRevision === unchanged.number)) {
        config = (host.mode === 'daemon' ? null : await runningConfig(ctx)) ?? (await load());
        if (!config) return 1;
      }
      // Opened (and a killed process's change finished, when this user may) before the warnings are read; the
      // status below takes this open's read of the table as its own (one dump, not two).
      if (host instanceof EngineHost) await host.engine({ keepStartRead: true }).catch(() => {});
      return exit(await compileErrorSaid(() => printView<{ inSync: boolean }>(io, host, 'status', params(config), () => ({}))));
    } finally {
      await host.close();
    }
  },
};

/** A configuration the engine cannot program, in status's words. */
async function compileErrorSaid<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if ((e as Error).name === 'CompileError') throw new UserError(`cannot program this configuration: ${(e as Error).message}`);
    throw e;
  }
}

/**
 * The running revision's number when the configuration files are byte for byte those it was made from (their
 * sha256 against the revision's record); null when they differ, or the store leaves any doubt (a commit in
 * flight, a confirmation pending: store/running-peek.ts).
 */
function runningFilesUnchanged(ctx: Context): { number: number } | null {
  const running = peekRunningFiles(ctx.stateDir);
  if (!running) return null;
  const now = fingerprintFiles(locateConfig(ctx.configPath));
  const names = Object.keys(now);
  if (names.length === 0 || names.length !== Object.keys(running.files).length) return null;
  return names.every((n) => running.files[n] === now[n]) ? { number: running.number } : null;
}

export default status;
