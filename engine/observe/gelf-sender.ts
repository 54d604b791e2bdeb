// What the logger needs of a GELF transport, and the settings that choose one. The transports (gelf-udp.ts,
// gelf-tcp.ts) share one promise: send() never blocks, never throws, and never keeps more than a bounded queue;
// a record it cannot deliver is dropped and counted.
import type { Config, GelfProtocol } from '../../config/model.js';
import type { GelfIdentity } from './gelf-encode.js';
import type { LogRecord } from './log-format.js';

export interface GelfStats {
  /** Records handed to the kernel (UDP: all their datagrams sent; TCP: written to the connection). */
  sent: number;
  /** Records lost: queue full, collector unreachable, too large for 128 chunks, send errors. */
  dropped: number;
  /** Records waiting (TCP: for the connection; UDP: being compressed or sent). */
  queued: number;
}

export interface GelfSender {
  send(record: LogRecord): void;
  stats(): GelfStats;
  /** Stops sending; records still queued are dropped and counted. */
  close(): void;
}

export interface GelfSettings {
  protocol: GelfProtocol;
  host: string;
  port: number;
  facility: string;
}

/** The GELF settings of a configuration, or null when GELF is off (or has no host: validation refuses that). */
export function gelfSettings(config: Config | null | undefined): GelfSettings | null {
  const g = config?.observability?.gelf;
  if (!g?.enabled || !g.host) return null;
  return { protocol: g.protocol, host: g.host, port: g.port, facility: g.facility };
}

export function sameGelfSettings(a: GelfSettings | null, b: GelfSettings | null): boolean {
  if (a === null || b === null) return a === b;
  return a.protocol === b.protocol && a.host === b.host && a.port === b.port && a.facility === b.facility;
}

export interface SenderOptions {
  host: string;
  port: number;
  identity: GelfIdentity;
  /**
   * A local line about the transport's trouble (stderr only, never GELF: a dead collector must not feed itself).
   * The logger rate-limits it.
   */
  note: (message: string) => void;
  /** Records queued at most (default 1000); more are dropped and counted. */
  maxQueue?: number;
}
