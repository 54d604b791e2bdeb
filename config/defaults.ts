// Defaults for every field. docs/config.md lists them; change both together (a unit test reads the doc).
// applyDefaults fills only what is missing (absent or YAML null) and keeps every value that is present, even a
// wrongly typed one: validation must still see and report it at its line.
import type { Backend, Config, Health, Protocol, Service } from './model.js';
import { BACKEND_SCHEMA, CONFIG_SCHEMA, HEALTH_SCHEMA, SERVICE_SCHEMA, schemaAt, type Schema } from './schema.js';
import { parsePortText } from './derive.js';

export const DEFAULT_PROMETHEUS_PORT = 9469;
export const DEFAULT_GELF_PORT = 12201;
/** Idle shell sessions end after 30 minutes (IOS exec-timeout; docs/ssh.md). */
export const DEFAULT_EXEC_TIMEOUT_S = 1800;
export const DEFAULT_AUDIT_PATH = '/var/log/lbctl/audit.jsonl';
/** A commit record with its diff is a few KB; 64 MiB holds tens of thousands of them before a rotation. */
export const DEFAULT_AUDIT_MAX_BYTES = 64 * 1024 * 1024;
export const DEFAULT_AUDIT_KEEP = 8;
/** ipvsadm's default for `-p` without a value. */
export const DEFAULT_PERSISTENCE_TIMEOUT = 300;

export function defaultConfig(): Config {
  return {
    node: {},
    daemon: {
      reconcile_interval_ms: 5000,
      state_cache: { enabled: true, ttl_ms: 1000 },
      limits: { max_services: 10000, max_ports_per_range: 4096 },
      revisions_kept: 50,
    },
    ha: { source: 'none', program: 'always', instances: [], poll_interval_ms: 1000 },
    observability: {
      prometheus: { enabled: true, bind: '127.0.0.1', port: DEFAULT_PROMETHEUS_PORT },
      gelf: { enabled: false, port: DEFAULT_GELF_PORT, facility: 'lbctl', protocol: 'udp' },
      audit: { path: DEFAULT_AUDIT_PATH, max_bytes: DEFAULT_AUDIT_MAX_BYTES, keep: DEFAULT_AUDIT_KEEP },
    },
    system: { exec_timeout_s: DEFAULT_EXEC_TIMEOUT_S },
    services: [],
  };
}

/**
 * The check a service gets when it says nothing: a TCP connect for TCP services; no check for UDP and SCTP,
 * where no check type fits every server (udp_echo needs an echo responder, dns a resolver).
 */
export function defaultHealth(protocol: Protocol | string = 'tcp'): Health {
  return {
    enabled: true,
    type: protocol === 'tcp' ? 'tcp' : 'none',
    interval_ms: 1000,
    timeout_ms: 300,
    fail_after: 3,
    recover_after: 2,
  };
}

export function defaultBackend(address = ''): Backend {
  return { address, port: 0, weight: 1, enabled: true };
}

/** A service with every defaulted field set; `name` and `protocol` as given. */
export function defaultService(name = '', protocol: Protocol = 'tcp'): Service {
  return {
    name,
    enabled: true,
    protocol,
    ports: [],
    port_ranges: [],
    scheduler: 'wlc',
    scheduler_flags: [],
    forwarding: { method: 'nat' },
    on_down: 'inhibit',
    backends: [],
    health: defaultHealth(protocol),
  };
}

export const DEFAULT_HTTP_CHECK = { path: '/', method: 'GET', expect_status: [200] } as const;
export const DEFAULT_DNS_RECORD_TYPE = 'A';
export const DEFAULT_TUNNEL_TYPE = 'ipip';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `target` with every key of `defaults` that is absent or null in it filled from `defaults` (deeply for objects). */
function fill(target: unknown, defaults: Obj): unknown {
  if (target === undefined || target === null) return structuredClone(defaults);
  if (!isObj(target)) return target; // wrong type: kept for validation to report
  const out: Obj = { ...target };
  for (const [k, d] of Object.entries(defaults)) {
    const v = out[k];
    if (v === undefined || v === null) out[k] = structuredClone(d);
    else if (isObj(d) && isObj(v)) out[k] = fill(v, d);
  }
  return out;
}

/**
 * Drops the schema's keys whose value is null: YAML `description:` with nothing after it means "not set". A key
 * the schema does not know is kept, null or not, so that validation reports it: `servics:` or `wieght:` with
 * nothing after it is a misspelling, not "not set".
 */
function dropNulls(v: unknown, schema: Schema | undefined): unknown {
  if (!isObj(v)) return v;
  const known = schema?.kind === 'object' ? schema.fields : {};
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (x !== undefined && (x !== null || !(k in known))) out[k] = x;
  return out;
}

const HTTP_SCHEMA = schemaAt(['http'], HEALTH_SCHEMA);
const DNS_SCHEMA = schemaAt(['dns'], HEALTH_SCHEMA);
const FORWARDING_SCHEMA = schemaAt(['forwarding'], SERVICE_SCHEMA);
const TUNNEL_SCHEMA = schemaAt(['forwarding', 'tunnel'], SERVICE_SCHEMA);
const PERSISTENCE_SCHEMA = schemaAt(['persistence'], SERVICE_SCHEMA);
const VRRP_INSTANCE_SCHEMA = schemaAt(['ha', 'instances', 0]);

function applyHealthDefaults(raw: unknown, protocol: unknown): unknown {
  const base = defaultHealth(typeof protocol === 'string' ? protocol : 'tcp') as unknown as Obj;
  const h = fill(dropNulls(raw, HEALTH_SCHEMA), base);
  if (!isObj(h)) return h;
  if (isObj(h.http)) h.http = fill(dropNulls(h.http, HTTP_SCHEMA), { ...DEFAULT_HTTP_CHECK, expect_status: [200] });
  else if (h.http === undefined && (h.type === 'http' || h.type === 'https')) h.http = { ...DEFAULT_HTTP_CHECK, expect_status: [200] };
  if (isObj(h.dns)) h.dns = fill(dropNulls(h.dns, DNS_SCHEMA), { record_type: DEFAULT_DNS_RECORD_TYPE });
  return h;
}

function applyServiceDefaults(raw: unknown): unknown {
  if (!isObj(raw)) return raw;
  const s = dropNulls(raw, SERVICE_SCHEMA) as Obj;
  const protocol = s.protocol ?? 'tcp';
  const base = defaultService('', 'tcp') as unknown as Obj;
  delete base.name;
  delete base.health;
  const out = fill(s, base) as Obj;
  out.protocol = protocol;
  // Written port notation (`7543-7814`, `"80"`) becomes the model's; anything else stays for validation.
  for (const key of ['ports', 'port_ranges']) {
    const list = out[key];
    if (Array.isArray(list)) out[key] = list.map((p) => (typeof p === 'string' ? (parsePortText(p) ?? p) : p));
  }
  out.health = applyHealthDefaults(s.health, protocol);
  if (isObj(out.forwarding)) {
    const f = dropNulls(out.forwarding, FORWARDING_SCHEMA) as Obj;
    if (isObj(f.tunnel)) f.tunnel = fill(dropNulls(f.tunnel, TUNNEL_SCHEMA), { type: DEFAULT_TUNNEL_TYPE });
    out.forwarding = f;
  }
  if (isObj(out.persistence)) out.persistence = fill(dropNulls(out.persistence, PERSISTENCE_SCHEMA), { timeout: DEFAULT_PERSISTENCE_TIMEOUT });
  if (Array.isArray(out.backends)) {
    const b = defaultBackend() as unknown as Obj;
    delete b.address;
    out.backends = out.backends.map((x) => (isObj(x) ? fill(dropNulls(x, BACKEND_SCHEMA), b) : x));
  }
  return out;
}

/**
 * A complete Config from a partial one (parsed YAML, a JSON body, a test's literal). Missing and null fields take
 * their defaults; port strings in the written notation (`7543-7814`) become model values; every other present
 * field is kept as it is, valid or not. Never throws on any input.
 */
export function applyDefaults(partial: unknown): Config {
  // The services, which are nearly all of a large configuration, are built one by one straight into the model
  // (serviceWithDefaults); the generic path below, which clones, fills and reorders whole trees, does the rest.
  if (isObj(partial) && Array.isArray(partial.services)) {
    const out = genericDefaults({ ...partial, services: [] }) as unknown as Obj;
    out.services = partial.services.map(serviceWithDefaults);
    return out as unknown as Config;
  }
  return genericDefaults(partial);
}

/**
 * applyDefaults by the generic path alone: clone the input, drop nulls, fill the defaults, put keys in schema
 * order. applyDefaults gives the same model (key order included) and builds services in one pass;
 * test/unit/config/defaults-fast.test.ts holds the two to each other.
 */
export function genericDefaults(partial: unknown): Config {
  const base = defaultConfig() as unknown as Obj;
  let input: unknown = partial;
  try {
    input = structuredClone(partial); // the result never shares objects with the caller's input
  } catch {
    /* not cloneable (functions inside): use as is, validation will report it */
  }
  const out = fill(dropNulls(input, CONFIG_SCHEMA), base) as Obj;
  if (!isObj(out)) return out as unknown as Config;
  if (isObj(out.ha) && Array.isArray(out.ha.instances)) {
    out.ha = { ...out.ha, instances: out.ha.instances.map((i) => (isObj(i) ? fill(dropNulls(i, VRRP_INSTANCE_SCHEMA), { vips: [] }) : i)) };
  }
  if (Array.isArray(out.services)) out.services = out.services.map(applyServiceDefaults);
  return orderKeys(out, CONFIG_SCHEMA) as Config;
}

/**
 * One service of applyDefaults, the same model as the generic path gives (applyServiceDefaults, then orderKeys,
 * on a clone), built in one pass: at 10,000 services the clone, the fills and the reordering cost 0.6 s and made
 * three short-lived copies of the configuration. A service holding a key the schema does not know (anywhere in
 * it) takes the generic path: validation reports that key, and the generic path keeps it where it was.
 */
function serviceWithDefaults(raw: unknown): unknown {
  if (isObj(raw)) {
    const built = buildService(raw);
    if (built !== undefined) return built;
  }
  return orderKeys(applyServiceDefaults(copy(raw)), SERVICE_SCHEMA);
}

/** A value kept as it is (wrong type, or a leaf): primitives themselves, collections as a copy. */
function copy(v: unknown): unknown {
  if (typeof v !== 'object' || v === null) return v;
  try {
    return structuredClone(v);
  } catch {
    return v; // not cloneable (functions inside): kept, validation reports it
  }
}

/** A list of leaves (ports, flags, status codes): a new array of copies. */
function copyList(list: unknown[], each: (x: unknown) => unknown = copy): unknown[] {
  const out = new Array<unknown>(list.length);
  for (let i = 0; i < list.length; i++) out[i] = each(list[i]);
  return out;
}

const portItem = (p: unknown): unknown => (typeof p === 'string' ? (parsePortText(p) ?? p) : copy(p));

const fieldsOf = (s: Schema): Record<string, unknown> => (s.kind === 'object' ? s.fields : {});
const SERVICE_FIELDS = fieldsOf(SERVICE_SCHEMA);
const BACKEND_FIELDS = fieldsOf(BACKEND_SCHEMA);
const HEALTH_FIELDS = fieldsOf(HEALTH_SCHEMA);
const HTTP_FIELDS = HTTP_SCHEMA ? fieldsOf(HTTP_SCHEMA) : {};
const DNS_FIELDS = DNS_SCHEMA ? fieldsOf(DNS_SCHEMA) : {};
const FORWARDING_FIELDS = FORWARDING_SCHEMA ? fieldsOf(FORWARDING_SCHEMA) : {};
const TUNNEL_FIELDS = TUNNEL_SCHEMA ? fieldsOf(TUNNEL_SCHEMA) : {};
const PERSISTENCE_FIELDS = PERSISTENCE_SCHEMA ? fieldsOf(PERSISTENCE_SCHEMA) : {};

/** Every own key of `o` is a field of the schema (own fields only: `constructor:` is not one). */
function onlyKnown(o: Obj, fields: Record<string, unknown>): boolean {
  for (const k in o) if (!Object.prototype.hasOwnProperty.call(fields, k)) return false;
  return true;
}

const given = (v: unknown): boolean => v !== undefined && v !== null;

/**
 * `o` as the generic path makes it of a section (dropNulls, fill from `defaults`, orderKeys), for a section
 * whose fields are all leaves; undefined when it holds a key the schema does not know.
 */
function leafSection(o: Obj, fields: Record<string, unknown>, defaults: Obj): Obj | undefined {
  if (!onlyKnown(o, fields)) return undefined;
  const out: Obj = {};
  for (const k in fields) {
    const v = o[k];
    if (given(v)) out[k] = copy(v);
    else if (k in defaults) out[k] = copy(defaults[k]);
  }
  return out;
}

function buildService(s: Obj): Obj | undefined {
  if (!onlyKnown(s, SERVICE_FIELDS)) return undefined;
  const protocol = given(s.protocol) ? s.protocol : 'tcp';
  const out: Obj = {};
  if (given(s.name)) out.name = copy(s.name);
  if (given(s.description)) out.description = copy(s.description);
  out.enabled = given(s.enabled) ? copy(s.enabled) : true;
  if (given(s.inactive)) out.inactive = copy(s.inactive);
  if (given(s.vip)) out.vip = copy(s.vip);
  if (given(s.fwmark)) out.fwmark = copy(s.fwmark);
  out.protocol = copy(protocol);
  for (const key of ['ports', 'port_ranges']) {
    const v = s[key];
    out[key] = !given(v) ? [] : Array.isArray(v) ? copyList(v, portItem) : copy(v);
  }
  out.scheduler = given(s.scheduler) ? copy(s.scheduler) : 'wlc';
  out.scheduler_flags = !given(s.scheduler_flags) ? [] : Array.isArray(s.scheduler_flags) ? copyList(s.scheduler_flags) : copy(s.scheduler_flags);
  if (given(s.persistence)) {
    const p = s.persistence;
    if (isObj(p)) {
      const built = leafSection(p, PERSISTENCE_FIELDS, { timeout: DEFAULT_PERSISTENCE_TIMEOUT });
      if (!built) return undefined;
      out.persistence = built;
    } else out.persistence = copy(p);
  }
  if (!given(s.forwarding)) out.forwarding = { method: 'nat' };
  else if (isObj(s.forwarding)) {
    const f = s.forwarding;
    if (!onlyKnown(f, FORWARDING_FIELDS)) return undefined;
    const built: Obj = { method: given(f.method) ? copy(f.method) : 'nat' };
    if (given(f.tunnel)) {
      if (isObj(f.tunnel)) {
        const t = leafSection(f.tunnel, TUNNEL_FIELDS, { type: DEFAULT_TUNNEL_TYPE });
        if (!t) return undefined;
        built.tunnel = t;
      } else built.tunnel = copy(f.tunnel);
    }
    out.forwarding = built;
  } else out.forwarding = copy(s.forwarding);
  if (given(s.u_threshold)) out.u_threshold = copy(s.u_threshold);
  if (given(s.l_threshold)) out.l_threshold = copy(s.l_threshold);
  out.on_down = given(s.on_down) ? copy(s.on_down) : 'inhibit';
  if (given(s.slow_start_s)) out.slow_start_s = copy(s.slow_start_s);
  if (given(s.quorum)) out.quorum = copy(s.quorum);
  if (given(s.sorry)) out.sorry = copy(s.sorry);
  if (!given(s.backends)) out.backends = [];
  else if (Array.isArray(s.backends)) {
    const list = s.backends;
    const backends = new Array<unknown>(list.length);
    for (let i = 0; i < list.length; i++) {
      const b = list[i];
      if (!isObj(b)) backends[i] = copy(b);
      else {
        const built = buildBackend(b);
        if (!built) return undefined;
        backends[i] = built;
      }
    }
    out.backends = backends;
  } else out.backends = copy(s.backends);
  const health = buildHealth(s.health, protocol);
  if (health === undefined) return undefined;
  out.health = health;
  return out;
}

function buildBackend(b: Obj): Obj | undefined {
  if (!onlyKnown(b, BACKEND_FIELDS)) return undefined;
  const out: Obj = {};
  if (given(b.address)) out.address = copy(b.address);
  out.port = given(b.port) ? copy(b.port) : 0;
  out.weight = given(b.weight) ? copy(b.weight) : 1;
  if (given(b.u_threshold)) out.u_threshold = copy(b.u_threshold);
  if (given(b.l_threshold)) out.l_threshold = copy(b.l_threshold);
  out.enabled = given(b.enabled) ? copy(b.enabled) : true;
  if (given(b.inactive)) out.inactive = copy(b.inactive);
  return out;
}

/** applyHealthDefaults then orderKeys, in one pass; undefined for a key the schema does not know. */
function buildHealth(raw: unknown, protocol: unknown): unknown {
  const base = defaultHealth(typeof protocol === 'string' ? protocol : 'tcp') as unknown as Obj;
  if (!given(raw)) return base;
  if (!isObj(raw)) return copy(raw);
  if (!onlyKnown(raw, HEALTH_FIELDS)) return undefined;
  const out: Obj = {};
  for (const k in HEALTH_FIELDS) {
    const v = raw[k];
    if (k === 'http') {
      if (isObj(v)) {
        const http = leafSection(v, HTTP_FIELDS, { ...DEFAULT_HTTP_CHECK, expect_status: [200] });
        if (!http) return undefined;
        out.http = http;
      } else if (given(v)) out.http = copy(v);
      else if (out.type === 'http' || out.type === 'https') out.http = { ...DEFAULT_HTTP_CHECK, expect_status: [200] };
    } else if (k === 'dns') {
      if (isObj(v)) {
        const dns = leafSection(v, DNS_FIELDS, { record_type: DEFAULT_DNS_RECORD_TYPE });
        if (!dns) return undefined;
        out.dns = dns;
      } else if (given(v)) out.dns = copy(v);
    } else if (given(v)) out[k] = copy(v);
    else if (k in base) out[k] = base[k];
  }
  return out;
}

/** Keys in schema order (then unknown keys as found), so models print the same however they were built. */
function orderKeys(v: unknown, s: Schema | undefined): unknown {
  if (s?.kind === 'array' && Array.isArray(v)) return v.map((x) => orderKeys(x, s.items));
  if (s?.kind !== 'object' || !isObj(v)) return v;
  const out: Obj = {};
  for (const [k, f] of Object.entries(s.fields)) if (k in v) out[k] = orderKeys(v[k], f.schema);
  for (const k of Object.keys(v)) if (!(k in out)) out[k] = v[k];
  return out;
}

/** Deep partial, for callers that build configurations by hand. */
export type DeepPartial<T> = T extends (infer U)[] ? DeepPartial<U>[] : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;
