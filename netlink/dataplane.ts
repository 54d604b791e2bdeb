// The dataplane interface: what the engine needs from an IPVS table, whatever holds it.
// Two implementations: `netlink` (the kernel, through netlink/ipvs.ts) and `memory` (netlink/memory.ts,
// the kernel's semantics in-process for unit tests and --lab). A shared suite runs against both.
// Values are IPVS's own vocabulary (numbers, addresses as strings), not the configuration model's.

export const AF_INET = 2;
export const AF_INET6 = 10;
export type AddressFamily = typeof AF_INET | typeof AF_INET6;

export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_SCTP = 132;

/** IP_VS_SVC_F_* */
export const SVC_F_PERSISTENT = 0x1;
export const SVC_F_HASHED = 0x2;
export const SVC_F_ONEPACKET = 0x4;
export const SVC_F_SCHED1 = 0x8;
export const SVC_F_SCHED2 = 0x10;
export const SVC_F_SCHED3 = 0x20;

/** IP_VS_CONN_F_FWD_MASK values */
export const FWD_MASQ = 0;
export const FWD_LOCAL = 1;
export const FWD_TUNNEL = 2;
export const FWD_DROUTE = 3;
export const FWD_BYPASS = 4;

export const TUN_IPIP = 0;
export const TUN_GUE = 1;
export const TUN_GRE = 2;

/** Identity of a virtual service: AF + fwmark, or AF + protocol + address + port. */
export type ServiceKey =
  | { af: AddressFamily; fwmark: number }
  | { af: AddressFamily; protocol: number; addr: string; port: number };

/**
 * A copy of a key, built field by field. Not `{ ...key }`: V8 gave each object spread from a key a map (hidden
 * class) of its own, ~200 bytes of map and descriptors per copy (1,991 maps for 2,000 cached services), and each
 * read's copies left as many maps behind for a full collection.
 */
export function copyKey(key: ServiceKey): ServiceKey {
  return 'fwmark' in key ? { af: key.af, fwmark: key.fwmark } : { af: key.af, protocol: key.protocol, addr: key.addr, port: key.port };
}

/** Whether two keys are the same, spelled the same (the address as the same text). */
export function sameKeySpelling(a: ServiceKey, b: ServiceKey): boolean {
  if ('fwmark' in a || 'fwmark' in b) return 'fwmark' in a && 'fwmark' in b && a.af === b.af && a.fwmark === b.fwmark;
  return a.af === b.af && a.protocol === b.protocol && a.addr === b.addr && a.port === b.port;
}

export interface IpvsStats {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
  cps: bigint;
  inPps: bigint;
  outPps: bigint;
  inBps: bigint;
  outBps: bigint;
}

export interface IpvsService {
  key: ServiceKey;
  scheduler: string;
  /** IP_VS_SVC_F_* with HASHED masked out on reads. */
  flags: number;
  /** Persistence timeout in seconds (0 = none). */
  timeout: number;
  /** IPv4: mask as u32 in network-order meaning (0xffffffff = /32); IPv6: prefix length. */
  netmask: number;
  peName?: string;
  /** Present on reads. */
  stats?: IpvsStats;
}

export interface IpvsDest {
  addr: string;
  port: number;
  /** Family of the destination when it differs from the service's (tunnel only). */
  af?: AddressFamily;
  fwdMethod: number;
  weight: number;
  uThresh: number;
  lThresh: number;
  tunType?: number;
  tunPort?: number;
  tunFlags?: number;
  /** Present on reads. */
  activeConns?: number;
  inactConns?: number;
  persistConns?: number;
  stats?: IpvsStats;
}

export interface IpvsTableEntry {
  service: IpvsService;
  dests: IpvsDest[];
}

export interface IpvsTimeouts {
  tcp: number;
  tcpFin: number;
  udp: number;
}

export type IpvsOp =
  | { op: 'newService'; service: IpvsService }
  | { op: 'setService'; service: IpvsService }
  | { op: 'delService'; key: ServiceKey }
  | { op: 'newDest'; key: ServiceKey; dest: IpvsDest }
  | { op: 'setDest'; key: ServiceKey; dest: IpvsDest }
  | { op: 'delDest'; key: ServiceKey; dest: { addr: string; port: number; af?: AddressFamily } };

export type OpResult = { ok: true } | { ok: false; errno: number; code: string; message: string };

/**
 * How a read decodes what the kernel sends. `counters: false` leaves the 64-bit counters out (`stats` absent):
 * for a read that compares or judges (the drift check, a status) rather than shows them. The kernel sends them
 * anyway; decoding them is an object and ten BigInts per entry, at 10,000 × 4 about 20 MiB of garbage and the
 * larger part of a dump's decoding time. Default: counters read.
 */
export interface ReadOptions {
  counters?: boolean;
}

/** Whether a read with these options decodes the counters (they are read unless asked not to be). */
export const readsCounters = (opts?: ReadOptions): boolean => opts?.counters !== false;

export interface Dataplane {
  readonly kind: 'netlink' | 'memory';
  /** IPVS version string ("1.2.1") and connection table size. */
  info(): Promise<{ version: string; connTabSize: number }>;
  /** One service dump. */
  listServices(opts?: ReadOptions): Promise<IpvsService[]>;
  /** One service, or null when the kernel says ESRCH. */
  getService(key: ServiceKey): Promise<IpvsService | null>;
  /** One destination dump for a service. */
  listDests(key: ServiceKey, opts?: ReadOptions): Promise<IpvsDest[]>;
  /** The whole table: one service dump plus one destination dump per service. */
  readAll(opts?: ReadOptions): Promise<IpvsTableEntry[]>;
  /**
   * Send the operations in as few messages as possible (batched), returning one result per op in order.
   * Every op is attempted; failures do not stop later ops (the caller decides what to undo).
   */
  apply(ops: IpvsOp[]): Promise<OpResult[]>;
  getTimeouts(): Promise<IpvsTimeouts>;
  setTimeouts(t: Partial<IpvsTimeouts>): Promise<void>;
  /** Zero counters of one service, or of all when key is absent. */
  zero(key?: ServiceKey): Promise<void>;
  /** Delete every service in the namespace. Tests and `lbctl disable --all` only. */
  flush(): Promise<void>;
  /** Number of netlink messages sent so far (the memory dataplane counts what the kernel one would send). */
  messagesSent(): number;
  close(): Promise<void>;
}
