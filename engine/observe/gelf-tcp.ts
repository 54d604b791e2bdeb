// GELF over TCP: one long-lived connection, each message its JSON followed by a NUL byte (TCP GELF is never
// compressed). Reconnects with exponential backoff and jitter.
//
// Queue policy, so a dead or stalled Graylog never grows memory or blocks the daemon:
//   connecting or connected  records wait in a queue of at most maxQueue records / maxQueueBytes bytes; when it
//                            is full the oldest are dropped (the newest say most about now)
//   unreachable (backoff)    records are dropped at once and counted: journald still has them
//   stalled (socket full)    one write is outstanding at a time; the rest waits in the bounded queue
import { connect, type Socket } from 'node:net';
import { Backoff, type BackoffOptions } from '../backoff.js';
import { gelfMessage, gelfTcpFrame } from './gelf-encode.js';
import type { GelfSender, GelfStats, SenderOptions } from './gelf-sender.js';
import type { LogRecord } from './log-format.js';

export interface TcpSenderOptions extends SenderOptions {
  maxQueueBytes?: number;
  /** A connect attempt gives up after this (default 5000 ms): a blackholed collector must not hang it forever. */
  connectTimeoutMs?: number;
  backoff?: BackoffOptions;
}

export class GelfTcpSender implements GelfSender {
  private socket: Socket | null = null;
  private connected = false;
  private blocked = false;
  private readonly queue: Buffer[] = [];
  private queuedBytes = 0;
  private sent = 0;
  private dropped = 0;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;

  constructor(private readonly opts: TcpSenderOptions) {
    this.backoff = new Backoff(opts.backoff ?? { baseMs: 500, maxMs: 30_000 });
    this.connect();
  }

  send(record: LogRecord): void {
    if (this.closed) return;
    if (this.retry) {
      this.dropped++;
      return;
    }
    let frame: Buffer;
    try {
      frame = gelfTcpFrame(gelfMessage(record, this.opts.identity));
    } catch {
      this.dropped++;
      return;
    }
    const maxQueue = this.opts.maxQueue ?? 1000;
    const maxBytes = this.opts.maxQueueBytes ?? 8 * 1024 * 1024;
    if (frame.length > maxBytes) {
      this.dropped++;
      return;
    }
    while (this.queue.length && (this.queue.length >= maxQueue || this.queuedBytes + frame.length > maxBytes)) {
      this.queuedBytes -= this.queue.shift()!.length;
      this.dropped++;
    }
    this.queue.push(frame);
    this.queuedBytes += frame.length;
    this.flush();
  }

  stats(): GelfStats {
    return { sent: this.sent, dropped: this.dropped, queued: this.queue.length };
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.dropped += this.queue.length;
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.socket?.destroy();
    this.socket = null;
  }

  private connect(): void {
    const socket = connect({ host: this.opts.host, port: this.opts.port });
    this.socket = socket;
    socket.unref();
    socket.setNoDelay(true);
    socket.setTimeout(this.opts.connectTimeoutMs ?? 5000, () => socket.destroy(new Error('connect timed out')));
    let failure: Error | null = null;
    socket.on('connect', () => {
      socket.setTimeout(0);
      this.connected = true;
      this.backoff.succeed();
      this.flush();
    });
    socket.on('error', (e) => (failure = e));
    // Graylog sends nothing back; reading keeps the socket from holding a half-closed peer unnoticed.
    socket.on('data', () => {});
    socket.on('close', () => {
      const wasConnected = this.connected;
      this.connected = false;
      this.blocked = false;
      this.socket = null;
      if (this.closed) return;
      // What was queued waits for the collector no longer: it is unreachable now (the policy above).
      this.dropped += this.queue.length;
      this.queue.length = 0;
      this.queuedBytes = 0;
      const delay = this.backoff.fail();
      const why = failure ? ((failure as NodeJS.ErrnoException).code ?? failure.message) : 'closed by the collector';
      this.opts.note(`gelf: tcp ${this.opts.host}:${this.opts.port} ${wasConnected ? 'connection lost' : 'unreachable'} (${why}); records are dropped (${this.dropped} so far); next try in ${delay} ms`);
      this.retry = setTimeout(() => {
        this.retry = null;
        this.connect();
      }, delay);
      this.retry.unref();
    });
  }

  private flush(): void {
    const socket = this.socket;
    while (socket && this.connected && !this.blocked && this.queue.length) {
      const frame = this.queue.shift()!;
      this.queuedBytes -= frame.length;
      this.sent++;
      if (!socket.write(frame)) {
        this.blocked = true;
        socket.once('drain', () => {
          this.blocked = false;
          this.flush();
        });
      }
    }
  }
}
