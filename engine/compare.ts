// Desired against actual, attribute by attribute, after normalising what the kernel adds or ignores.
// This is where kube-proxy went wrong (it compared flags with HASHED set, so every sync rewrote every service):
// HASHED is masked, values the kernel ignores (netmask and timeout of a non-persistent service, tunnel options
// of a non-tunnel destination) are set to their defaults on both sides, so an unchanged service yields no op.
import {
  AF_INET,
  FWD_DROUTE,
  FWD_LOCAL,
  FWD_MASQ,
  FWD_TUNNEL,
  FWD_BYPASS,
  SVC_F_HASHED,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  SVC_F_SCHED3,
  TUN_GRE,
  TUN_GUE,
  TUN_IPIP,
  type AddressFamily,
  type IpvsDest,
  type IpvsService,
} from '../netlink/dataplane.js';

/** What the kernel stores when no persistence asks for a mask: /32 for IPv4, /128 for IPv6. */
export function defaultNetmask(af: AddressFamily): number {
  return af === AF_INET ? 0xffffffff : 128;
}

export interface ComparableService {
  scheduler: string;
  flags: number;
  timeout: number;
  netmask: number;
  peName: string;
}

export function normalizeService(s: IpvsService): ComparableService {
  const flags = (s.flags & ~SVC_F_HASHED) >>> 0;
  const persistent = (flags & SVC_F_PERSISTENT) !== 0;
  return {
    scheduler: s.scheduler,
    flags,
    timeout: persistent ? s.timeout : 0,
    netmask: persistent ? s.netmask >>> 0 : defaultNetmask(s.key.af),
    peName: s.peName ?? '',
  };
}

export interface ComparableDest {
  af: AddressFamily;
  fwdMethod: number;
  weight: number;
  uThresh: number;
  lThresh: number;
  tunType: number;
  tunPort: number;
  tunFlags: number;
}

export function normalizeDest(svcAf: AddressFamily, d: IpvsDest): ComparableDest {
  const fwdMethod = d.fwdMethod & 7;
  const tunnel = fwdMethod === FWD_TUNNEL;
  const tunType = tunnel ? (d.tunType ?? TUN_IPIP) : 0;
  return {
    af: d.af ?? svcAf,
    fwdMethod,
    weight: d.weight,
    uThresh: d.uThresh,
    lThresh: d.lThresh,
    tunType,
    // The port matters only to GUE; the kernel keeps whatever was sent for the others.
    tunPort: tunnel && tunType === TUN_GUE ? (d.tunPort ?? 0) : 0,
    tunFlags: tunnel ? (d.tunFlags ?? 0) : 0,
  };
}

const FLAG_NAMES: Array<[number, string]> = [
  [SVC_F_PERSISTENT, 'persistent'],
  [SVC_F_ONEPACKET, 'one-packet'],
  [SVC_F_SCHED1, 'sched1'],
  [SVC_F_SCHED2, 'sched2'],
  [SVC_F_SCHED3, 'sched3'],
];

/** `persistent,sh-port`: sh and mh name their private bits as the configuration does. */
export function flagNames(flags: number, scheduler = ''): string {
  const schedFlag = scheduler === 'sh' || scheduler === 'mh';
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([bit, n]) =>
    schedFlag && bit === SVC_F_SCHED1 ? `${scheduler}-fallback` : schedFlag && bit === SVC_F_SCHED2 ? `${scheduler}-port` : n,
  );
  return names.length ? names.join(',') : 'none';
}

export function netmaskText(af: AddressFamily, netmask: number): string {
  if (af !== AF_INET) return `/${netmask}`;
  const m = netmask >>> 0;
  return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}`;
}

const FWD_NAMES: Record<number, string> = { [FWD_MASQ]: 'nat', [FWD_LOCAL]: 'local', [FWD_TUNNEL]: 'tunnel', [FWD_DROUTE]: 'dr', [FWD_BYPASS]: 'bypass' };
const TUN_NAMES: Record<number, string> = { [TUN_IPIP]: 'ipip', [TUN_GUE]: 'gue', [TUN_GRE]: 'gre' };

export function fwdName(m: number): string {
  return FWD_NAMES[m & 7] ?? `fwd${m}`;
}

export function tunName(t: number): string {
  return TUN_NAMES[t] ?? `tun${t}`;
}

/** `scheduler wrr→lc`, `flags none→persistent`: empty when the kernel would behave the same. */
export function serviceChanges(desired: IpvsService, actual: IpvsService): string[] {
  const d = normalizeService(desired);
  const a = normalizeService(actual);
  const af = desired.key.af;
  const out: string[] = [];
  if (d.scheduler !== a.scheduler) out.push(`scheduler ${a.scheduler}→${d.scheduler}`);
  if (d.flags !== a.flags) out.push(`flags ${flagNames(a.flags, a.scheduler)}→${flagNames(d.flags, d.scheduler)}`);
  if (d.timeout !== a.timeout) out.push(`persistence ${a.timeout}s→${d.timeout}s`);
  if (d.netmask !== a.netmask) out.push(`netmask ${netmaskText(af, a.netmask)}→${netmaskText(af, d.netmask)}`);
  if (d.peName !== a.peName) out.push(`pe ${a.peName || 'none'}→${d.peName || 'none'}`);
  return out;
}

/** `weight 100→0`, `forwarding nat→dr`: empty when the kernel would behave the same. */
export function destChanges(svcAf: AddressFamily, desired: IpvsDest, actual: IpvsDest): string[] {
  const d = normalizeDest(svcAf, desired);
  const a = normalizeDest(svcAf, actual);
  const out: string[] = [];
  if (d.fwdMethod !== a.fwdMethod) out.push(`forwarding ${fwdName(a.fwdMethod)}→${fwdName(d.fwdMethod)}`);
  if (d.weight !== a.weight) out.push(`weight ${a.weight}→${d.weight}`);
  if (d.uThresh !== a.uThresh) out.push(`u_threshold ${a.uThresh}→${d.uThresh}`);
  if (d.lThresh !== a.lThresh) out.push(`l_threshold ${a.lThresh}→${d.lThresh}`);
  if (d.tunType !== a.tunType) out.push(`tunnel ${tunName(a.tunType)}→${tunName(d.tunType)}`);
  if (d.tunPort !== a.tunPort) out.push(`tunnel port ${a.tunPort}→${d.tunPort}`);
  if (d.tunFlags !== a.tunFlags) out.push(`tunnel flags ${a.tunFlags}→${d.tunFlags}`);
  return out;
}

/** serviceChanges(...).length === 0, without building strings (the planner asks this 10,000 times per plan). */
export function sameService(desired: IpvsService, actual: IpvsService): boolean {
  const df = (desired.flags & ~SVC_F_HASHED) >>> 0;
  const af = (actual.flags & ~SVC_F_HASHED) >>> 0;
  if (desired.scheduler !== actual.scheduler || df !== af || (desired.peName ?? '') !== (actual.peName ?? '')) return false;
  if (!(df & SVC_F_PERSISTENT)) return true;
  return desired.timeout === actual.timeout && desired.netmask >>> 0 === actual.netmask >>> 0;
}

/** destChanges(...).length === 0, without building strings. */
export function sameDest(svcAf: AddressFamily, desired: IpvsDest, actual: IpvsDest): boolean {
  const fwd = desired.fwdMethod & 7;
  if (
    fwd !== (actual.fwdMethod & 7) ||
    desired.weight !== actual.weight ||
    desired.uThresh !== actual.uThresh ||
    desired.lThresh !== actual.lThresh ||
    (desired.af ?? svcAf) !== (actual.af ?? svcAf)
  )
    return false;
  if (fwd !== FWD_TUNNEL) return true;
  const d = normalizeDest(svcAf, desired);
  const a = normalizeDest(svcAf, actual);
  return d.tunType === a.tunType && d.tunPort === a.tunPort && d.tunFlags === a.tunFlags;
}
