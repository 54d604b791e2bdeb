// The daemon's logger: one per process, built by `lbctl daemon` (cli/commands/daemon.ts) and passed down as a
// `Log` function. Every record goes to stderr (journald form under systemd, a readable line elsewhere:
// log-format.ts) and, when observability.gelf is enabled, to a GELF sender (gelf-udp.ts / gelf-tcp.ts) that
// follows the running configuration.
//
// pino is the structured core: it takes the call (level, message, fields), renders the fields once into plain
// JSON (BigInt counters, errors with their stack, cyclic objects: safe-stable-stringify and pino's serializers),
// and hands that line to this module, which fans the normalised record out to stderr and GELF. Both outputs
// therefore see the same fields, whatever a caller passed.
import { hostname } from 'node:os';
import { pino, stdSerializers, type Logger as PinoLogger } from 'pino';
import { GelfTcpSender } from './gelf-tcp.js';
import { GelfUdpSender } from './gelf-udp.js';
import { sameGelfSettings, type GelfSender, type GelfSettings, type GelfStats, type SenderOptions } from './gelf-sender.js';
import { stderrLines, type Log, type LogFields, type LogLevel, type LogRecord } from './log-format.js';

export interface LoggerOptions {
  /** journald form (`<N>` prefixes, no time): true when JOURNAL_STREAM is set. */
  journal: boolean;
  /** Where stderr text goes (default process.stderr). */
  write?: (text: string) => void;
  /** Milliseconds since the epoch (default Date.now). */
  now?: () => number;
  /** GELF `host` (default os.hostname()). */
  host?: string;
  /** Builds a sender (default: the UDP or TCP one of the settings). */
  openGelf?: (settings: GelfSettings, opts: SenderOptions) => GelfSender;
  /** A transport's trouble is written at most once per this many ms (default 60 000). */
  noteIntervalMs?: number;
}

export interface LoggerStats {
  /** Records logged since start. */
  records: number;
  /** Records that failed to format (logged as a plain line instead). */
  formatErrors: number;
  /** GELF since start, across senders rebuilt by configuration changes (counters never go back). */
  gelf: GelfStats & { enabled: boolean; protocol: string | null; target: string | null };
}

/** Keys of pino's own line: a field with one of these names would be shadowed, so it is renamed `field_<name>`. */
const RESERVED = new Set(['time', 'level', 'message', 'msg']);

function openDefaultSender(settings: GelfSettings, opts: SenderOptions): GelfSender {
  return settings.protocol === 'tcp' ? new GelfTcpSender(opts) : new GelfUdpSender(opts);
}

export class Logger {
  /** The function every module is given. */
  readonly log: Log;
  private readonly core: PinoLogger<'warning'>;
  private readonly write: (text: string) => void;
  private readonly now: () => number;
  private gelf: GelfSender | null = null;
  private gelfSettingsNow: GelfSettings | null = null;
  /** Counters of senders already replaced, so the totals are monotonic (a Prometheus counter). */
  private retired: GelfStats = { sent: 0, dropped: 0, queued: 0 };
  private records = 0;
  private formatErrors = 0;
  private lastNote = -Infinity;

  constructor(private readonly opts: LoggerOptions) {
    this.write = opts.write ?? ((text) => void process.stderr.write(text));
    this.now = opts.now ?? Date.now;
    this.core = pino(
      {
        level: 'debug',
        base: null,
        messageKey: 'message',
        customLevels: { warning: 40 },
        timestamp: () => `,"time":${this.now()}`,
        serializers: { err: stdSerializers.err, error: (v: unknown) => (v instanceof Error ? stdSerializers.err(v) : v) },
        formatters: {
          level: (label) => ({ level: label }),
          log: (fields) => {
            let out: Record<string, unknown> | null = null;
            for (const k of Object.keys(fields)) if (RESERVED.has(k)) (out ??= { ...fields })[`field_${k}`] = fields[k];
            // A 64-bit kernel counter as digits: as a JSON number it would come back rounded to a double.
            for (const k of Object.keys(fields)) if (typeof fields[k] === 'bigint') (out ??= { ...fields })[k] = String(fields[k]);
            if (out) for (const k of RESERVED) delete out[k];
            return out ?? fields;
          },
        },
      },
      { write: (line: string) => this.dispatch(line) },
    );
    this.log = (level, message, fields) => this.emit(level, message, fields);
  }

  /** Switches GELF to these settings (null: off). Unchanged settings keep the sender and its connection. */
  useGelf(settings: GelfSettings | null): void {
    if (sameGelfSettings(settings, this.gelfSettingsNow)) return;
    if (this.gelf) {
      this.gelf.close();
      const s = this.gelf.stats();
      this.retired = { sent: this.retired.sent + s.sent, dropped: this.retired.dropped + s.dropped, queued: 0 };
    }
    const was = this.gelfSettingsNow;
    this.gelf = null;
    this.gelfSettingsNow = settings;
    if (!settings) {
      if (was) this.log('info', 'gelf: off', { gelf: 'off' });
      return;
    }
    const opts: SenderOptions = {
      host: settings.host,
      port: settings.port,
      identity: { host: this.opts.host ?? hostname(), facility: settings.facility },
      note: (m) => this.note(m),
    };
    try {
      this.gelf = (this.opts.openGelf ?? openDefaultSender)(settings, opts);
    } catch (e) {
      // Validation keeps host and port sane; whatever slips through must cost the logs, never the daemon.
      this.log('error', `gelf: cannot send to ${settings.protocol} ${settings.host}:${settings.port}: ${(e as Error).message}`);
      return;
    }
    // Says where the logs go from now on (also the first record the new sender carries).
    this.log('info', `gelf: sending to ${settings.protocol} ${settings.host}:${settings.port}`, { gelf: `${settings.protocol}://${settings.host}:${settings.port}` });
  }

  stats(): LoggerStats {
    const s = this.gelf?.stats() ?? { sent: 0, dropped: 0, queued: 0 };
    const g = this.gelfSettingsNow;
    return {
      records: this.records,
      formatErrors: this.formatErrors,
      gelf: {
        enabled: g !== null,
        protocol: g?.protocol ?? null,
        target: g ? `${g.host}:${g.port}` : null,
        sent: this.retired.sent + s.sent,
        dropped: this.retired.dropped + s.dropped,
        queued: s.queued,
      },
    };
  }

  close(): void {
    this.useGelf(null);
  }

  private emit(level: LogLevel, message: string, fields?: LogFields): void {
    try {
      if (fields) this.core[level](fields, message);
      else this.core[level](message);
    } catch (e) {
      // A field pino cannot render (a getter that throws): the message still reaches stderr.
      this.formatErrors++;
      this.deliver({ time: this.now(), level, message, fields: { logError: (e as Error).message } });
    }
  }

  /** pino's rendered line → the record both outputs share. */
  private dispatch(line: string): void {
    const { time, level, message, ...fields } = JSON.parse(line) as { time: number; level: LogLevel; message?: string } & LogFields;
    this.deliver({ time, level, message: message ?? '', fields });
  }

  private deliver(record: LogRecord): void {
    this.records++;
    this.write(stderrLines(record, this.opts.journal));
    this.gelf?.send(record);
  }

  /** A transport's trouble, on stderr only and at most once per interval: a dead collector must not flood the journal. */
  private note(message: string): void {
    const t = this.now();
    if (t - this.lastNote < (this.opts.noteIntervalMs ?? 60_000)) return;
    this.lastNote = t;
    this.write(stderrLines({ time: t, level: 'warning', message, fields: {} }, this.opts.journal));
  }
}
