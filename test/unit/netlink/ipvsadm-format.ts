// The reference tool's vocabulary, for cross-checking lbctl against ipvsadm on a real kernel (test/kernel/suite):
// render a table as `ipvsadm -S` rules (also usable as `ipvsadm -R` input), compare rules regardless of option
// order, and parse the `ipvsadm -L` listings (plain, --thresholds, --persistent-conn, --stats --exact).
import {
  AF_INET,
  AF_INET6,
  FWD_DROUTE,
  FWD_MASQ,
  FWD_TUNNEL,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SVC_F_ONEPACKET,
  SVC_F_PERSISTENT,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  SVC_F_SCHED3,
  TUN_GRE,
  TUN_GUE,
  TUN_IPIP,
  type IpvsDest,
  type IpvsTableEntry,
  type ServiceKey,
} from '../../../netlink/dataplane.js';

const hp = (af: number, addr: string, port: number) => (af === AF_INET6 ? `[${addr}]:${port}` : `${addr}:${port}`);

/** The service part of a rule: `-t 192.0.2.1:80`, `--sctp-service [2001:db8::1]:80`, `-f 7 -6`. */
export function ruleService(k: ServiceKey): string {
  if ('fwmark' in k) return `-f ${k.fwmark}${k.af === AF_INET6 ? ' -6' : ''}`;
  const opt = k.protocol === IPPROTO_TCP ? '-t' : k.protocol === IPPROTO_UDP ? '-u' : k.protocol === IPPROTO_SCTP ? '--sctp-service' : `?${k.protocol}`;
  return `${opt} ${hp(k.af, k.addr, k.port)}`;
}

function schedFlagNames(sched: string, flags: number): string[] {
  const names = sched === 'sh' ? ['sh-fallback', 'sh-port', 'flag-3'] : sched === 'mh' ? ['mh-fallback', 'mh-port', 'flag-3'] : ['flag-1', 'flag-2', 'flag-3'];
  return [SVC_F_SCHED1, SVC_F_SCHED2, SVC_F_SCHED3].flatMap((bit, i) => (flags & bit ? [names[i]] : []));
}

function fwdOption(d: IpvsDest): string {
  return d.fwdMethod === FWD_MASQ ? '-m' : d.fwdMethod === FWD_DROUTE ? '-g' : d.fwdMethod === FWD_TUNNEL ? '-i' : `?fwd${d.fwdMethod}`;
}

const CSUM = ['--tun-nocsum', '--tun-csum', '--tun-remcsum'];

/** Rules as `ipvsadm -S -n` prints them; `withThresholds` adds -x/-y (which -S omits but -R accepts). */
export function saveRules(table: IpvsTableEntry[], withThresholds = false): string[] {
  const out: string[] = [];
  for (const { service: s, dests } of table) {
    const svc = ruleService(s.key);
    let line = `-A ${svc} -s ${s.scheduler}`;
    if (s.flags & SVC_F_PERSISTENT) {
      line += ` -p ${s.timeout}`;
      if (s.key.af === AF_INET && s.netmask !== 0xffffffff)
        line += ` -M ${[24, 16, 8, 0].map((sh) => (s.netmask >>> sh) & 0xff).join('.')}`;
      if (s.key.af === AF_INET6 && s.netmask !== 128) line += ` -M ${s.netmask}`;
    }
    if (s.peName) line += ` --pe ${s.peName}`;
    if (s.flags & SVC_F_ONEPACKET) line += ' -o';
    const sf = schedFlagNames(s.scheduler, s.flags);
    if (sf.length) line += ` -b ${sf.join(',')}`;
    out.push(line);
    for (const d of dests) {
      let dl = `-a ${svc} -r ${hp(d.af ?? s.key.af, d.addr, d.port)} ${fwdOption(d)} -w ${d.weight}`;
      if (withThresholds && d.uThresh) dl += ` -x ${d.uThresh}`;
      if (withThresholds && d.lThresh) dl += ` -y ${d.lThresh}`;
      if (d.fwdMethod === FWD_TUNNEL) {
        const t = d.tunType ?? TUN_IPIP;
        dl += ` --tun-type ${t === TUN_IPIP ? 'ipip' : t === TUN_GUE ? 'gue' : t === TUN_GRE ? 'gre' : t}`;
        if (t === TUN_GUE) dl += ` --tun-port ${d.tunPort ?? 0}`;
        if (t === TUN_GUE || t === TUN_GRE) dl += ` ${CSUM[d.tunFlags ?? 0]}`;
      }
      out.push(dl);
    }
  }
  return out;
}

/** A rule with its options sorted, so the order ipvsadm happens to print them in does not matter. */
export function canonicalRule(line: string): string {
  const tokens = line.trim().split(/\s+/);
  const groups: string[] = [];
  for (const t of tokens) {
    if (t.startsWith('-')) groups.push(t); // ipvsadm never prints negative values
    else groups[groups.length - 1] += ` ${t}`;
  }
  const [cmd, ...opts] = groups;
  return [cmd, ...opts.sort()].join(' ');
}

export function canonicalRules(lines: string[]): string[] {
  return lines.filter((l) => l.trim()).map(canonicalRule).sort();
}

export interface ListedService {
  /** e.g. "TCP 192.0.2.10:80", "FWM 7", "FWM 8 IPv6". */
  id: string;
  /** The rest of the service line: "wrr", "sh (sh-fallback,sh-port) persistent 300 mask 255.255.255.0", or stats columns. */
  rest: string[];
  /** Destination "addr:port" -> the columns after it. */
  dests: Map<string, string[]>;
}

/** Label of a service as `ipvsadm -L -n` prints it (whitespace collapsed). */
export function listedServiceId(k: ServiceKey): string {
  if ('fwmark' in k) return `FWM ${k.fwmark}${k.af === AF_INET6 ? ' IPv6' : ''}`;
  const p = k.protocol === IPPROTO_TCP ? 'TCP' : k.protocol === IPPROTO_UDP ? 'UDP' : 'SCTP';
  return `${p} ${hp(k.af, k.addr, k.port)}`;
}
export const listedDestId = (af: number, addr: string, port: number) => hp(af, addr, port);

/** Parse any `ipvsadm -L -n` listing into services with their destination rows. */
export function parseListing(text: string): Map<string, ListedService> {
  const out = new Map<string, ListedService>();
  let current: ListedService | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (!line || line.startsWith('IP Virtual Server') || line.startsWith('Prot ') || line.startsWith('  -> RemoteAddress')) continue;
    const m = /^\s+->\s+(\S+)\s*(.*)$/.exec(line);
    if (m) {
      current?.dests.set(m[1], m[2].trim() ? m[2].trim().split(/\s+/) : []);
      continue;
    }
    const words = line.trim().split(/\s+/);
    const idLen = words[0] === 'FWM' && words[2] === 'IPv6' ? 3 : 2;
    current = { id: words.slice(0, idLen).join(' '), rest: words.slice(idLen), dests: new Map() };
    out.set(current.id, current);
  }
  return out;
}
