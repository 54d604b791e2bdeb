// Validation: every error at once, each located at the most specific YAML node. Two passes over the model:
// the schema pass (types, ranges, enums, unknown keys: schema.ts declares them), then the cross-field rules an
// operator can break while every single value is fine on its own. The model may come from YAML, JSON or the
// shell, so nothing here trusts a type: every rule checks the shape it reads.
import { isIP } from 'node:net';
import type { Config } from './model.js';
import { CONFIG_SCHEMA, type Field, type Schema } from './schema.js';
import { hint } from './suggest.js';
import { type ConfigError, type Locator, type Path, formatPath } from './errors.js';
import { backendKey, canonicalAddress, effectiveVip, formatPortSpec, ipFamily, portBounds, zoneId } from './derive.js';
import { acrossServicesStep, limitsOf, portIdentities, portSpecs, rememberAcrossServices } from './across-services.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);
const isStr = (v: unknown): v is string => typeof v === 'string';

/** How a value looks in a message: strings quoted, collections named. */
export function describeValue(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

class Reporter {
  readonly errors: ConfigError[] = [];
  constructor(
    /** The model validated (to name the service an unlocated error is in). */
    private readonly config: unknown,
    private readonly locate?: Locator,
    /** A service whose own checks are known to pass (see `cleanServices`): they are not run again. */
    readonly skipService: (s: unknown, index: number) => boolean = () => false,
    /** The only services whose own checks run, when known (the changed ones of an index step); else all. */
    readonly onlyServices?: readonly number[],
  ) {}

  error(path: Path, message: string, target: 'key' | 'value' = 'value'): void {
    const loc = this.locate?.(path, target);
    if (loc) {
      this.errors.push({ file: loc.file, line: loc.line, column: loc.column, path: loc.path, message });
      return;
    }
    const service = serviceNameAt(this.config, path);
    this.errors.push({ file: '', line: 0, column: 0, path: formatPath(path), message, ...(service !== undefined ? { service } : {}) });
  }

  /** ` (config.d/web.yaml:4:13)` for a reference to another node in a message; ` (services[0])` without files. */
  where(path: Path): string {
    const loc = this.locate?.(path, 'value');
    if (!loc) return ` (${formatPath(path)})`;
    return loc.file === '' ? ` (${loc.path})` : ` (${loc.file}:${loc.line}:${loc.column})`;
  }
}

/**
 * All errors of `config`, schema and cross-field, in model order (loadConfig sorts them by file position).
 * `locate` maps a model path to the YAML node it came from; without it errors carry only the path.
 */
export function validateConfig(config: Config, locate?: Locator): ConfigError[] {
  // Remembering applies to errors without file positions only (the daemon's commits, a shell's candidates): a
  // located error's text depends on the files, which the memory knows nothing of.
  if (!isObj(config)) return validateWhole(config, locate);
  const model = config as unknown as Obj;
  const vip = model.vip;
  const step = locate ? null : acrossServicesStep(model);
  if (step) {
    // The rules across services hold (judged from the changes against the last clean configuration): the rest
    // runs for the changed services alone (an unchanged one is the same frozen object at the same index, with the
    // same vip, as in that clean configuration). Any error, and the whole pass words them all.
    const r = new Reporter(config, undefined, undefined, step.changed);
    checkSchema(config, CONFIG_SCHEMA, [], r);
    checkEachService(model, r);
    checkHa(model, r);
    checkObservability(model, r);
    if (r.errors.length === 0) {
      step.keep();
      rememberClean(model.services as unknown[], step.changed, vip);
      return [];
    }
  }
  return validateWhole(config, locate);
}

function validateWhole(config: Config, locate?: Locator): ConfigError[] {
  const vip = isObj(config) ? (config as unknown as Obj).vip : undefined;
  const r = new Reporter(config, locate, locate ? undefined : (s, i) => isClean(s, i, vip));
  checkSchema(config, CONFIG_SCHEMA, [], r);
  if (isObj(config)) checkCrossField(config as unknown as Obj, r);
  if (!locate && isObj(config) && Array.isArray(config.services) && r.errors.length === 0) {
    rememberClean(config.services, undefined, vip);
    rememberAcrossServices(config as unknown as Obj);
  } else if (!locate && isObj(config) && Array.isArray(config.services)) rememberCleanDespite(config.services, r.errors, vip);
  return r.errors;
}

/** The name of the service `path` lies in (`services[6]…`), when it has a string one. */
function serviceNameAt(config: unknown, path: Path): string | undefined {
  if (path[0] !== 'services' || typeof path[1] !== 'number' || !isObj(config) || !Array.isArray(config.services)) return undefined;
  const s: unknown = config.services[path[1]];
  return isObj(s) && isStr(s.name) && s.name !== '' ? s.name : undefined;
}

/**
 * Frozen services whose own checks (the schema of the item and checkService) passed, with the index and the
 * top-level vip they passed with: those checks read nothing else, and a frozen object cannot change. The
 * daemon's store freezes the running revision, and a commit's candidate shares its unchanged services with it,
 * so a one-weight commit at 10,000 services checks one service here (the checks across services still run whole).
 */
const cleanServices = new WeakMap<object, { index: number; vip: unknown }>();

function isClean(s: unknown, index: number, vip: unknown): boolean {
  if (!isObj(s)) return false;
  const m = cleanServices.get(s);
  return m !== undefined && m.index === index && m.vip === vip;
}

/** Remembers the frozen services at `indexes` (all when undefined) as clean: their own checks passed. */
function rememberClean(services: unknown[], indexes: number[] | undefined, vip: unknown): void {
  const mark = (i: number) => {
    const s = services[i];
    if (isObj(s) && Object.isFrozen(s)) cleanServices.set(s, { index: i, vip });
  };
  if (indexes) indexes.forEach(mark);
  else for (let i = 0; i < services.length; i++) mark(i);
}

/** rememberClean for a configuration with errors: the services no error lies in (none when one is global). */
function rememberCleanDespite(services: unknown[], errors: ConfigError[], vip: unknown): void {
  const withErrors = new Set<number>();
  for (const e of errors) {
    const m = /^services\[(\d+)\]/.exec(e.path);
    if (m) withErrors.add(Number(m[1]));
    else if (e.path === 'services' || e.path === '') return;
  }
  rememberClean(services, [...services.keys()].filter((i) => !withErrors.has(i)), vip);
}

// ---------------------------------------------------------------------------------------------- schema pass

/** A schema's fields as entries, made once per schema (the schema pass visits 100,000 objects at 10,000 services). */
const fieldEntries = new WeakMap<object, [string, Field][]>();
function entriesOf(fields: Record<string, Field>): [string, Field][] {
  let e = fieldEntries.get(fields);
  if (!e) fieldEntries.set(fields, (e = Object.entries(fields)));
  return e;
}

/**
 * The schema pass over `v`, a value at `path`. Mappings and lists are walked; a leaf's problem is asked of
 * leafProblem and only then given its path: building a path (or a closure) per value was most of the pass's
 * garbage at 10,000 services.
 */
function checkSchema(v: unknown, s: Schema, path: Path, r: Reporter): void {
  if (s.kind === 'object') {
    if (!isObj(v)) return r.error(path, `must be a mapping, got ${describeValue(v)}`);
    for (const k of Object.keys(v)) {
      if (!(k in s.fields)) r.error([...path, k], `unknown key "${k}"${hint(k, Object.keys(s.fields))}`, 'key');
    }
    for (const [k, f] of entriesOf(s.fields)) {
      const x = v[k];
      if (x === undefined || x === null) {
        if (f.required) r.error([...path, k], 'is required');
        continue;
      }
      checkChild(x, f.schema, path, k, r);
    }
    return;
  }
  if (s.kind === 'array') {
    if (!Array.isArray(v)) return r.error(path, `must be a list, got ${describeValue(v)}`);
    if (s.nonEmpty && v.length === 0) r.error(path, 'must not be empty');
    const services = path.length === 1 && path[0] === 'services';
    if (services && r.onlyServices) {
      for (const i of r.onlyServices) if (i < v.length && i in v) checkChild(v[i], s.items, path, i, r);
      return;
    }
    for (let i = 0; i < v.length; i++) {
      if (!(i in v)) continue; // a hole, which forEach skipped too
      const x: unknown = v[i];
      if (services && r.skipService(x, i)) continue;
      checkChild(x, s.items, path, i, r);
    }
    return;
  }
  const problem = leafProblem(v, s);
  if (problem !== undefined) r.error(path, problem);
}

/** `x` at `parent` + `key`: walked when a collection, asked of leafProblem when a leaf (its path made only then). */
function checkChild(x: unknown, s: Schema, parent: Path, key: string | number, r: Reporter): void {
  if (s.kind === 'object' || s.kind === 'array') return checkSchema(x, s, [...parent, key], r);
  const problem = leafProblem(x, s);
  if (problem !== undefined) r.error([...parent, key], problem);
}

/** What is wrong with a leaf value (one message at most), or undefined. */
function leafProblem(v: unknown, s: Exclude<Schema, { kind: 'object' | 'array' }>): string | undefined {
  switch (s.kind) {
    case 'int':
      if (!isInt(v)) return `must be an integer ${s.min}..${s.max}, got ${describeValue(v)}`;
      if (v < s.min || v > s.max) return `must be ${s.min}..${s.max}, got ${v}`;
      return undefined;
    case 'bool':
      if (typeof v !== 'boolean') {
        // YAML 1.1 (and so some older tools) read yes/no/on/off as booleans; YAML 1.2 reads them as strings.
        const yaml11 = typeof v === 'string' && /^(yes|no|on|off|y|n)$/i.test(v) ? ' (YAML 1.2 reads yes/no/on/off as text: write true or false)' : '';
        return `must be true or false, got ${describeValue(v)}${yaml11}`;
      }
      return undefined;
    case 'string':
      if (!isStr(v)) return `must be a string, got ${describeValue(v)}`;
      if (s.nonEmpty && v.length === 0) return 'must not be empty';
      if (s.maxLength !== undefined && v.length > s.maxLength) return `must be at most ${s.maxLength} characters, got ${v.length}`;
      if (s.pattern && !s.pattern.test(v)) return `must match ${s.pattern.source}, got ${describeValue(v)}`;
      return undefined;
    case 'enum':
      if (!isStr(v) || !s.values.includes(v)) return `must be one of ${s.values.join(', ')}, got ${describeValue(v)}${isStr(v) ? hint(v, s.values) : ''}`;
      return undefined;
    case 'ip':
      if (!isStr(v) || isIP(v) === 0) return `must be an IPv4 or IPv6 address, got ${describeValue(v)}`;
      return zoneId(v) !== undefined ? zoneProblem(v, s.ipvs !== undefined) : s.ipvs ? ipvsAddressProblem(v, s.ipvs) : undefined;
    case 'port-spec':
      return portSpecProblem(v);
    case 'netmask':
      // The family decides the range of a prefix length (1..32 or 1..128): checkPersistence knows it.
      if (isInt(v)) {
        if (v < 1 || v > 128) return `must be a prefix length (1..32 for IPv4, 1..128 for IPv6) or an IPv4 mask, got ${v}`;
      } else if (!isStr(v) || !isIpv4Mask(v)) {
        return `must be an IPv4 mask (255.255.255.0) or a prefix length (1..32 for IPv4, 1..128 for IPv6), got ${describeValue(v)}`;
      }
      return undefined;
  }
}

/**
 * isIP accepts `fe80::1%eth0`, but IPVS keys services and destinations by address alone: the zone would be dropped
 * silently on the way to the kernel.
 */
function zoneProblem(address: string, ipvs: boolean): string {
  const bare = address.slice(0, address.indexOf('%'));
  return `zone ids are not allowed in ${ipvs ? 'IPVS addresses' : 'addresses here'}: write ${bare}, not ${JSON.stringify(address)}`;
}

/**
 * Why IPVS cannot use `address` (already an IP without zone) as a VIP or a backend, or undefined when it can. The
 * kernel refuses such destinations with EINVAL (inet_addr_type / ipv6_addr_type); as VIPs they never match traffic.
 */
export function ipvsAddressProblem(address: string, role: 'vip' | 'backend'): string | undefined {
  const as = `IPVS cannot use it as ${role === 'vip' ? 'a VIP' : 'a backend'}`;
  if (isIP(address) === 4) {
    // isIP takes dotted quads without leading zeros only, so each test is one on the text.
    const first = Number(address.slice(0, address.indexOf('.')));
    if (address === '255.255.255.255') return `${address} is the broadcast address: ${as}`;
    if (address === '0.0.0.0') return `${address} is the unspecified address (0.0.0.0/8): ${as}`;
    if (first === 0) return `${address} is in 0.0.0.0/8 ("this network"): ${as}`;
    if (first >= 224 && first <= 239) return `${address} is a multicast address (224.0.0.0/4): ${as}`;
    return undefined;
  }
  const c = canonicalAddress(address);
  if (c === '::') return `${address} is the unspecified address: ${as}`;
  if (/^ff[0-9a-f]{2}:/.test(c)) return `${address} is a multicast address (ff00::/8): ${as}`;
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(c);
  if (mapped) {
    const hi = parseInt(mapped[1], 16);
    const lo = parseInt(mapped[2], 16);
    const v4 = [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
    const what = role === 'vip' ? 'IPv4 traffic never matches an IPv6 service' : 'an IPv6 packet to it never reaches an IPv4 host';
    return `${address} is an IPv4-mapped IPv6 address: ${what}; write the IPv4 address ${v4}`;
  }
  if (role === 'backend' && /^fe[89ab][0-9a-f]:/.test(c)) {
    return `${address} is a link-local address (fe80::/10): ${as} (the kernel refuses link-local destinations)`;
  }
  return undefined;
}

const PORT_SPEC_HELP = 'must be a port 1..65535 or a range FROM-TO (7543-7814)';

function portSpecProblem(v: unknown): string | undefined {
  if (isInt(v)) return v < 1 || v > 65535 ? `port must be 1..65535, got ${v}` : undefined;
  if (isObj(v) && Object.keys(v).length === 2 && isInt(v.from) && isInt(v.to)) {
    const { from, to } = v;
    if (from < 1 || from > 65535 || to < 1 || to > 65535) return `range ports must be 1..65535, got ${from}-${to}`;
    if (from > to) return `range ${from}-${to} is reversed: write ${to}-${from}`;
    return undefined;
  }
  return `${PORT_SPEC_HELP}, got ${describeValue(v)}`;
}

function isIpv4Mask(s: string): boolean {
  if (isIP(s) !== 4) return false;
  const n = s.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
  const inverted = 0xffffffff - n;
  // A mask is ones followed by zeros: its inverse plus one is a power of two (0.0.0.0 is no mask).
  return n !== 0 && (inverted & (inverted + 1)) === 0;
}

// ------------------------------------------------------------------------------------------ cross-field pass

function checkCrossField(config: Obj, r: Reporter): void {
  const services = Array.isArray(config.services) ? config.services : [];
  checkServiceNames(services, r);
  checkIdentities(config, services, r);
  checkLimits(config, services, r);
  checkEachService(config, r);
  checkHa(config, r);
  checkObservability(config, r);
}

/** Each service's own rules (those that read the service and the top-level vip alone), clean ones skipped. */
function checkEachService(config: Obj, r: Reporter): void {
  const services: unknown[] = Array.isArray(config.services) ? config.services : [];
  const check = (s: unknown, i: number) => {
    if (isObj(s) && !r.skipService(s, i)) checkService(config, s, ['services', i], r);
  };
  if (r.onlyServices) for (const i of r.onlyServices) check(services[i], i);
  else services.forEach(check);
}

function checkServiceNames(services: unknown[], r: Reporter): void {
  const seen = new Map<string, number>();
  services.forEach((s, i) => {
    if (!isObj(s) || !isStr(s.name)) return;
    const first = seen.get(s.name);
    if (first === undefined) seen.set(s.name, i);
    else r.error(['services', i, 'name'], `service name "${s.name}" is already used${r.where(['services', first, 'name'])}`);
  });
}

/** One service identity: vip + protocol + port (ranges overlap per port), or fwmark. */
function checkIdentities(config: Obj, services: unknown[], r: Reporter): void {
  interface Owner {
    service: number;
    path: Path;
  }
  const byPort = new Map<string, Owner>();
  const byMark = new Map<number, Owner>();
  services.forEach((s, i) => {
    if (!isObj(s)) return;
    const base: Path = ['services', i];
    if (isInt(s.fwmark)) {
      const first = byMark.get(s.fwmark);
      if (first) r.error([...base, 'fwmark'], `fwmark ${s.fwmark} is already used by service ${serviceLabel(services, first.service)}${r.where(first.path)}`);
      else byMark.set(s.fwmark, { service: i, path: [...base, 'fwmark'] });
      return;
    }
    const vip = effectiveVip(config as { vip?: string }, s as { vip?: string });
    for (const { path, keys } of portIdentities(s, i, vip)) {
      // One message per (spec, earlier owner): an overlapping range must not print a line per port.
      const reported = new Set<string>();
      for (const [key, port] of keys) {
        const first = byPort.get(key);
        if (!first) {
          byPort.set(key, { service: i, path });
          continue;
        }
        const ownerKey = formatPath(first.path);
        if (reported.has(ownerKey)) continue;
        reported.add(ownerKey);
        const what = `${vip}${s.vip === undefined ? ' (the default vip)' : ''} ${s.protocol} port ${port}`;
        if (first.service === i) r.error(path, `${what} is listed twice in this service${r.where(first.path)}`);
        else r.error(path, `${what} is already served by service ${serviceLabel(services, first.service)}${r.where(first.path)}`);
      }
    }
  });
}

function serviceLabel(services: unknown[], i: number): string {
  const s = services[i];
  return isObj(s) && isStr(s.name) ? `"${s.name}"` : `services[${i}]`;
}

function checkLimits(config: Obj, services: unknown[], r: Reporter): void {
  const { maxRange, maxServices } = limitsOf(config);
  let total = 0;
  let reportedTotal = false;
  services.forEach((s, i) => {
    if (!isObj(s)) return;
    if (isInt(s.fwmark)) total += 1;
    else {
      for (const { spec, path } of portSpecs(s, ['services', i])) {
        const [from, to] = portBounds(spec);
        const size = to - from + 1;
        if (size > maxRange) {
          r.error(path, `range ${formatPortSpec(spec)} holds ${size} ports, more than daemon.limits.max_ports_per_range (${maxRange})`);
          // Refused already: counting it as well would add a second, misleading max_services error.
          continue;
        }
        total += size;
      }
    }
    if (total > maxServices && !reportedTotal) {
      reportedTotal = true;
      r.error(['services', i], `the configuration expands to more than daemon.limits.max_services (${maxServices}) IPVS services from this service on`);
    }
  });
}

function checkService(config: Obj, s: Obj, base: Path, r: Reporter): void {
  const method = isObj(s.forwarding) ? s.forwarding.method : undefined;
  const hasFwmark = s.fwmark !== undefined;
  const specs = portSpecs(s, base);
  const allPorts = [...(Array.isArray(s.ports) ? s.ports : []), ...(Array.isArray(s.port_ranges) ? s.port_ranges : [])];

  // vip xor fwmark; a non-fwmark service needs a vip (its own or the default) and at least one port.
  if (hasFwmark && s.vip !== undefined) r.error([...base, 'fwmark'], 'fwmark and vip are exclusive: a fwmark service matches packets by mark, not by address');
  if (hasFwmark && allPorts.length > 0) {
    const key = Array.isArray(s.ports) && s.ports.length > 0 ? 'ports' : 'port_ranges';
    r.error([...base, key], 'a fwmark service has no ports: the firewall rule that sets the mark selects them');
  }
  if (!hasFwmark) {
    if (s.vip === undefined && config.vip === undefined) {
      r.error([...base, 'vip'], 'is required: this service names no vip and there is no top-level vip in config.yaml');
    }
    const listsOk = (s.ports === undefined || Array.isArray(s.ports)) && (s.port_ranges === undefined || Array.isArray(s.port_ranges));
    if (allPorts.length === 0 && listsOk) r.error([...base, 'ports'], 'needs at least one port (ports or port_ranges), or a fwmark');
  }

  const vip = effectiveVip(config as { vip?: string }, s as { vip?: string; fwmark?: number });
  const backends = Array.isArray(s.backends) ? s.backends : [];
  const singlePort = specs.length === 1 && typeof specs[0].spec === 'number' ? specs[0].spec : undefined;
  // The family the service works in: its VIP's; a fwmark service without vip takes its first backend's.
  // A VIP refused on its own (zone id, mapped, multicast...) sets no family: its backends would only earn echo errors.
  const vipRefused = isStr(vip) && isIP(vip) !== 0 && (zoneId(vip) !== undefined || ipvsAddressProblem(vip, 'vip') !== undefined);
  // Without backends it is IPv4, as the compiler makes it (engine/compile.ts serviceFamily): an IPv6 sorry server
  // under nat there was refused by the kernel (EINVAL) after validate let it through.
  let family = vipRefused ? 0 : ipFamily(vip);
  if (family === 0 && hasFwmark) family = ipFamily(backends.map((b) => (isObj(b) ? b.address : undefined)).find((a) => ipFamily(a) !== 0)) || 4;

  // Backends: no duplicates, families consistent, DR/tunnel keep the port, thresholds ordered.
  const seen = new Map<string, number>();
  const multiPort = !hasFwmark && singlePort === undefined && specs.length > 0 ? new PortZeroClashes(specs.map((x) => x.spec)) : undefined;
  backends.forEach((b, j) => {
    if (!isObj(b) || !isStr(b.address) || isIP(b.address) === 0) return;
    const bPath: Path = [...base, 'backends', j];
    const port = isInt(b.port) ? b.port : 0;
    const effectivePort = port === 0 && singlePort !== undefined ? singlePort : port;
    const key = backendKey({ address: b.address, port: effectivePort });
    const first = seen.get(key);
    if (first !== undefined) r.error([...bPath, 'address'], `duplicate backend ${key}: already listed${r.where([...base, 'backends', first, 'address'])}`);
    else {
      seen.set(key, j);
      const clash = multiPort?.clash(b.address, port, j);
      if (clash) r.error([...bPath, 'address'], `${clash.message}${r.where([...base, 'backends', clash.with, 'address'])}`);
    }

    const bFamily = ipFamily(b.address);
    if (family !== 0 && bFamily !== family && method !== 'tunnel') {
      r.error([...bPath, 'address'], `IPv${bFamily} backend behind an IPv${family} service: mixing families needs forwarding method tunnel`);
    }
    if ((method === 'dr' || method === 'tunnel') && port !== 0 && (hasFwmark || singlePort !== port)) {
      const allowed = singlePort !== undefined && !hasFwmark ? `0 or ${singlePort}` : '0';
      r.error([...bPath, 'port'], `${method} forwarding cannot change the destination port: use ${allowed} (the service port)`);
    }
    if (!checkThresholds(b, bPath, r)) checkEffectiveThresholds(b, s, bPath, r);
  });
  checkThresholds(s, base, r);

  checkSchedulerFlags(s, base, r);
  checkForwarding(s, base, r);
  checkPersistence(s, base, family, r);
  checkHealth(s, base, r);
  checkSorry(s, base, { family, method, hasFwmark, singlePort, backends: seen, multiPort }, r);
}

/**
 * In a service with several ports, a backend with port 0 is programmed once per service port (engine/compile.ts),
 * so the same address with an explicit port that is one of them is the same IPVS destination twice: the kernel
 * would get it twice (compile refuses). `seen` keys port 0 as 0, which cannot catch it; this does.
 */
class PortZeroClashes {
  private readonly ports = new Set<number>();
  /** By canonical address: the backend (index) with port 0, and those with an explicit service port. */
  private readonly zero = new Map<string, number>();
  private readonly explicit = new Map<string, { index: number; port: number }>();

  constructor(specs: (number | { from: number; to: number })[]) {
    for (const spec of specs) {
      const [from, to] = portBounds(spec);
      for (let p = from; p <= to; p++) this.ports.add(p);
    }
  }

  /** Records backend `index`; a clash with an earlier one is returned (`index` -1 is the sorry backend: not recorded). */
  clash(address: string, port: number, index: number): { with: number; message: string } | undefined {
    const a = canonicalAddress(address);
    const shown = (p: number) => backendKey({ address: a, port: p });
    if (port === 0) {
      const other = this.explicit.get(a);
      if (index >= 0 && !this.zero.has(a)) this.zero.set(a, index);
      if (other) return { with: other.index, message: `port 0 sends to ${address} on every service port, ${other.port} included: ${shown(other.port)} is already listed` };
      return undefined;
    }
    if (!this.ports.has(port)) return undefined;
    const other = this.zero.get(a);
    if (index >= 0 && !this.explicit.has(a)) this.explicit.set(a, { index, port });
    if (other !== undefined) return { with: other, message: `${shown(port)} is already listed: that backend's port 0 sends to every service port, ${port} included` };
    return undefined;
  }
}

/**
 * The sorry server of a service (`sorry: 192.0.2.9`, `192.0.2.9:8080`, `[2001:db8::9]:8080`): an address IPVS
 * can program and an optional port (absent or 0 = the service port, as a backend's port 0). Null when the text
 * is not one of these forms.
 */
export function parseSorry(text: string): { address: string; port: number } | null {
  const t = text.trim();
  let address = t;
  let port = 0;
  const v6 = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(t);
  if (v6) {
    address = v6[1];
    port = v6[2] === undefined ? 0 : Number(v6[2]);
    if (isIP(address) !== 6) return null;
  } else if (isIP(t) === 0) {
    const m = /^([^:]+):(\d{1,5})$/.exec(t);
    if (!m || isIP(m[1]) !== 4) return null;
    address = m[1];
    port = Number(m[2]);
  }
  if (port > 65535) return null;
  return { address, port };
}

/** `sorry` parses, fits the service (family, forwarding, not one of its backends); `quorum` is reachable. */
function checkSorry(
  s: Obj,
  base: Path,
  svc: { family: number; method: unknown; hasFwmark: boolean; singlePort: number | undefined; backends: Map<string, number>; multiPort: PortZeroClashes | undefined },
  r: Reporter,
): void {
  const backends = Array.isArray(s.backends) ? s.backends.filter((b) => isObj(b) && b.enabled !== false).length : 0;
  if (isInt(s.quorum) && s.quorum > backends && backends > 0)
    r.error([...base, 'quorum'], `quorum ${s.quorum} is more than the ${backends} enabled backend(s): the sorry backend would always serve`);
  if (!isStr(s.sorry)) return;
  const path: Path = [...base, 'sorry'];
  const sorry = parseSorry(s.sorry);
  if (!sorry) {
    r.error(path, `${describeValue(s.sorry)} is not an address, address:port or [IPv6]:port`);
    return;
  }
  const problem = ipvsAddressProblem(sorry.address, 'backend');
  if (problem) {
    r.error(path, problem);
    return;
  }
  const family = ipFamily(sorry.address);
  if (svc.family !== 0 && family !== svc.family && svc.method !== 'tunnel')
    r.error(path, `IPv${family} sorry backend behind an IPv${svc.family} service: mixing families needs forwarding method tunnel`);
  if ((svc.method === 'dr' || svc.method === 'tunnel') && sorry.port !== 0 && (svc.hasFwmark || svc.singlePort !== sorry.port))
    r.error(path, `${svc.method} forwarding cannot change the destination port: leave the port out (the service port)`);
  const effective = sorry.port === 0 && svc.singlePort !== undefined ? svc.singlePort : sorry.port;
  const first = svc.backends.get(backendKey({ address: sorry.address, port: effective }));
  if (first !== undefined) r.error(path, `the sorry backend ${backendKey({ address: sorry.address, port: effective })} is also backends[${first}]: use another server`);
  else {
    const clash = svc.multiPort?.clash(sorry.address, sorry.port, -1);
    if (clash) r.error(path, `the sorry backend is also backends[${clash.with}] (${clash.message}): use another server`);
  }
}

/** One object's own thresholds; true when an error was reported. */
function checkThresholds(o: Obj, base: Path, r: Reporter): boolean {
  const { u_threshold: u, l_threshold: l } = o;
  if (isInt(u) && isInt(l) && u > 0 && l > u) {
    r.error([...base, 'l_threshold'], `l_threshold ${l} must not exceed u_threshold ${u}`);
    return true;
  }
  if (isInt(l) && l > 0 && (!isInt(u) || u === 0)) {
    r.error([...base, 'l_threshold'], 'l_threshold needs a u_threshold: it says when to resume after the upper limit was hit');
    return true;
  }
  return false;
}

/**
 * What the kernel gets for a backend: each threshold is the backend's own, else the service's (engine/compile.ts).
 * Mixed, they can cross (service u 1000 / l 900, backend u 100 → u 100, l 900), and the kernel answers ERANGE.
 */
function checkEffectiveThresholds(b: Obj, s: Obj, bPath: Path, r: Reporter): void {
  const value = (k: 'u_threshold' | 'l_threshold'): number => (isInt(b[k]) ? b[k] : isInt(s[k]) ? s[k] : 0);
  if (value('l_threshold') <= value('u_threshold')) return; // nearly always: the words below only for an error
  const pick = (k: 'u_threshold' | 'l_threshold') => (isInt(b[k]) ? { v: b[k] as number, from: 'this backend' } : isInt(s[k]) ? { v: s[k] as number, from: 'the service' } : { v: 0, from: 'the default' });
  const u = pick('u_threshold');
  const l = pick('l_threshold');
  const what = u.v === 0 ? `u_threshold 0 (no limit, from ${u.from})` : `u_threshold ${u.v} (from ${u.from})`;
  r.error([...bPath, isInt(b.l_threshold) ? 'l_threshold' : 'u_threshold'], `this backend would get l_threshold ${l.v} (from ${l.from}) above ${what}: set both thresholds on the backend`);
}

function checkSchedulerFlags(s: Obj, base: Path, r: Reporter): void {
  if (!Array.isArray(s.scheduler_flags)) return;
  const seen = new Set<string>();
  s.scheduler_flags.forEach((flag, k) => {
    if (!isStr(flag)) return;
    const path: Path = [...base, 'scheduler_flags', k];
    if (seen.has(flag)) r.error(path, `flag ${flag} is listed twice`);
    seen.add(flag);
    const needs = flag.startsWith('sh-') ? 'sh' : flag.startsWith('mh-') ? 'mh' : undefined;
    if (needs && s.scheduler !== needs) r.error(path, `flag ${flag} needs scheduler ${needs}, not ${isStr(s.scheduler) ? s.scheduler : describeValue(s.scheduler)}`);
  });
}

function checkForwarding(s: Obj, base: Path, r: Reporter): void {
  if (!isObj(s.forwarding)) return;
  const f = s.forwarding;
  const path: Path = [...base, 'forwarding'];
  if (f.tunnel === undefined) return;
  if (f.method !== 'tunnel') {
    r.error([...path, 'tunnel'], `tunnel options need forwarding method tunnel, not ${describeValue(f.method)}`, 'key');
    return;
  }
  if (!isObj(f.tunnel)) return;
  const t = f.tunnel;
  if (t.type === 'gue' && t.port === undefined) r.error([...path, 'tunnel', 'port'], 'is required for gue tunnels (the UDP port the backends decapsulate on)');
  if (t.type !== 'gue' && t.port !== undefined) r.error([...path, 'tunnel', 'port'], `only gue tunnels have a port, not ${describeValue(t.type)}`);
  if (t.type === 'ipip' && t.csum !== undefined) r.error([...path, 'tunnel', 'csum'], 'only gue and gre tunnels have a checksum mode');
  // The kernel's GRE encapsulation reads only the csum bit (ip_vs_xmit.c), so remcsum would mean no checksum at
  // all; ipvsadm refuses the pair ("Illegal 'tun-remcsum' option with the 'gre' tunnel type").
  if (t.type === 'gre' && t.csum === 'remcsum') r.error([...path, 'tunnel', 'csum'], 'remcsum (remote checksum offload) is a gue option: a gre tunnel takes nocsum or csum');
}

/**
 * An IPv4 service takes a dotted mask or a prefix length 1..32 (compiled to the dotted mask, engine/compile.ts
 * netmaskValue); an IPv6 one a prefix length 1..128. (A fwmark service without backends has family 4 here.)
 */
function checkPersistence(s: Obj, base: Path, family: number, r: Reporter): void {
  if (!isObj(s.persistence)) return;
  const m = s.persistence.netmask;
  const path: Path = [...base, 'persistence', 'netmask'];
  if (family === 4 && isInt(m) && m > 32) r.error(path, `an IPv4 service takes a prefix length 1..32 or a dotted mask (255.255.255.0), got ${m}`);
  if (family === 6 && isStr(m)) r.error(path, `an IPv6 service takes a prefix length 1..128, not a dotted mask`);
}

const HEALTH_PROTOCOL: Record<string, string> = { tcp: 'tcp', http: 'tcp', https: 'tcp', udp_echo: 'udp', dns: 'udp' };

function checkHealth(s: Obj, base: Path, r: Reporter): void {
  if (!isObj(s.health)) return;
  const h = s.health;
  const path: Path = [...base, 'health'];
  const type = h.type;
  if (isStr(type) && type in HEALTH_PROTOCOL && isStr(s.protocol) && HEALTH_PROTOCOL[type] !== s.protocol) {
    const fits = Object.keys(HEALTH_PROTOCOL).filter((t) => HEALTH_PROTOCOL[t] === s.protocol);
    const suggestion = fits.length > 0 ? `use ${fits.join(', ')} or none` : 'use none';
    r.error([...path, 'type'], `a ${type} check needs a ${HEALTH_PROTOCOL[type]} service; this one is ${s.protocol}: ${suggestion}`);
  }
  if (isInt(h.timeout_ms) && isInt(h.interval_ms) && h.timeout_ms >= h.interval_ms) {
    r.error([...path, 'timeout_ms'], `timeout_ms ${h.timeout_ms} must be less than interval_ms ${h.interval_ms}: a check ends before the next begins`);
  }
  if (h.http !== undefined && type !== 'http' && type !== 'https') r.error([...path, 'http'], `http settings need type http or https, not ${describeValue(type)}`, 'key');
  if (h.dns !== undefined && type !== 'dns') r.error([...path, 'dns'], `dns settings need type dns, not ${describeValue(type)}`, 'key');
  if (type === 'dns' && h.dns === undefined) r.error([...path, 'dns'], 'is required for type dns (at least dns.query)');
  for (const k of ['payload', 'expect'] as const) {
    if (h[k] !== undefined && type !== 'udp_echo' && type !== 'tcp') r.error([...path, k], `${k} needs type udp_echo or tcp, not ${describeValue(type)}`, 'key');
    const v = h[k];
    if (isStr(v)) {
      const parsed = parseCheckBytes(v);
      if ('problem' in parsed) r.error([...path, k], parsed.problem);
    }
  }
  checkHealthPort(s, h, path, r);
  if (isObj(h.http)) {
    const sni = h.http.sni;
    if (sni !== undefined && type !== 'https') r.error([...path, 'http', 'sni'], `sni needs type https, not ${describeValue(type)}`, 'key');
    if (isStr(sni) && isIP(sni) !== 0) r.error([...path, 'http', 'sni'], `must be a host name, not an address (TLS sends no address as server name): leave it out to send none`);
    if (h.http.body !== undefined && h.http.method === 'HEAD') r.error([...path, 'http', 'body'], 'a HEAD response has no body to search: use method GET, or leave body out', 'key');
  }
  if (isObj(h.dns) && isStr(h.dns.answer)) {
    const family = h.dns.record_type === 'A' ? 4 : h.dns.record_type === 'AAAA' ? 6 : 0;
    if (family !== 0 && isIP(h.dns.answer) !== family) r.error([...path, 'dns', 'answer'], `an ${h.dns.record_type} answer is an IPv${family} address, got ${describeValue(h.dns.answer)}`);
    if (h.dns.rcode !== undefined && h.dns.rcode !== 'NOERROR') r.error([...path, 'dns', 'answer'], `a reply with rcode ${describeValue(h.dns.rcode)} holds no answer: leave answer out or expect NOERROR`);
  }
}

/**
 * A check of a fwmark service has no service port to fall back on: a backend with port 0 needs health.port.
 * (A service with ports checks its first port when neither the backend nor health.port names one.) The tcp
 * check is not refused: it is every tcp service's default, so refusing it would refuse configurations that never
 * asked for a check; its port-0 backends stay unknown ("no port to check") until health.port is set.
 */
function checkHealthPort(s: Obj, h: Obj, path: Path, r: Reporter): void {
  if (s.fwmark === undefined || h.enabled === false || !isStr(h.type) || h.type === 'none' || h.type === 'tcp') return;
  if (isInt(h.port) && h.port !== 0) return;
  const backends = Array.isArray(s.backends) ? s.backends : [];
  const portless = backends.findIndex((b) => isObj(b) && b.enabled !== false && (b.port === undefined || b.port === 0));
  if (portless < 0) return;
  r.error([...path, 'port'], `a ${h.type} check of a fwmark service needs a port: backends[${portless}] has port 0 and the service has no port to check; set health.port`);
}

/** The most bytes a check payload or expected reply may hold (it must fit in one UDP datagram with its nonce). */
export const CHECK_BYTES_MAX = 1024;

/**
 * The bytes of a health check `payload` or `expect`: `hex:` followed by pairs of hex digits (`hex:0d0a`), or
 * else the text itself in UTF-8, which may hold tab, CR and LF but no other control character.
 */
export function parseCheckBytes(text: string): { bytes: Uint8Array } | { problem: string } {
  let bytes: Uint8Array;
  if (text.startsWith('hex:')) {
    const digits = text.slice(4);
    if (!/^([0-9a-fA-F]{2})+$/.test(digits)) return { problem: `hex: must be followed by pairs of hex digits (hex:50494e470d0a), got ${describeValue(text)}` };
    bytes = Buffer.from(digits, 'hex');
  } else {
    if (text.length === 0) return { problem: 'must not be empty' };
    const control = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.exec(text);
    if (control) {
      const code = control[0].charCodeAt(0).toString(16).padStart(4, '0').toUpperCase();
      return { problem: `holds the control character U+${code} at position ${control.index}: write such bytes as hex:… (the whole value in hex)` };
    }
    bytes = Buffer.from(text, 'utf8');
  }
  if (bytes.length > CHECK_BYTES_MAX) return { problem: `must be at most ${CHECK_BYTES_MAX} bytes, got ${bytes.length}` };
  return { bytes };
}

function checkHa(config: Obj, r: Reporter): void {
  if (!isObj(config.ha)) return;
  const ha = config.ha;
  const instances = Array.isArray(ha.instances) ? ha.instances : [];
  if ((ha.source === 'frr' || ha.source === 'keepalived') && instances.length === 0) {
    r.error(['ha', 'instances'], `needs at least one VRRP instance to watch when source is ${ha.source}`);
  }
  if (ha.frr_pathspace !== undefined && ha.source !== 'frr') r.error(['ha', 'frr_pathspace'], `only applies to source frr, not ${describeValue(ha.source)}`, 'key');
  const names = new Map<string, number>();
  const vrids = new Map<string, number>();
  instances.forEach((inst, i) => {
    if (!isObj(inst)) return;
    const path: Path = ['ha', 'instances', i];
    if (isStr(inst.name)) {
      const first = names.get(inst.name);
      if (first !== undefined) r.error([...path, 'name'], `instance name "${inst.name}" is already used${r.where(['ha', 'instances', first, 'name'])}`);
      else names.set(inst.name, i);
    }
    if (isInt(inst.vrid) && isStr(inst.interface)) {
      const key = `${inst.interface}/${inst.vrid}`;
      const first = vrids.get(key);
      if (first !== undefined) r.error([...path, 'vrid'], `vrid ${inst.vrid} on ${inst.interface} is already watched${r.where(['ha', 'instances', first, 'vrid'])}`);
      else vrids.set(key, i);
    }
    if (inst.instance !== undefined && ha.source !== 'keepalived') r.error([...path, 'instance'], `only applies to source keepalived, not ${describeValue(ha.source)}`, 'key');
  });
}

function checkObservability(config: Obj, r: Reporter): void {
  const o = config.observability;
  if (!isObj(o) || !isObj(o.gelf)) return;
  if (o.gelf.enabled === true && o.gelf.host === undefined) r.error(['observability', 'gelf', 'host'], 'is required when gelf is enabled');
}
