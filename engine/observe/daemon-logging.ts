// The daemon's logging, wired in one place (cli/commands/daemon.ts uses it; tests host a Daemon with it too):
// the logger, every audit record repeated as a log record, and GELF following the running configuration.
import type { Config } from '../../config/model.js';
import { observeAudit } from '../audit.js';
import { logAudit } from './audit-log.js';
import { gelfSettings } from './gelf-sender.js';
import type { Log } from './log-format.js';
import { Logger, type LoggerOptions } from './logger.js';

export interface DaemonLogging {
  logger: Logger;
  log: Log;
  /** For DaemonOptions.onRunningConfig: a commit that changes observability.gelf rebuilds the sender. */
  onRunningConfig: (config: Config) => void;
  /** Logs what GELF did since start (at stop), then closes the sender and the audit observer. */
  close: () => void;
}

export function startDaemonLogging(opts: LoggerOptions): DaemonLogging {
  const logger = new Logger(opts);
  const log = logger.log;
  const unobserve = observeAudit((record) => logAudit(log, record));
  return {
    logger,
    log,
    onRunningConfig: (config) => logger.useGelf(gelfSettings(config)),
    close: () => {
      unobserve();
      const g = logger.stats().gelf;
      // The one place a stopped daemon tells what it could not deliver (Prometheus may not be scraped at the end).
      if (g.sent || g.dropped) log('info', `gelf: ${g.sent} record(s) sent, ${g.dropped} dropped since start`, { gelfSent: g.sent, gelfDropped: g.dropped });
      logger.close();
    },
  };
}
