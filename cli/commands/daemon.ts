// `lbctl daemon`: run the engine host of a state directory until SIGTERM (engine/daemon/daemon.ts does the work;
// this module parses the command line, wires systemd's notify socket and the signals).
import type { CliCommand } from '../command.js';
import { UserError } from '../command.js';
import { resolveContext } from '../../config/context.js';
import { ensureLab } from '../../config/lab.js';
import { lbctlVersion } from '../../engine/version.js';
import { parseCommandArgs } from './validate.js';
import { Daemon } from '../../engine/daemon/daemon.js';
import { startDaemonLogging } from '../../engine/observe/daemon-logging.js';
import { openNotifier, watchdogIntervalMs } from '../../engine/daemon/notify.js';
import { socketPath } from '../../engine/daemon/protocol.js';
import { LockHeldError } from '../../locks/lock.js';
import { describeInVoice } from '../../present/refusals.js';
import { VIEWS } from '../../present/views.js';

const USAGE = `usage: lbctl daemon [--flush-on-stop] [--socket-group NAME] [--config DIR|FILE] [--state-dir DIR] [--lab]

Runs the engine for good: keeps the kernel's IPVS table equal to the running configuration, and serves the
shell and the CLI on a control socket (<state-dir>/lbctl.sock). One daemon per state directory.

  at start     makes the kernel run the running revision (after a reboot or a crash)
  every daemon.reconcile_interval_ms
               re-reads the kernel and repairs drift in lbctl's own services; foreign services are left alone;
               after a failure it retries with exponential backoff
  SIGHUP       re-reads the configuration files: a valid hand edit becomes a revision (origin file) and is
               applied; invalid files keep the running configuration and every located error is logged
  SIGTERM      stops; IPVS is left as it is (with --flush-on-stop, the services lbctl owns are removed)
  logs         stderr (journald priorities under systemd), and GELF over UDP or TCP when
               observability.gelf is enabled; every audit record is also a log record (docs/logging.md)
  commit confirmed
               the daemon rolls an unconfirmed commit back at its deadline, also across its own restarts

While a daemon runs, 'lbctl shell', 'apply', 'status', 'show ipvs' and 'disable' use it (same output, same exit
codes); without one they run the engine in their own process. The socket is mode 0660, group lbctl-admin
when that group exists (or --socket-group); the daemon asks the kernel (SO_PEERCRED) who connects: root and
members of lbctl-admin may commit, everyone else who can connect may only read. Under systemd
(dist/systemd/lbctl.service, Type=notify) it reports READY/RELOADING/STOPPING and feeds the watchdog.

Options:
  --flush-on-stop     on SIGTERM/SIGINT, remove every IPVS service lbctl owns
  --socket-group NAME group owning the control socket (default lbctl-admin if it exists)
  --config DIR|FILE   configuration (default /etc/lbctl, env LBCTL_CONFIG)
  --state-dir DIR     state directory (default /var/lib/lbctl, env LBCTL_STATE_DIR)
  --lab               the lab's in-memory IPVS (~/.lbctl-lab): no kernel changes

Exit status: 0 stopped by a signal, 1 could not start (another daemon holds the state directory: it is named).
`;

const daemon: CliCommand = {
  name: 'daemon',
  summary: 'keep IPVS equal to the running configuration; serve the shell and CLI on a control socket',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('daemon', argv, { 'flush-on-stop': { type: 'boolean' }, 'socket-group': { type: 'string' } }, 0);
    const ctx = resolveContext(values, io.env);
    const note = await ensureLab(ctx);
    // One logger for the process: stderr (journald form under systemd) and GELF as the running configuration says.
    const logging = startDaemonLogging({ journal: Boolean(io.env.JOURNAL_STREAM), write: io.stderr });
    const log = logging.log;
    if (note) log('info', note);
    const notifier = openNotifier(io.env.NOTIFY_SOCKET);
    const d = new Daemon({
      stateDir: ctx.stateDir,
      configPath: ctx.configPath,
      lab: ctx.lab,
      version: lbctlVersion(),
      describe: describeInVoice,
      views: VIEWS,
      log,
      notifier,
      watchdogMs: watchdogIntervalMs(io.env, process.pid),
      flushOnStop: values['flush-on-stop'] === true,
      onRunningConfig: logging.onRunningConfig,
      ...(values['socket-group'] !== undefined ? { socketGroup: values['socket-group'] } : {}),
    });
    try {
      await d.start();
    } catch (e) {
      notifier.close();
      logging.close();
      if (e instanceof LockHeldError) throw new UserError(e.message);
      if ((e as Error).name === 'HostDataplaneError') throw new UserError((e as Error).message);
      throw new UserError(`daemon: cannot start: ${(e as Error).message} (socket ${socketPath(ctx.stateDir)})`);
    }
    const onStop = (sig: NodeJS.Signals) => void d.stop(sig);
    const onHup = () => void d.reload();
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
    await d.stopped;
    process.off('SIGTERM', onStop);
    process.off('SIGINT', onStop);
    process.off('SIGHUP', onHup);
    logging.close();
    return 0;
  },
};

export default daemon;
