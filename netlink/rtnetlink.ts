// rtnetlink: dump links and addresses, and subscribe to link / IPv4 / IPv6 address events as an async stream.
// This is the HA watcher's fast signal: FRR's vrrpd flips protodown on its macvlan, keepalived adds and
// removes the VIP address; both arrive here in milliseconds.
import { AF_INET, AF_INET6 } from './dataplane.js';
import { bytesToAddr } from './addr.js';
import { attrMap, getS32, getString, getU32, getU8, nlmsg, type NlMessage } from './codec.js';
import { ENOBUFS } from './errno.js';
import { DataplaneError } from './errors.js';
import { NETLINK_ROUTE } from './libc.js';
import { NetlinkSocket } from './socket.js';

export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
export const RTM_GETLINK = 18;
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
export const RTM_GETADDR = 22;

export const IFLA_ADDRESS = 1;
export const IFLA_IFNAME = 3;
export const IFLA_LINK = 5;
export const IFLA_MTU = 4;
export const IFLA_OPERSTATE = 16;
export const IFLA_PROTO_DOWN = 39;

export const IFA_ADDRESS = 1;
export const IFA_LOCAL = 2;
export const IFA_LABEL = 3;
export const IFA_FLAGS = 8;

export const IFF_UP = 0x1;
export const IFF_RUNNING = 0x40;

export const RTNLGRP_LINK = 1;
export const RTNLGRP_IPV4_IFADDR = 5;
export const RTNLGRP_IPV6_IFADDR = 9;

const OPER_STATES = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'] as const;
export type OperState = (typeof OPER_STATES)[number];

export interface LinkInfo {
  ifindex: number;
  name: string;
  /** Link-layer address as aa:bb:cc:dd:ee:ff (absent for links without one). */
  mac?: string;
  operState: OperState;
  /** IFF_UP (administratively up). */
  adminUp: boolean;
  protoDown: boolean;
  mtu?: number;
  flags: number;
  /** IFLA_LINK: the lower link's ifindex (a macvlan's or VLAN's parent); absent for links without one. */
  parent?: number;
}

export interface AddrInfo {
  ifindex: number;
  /** Interface name when known (from the event's label or the link table). */
  ifname?: string;
  family: typeof AF_INET | typeof AF_INET6;
  address: string;
  prefixLen: number;
  scope: number;
  flags: number;
}

export type RtEvent =
  | { kind: 'link'; action: 'new' | 'del'; link: LinkInfo }
  | { kind: 'addr'; action: 'add' | 'del'; addr: AddrInfo }
  /** The kernel dropped events (receive buffer full): re-read the state with dumpLinks/dumpAddrs. */
  | { kind: 'overrun' };

// ---------- pure decoding ----------

function mac(b: Buffer): string {
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** Decode an RTM_NEWLINK/RTM_DELLINK payload (ifinfomsg + attributes). */
export function decodeLink(payload: Buffer): LinkInfo {
  // struct ifinfomsg { u8 family; u8 pad; u16 type; s32 index; u32 flags; u32 change; }
  const ifindex = getS32(payload.subarray(4, 8));
  const flags = getU32(payload.subarray(8, 12));
  const m = attrMap(payload.subarray(16));
  const op = m.has(IFLA_OPERSTATE) ? getU8(m.get(IFLA_OPERSTATE)!) : 0;
  const out: LinkInfo = {
    ifindex,
    name: m.has(IFLA_IFNAME) ? getString(m.get(IFLA_IFNAME)!) : '',
    operState: OPER_STATES[op] ?? 'unknown',
    adminUp: (flags & IFF_UP) !== 0,
    protoDown: m.has(IFLA_PROTO_DOWN) ? getU8(m.get(IFLA_PROTO_DOWN)!) !== 0 : false,
    flags,
  };
  const a = m.get(IFLA_ADDRESS);
  if (a && a.length) out.mac = mac(a);
  if (m.has(IFLA_MTU)) out.mtu = getU32(m.get(IFLA_MTU)!);
  // A veth's IFLA_LINK names its peer (possibly in another namespace); the HA watcher reads it on macvlans only.
  if (m.has(IFLA_LINK)) out.parent = getS32(m.get(IFLA_LINK)!);
  return out;
}

/** Decode an RTM_NEWADDR/RTM_DELADDR payload (ifaddrmsg + attributes). */
export function decodeAddr(payload: Buffer): AddrInfo {
  // struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; }
  const family = payload[0] as typeof AF_INET | typeof AF_INET6;
  const m = attrMap(payload.subarray(8));
  // For IPv4, IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer on point-to-point links).
  const raw = m.get(IFA_LOCAL) ?? m.get(IFA_ADDRESS);
  const out: AddrInfo = {
    ifindex: getU32(payload.subarray(4, 8)),
    family,
    address: raw ? bytesToAddr(family, raw) : '',
    prefixLen: payload[1],
    scope: payload[3],
    flags: m.has(IFA_FLAGS) ? getU32(m.get(IFA_FLAGS)!) : payload[2],
  };
  if (m.has(IFA_LABEL)) out.ifname = getString(m.get(IFA_LABEL)!);
  return out;
}

/** Turn one rtnetlink message into an event (null for types we do not follow). */
export function decodeEvent(m: NlMessage): RtEvent | null {
  switch (m.type) {
    case RTM_NEWLINK:
    case RTM_DELLINK:
      return { kind: 'link', action: m.type === RTM_NEWLINK ? 'new' : 'del', link: decodeLink(m.payload) };
    case RTM_NEWADDR:
    case RTM_DELADDR:
      return { kind: 'addr', action: m.type === RTM_NEWADDR ? 'add' : 'del', addr: decodeAddr(m.payload) };
    default:
      return null;
  }
}

export function dumpRequest(type: number, seq: number, flags: number): Buffer {
  // GETLINK takes an ifinfomsg (16 bytes), GETADDR an ifaddrmsg (8 bytes); AF_UNSPEC everywhere = all families.
  return nlmsg({ type, flags, seq, pid: 0 }, Buffer.alloc(type === RTM_GETLINK ? 16 : 8));
}

// ---------- I/O ----------

export async function dumpLinks(timeoutMs = 5000): Promise<LinkInfo[]> {
  const sock = NetlinkSocket.open(NETLINK_ROUTE, { timeoutMs });
  try {
    const msgs = await sock.request((seq, flags) => dumpRequest(RTM_GETLINK, seq, flags), 'rtnetlink GETLINK dump', true);
    return msgs.filter((m) => m.type === RTM_NEWLINK).map((m) => decodeLink(m.payload));
  } finally {
    sock.close();
  }
}

export async function dumpAddrs(timeoutMs = 5000): Promise<AddrInfo[]> {
  const sock = NetlinkSocket.open(NETLINK_ROUTE, { timeoutMs });
  try {
    const msgs = await sock.request((seq, flags) => dumpRequest(RTM_GETADDR, seq, flags), 'rtnetlink GETADDR dump', true);
    const names = new Map((await dumpLinks(timeoutMs)).map((l) => [l.ifindex, l.name]));
    return msgs
      .filter((m) => m.type === RTM_NEWADDR)
      .map((m) => decodeAddr(m.payload))
      .map((a) => ({ ...a, ifname: names.get(a.ifindex) ?? a.ifname }));
  } finally {
    sock.close();
  }
}

export interface Subscription extends AsyncIterable<RtEvent> {
  /** Stop: the iterator ends within about half a second and the socket is closed. */
  close(): void;
  /**
   * The events the kernel has already delivered and the iterator has not yet yielded, without waiting. A reader
   * that is about to act on another source of truth (a poll) drains first, so that it never acts on news older
   * than an event already in the socket. The iterator does not yield drained events again.
   */
  drain(): RtEvent[];
}

const groupBit = (g: number) => 1 << (g - 1);

/**
 * Subscribe to link and IPv4/IPv6 address events. The socket is bound before this returns, so every change
 * made after `await subscribe()` is seen. Address events carry the interface name (from a link dump taken at
 * subscription time, kept current by link events).
 */
export async function subscribe(opts: { groups?: number[] } = {}): Promise<Subscription> {
  const groups = (opts.groups ?? [RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, RTNLGRP_IPV6_IFADDR]).reduce((a, g) => a | groupBit(g), 0);
  const sock = NetlinkSocket.open(NETLINK_ROUTE, { groups, rcvbuf: 4 * 1024 * 1024 });
  const names = new Map<number, string>();
  try {
    for (const l of await dumpLinks()) names.set(l.ifindex, l.name);
  } catch (e) {
    sock.close();
    throw e;
  }
  /** Decode one datagram, keeping the ifindex → name map current and naming address events. */
  function decodeAll(msgs: NlMessage[]): RtEvent[] {
    const out: RtEvent[] = [];
    for (const m of msgs) {
      const ev = decodeEvent(m);
      if (!ev) continue;
      if (ev.kind === 'link') {
        if (ev.action === 'new') names.set(ev.link.ifindex, ev.link.name);
        else names.delete(ev.link.ifindex);
      } else if (ev.kind === 'addr') {
        ev.addr.ifname = names.get(ev.addr.ifindex) ?? ev.addr.ifname;
      }
      out.push(ev);
    }
    return out;
  }
  const overrun = (e: unknown) => e instanceof DataplaneError && e.errno === ENOBUFS;
  let stopping = false;
  let started = false;
  async function* events(): AsyncGenerator<RtEvent> {
    started = true;
    try {
      while (!stopping) {
        let msgs: NlMessage[] | null;
        try {
          msgs = await sock.next(500);
        } catch (e) {
          if (overrun(e)) {
            yield { kind: 'overrun' };
            continue;
          }
          throw e;
        }
        if (!msgs) continue;
        yield* decodeAll(msgs);
      }
    } finally {
      sock.close();
    }
  }
  const it = events();
  return {
    [Symbol.asyncIterator]: () => it,
    close() {
      stopping = true;
      if (!started) sock.close();
    },
    drain() {
      const out: RtEvent[] = [];
      for (;;) {
        let msgs: NlMessage[] | null;
        try {
          msgs = sock.tryNext();
        } catch (e) {
          if (!overrun(e)) throw e;
          out.push({ kind: 'overrun' });
          continue;
        }
        if (!msgs) return out;
        out.push(...decodeAll(msgs));
      }
    },
  };
}
