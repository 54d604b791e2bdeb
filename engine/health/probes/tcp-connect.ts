// A connect-only tcp probe on libuv's own TCP handle, without net.Socket: a plain `tcp` check (no payload, no
// expect) only needs to know whether the three-way handshake completes, and a net.Socket (a Duplex stream, its
// state, its events, a nextTick per step) costs about three times the CPU of the handshake itself (measured:
// ~45 µs of user CPU per probe through net.connect, ~14 µs through the handle; docs/health.md, Benchmarks).
// The handle is Node's internal `tcp_wrap` binding, the one net.Socket is built on; process.binding() is
// deprecated in documentation only (DEP0111) and allows this module. Because it is an internal, it is trusted
// only after it has told a listening loopback socket from a closed one (selfTest, once per process, before any
// probe uses it): a Node whose handle behaved otherwise must not mark healthy backends down. Until then, and when
// the binding is missing or fails the test (another runtime, a future Node), `connectOnly()` is undefined and
// tcp.ts uses net.connect as before.
import { createServer, isIP, type AddressInfo } from 'node:net';
import { getSystemErrorName } from 'node:util';
import type { ProbeEndpoint } from '../types.js';
import type { ProbeRun } from './bounded.js';
import { describeError } from './errors.js';

interface TcpHandle {
  connect(req: ConnectReq, address: string, port: number): number;
  connect6(req: ConnectReq, address: string, port: number): number;
  close(callback?: () => void): void;
}

interface ConnectReq {
  oncomplete: (status: number) => void;
}

interface TcpWrap {
  TCP: new (type: number) => TcpHandle;
  TCPConnectWrap: new () => ConnectReq;
  constants: { SOCKET: number };
}

function loadTcpWrap(): TcpWrap | undefined {
  try {
    const binding = (process as unknown as { binding(name: string): unknown }).binding('tcp_wrap') as Partial<TcpWrap>;
    if (typeof binding.TCP !== 'function' || typeof binding.TCPConnectWrap !== 'function' || typeof binding.constants?.SOCKET !== 'number') return undefined;
    return binding as TcpWrap;
  } catch {
    return undefined;
  }
}

const wrap = loadTcpWrap();

/** The words of a libuv status (a negative errno): "connection refused", as for a net.Socket's error. */
export function statusWords(status: number): string {
  let code: string;
  try {
    code = getSystemErrorName(status);
  } catch {
    return `connect failed (${status})`;
  }
  return describeError({ code, message: `connect ${code}` });
}

function connectWith(w: TcpWrap, endpoint: ProbeEndpoint, run: ProbeRun): void {
  const handle = new w.TCP(w.constants.SOCKET);
  run.onSettle(() => handle.close());
  const req = new w.TCPConnectWrap();
  // Closing the handle before the handshake ends (a timeout, an abort) completes the request with ECANCELED;
  // the run has settled by then and ignores it.
  req.oncomplete = (status) => (status === 0 ? run.ok() : run.fail(statusWords(status)));
  const err = isIP(endpoint.address) === 6 ? handle.connect6(req, endpoint.address, endpoint.port) : handle.connect(req, endpoint.address, endpoint.port);
  if (err !== 0) run.fail(statusWords(err));
}

type ConnectOnly = (endpoint: ProbeEndpoint, run: ProbeRun) => void;

/** The handshake's status through the handle (0, or a negative errno), at most 2 s. */
function handshake(w: TcpWrap, port: number): Promise<number> {
  return new Promise((resolve) => {
    const handle = new w.TCP(w.constants.SOCKET);
    const done = (status: number) => {
      clearTimeout(timer);
      handle.close();
      resolve(status);
    };
    const timer = setTimeout(() => done(-110), 2000);
    const req = new w.TCPConnectWrap();
    req.oncomplete = (status) => done(status);
    const err = handle.connect(req, '127.0.0.1', port);
    if (err !== 0) done(err);
  });
}

/**
 * True when `w` connects to a listening loopback port and is refused by the same port once it is closed, as
 * net.connect is. Loopback only, one connection each way.
 */
export async function selfTest(w: TcpWrap): Promise<boolean> {
  try {
    const server = createServer((s) => s.destroy());
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const open = await handshake(w, port);
    await new Promise((resolve) => server.close(resolve));
    const closed = await handshake(w, port);
    return open === 0 && closed !== 0 && statusWords(closed) === 'connection refused';
  } catch {
    return false;
  }
}

let trusted: ConnectOnly | undefined;
/** Settles when the binding has been tested (true: the probes now connect through it). */
export const connectOnlyReady: Promise<boolean> =
  wrap === undefined
    ? Promise.resolve(false)
    : selfTest(wrap).then((ok) => {
        if (ok) trusted = (endpoint, run) => connectWith(wrap, endpoint, run);
        return ok;
      });

/** Connects to the endpoint and settles the run on the handshake's outcome; undefined until the binding is trusted. */
export function connectOnly(): ConnectOnly | undefined {
  return trusted;
}

export type { TcpWrap };
