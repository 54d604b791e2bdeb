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
