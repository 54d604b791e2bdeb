// Typed errors of the netlink layer. Operator-facing ones (DataplaneUnavailableError) carry a message meant to be
// printed as is, without a stack trace.
import { errnoName, errnoText } from './errno.js';

/** A request the kernel (or the memory dataplane) refused: errno plus what was asked. */
export class DataplaneError extends Error {
  readonly errno: number;
  readonly code: string;
  /** Short description of the request that failed, e.g. "IPVS NEW_SERVICE tcp 192.0.2.1:80". */
  readonly request: string;
  /** Extended-ack text from the kernel, when it sent one. */
  readonly kernelMessage?: string;
  constructor(errno: number, request: string, kernelMessage?: string) {
    super(`${request}: ${errnoName(errno)} (${errnoText(errno)})${kernelMessage ? `: ${kernelMessage}` : ''}`);
    this.name = 'DataplaneError';
    this.errno = errno;
    this.code = errnoName(errno);
    this.request = request;
    this.kernelMessage = kernelMessage;
  }
}

/** The kernel never answered within the timeout. */
export class NetlinkTimeoutError extends Error {
  readonly request: string;
  constructor(request: string, ms: number) {
    super(`${request}: no answer from the kernel within ${ms} ms`);
    this.name = 'NetlinkTimeoutError';
    this.request = request;
  }
}

/**
 * The dataplane cannot be used at all on this machine (no IPVS, no privilege, no libc binding).
 * `message` is for the operator; `cli/` prints it without a stack trace and exits non-zero.
 */
export class DataplaneUnavailableError extends Error {
  readonly reason: 'no-ipvs' | 'no-permission' | 'no-ffi' | 'other';
  constructor(reason: DataplaneUnavailableError['reason'], message: string) {
    super(message);
    this.name = 'DataplaneUnavailableError';
    this.reason = reason;
  }
}

export const NO_IPVS_MESSAGE =
  "this kernel has no IPVS (the 'IPVS' generic netlink family is missing): load it with 'modprobe ip_vs', " +
  'or use --lab for the in-memory dataplane';
export const NO_PERMISSION_MESSAGE = 'needs CAP_NET_ADMIN: run as root or grant the capability';
