// The only native code lbctl calls: libc's socket functions through ffi-rs (a prebuilt N-API binary shipped in
// its npm package; nothing is compiled at install). Every call returns the C value and captures errno.
// Buffers passed as U8Array are filled in place by the C side (recv, getsockopt).
import { createRequire } from 'node:module';
import { DataplaneUnavailableError } from './errors.js';

type FfiModule = typeof import('ffi-rs');
const LIB = 'lbctl_libc';

let ffi: FfiModule | null = null;

function lib(): FfiModule {
  if (ffi) return ffi;
  try {
    // ffi-rs is CommonJS with a native addon; require keeps it out of the ESM graph until first use.
    const mod = createRequire(import.meta.url)('ffi-rs') as FfiModule;
    mod.open({ library: LIB, path: 'libc.so.6' });
    ffi = mod;
    return mod;
  } catch (e) {
    throw new DataplaneUnavailableError(
      'no-ffi',
      `cannot load the libc binding (ffi-rs): ${(e as Error).message}; reinstall lbctl's dependencies with 'npm ci'`,
    );
  }
}

export interface CResult {
  value: number;
  errno: number;
}

/** `ssize` for ssize_t returns (send, recv); int otherwise (reading an int as 64 bits would see garbage). */
function call(funcName: string, paramsType: number[], paramsValue: unknown[], ssize = false): CResult {
  const m = lib();
  const r = m.load({
    library: LIB,
    funcName,
    retType: ssize ? m.DataType.I64 : m.DataType.I32,
    paramsType,
    paramsValue,
    errno: true,
  }) as unknown as { value: number; errnoCode: number };
  return { value: Number(r.value), errno: r.value < 0 ? r.errnoCode : 0 };
}

export const AF_NETLINK = 16;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOCK_NONBLOCK = 0o4000;
export const NETLINK_ROUTE = 0;
export const NETLINK_GENERIC = 16;
export const SOL_SOCKET = 1;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_SNDBUFFORCE = 32;
export const SO_RCVBUFFORCE = 33;
export const SOL_NETLINK = 270;
export const NETLINK_ADD_MEMBERSHIP = 1;
export const NETLINK_DROP_MEMBERSHIP = 2;
export const NETLINK_CAP_ACK = 10;
export const NETLINK_EXT_ACK = 11;
export const MSG_PEEK = 0x2;
export const MSG_TRUNC = 0x20;
export const MSG_DONTWAIT = 0x40;
export const POLLIN = 0x1;

const T = () => lib().DataType;

export function socket(domain: number, type: number, protocol: number): CResult {
  return call('socket', [T().I32, T().I32, T().I32], [domain, type, protocol]);
}

/** bind(fd, sockaddr_nl{AF_NETLINK, pid, groups}). */
export function bindNetlink(fd: number, pid: number, groups: number): CResult {
  const sa = Buffer.alloc(12);
  sa.writeUInt16LE(AF_NETLINK, 0);
  sa.writeUInt32LE(pid >>> 0, 4);
  sa.writeUInt32LE(groups >>> 0, 8);
  return call('bind', [T().I32, T().U8Array, T().I32], [fd, sa, sa.length]);
}

/** getsockname: the port id the kernel assigned. */
export function getNetlinkPortId(fd: number): CResult {
  const sa = Buffer.alloc(12);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(12, 0);
  const r = call('getsockname', [T().I32, T().U8Array, T().U8Array], [fd, sa, len]);
  return r.value < 0 ? r : { value: sa.readUInt32LE(4), errno: 0 };
}

export function send(fd: number, buf: Buffer, flags = 0): CResult {
  return call('send', [T().I32, T().U8Array, T().U64, T().I32], [fd, buf, buf.length, flags], true);
}

/** recv into `buf` (filled in place); the value is the datagram length (may exceed buf with MSG_TRUNC). */
export function recv(fd: number, buf: Buffer, flags = 0): CResult {
  return call('recv', [T().I32, T().U8Array, T().U64, T().I32], [fd, buf, buf.length, flags], true);
}

export function setsockoptInt(fd: number, level: number, name: number, value: number): CResult {
  const v = Buffer.alloc(4);
  v.writeInt32LE(value, 0);
  return call('setsockopt', [T().I32, T().I32, T().I32, T().U8Array, T().I32], [fd, level, name, v, 4]);
}

export function getsockoptInt(fd: number, level: number, name: number): CResult {
  const v = Buffer.alloc(4);
  const len = Buffer.alloc(4);
  len.writeUInt32LE(4, 0);
  const r = call('getsockopt', [T().I32, T().I32, T().I32, T().U8Array, T().U8Array], [fd, level, name, v, len]);
  return r.value < 0 ? r : { value: v.readInt32LE(0), errno: 0 };
}

export function close(fd: number): CResult {
  return call('close', [T().I32], [fd]);
}

function pollfd(fd: number): Buffer {
  const p = Buffer.alloc(8); // struct pollfd { int fd; short events; short revents; }
  p.writeInt32LE(fd, 0);
  p.writeInt16LE(POLLIN, 4);
  return p;
}

/** poll() one fd for input, blocking the calling thread for at most timeoutMs. value: 1 ready, 0 timeout. */
export function pollIn(fd: number, timeoutMs: number): CResult {
  return call('poll', [T().U8Array, T().U64, T().I32], [pollfd(fd), 1, timeoutMs]);
}

/**
 * The same poll, run on a worker thread so the event loop keeps turning while the kernel is silent.
 * The pollfd buffer must stay reachable until the worker is done with it. With the buffer created inline in the
 * call (nothing of ours referencing it during the await), a steady stream of rtnetlink events killed the process
 * with SIGSEGV within seconds (test/integration/netlink/rtnl-stress.test.ts: 3 crashes in 3 runs): ffi-rs does not
 * appear to hold the buffer for the worker, so it can be collected while poll() writes revents into it. Reading
 * revents after the await keeps it alive (no crash since, 20,000 events a run), and is the answer anyway.
 */
export async function pollInAsync(fd: number, timeoutMs: number): Promise<CResult> {
  const m = lib();
  const pfd = pollfd(fd);
  const r = (await m.load({
    library: LIB,
    funcName: 'poll',
    retType: m.DataType.I32,
    paramsType: [m.DataType.U8Array, m.DataType.U64, m.DataType.I32],
    paramsValue: [pfd, 1, timeoutMs],
    errno: true,
    runInNewThread: true,
  })) as unknown as { value: number; errnoCode: number };
  const value = Number(r.value);
  if (value < 0) return { value, errno: r.errnoCode };
  // revents, struct pollfd's last short: nonzero when the fd is ready (or in error: recv will say which).
  return { value: pfd.readInt16LE(6) !== 0 ? 1 : 0, errno: 0 };
}

// ---- AF_UNIX datagrams, peer credentials, the monotonic clock: for the daemon's systemd notify and control
// socket (engine/daemon/). Added below the netlink calls; the same call() pattern, nothing else changes.

export const AF_UNIX = 1;
export const SOCK_DGRAM = 2;
export const SO_PEERCRED = 17;
export const SO_DOMAIN = 39;
/** No SIGPIPE if the peer is gone: an error return is enough, a signal would kill the daemon. */
export const MSG_NOSIGNAL = 0x4000;
export const CLOCK_MONOTONIC = 1;

/** offsetof(struct sockaddr_un, sun_path): sun_family is a 2-byte sa_family_t. */
const SUN_PATH_OFFSET = 2;
/** sizeof(sun_path). */
const SUN_PATH_MAX = 108;

/**
 * struct sockaddr_un for a filesystem path or, written '@name', an abstract name (Linux: sun_path starts with a
 * NUL and the name is exactly the bytes counted by addrlen, so no trailing NUL). Throws a RangeError when the
 * address cannot fit in sun_path, because the kernel would silently talk to a truncated name.
 */
export function sockaddrUn(address: string): Buffer {
  if (address.length === 0) throw new RangeError('empty AF_UNIX address');
  const abstract = address.startsWith('@');
  const name = Buffer.from(abstract ? address.slice(1) : address, 'utf8');
  // Path: bytes + NUL must fit; abstract: NUL + bytes must fit.
  if (name.length + 1 > SUN_PATH_MAX) {
    throw new RangeError(`AF_UNIX address too long (${name.length} bytes, at most ${SUN_PATH_MAX - 1}): ${address}`);
  }
  const sa = Buffer.alloc(SUN_PATH_OFFSET + 1 + name.length); // zero-filled: the NUL is already there
  sa.writeUInt16LE(AF_UNIX, 0);
  name.copy(sa, abstract ? SUN_PATH_OFFSET + 1 : SUN_PATH_OFFSET);
  return sa; // its length is the addrlen to pass
}

/** bind(fd, sockaddr_un) for a path or '@abstract' name. */
export function bindUnix(fd: number, address: string): CResult {
  const sa = sockaddrUn(address);
  return call('bind', [T().I32, T().U8Array, T().I32], [fd, sa, sa.length]);
}

/** sendto(fd, buf, len, flags, sockaddr, addrlen) with a prebuilt address (sockaddrUn): one datagram. */
export function sendto(fd: number, buf: Buffer, flags: number, addr: Buffer): CResult {
  return call(
    'sendto',
    [T().I32, T().U8Array, T().U64, T().I32, T().U8Array, T().I32],
    [fd, buf, buf.length, flags, addr, addr.length],
    true,
  );
}

/** sendto a path or '@abstract' AF_UNIX address. */
export function sendtoUnix(fd: number, buf: Buffer, address: string, flags = 0): CResult {
  return sendto(fd, buf, flags, sockaddrUn(address));
}

/**
 * getsockopt into a buffer of `len` bytes (structs such as struct ucred). `data` is the part the kernel wrote
 * (optlen on return), so a caller can tell a short answer from a full one.
 */
export function getsockoptBuffer(fd: number, level: number, name: number, len: number): CResult & { data: Buffer } {
  const v = Buffer.alloc(len);
  const optlen = Buffer.alloc(4);
  optlen.writeUInt32LE(len, 0);
  const r = call('getsockopt', [T().I32, T().I32, T().I32, T().U8Array, T().U8Array], [fd, level, name, v, optlen]);
  if (r.value < 0) return { ...r, data: Buffer.alloc(0) };
  return { value: 0, errno: 0, data: v.subarray(0, Math.min(len, optlen.readUInt32LE(0))) };
}

/** clock_gettime(clockId) in nanoseconds: lets tests check a timestamp against the kernel's own clock. */
export function clockGettimeNs(clockId: number): CResult & { ns: bigint } {
  const ts = Buffer.alloc(16); // struct timespec { time_t tv_sec; long tv_nsec; } on 64-bit Linux
  const r = call('clock_gettime', [T().I32, T().U8Array], [clockId, ts]);
  if (r.value < 0) return { ...r, ns: 0n };
  return { value: 0, errno: 0, ns: ts.readBigInt64LE(0) * 1_000_000_000n + ts.readBigInt64LE(8) };
}

/**
 * Loads the libc binding now. ffi-rs asks `process.report.getReport()` whether libc is musl when it loads, and
 * that report lists every open handle: in a daemon already probing 10,000 backends it took tens of seconds
 * (bench/health.ts). The daemon loads it at start, before it opens any socket of its own. Throws
 * DataplaneUnavailableError when the binding cannot be loaded.
 */
export function loadLibc(): void {
  lib();
}
