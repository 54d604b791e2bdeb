// Compile: running configuration + health verdicts + admin state + VRRP states → the IPVS table lbctl wants.
// Pure. The output is in IPVS's vocabulary (netlink/dataplane.ts), already normalised (canonical addresses,
// kernel defaults filled in) so plan() can compare it with what the kernel reports without special cases.
import {
  AF_INET,
  AF_INET6,
  FWD_DROUTE,
  FWD_MASQ,
  FWD_TUNNEL,
  IPPROTO_SCTP,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SVC_F_PERSISTENT,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  TUN_GRE,
  TUN_GUE,
  TUN_IPIP,
  type AddressFamily,
  type IpvsDest,
  type IpvsService,
  type ServiceKey,
} from '../netlink/dataplane.js';
import type { Backend, Config, PortSpec, Service } from '../config/model.js';
import { parseSorry } from '../config/validate.js';
import { nameIndex } from '../config/delta.js';
import { effectiveVip } from '../config/derive.js';
import { defaultNetmask } from './compare.js';
import { canonical, destId, familyOfCached as familyOf, serviceId } from './identity.js';
import { backendRef, NO_INPUTS, type EngineInputs, type HealthVerdict } from './inputs.js';
import { haDecider, type HaDecision } from './ha/programming.js';

/** Used when a configuration (say, a test's) carries no daemon.limits. */
export const FALLBACK_MAX_SERVICES = 65536;
export const FALLBACK_MAX_PORTS_PER_RANGE = 65536;

export interface DesiredDest {
  id: string;
  /** The configuration backend it comes from (backendRef). */
  ref: string;
  dest: IpvsDest;
}

export interface DesiredService {
  /** serviceId(key): `tcp 10.0.0.10:80`. */
  id: string;
  /** The configuration service it comes from (one config service becomes several with a port range). */
  name: string;
  service: IpvsService;
  dests: Map<string, DesiredDest>;
}

export interface DesiredState {
  /** What must be in the kernel, by service id. */
  services: Map<string, DesiredService>;
  /**
   * Every service id the configuration declares, programmed or not (disabled, suppressed on a Backup node).
   * Declaring is not owning: plan() removes one that must not be there only if the ownership record says lbctl
   * created (or adopted) it; a foreign service at a declared id is a clash, left alone and reported.
   */
  declared: Map<string, { name: string; key: ServiceKey }>;
  /** Why a declared service is not programmed, by config service name ("disabled", "ha backup"). */
  notProgrammed: Map<string, string>;
  /**
   * Ids in `services` that are wanted only if the kernel already has them as lbctl's (a VRRP instance holding
   * their VIP is unknown: keep what is programmed, add nothing), with the reason. The engine resolves them
   * against its cache before planning (`resolveHeld`).
   */
  held?: Map<string, string>;
}

/** The configuration cannot be turned into an IPVS table; every problem is listed. */
export class CompileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `${problems.length} problems:\n  ${problems.join('\n  ')}`);
    this.name = 'CompileError';
  }
}

const PROTOCOL_NUMBERS: Record<string, number> = { tcp: IPPROTO_TCP, udp: IPPROTO_UDP, sctp: IPPROTO_SCTP };
const FWD_METHODS: Record<string, number> = { nat: FWD_MASQ, dr: FWD_DROUTE, tunnel: FWD_TUNNEL };
const TUN_TYPES: Record<string, number> = { ipip: TUN_IPIP, gue: TUN_GUE, gre: TUN_GRE };
const TUN_CSUM: Record<string, number> = { nocsum: 0, csum: 1, remcsum: 2 };
/** sh/mh share the kernel's scheduler-private flag bits: SCHED1 = fallback, SCHED2 = port. */
const SCHED_FLAG_BITS: Record<string, number> = {
  'sh-fallback': SVC_F_SCHED1,
  'mh-fallback': SVC_F_SCHED1,
  'sh-port': SVC_F_SCHED2,
  'mh-port': SVC_F_SCHED2,
};

/** Ports of a service, port ranges expanded, sorted and without repeats. fwmark services have none. */
export function expandPorts(svc: Service, maxPerRange: number, problems: string[]): number[] {
  const out = new Set<number>();
  for (const spec of [...(svc.ports ?? []), ...(svc.port_ranges ?? [])]) {
    const range = toRange(spec);
    if (!range) {
      problems.push(`service ${svc.name}: port ${JSON.stringify(spec)} is not a port or a range`);
      continue;
    }
    const size = range.to - range.from + 1;
    if (size > maxPerRange) {
      problems.push(
        `service ${svc.name}: port range ${range.from}-${range.to} has ${size} ports; daemon.limits.max_ports_per_range is ${maxPerRange}`,
      );
      continue;
    }
    for (let p = range.from; p <= range.to; p++) out.add(p);
  }
  return [...out].sort((a, b) => a - b);
}

function toRange(spec: PortSpec | string): { from: number; to: number } | null {
  if (typeof spec === 'number') return validPort(spec) ? { from: spec, to: spec } : null;
  if (typeof spec === 'string') {
    const m = /^(\d+)(?:-(\d+))?$/.exec(spec.trim());
    if (!m) return null;
    return toRange({ from: Number(m[1]), to: Number(m[2] ?? m[1]) });
  }
  if (spec && validPort(spec.from) && validPort(spec.to) && spec.from <= spec.to) return { from: spec.from, to: spec.to };
  return null;
}

const validPort = (p: unknown): p is number => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;

/** IPv4 dotted mask or prefix length → the u32 IPVS stores; IPv6 prefix length as is. */
export function netmaskValue(af: AddressFamily, netmask: string | number | undefined): number | null {
  if (netmask === undefined || netmask === '') return defaultNetmask(af);
  if (af === AF_INET6) {
    const n = typeof netmask === 'number' ? netmask : /^\/?\d+$/.test(netmask) ? Number(netmask.replace('/', '')) : NaN;
    return Number.isInteger(n) && n >= 1 && n <= 128 ? n : null;
  }
  if (typeof netmask === 'number' || /^\/?\d+$/.test(netmask)) {
    const len = typeof netmask === 'number' ? netmask : Number(netmask.replace('/', ''));
    if (!Number.isInteger(len) || len < 0 || len > 32) return null;
    return len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  }
  const parts = netmask.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return null;
  const value = parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
  // A mask is ones then zeros: inverting and adding one gives a power of two (or 0 for /0).
  const inverted = ~value >>> 0;
  return (inverted & (inverted + 1)) === 0 ? value : null;
}

/** Weight to program for one backend, or null when the backend must not be in IPVS at all. */
export function effectiveWeight(
  svc: Service,
  backend: Backend,
  verdict: HealthVerdict | undefined,
  drained: boolean,
): number | null {
  const healthMatters = svc.health?.enabled !== false && svc.health?.type !== 'none';
  const state = healthMatters ? (verdict?.state ?? 'up') : 'up';
  if (state === 'down') return svc.on_down === 'remove' ? null : 0;
  if (drained) return 0;
  if (state === 'recovering' && verdict?.state === 'recovering' && backend.weight > 0) {
    const fraction = Math.min(1, Math.max(0, verdict.fraction));
    return Math.max(1, Math.floor(backend.weight * fraction));
  }
  return backend.weight;
}

function serviceFamily(svc: Service, vip: string | undefined): AddressFamily {
  if (vip) return familyOf(vip) ?? AF_INET;
  for (const b of svc.backends ?? []) {
    const af = familyOf(b.address);
    if (af) return af;
  }
  return AF_INET;
}

/** The IPVS keys one configured service expands to (several with port ranges, one for fwmark). */
function serviceKeys(config: Config, svc: Service, maxPerRange: number, problems: string[]): ServiceKey[] {
  // effectiveVip: a fwmark service never takes the top-level vip (that would give it the vip's family, where
  // docs/config.md and validate give it its first backend's: an IPv6 one became IPv4 and the kernel refused it).
  const vip = effectiveVip(config, svc);
  const af = serviceFamily(svc, vip);
  if (svc.fwmark !== undefined && svc.fwmark !== null) {
    if (!Number.isInteger(svc.fwmark) || svc.fwmark < 1 || svc.fwmark > 0xffffffff) {
      problems.push(`service ${svc.name}: fwmark ${svc.fwmark} is not 1..4294967295`);
      return [];
    }
    return [{ af, fwmark: svc.fwmark }];
  }
  if (!vip) {
    problems.push(`service ${svc.name}: no vip (neither the service nor the top level names one) and no fwmark`);
    return [];
  }
  if (!familyOf(vip)) {
    problems.push(`service ${svc.name}: vip ${JSON.stringify(vip)} is not an IPv4 or IPv6 address`);
    return [];
  }
  const protocol = PROTOCOL_NUMBERS[svc.protocol];
  if (protocol === undefined) {
    problems.push(`service ${svc.name}: protocol ${JSON.stringify(svc.protocol)} is not tcp, udp or sctp`);
    return [];
  }
  const ports = expandPorts(svc, maxPerRange, problems);
  if (ports.length === 0) problems.push(`service ${svc.name}: no ports`);
  const addr = canonical(af, vip);
  return ports.map((port) => ({ af, protocol, addr, port }));
}

function ipvsService(svc: Service, key: ServiceKey, problems: string[]): IpvsService {
  let flags = 0;
  for (const f of svc.scheduler_flags ?? []) {
    const bit = SCHED_FLAG_BITS[f];
    if (bit === undefined) problems.push(`service ${svc.name}: unknown scheduler flag ${JSON.stringify(f)}`);
    else flags |= bit;
  }
  let timeout = 0;
  let netmask = defaultNetmask(key.af);
  if (svc.persistence) {
    flags |= SVC_F_PERSISTENT;
    timeout = svc.persistence.timeout;
    const mask = netmaskValue(key.af, svc.persistence.netmask);
    if (mask === null)
      problems.push(
        `service ${svc.name}: persistence netmask ${JSON.stringify(svc.persistence.netmask)} is not ${
          key.af === AF_INET ? 'an IPv4 mask (255.255.255.0) or prefix length' : 'an IPv6 prefix length 1..128'
        }`,
      );
    else netmask = mask;
  }
  return { key, scheduler: svc.scheduler, flags: flags >>> 0, timeout, netmask };
}

function ipvsDest(svc: Service, key: ServiceKey, b: Backend, weight: number, problems: string[]): IpvsDest | null {
  const af = familyOf(b.address);
  if (!af) {
    problems.push(`service ${svc.name}: backend ${JSON.stringify(b.address)} is not an IPv4 or IPv6 address`);
    return null;
  }
  const fwdMethod = FWD_METHODS[svc.forwarding?.method ?? 'nat'];
  if (fwdMethod === undefined) {
    problems.push(`service ${svc.name}: forwarding ${JSON.stringify(svc.forwarding?.method)} is not nat, dr or tunnel`);
    return null;
  }
  const servicePort = 'port' in key ? key.port : 0;
  const dest: IpvsDest = {
    addr: canonical(af, b.address),
    port: b.port === 0 ? servicePort : b.port,
    fwdMethod,
    weight,
    uThresh: b.u_threshold ?? svc.u_threshold ?? 0,
    lThresh: b.l_threshold ?? svc.l_threshold ?? 0,
  };
  if (af !== key.af) dest.af = af;
  if (fwdMethod === FWD_TUNNEL) {
    const tunnel = svc.forwarding.tunnel;
    dest.tunType = TUN_TYPES[tunnel?.type ?? 'ipip'] ?? TUN_IPIP;
    dest.tunPort = dest.tunType === TUN_GUE ? (tunnel?.port ?? 0) : 0;
    dest.tunFlags = TUN_CSUM[tunnel?.csum ?? 'nocsum'] ?? 0;
  }
  return dest;
}

/** What to do with one service: the operator's switches first, then the VRRP role (engine/ha/programming.ts). */
function decideService(svc: Service, inputs: EngineInputs, ha: (svc: Service) => HaDecision): HaDecision {
  if (svc.enabled === false) return { kind: 'suppress', reason: 'disabled in the configuration' };
  if (svc.inactive === true) return { kind: 'suppress', reason: 'inactive in the configuration' };
  if (inputs.admin.disabledServices?.has(svc.name)) return { kind: 'suppress', reason: 'disabled by the operator' };
  return ha(svc);
}

/** Throws CompileError listing every problem. */
export function compile(config: Config, inputs: EngineInputs = NO_INPUTS): DesiredState {
  const problems: string[] = [];
  const limits = config.daemon?.limits;
  const maxServices = limits?.max_services ?? FALLBACK_MAX_SERVICES;
  const maxPerRange = limits?.max_ports_per_range ?? FALLBACK_MAX_PORTS_PER_RANGE;
  const services = new Map<string, DesiredService>();
  const declared = new Map<string, { name: string; key: ServiceKey }>();
  const notProgrammed = new Map<string, string>();
  const held = new Map<string, string>();
  const ha = haDecider(config, inputs.vrrp);
  let programmed = 0;

  for (const svc of config.services ?? []) {
    const keys = serviceKeys(config, svc, maxPerRange, problems);
    const decision = decideService(svc, inputs, ha);
    const why = decision.kind === 'suppress' ? decision.reason : null;
    if (why) notProgrammed.set(svc.name, why);
    for (const key of keys) {
      const id = serviceId(key);
      const other = declared.get(id);
      if (other) {
        problems.push(`service ${svc.name}: ${id} is also declared by service ${other.name}`);
        continue;
      }
      declared.set(id, { name: svc.name, key });
      if (why) continue;
      if (++programmed > maxServices) continue;
      services.set(id, compileService(svc, key, id, inputs, problems));
      if (decision.kind === 'hold') held.set(id, decision.reason);
    }
  }
  if (programmed > maxServices)
    problems.push(
      `the configuration expands to ${programmed} IPVS services (each port of a range counts as one); daemon.limits.max_services is ${maxServices}`,
    );
  if (problems.length) throw new CompileError(problems);
  return { services, declared, notProgrammed, ...(held.size ? { held } : {}) };
}

/**
 * The desired entries of the named configuration services only: the event path (one backend's verdict changed)
 * recompiles the one service it concerns instead of 10,000; a commit, the services it changed. Identities
 * declared twice among the named services are refused; the checks against the other services and the limits are
 * the caller's (engine/service-changes.ts). Returns every IPVS id those services declare; ids absent
 * from `services` must not be in the kernel.
 */
export function compileServices(
  config: Config,
  inputs: EngineInputs,
  names: ReadonlySet<string>,
): DesiredState {
  const problems: string[] = [];
  const maxPerRange = config.daemon?.limits?.max_ports_per_range ?? FALLBACK_MAX_PORTS_PER_RANGE;
  const services = new Map<string, DesiredService>();
  const declared = new Map<string, { name: string; key: ServiceKey }>();
  const notProgrammed = new Map<string, string>();
  const held = new Map<string, string>();
  const ha = haDecider(config, inputs.vrrp);
  for (const svc of namedServices(config.services ?? [], names)) {
    const decision = decideService(svc, inputs, ha);
    if (decision.kind === 'suppress') notProgrammed.set(svc.name, decision.reason);
    for (const key of serviceKeys(config, svc, maxPerRange, problems)) {
      const id = serviceId(key);
      const other = declared.get(id);
      if (other) {
        problems.push(`service ${svc.name}: ${id} is also declared by service ${other.name}`);
        continue;
      }
      declared.set(id, { name: svc.name, key });
      if (decision.kind === 'suppress') continue;
      services.set(id, compileService(svc, key, id, inputs, problems));
      if (decision.kind === 'hold') held.set(id, decision.reason);
    }
  }
  if (problems.length) throw new CompileError(problems);
  return { services, declared, notProgrammed, ...(held.size ? { held } : {}) };
}

/**
 * The services of `list` named in `names`, in list order: looked up by the list's index by name (remembered for the
 * frozen list of a running revision and its candidates, config/delta.ts) when names identify services, so that a
 * commit of one service does not walk 10,000; else by walking the list.
 */
function namedServices(list: Service[], names: ReadonlySet<string>): Service[] {
  const index = Object.isFrozen(list) && names.size * 8 < list.length ? nameIndex(list) : null;
  if (!index) {
    const out: Service[] = [];
    for (const svc of list) if (names.has(svc.name)) out.push(svc); // a loop: filter() is slow on a frozen list
    return out;
  }
  const at: number[] = [];
  for (const name of names) {
    const i = index.get(name);
    if (i !== undefined) at.push(i);
  }
  return at.sort((a, b) => a - b).map((i) => list[i]);
}

function compileService(svc: Service, key: ServiceKey, id: string, inputs: EngineInputs, problems: string[]): DesiredService {
  const dests = new Map<string, DesiredDest>();
  const drained = inputs.admin.drainedBackends;
  const disabled = inputs.admin.disabledBackends;
  const live = (svc.backends ?? []).filter((b) => b.enabled !== false && b.inactive !== true && !disabled?.has(backendRef(svc.name, b.address, b.port)));
  const lost = quorumLost(svc, live, inputs);
  for (const b of live) {
    const ref = backendRef(svc.name, b.address, b.port);
    let weight = effectiveWeight(svc, b, inputs.verdicts.get(ref), drained?.has(ref) ?? false);
    if (weight === null) continue;
    // Below quorum the sorry backend takes the new connections alone; the rest keep theirs (weight 0).
    if (lost) weight = 0;
    const dest = ipvsDest(svc, key, b, weight, problems);
    if (!dest) continue;
    const did = destId(key.af, dest);
    if (dests.has(did)) {
      problems.push(`service ${svc.name}: backend ${did} is listed twice`);
      continue;
    }
    dests.set(did, { id: did, ref, dest });
  }
  if (lost && svc.sorry !== undefined) {
    const sorry = parseSorry(svc.sorry);
    if (!sorry) problems.push(`service ${svc.name}: sorry ${JSON.stringify(svc.sorry)} is not an address or address:port`);
    else {
      const dest = ipvsDest(svc, key, { address: sorry.address, port: sorry.port, weight: SORRY_WEIGHT, enabled: true }, SORRY_WEIGHT, problems);
      if (dest) {
        const did = destId(key.af, dest);
        if (dests.has(did)) problems.push(`service ${svc.name}: the sorry backend ${did} is also a backend`);
        else dests.set(did, { id: did, ref: sorryRef(svc.name), dest });
      }
    }
  }
  return { id, name: svc.name, service: ipvsService(svc, key, problems), dests };
}

/** The weight of a programmed sorry backend: it is the only destination with a weight then. */
export const SORRY_WEIGHT = 1;

/** The ref (DesiredDest.ref) of a service's sorry backend: `web/sorry`. */
export function sorryRef(service: string): string {
  return `${service}/sorry`;
}

/**
 * True when the service has a sorry backend and fewer than `quorum` (default 1) of its backends are healthy:
 * enabled, weight above 0, not drained, and not down by their check. Without a check every backend is healthy.
 */
export function quorumLost(svc: Service, live: readonly Backend[], inputs: EngineInputs): boolean {
  if (svc.sorry === undefined) return false;
  return healthyCount(svc, live, inputs) < (svc.quorum ?? 1);
}

export function healthyCount(svc: Service, live: readonly Backend[], inputs: EngineInputs): number {
  const healthMatters = svc.health?.enabled !== false && svc.health?.type !== 'none';
  let healthy = 0;
  for (const b of live) {
    const ref = backendRef(svc.name, b.address, b.port);
    if (b.weight === 0 || inputs.admin.drainedBackends?.has(ref)) continue;
    if (healthMatters && inputs.verdicts.get(ref)?.state === 'down') continue;
    healthy++;
  }
  return healthy;
}
