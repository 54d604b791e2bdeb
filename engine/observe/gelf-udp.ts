// GELF over UDP: each record gzip-compressed (Graylog detects gzip and zlib by their magic bytes), chunked when
// it exceeds one datagram (gelf-encode.ts). Fire and forget, as UDP is: nothing waits for the collector.
//
// The socket is connected to the collector once (one DNS lookup per sender, not one per datagram), so a closed
// port shows: the kernel reports the ICMP port-unreachable on that socket, and the record is counted as dropped
// (a collector host that sends no ICMP, or a firewall that drops, is invisible: UDP cannot know).
//
// Compression: a record of at most SYNC_GZIP_MAX bytes of JSON (nearly all) is compressed at once on the
// caller's thread: a thread-pool round trip costs more than compressing half a kilobyte, and libuv's four pool
// threads are shared with the store's file I/O. A larger record (a long commit comment) goes to the pool so it
// does not hold the event loop. At most `maxQueue` records are in flight; more are dropped and counted.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { gzip, gzipSync } from 'node:zlib';
import { Backoff, type BackoffOptions } from '../backoff.js';
import { DEFAULT_MAX_DATAGRAM, gelfChunks, gelfMessage } from './gelf-encode.js';
import type { GelfSender, GelfStats, SenderOptions } from './gelf-sender.js';
import type { LogRecord } from './log-format.js';

export const SYNC_GZIP_MAX = 16 * 1024;

export interface UdpSenderOptions extends SenderOptions {
  maxDatagram?: number;
  /** The 8-byte chunk message id (default random: ids must not repeat within the collector's 5-second window). */
  messageId?: () => Buffer;
  backoff?: BackoffOptions;
}

export class GelfUdpSender implements GelfSender {
  private socket: Socket | null = null;
  private readonly pending: LogRecord[] = [];
  private inFlight = 0;
  private sent = 0;
  private dropped = 0;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private readonly maxQueue: number;

  constructor(private readonly opts: UdpSenderOptions) {
    this.maxQueue = opts.maxQueue ?? 1000;
    this.backoff = new Backoff(opts.backoff ?? { baseMs: 1000, maxMs: 60_000 });
    this.open();
  }

  send(record: LogRecord): void {
    if (this.closed) return;
    if (this.inFlight + this.pending.length >= this.maxQueue) {
      this.dropped++;
      return;
    }
    if (!this.socket) {
      // Still resolving the collector's name: wait in the bounded queue. During a failed lookup's backoff the
      // collector is unknown: drop rather than hoard.
      if (this.retry) this.dropped++;
      else this.pending.push(record);
      return;
    }
    this.transmit(record);
  }

  stats(): GelfStats {
    return { sent: this.sent, dropped: this.dropped, queued: this.inFlight + this.pending.length };
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.dropped += this.pending.length;
    this.pending.length = 0;
    this.socket?.close();
    this.socket = null;
  }

  private open(): void {
    lookup(this.opts.host).then(
      ({ address, family }) => {
        if (this.closed) return;
        const socket = createSocket(family === 6 ? 'udp6' : 'udp4');
        socket.on('error', (e: NodeJS.ErrnoException) => {
          // Before it is connected: no route to the collector, say. Try again later, as after a failed lookup.
          if (socket !== this.socket) {
            socket.close();
            return this.retryLater(`cannot be reached (${e.code ?? e.message})`);
          }
          // Connected: the kernel reports the collector's ICMP port-unreachable on the socket's receive side as
          // an 'error' event (recvmsg ECONNREFUSED), one per refused datagram. The record it belonged to was
          // counted as sent and is moved to dropped. (Without a listener the event would crash the daemon.)
          if (this.sent > 0) this.sent--;
          this.dropped++;
          const why = e.code === 'ECONNREFUSED' ? 'ECONNREFUSED (nothing listens there)' : (e.code ?? e.message);
          this.opts.note(`gelf: udp ${this.opts.host}:${this.opts.port}: ${why}; records are dropped (${this.dropped} so far)`);
        });
        try {
          socket.connect(this.opts.port, address, () => {
            if (this.closed) return void socket.close();
            socket.unref();
            this.socket = socket;
            this.backoff.succeed();
            for (const r of this.pending.splice(0)) this.transmit(r);
          });
        } catch (e) {
          // A synchronous refusal (a port Node rejects) must not become an unhandled rejection: that ends the daemon.
          socket.close();
          this.retryLater(`cannot be used (${(e as Error).message})`);
        }
      },
      (e: Error) => {
        if (!this.closed) this.retryLater(`cannot be resolved (${e.message})`);
      },
    );
  }

  /** The collector is unknown or unreachable: drop what waits, and look again after a backoff delay. */
  private retryLater(why: string): void {
    if (this.closed) return;
    const delay = this.backoff.fail();
    this.dropped += this.pending.length;
    this.pending.length = 0;
    this.opts.note(`gelf: udp collector ${this.opts.host}:${this.opts.port} ${why}; records are dropped (${this.dropped} so far); next try in ${delay} ms`);
    this.retry = setTimeout(() => {
      this.retry = null;
      this.open();
    }, delay);
    this.retry.unref();
  }

  private transmit(record: LogRecord): void {
    let json: Buffer;
    try {
      json = Buffer.from(JSON.stringify(gelfMessage(record, this.opts.identity)), 'utf8');
    } catch {
      this.dropped++;
      return;
    }
    this.inFlight++;
    if (json.length > SYNC_GZIP_MAX) return void gzip(json, (err, payload) => this.compressed(err, payload, json.length));
    let payload: Buffer;
    try {
      payload = gzipSync(json);
    } catch (e) {
      return this.compressed(e as Error, Buffer.alloc(0), json.length);
    }
    this.compressed(null, payload, json.length);
  }

  private compressed(err: Error | null, payload: Buffer, jsonBytes: number): void {
    const socket = this.socket;
    const chunks = err || !socket ? null : gelfChunks(payload, (this.opts.messageId ?? (() => randomBytes(8)))(), this.opts.maxDatagram ?? DEFAULT_MAX_DATAGRAM);
    if (!chunks || !socket) {
      this.inFlight--;
      this.dropped++;
      if (!err && socket) this.opts.note(`gelf: a ${jsonBytes}-byte record needs more than 128 chunks compressed; dropped`);
      return;
    }
    let left = chunks.length;
    let failed: Error | null = null;
    for (const chunk of chunks) {
      socket.send(chunk, (e) => {
        if (e) failed ??= e;
        if (--left > 0) return;
        this.inFlight--;
        if (failed) {
          this.dropped++;
          this.opts.note(`gelf: udp ${this.opts.host}:${this.opts.port}: ${failed.message}; records are dropped (${this.dropped} so far)`);
        } else this.sent++;
      });
    }
  }
}
