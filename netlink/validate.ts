// Input checks shared by both dataplanes, for values the wire cannot even carry (a port of 70000, an address
// that is not one). Both answer EINVAL (EAFNOSUPPORT for a family IPVS does not know) without reaching the
// kernel, so the memory and netlink dataplanes cannot disagree on them. Everything the kernel itself decides
// (EEXIST, ESRCH, ENOENT, ERANGE, ...) is left to the kernel, or mirrored by memory.ts.
import { canonicalAddr } from './addr.js';
import { AF_INET, AF_INET6, type AddressFamily, type IpvsDest, type IpvsService, type ServiceKey } from './dataplane.js';
import { EAFNOSUPPORT, EINVAL } from './errno.js';

export const MAX_SCHED_NAME = 15;
export const MAX_PE_NAME = 15;

const isUint = (v: unknown, max: number): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;
export const isU8 = (v: unknown): v is number => isUint(v, 0xff);
export const isU16 = (v: unknown): v is number => isUint(v, 0xffff);
export const isU32 = (v: unknown): v is number => isUint(v, 0xffffffff);

export class InputError extends Error {
  constructor(readonly errno: number, message: string) {
    super(message);
  }
}

function checkAf(af: number): asserts af is AddressFamily {
  if (af !== AF_INET && af !== AF_INET6) throw new InputError(EAFNOSUPPORT, `address family ${af} is not inet or inet6`);
}

function checkAddr(af: AddressFamily, addr: string, what: string): string {
  try {
    return canonicalAddr(af, addr);
  } catch {
    throw new InputError(EINVAL, `${what} ${JSON.stringify(addr)} is not an ${af === AF_INET ? 'IPv4' : 'IPv6'} address`);
  }
}

/** The key in canonical form; throws InputError. */
export function checkKey(key: ServiceKey): ServiceKey {
  checkAf(key.af);
  if ('fwmark' in key) {
    if (!isU32(key.fwmark)) throw new InputError(EINVAL, `fwmark ${key.fwmark} is not a u32`);
    return { af: key.af, fwmark: key.fwmark };
  }
  if (!isU16(key.protocol)) throw new InputError(EINVAL, `protocol ${key.protocol} is not a u16`);
  if (!isU16(key.port)) throw new InputError(EINVAL, `port ${key.port} is not in 0..65535`);
  return { af: key.af, protocol: key.protocol, addr: checkAddr(key.af, key.addr, 'service address'), port: key.port };
}

/** A full service (NEW/SET) in canonical form; throws InputError. */
export function checkService(s: IpvsService): IpvsService {
  const key = checkKey(s.key);
  if (typeof s.scheduler !== 'string' || s.scheduler.length > MAX_SCHED_NAME || s.scheduler.includes('\0'))
    throw new InputError(EINVAL, `scheduler name ${JSON.stringify(s.scheduler)} is longer than ${MAX_SCHED_NAME}`);
  if (!isU32(s.flags)) throw new InputError(EINVAL, `flags ${s.flags} are not a u32`);
  if (!isU32(s.timeout)) throw new InputError(EINVAL, `timeout ${s.timeout} is not a u32`);
  if (!isU32(s.netmask)) throw new InputError(EINVAL, `netmask ${s.netmask} is not a u32`);
  if (s.peName !== undefined && (s.peName.length > MAX_PE_NAME || s.peName.includes('\0')))
    throw new InputError(EINVAL, `persistence engine ${JSON.stringify(s.peName)} is longer than ${MAX_PE_NAME}`);
  const out: IpvsService = { key, scheduler: s.scheduler, flags: s.flags, timeout: s.timeout, netmask: s.netmask };
  if (s.peName) out.peName = s.peName;
  return out;
}

/** A destination's identity (DEL) in canonical form; `svcAf` is the family used when dest.af is absent. */
export function checkDestId(svcAf: AddressFamily, d: { addr: string; port: number; af?: AddressFamily }) {
  const af = d.af ?? svcAf;
  checkAf(af);
  if (!isU16(d.port)) throw new InputError(EINVAL, `destination port ${d.port} is not in 0..65535`);
  return { af, addr: checkAddr(af, d.addr, 'destination address'), port: d.port };
}

/**
 * A full destination (NEW/SET) in canonical form. Weight is range-checked by the kernel (ERANGE when it does
 * not fit a signed int), so only values the u32 wire field cannot carry are refused here.
 */
export function checkDest(svcAf: AddressFamily, d: IpvsDest): IpvsDest & { af: AddressFamily } {
  const id = checkDestId(svcAf, d);
  if (!isU32(d.fwdMethod)) throw new InputError(EINVAL, `forwarding method ${d.fwdMethod} is not a u32`);
  // Negative weights travel as their u32 bit pattern, as a C caller's int would; the kernel answers ERANGE.
  if (!Number.isInteger(d.weight) || d.weight < -0x80000000 || d.weight > 0xffffffff)
    throw new InputError(EINVAL, `weight ${d.weight} does not fit 32 bits`);
  if (!isU32(d.uThresh)) throw new InputError(EINVAL, `upper threshold ${d.uThresh} is not a u32`);
  if (!isU32(d.lThresh)) throw new InputError(EINVAL, `lower threshold ${d.lThresh} is not a u32`);
  if (d.tunType !== undefined && !isU8(d.tunType)) throw new InputError(EINVAL, `tunnel type ${d.tunType} is not a u8`);
  if (d.tunPort !== undefined && !isU16(d.tunPort)) throw new InputError(EINVAL, `tunnel port ${d.tunPort} is not a u16`);
  if (d.tunFlags !== undefined && !isU16(d.tunFlags)) throw new InputError(EINVAL, `tunnel flags ${d.tunFlags} are not a u16`);
  return {
    addr: id.addr,
    port: id.port,
    af: id.af,
    fwdMethod: d.fwdMethod,
    weight: d.weight,
    uThresh: d.uThresh,
    lThresh: d.lThresh,
    tunType: d.tunType ?? 0,
    tunPort: d.tunPort ?? 0,
    tunFlags: d.tunFlags ?? 0,
  };
}

/** An op in canonical form, or the InputError that keeps it from being sent at all. */
export function checkOp(op: import('./dataplane.js').IpvsOp): import('./dataplane.js').IpvsOp {
  switch (op.op) {
    case 'newService':
    case 'setService':
      return { op: op.op, service: checkService(op.service) };
    case 'delService':
      return { op: op.op, key: checkKey(op.key) };
    case 'newDest':
    case 'setDest': {
      const key = checkKey(op.key);
      const dest = checkDest(key.af, op.dest);
      // Send ADDR_FAMILY only for a mixed-family destination, as ipvsadm does.
      if (dest.af === key.af) delete (dest as IpvsDest).af;
      // Optional tunnel fields are sent only when the caller gave them.
      if (op.dest.tunType === undefined) delete dest.tunType;
      if (op.dest.tunPort === undefined) delete dest.tunPort;
      if (op.dest.tunFlags === undefined) delete dest.tunFlags;
      return { op: op.op, key, dest };
    }
    case 'delDest': {
      const key = checkKey(op.key);
      const id = checkDestId(key.af, op.dest);
      return { op: op.op, key, dest: id.af === key.af ? { addr: id.addr, port: id.port } : id };
    }
  }
}

/** Timeouts must fit the u32 attributes; throws DataplaneError-shaped InputError. */
export function checkTimeouts(t: { tcp?: number; tcpFin?: number; udp?: number }): void {
  for (const [name, v] of Object.entries(t))
    if (v !== undefined && !isU32(v)) throw new InputError(EINVAL, `timeout ${name}=${v} is not a u32`);
}
