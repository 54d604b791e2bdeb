// A thin netlink socket: sequence numbers, batched requests with one ACK each, dumps, a timeout on every wait,
// and typed errors naming the request that failed. One operation at a time per socket (dumps are positional and
// the kernel allows one in progress), enforced by an internal queue.
import { readSync, writeSync } from 'node:fs';
import * as libc from './libc.js';
import {
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  NLMSG_OVERRUN,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  getS32,
  parseError,
  nlmsg,
  parseMessages,
  type NlMessage,
} from './codec.js';
import { EAGAIN, EINTR, ENOBUFS, EPERM, EPROTONOSUPPORT, EAFNOSUPPORT, errnoName } from './errno.js';
import { DataplaneError, DataplaneUnavailableError, NetlinkTimeoutError } from './errors.js';

export interface SocketOptions {
  /** Multicast groups bitmask for bind (rtnetlink subscriptions). */
  groups?: number;
  /** Receive buffer wanted (SO_RCVBUFFORCE when privileged, else SO_RCVBUF). */
  rcvbuf?: number;
  /** Longest wait for any single answer. */
  timeoutMs?: number;
}

/** One request of a batch: its bytes are built once the sequence number is known. */
export interface BatchRequest {
  build(seq: number, flags: number): Buffer;
  describe: string;
}

export interface Ack {
  errno: number;
  code?: string;
  kernelMessage?: string;
}

/**
 * Larger than any datagram the kernel sends us (a dump's skb is at most ~32 KiB, a doit's answer far less). A read
 * that fills it whole is treated as truncated: read(2), unlike recv(MSG_TRUNC), cannot say that more was cut off.
 */
const RECV_BUF = 256 * 1024;
/** A conservative kernel cost of one queued ACK (skb truesize), to size batches to the receive buffer. */
const ACK_COST = 1024;
const MAX_BATCH_BYTES = 64 * 1024;

export class NetlinkSocket {
  readonly fd: number;
  readonly portId: number;
  readonly timeoutMs: number;
  /** Requests per send, so their ACKs always fit the receive buffer. */
  readonly maxBatch: number;
  private seq: number;
  private messages = 0;
  private sends = 0;
  private barriers = 0;
  private closed = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly rbuf = Buffer.alloc(RECV_BUF);

  private constructor(fd: number, portId: number, timeoutMs: number, maxBatch: number) {
    this.fd = fd;
    this.portId = portId;
    this.timeoutMs = timeoutMs;
    this.maxBatch = maxBatch;
    this.seq = Math.floor(Date.now() / 1000) & 0x7fffffff;
  }

  static open(protocol: number, opts: SocketOptions = {}): NetlinkSocket {
    // Non-blocking: a read with nothing queued must return EAGAIN (then poll on a worker), never block the loop.
    const s = libc.socket(libc.AF_NETLINK, libc.SOCK_RAW | libc.SOCK_CLOEXEC | libc.SOCK_NONBLOCK, protocol);
    if (s.value < 0) {
      if (s.errno === EPERM) throw new DataplaneUnavailableError('no-permission', 'needs CAP_NET_ADMIN: run as root or grant the capability');
      if (s.errno === EPROTONOSUPPORT || s.errno === EAFNOSUPPORT)
        throw new DataplaneUnavailableError('other', `this kernel has no netlink protocol ${protocol} (${errnoName(s.errno)})`);
      throw new DataplaneError(s.errno, `socket(AF_NETLINK, ${protocol})`);
    }
    const fd = s.value;
    try {
      const want = opts.rcvbuf ?? 4 * 1024 * 1024;
      if (libc.setsockoptInt(fd, libc.SOL_SOCKET, libc.SO_RCVBUFFORCE, want).value < 0)
        libc.setsockoptInt(fd, libc.SOL_SOCKET, libc.SO_RCVBUF, want);
      // Small ACKs (no copy of the request) and extended-ack text.
      libc.setsockoptInt(fd, libc.SOL_NETLINK, libc.NETLINK_CAP_ACK, 1);
      libc.setsockoptInt(fd, libc.SOL_NETLINK, libc.NETLINK_EXT_ACK, 1);
      const b = libc.bindNetlink(fd, 0, opts.groups ?? 0);
      if (b.value < 0) throw new DataplaneError(b.errno, 'bind(AF_NETLINK)');
      const pid = libc.getNetlinkPortId(fd);
      if (pid.value < 0) throw new DataplaneError(pid.errno, 'getsockname(AF_NETLINK)');
      const rcv = libc.getsockoptInt(fd, libc.SOL_SOCKET, libc.SO_RCVBUF);
      const rcvBytes = rcv.value > 0 ? rcv.value : 200 * 1024;
      const maxBatch = Math.max(16, Math.min(1024, Math.floor(rcvBytes / 2 / ACK_COST)));
      return new NetlinkSocket(fd, pid.value, opts.timeoutMs ?? 5000, maxBatch);
    } catch (e) {
      libc.close(fd);
      throw e;
    }
  }

  /** Netlink messages sent so far. */
  messagesSent(): number {
    return this.messages;
  }
  /** Barrier NOOPs sent by batch() (one per send; not counted in messagesSent). */
  barrierMessages(): number {
    return this.barriers;
  }
  /** send() calls made so far (a batch is one). */
  sendCalls(): number {
    return this.sends;
  }

  nextSeq(): number {
    this.seq = this.peekSeq();
    return this.seq;
  }

  private peekSeq(): number {
    return (this.seq + 1) & 0x7fffffff || 1;
  }

  /**
   * Send requests in as few send() calls as the receive buffer allows; one Ack per request, in order.
   * Requests go WITHOUT NLM_F_ACK: the kernel then answers only failures, and each send ends with an
   * NLMSG_NOOP that does ask for an ACK (a barrier). The kernel handles a send's messages in order, so once the
   * barrier's ACK arrives every failure before it has arrived too; requests without a failure succeeded.
   * This turns 50,000 ACKs (one recv each) into one per send. Data replies (doit GETs) are ignored: use `request`.
   */
  batch(requests: BatchRequest[]): Promise<Ack[]> {
    return this.exclusive(async () => {
      const acks: Ack[] = new Array(requests.length);
      for (let start = 0; start < requests.length; ) {
        const pending = new Map<number, number>();
        const parts: Buffer[] = [];
        let bytes = 0;
        let i = start;
        for (; i < requests.length && i - start < this.maxBatch; i++) {
          const seq = this.peekSeq();
          const msg = requests[i].build(seq, NLM_F_REQUEST);
          if (parts.length && bytes + msg.length > MAX_BATCH_BYTES) break;
          this.seq = seq;
          pending.set(seq, i);
          parts.push(msg);
          bytes += msg.length;
        }
        const barrier = this.nextSeq();
        parts.push(nlmsg({ type: NLMSG_NOOP, flags: NLM_F_REQUEST | NLM_F_ACK, seq: barrier, pid: 0 }, Buffer.alloc(0)));
        this.sendAll(Buffer.concat(parts), parts.length - 1, requests[start].describe);
        this.barriers++;
        let done = false;
        while (!done) {
          const msgs = await this.receive(Date.now() + this.timeoutMs, requests[start].describe);
          for (const m of msgs) {
            if (m.type !== NLMSG_ERROR) continue;
            const e = parseError(m);
            if (e.request.seq === barrier) {
              done = true;
              continue;
            }
            const index = pending.get(e.request.seq);
            if (index === undefined) continue; // a late answer to something that already timed out
            pending.delete(e.request.seq);
            acks[index] = e.errno ? { errno: e.errno, code: errnoName(e.errno), kernelMessage: e.message } : { errno: 0 };
          }
        }
        for (const index of pending.values()) acks[index] = { errno: 0 };
        start = i;
      }
      return acks;
    });
  }

  /**
   * One request answered by data messages (a doit such as CTRL_CMD_GETFAMILY or IPVS GET_INFO) or by a dump
   * (`dump`: NLM_F_DUMP, MULTI parts until NLMSG_DONE). Throws DataplaneError when the kernel refuses.
   */
  request(build: (seq: number, flags: number) => Buffer, describe: string, dump = false): Promise<NlMessage[]> {
    return this.exclusive(async () => {
      const seq = this.nextSeq();
      // A dump is never ACKed (netlink_dump_start swallows NLM_F_ACK); NLMSG_DONE ends it.
      this.sendAll(build(seq, NLM_F_REQUEST | (dump ? NLM_F_DUMP : NLM_F_ACK)), 1, describe);
      const out: NlMessage[] = [];
      for (;;) {
        const msgs = await this.receive(Date.now() + this.timeoutMs, describe);
        for (const m of msgs) {
          if (m.seq !== seq) continue;
          if (m.type === NLMSG_NOOP) continue;
          if (m.type === NLMSG_ERROR) {
            const e = parseError(m);
            if (e.errno) throw new DataplaneError(e.errno, describe, e.message);
            if (!dump) return out; // the ACK ends a doit
            continue;
          }
          if (m.type === NLMSG_DONE) {
            // A DONE may carry an error code (int) for a dump that failed part-way.
            if (m.payload.length >= 4) {
              const err = getS32(m.payload);
              if (err < 0) throw new DataplaneError(-err, describe);
            }
            if (m.flags & NLM_F_DUMP_INTR) throw new DataplaneError(EINTR, `${describe} (the table changed during the dump)`);
            return out;
          }
          if (m.type === NLMSG_OVERRUN) throw new DataplaneError(ENOBUFS, describe);
          out.push(m);
        }
      }
    });
  }

  /** Wait for and return the next datagram's messages (for subscribers; no sequence filtering). */
  async next(timeoutMs: number): Promise<NlMessage[] | null> {
    try {
      return await this.receive(Date.now() + timeoutMs, 'netlink events');
    } catch (e) {
      if (e instanceof NetlinkTimeoutError) return null;
      throw e;
    }
  }

  /**
   * The next datagram's messages if one is queued now, else null, without waiting (a subscriber that must see
   * every event already delivered before it acts on something else). Safe beside a pending `next`: each
   * datagram is read once, and `next` goes back to waiting when another reader took it.
   */
  tryNext(): NlMessage[] | null {
    return this.closed ? null : this.recvNow('netlink events');
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    libc.close(this.fd);
  }

  get isClosed() {
    return this.closed;
  }

  // ---- internals ----

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => {});
    return run;
  }

  private sendAll(buf: Buffer, count: number, describe: string) {
    if (this.closed) throw new Error('netlink socket is closed');
    for (;;) {
      const r = writeDatagram(this.fd, buf);
      if (r < 0 && -r === EINTR) continue;
      if (r < 0) throw new DataplaneError(-r, `send ${describe}`);
      if (r !== buf.length) throw new DataplaneError(ENOBUFS, `send ${describe} (short send ${r}/${buf.length})`);
      break;
    }
    this.messages += count;
    this.sends++;
  }

  /** One datagram if one is queued, else null (EAGAIN); throws on a real error. */
  private recvNow(describe: string): NlMessage[] | null {
    for (;;) {
      const r = readDatagram(this.fd, this.rbuf);
      if (r >= 0) {
        if (r >= this.rbuf.length)
          throw new DataplaneError(ENOBUFS, `${describe}: a datagram filled the whole ${this.rbuf.length}-byte buffer and may be cut short`);
        return parseMessages(Buffer.from(this.rbuf.subarray(0, r)));
      }
      if (-r === EINTR) continue;
      if (-r === ENOBUFS)
        throw new DataplaneError(ENOBUFS, `${describe}: the kernel dropped answers (receive buffer overrun)`);
      if (-r === EAGAIN) return null;
      throw new DataplaneError(-r, `recv ${describe}`);
    }
  }

  /** One datagram, waiting until `deadline` (ms since epoch). */
  private async receive(deadline: number, describe: string): Promise<NlMessage[]> {
    for (;;) {
      if (this.closed) throw new Error('netlink socket is closed');
      const msgs = this.recvNow(describe);
      if (msgs) return msgs;
      const left = deadline - Date.now();
      if (left <= 0) throw new NetlinkTimeoutError(describe, this.timeoutMs);
      // Nothing queued yet: wait on a worker thread so the event loop keeps running.
      const p = await libc.pollInAsync(this.fd, Math.min(left, 1000));
      if (p.value < 0 && p.errno !== EINTR) throw new DataplaneError(p.errno, `poll ${describe}`);
    }
  }
}

// ---- the two calls of the hot path ----
// A netlink socket is a file descriptor, and write(2)/read(2) on it are send(2)/recv(2) without flags or
// address: the message goes to the kernel (port 0), the answer is one datagram. Node's own fs binding makes
// these calls for a fraction of an ffi-rs call's cost (on the host 8 µs against 23 µs for a request and its
// answer, mostly ffi-rs's argument handling; under qemu TCG the gap is far wider), and a full table read makes
// one write and two reads per service. ffi-rs stays for what Node has no call for (socket, bind, setsockopt,
// poll). Both return the byte count, or -errno.

function writeDatagram(fd: number, buf: Buffer): number {
  try {
    return writeSync(fd, buf, 0, buf.length);
  } catch (e) {
    return -errnoOf(e);
  }
}

function readDatagram(fd: number, buf: Buffer): number {
  try {
    return readSync(fd, buf, 0, buf.length, null);
  } catch (e) {
    return -errnoOf(e);
  }
}

/** Node's fs errors carry libuv's negative errno (on Linux, -errno itself). */
function errnoOf(e: unknown): number {
  const n = (e as NodeJS.ErrnoException).errno;
  if (typeof n !== 'number') throw e;
  return Math.abs(n);
}
