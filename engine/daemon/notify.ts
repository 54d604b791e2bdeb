// The systemd notify protocol (sd_notify(3)) without libsystemd: newline-separated VAR=VALUE assignments in one
// datagram sent to the AF_UNIX socket named by $NOTIFY_SOCKET (a path, or '@name' for an abstract socket).
// dist/systemd/lbctl.service runs the daemon with Type=notify, NotifyAccess=main and WatchdogSec, so the daemon
// says READY=1 once it serves, RELOADING=1 … READY=1 around a SIGHUP reload, WATCHDOG=1 from its event loop and
// STOPPING=1 when it begins to shut down.
//
// Nothing here may take the daemon down: a notifier that cannot open its socket is disabled (with `problem`
// saying why), and a send that fails is dropped. Sends never block: MSG_DONTWAIT, since a stuck service manager
// must not freeze the event loop (systemd's receive buffer is large; a full one means it is not reading anyway).
import {
  AF_UNIX,
  close as closeFd,
  MSG_DONTWAIT,
  MSG_NOSIGNAL,
  sendto,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  socket,
  sockaddrUn,
} from '../../netlink/libc.js';

export interface Notifier {
  /** True when $NOTIFY_SOCKET named a socket this notifier can send to: systemd is waiting for READY=1. */
  readonly enabled: boolean;
  /** Why the notifier is disabled although $NOTIFY_SOCKET was set (for the daemon's log); absent otherwise. */
  readonly problem?: string;
  /** READY=1 (and STATUS=): start-up or a reload finished. */
  ready(status?: string): void;
  /** STATUS=: one line shown by `systemctl status`. */
  status(text: string): void;
  /** RELOADING=1 with MONOTONIC_USEC: a reload began; call ready() when it is done. */
  reloading(): void;
  /** WATCHDOG=1: the event loop is alive; send every watchdogIntervalMs. */
  watchdog(): void;
  /** STOPPING=1: shutdown began. */
  stopping(): void;
  /** Closes the socket; later calls do nothing. */
  close(): void;
}

/** A notifier that does nothing: no systemd, or a socket we cannot use. */
function disabled(problem?: string): Notifier {
  const noop = (): void => {};
  return {
    enabled: false,
    ...(problem === undefined ? {} : { problem }),
    ready: noop,
    status: noop,
    reloading: noop,
    watchdog: noop,
    stopping: noop,
    close: noop,
  };
}

/** STATUS= is one assignment: a newline inside it would start another (and could forge READY=1). */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** CLOCK_MONOTONIC in µs: libuv's hrtime is clock_gettime(CLOCK_MONOTONIC) on Linux, what systemd compares with. */
export function monotonicUsec(): bigint {
  return process.hrtime.bigint() / 1000n;
}

class SocketNotifier implements Notifier {
  readonly enabled = true;
  private fd: number;

  constructor(
    fd: number,
    private readonly addr: Buffer,
  ) {
    this.fd = fd;
  }

  /** One datagram; false when it was not sent (closed, or the kernel refused). Never throws. */
  send(message: string): boolean {
    if (this.fd < 0) return false; // closed: the fd number may already belong to someone else
    try {
      const buf = Buffer.from(message, 'utf8');
      const r = sendto(this.fd, buf, MSG_DONTWAIT | MSG_NOSIGNAL, this.addr);
      return r.value === buf.length;
    } catch {
      return false;
    }
  }

  ready(status?: string): void {
    this.send(status === undefined ? 'READY=1' : `READY=1\nSTATUS=${oneLine(status)}`);
  }

  status(text: string): void {
    this.send(`STATUS=${oneLine(text)}`);
  }

  reloading(): void {
    // MONOTONIC_USEC lets systemd (Type=notify-reload, ≥ 253) tell this reload from an older one.
    this.send(`RELOADING=1\nMONOTONIC_USEC=${monotonicUsec()}`);
  }

  watchdog(): void {
    this.send('WATCHDOG=1');
  }

  stopping(): void {
    this.send('STOPPING=1');
  }

  close(): void {
    if (this.fd < 0) return;
    const fd = this.fd;
    this.fd = -1;
    try {
      closeFd(fd);
    } catch {
      /* the binding is gone: nothing left to release */
    }
  }
}

/**
 * The notifier for $NOTIFY_SOCKET (the daemon passes process.env.NOTIFY_SOCKET). Undefined or empty: a disabled
 * notifier (not started by systemd, or Type=simple). Opens one SOCK_DGRAM|SOCK_CLOEXEC socket now (CLOEXEC: a
 * child must not inherit it) and sends every message through it. Never throws.
 */
export function openNotifier(notifySocket: string | undefined): Notifier {
  if (notifySocket === undefined || notifySocket === '') return disabled();
  // sd_notify also knows vsock:CID:PORT (systemd ≥ 253, for VMs); lbctl runs on the host, so only AF_UNIX.
  if (!notifySocket.startsWith('/') && !notifySocket.startsWith('@')) {
    return disabled(`NOTIFY_SOCKET=${notifySocket} is neither an absolute path nor an @abstract name`);
  }
  let addr: Buffer;
  try {
    addr = sockaddrUn(notifySocket);
  } catch (e) {
    return disabled(`NOTIFY_SOCKET unusable: ${(e as Error).message}`);
  }
  try {
    const s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s.value < 0) return disabled(`cannot open the notify socket: socket() failed, errno ${s.errno}`);
    return new SocketNotifier(s.value, addr);
  } catch (e) {
    return disabled(`cannot open the notify socket: ${(e as Error).message}`);
  }
}

/**
 * How often to send WATCHDOG=1, in ms: half of $WATCHDOG_USEC (sd_watchdog_enabled(3)'s advice), when the
 * watchdog is meant for this process ($WATCHDOG_PID absent or equal to `pid`); null when there is no watchdog,
 * the value is not a positive integer, or it is meant for another process.
 */
export function watchdogIntervalMs(env: { WATCHDOG_USEC?: string; WATCHDOG_PID?: string }, pid: number): number | null {
  const usecText = env.WATCHDOG_USEC;
  if (usecText === undefined || !/^\d+$/.test(usecText.trim())) return null;
  const usec = Number(usecText.trim());
  if (!Number.isSafeInteger(usec) || usec <= 0) return null;
  const pidText = env.WATCHDOG_PID;
  // Like sd_watchdog_enabled: a WATCHDOG_PID that is set must parse and name us (an empty one does not).
  if (pidText !== undefined && (!/^\d+$/.test(pidText.trim()) || Number(pidText.trim()) !== pid)) return null;
  return Math.max(1, Math.floor(usec / 2000));
}
