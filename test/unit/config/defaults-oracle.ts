// The generic applyDefaults as it was before services got a one-pass builder (config/defaults.ts before issue 13's
// load work): clone the input, drop nulls, fill the defaults, put keys in schema order. Kept here as the oracle of
// defaults-fast.test.ts: the builder must give exactly this model, key order included.
import { defaultBackend, defaultConfig, defaultHealth, defaultService, DEFAULT_DNS_RECORD_TYPE, DEFAULT_HTTP_CHECK, DEFAULT_PERSISTENCE_TIMEOUT, DEFAULT_TUNNEL_TYPE } from '../../../config/defaults.js';
import { BACKEND_SCHEMA, CONFIG_SCHEMA, HEALTH_SCHEMA, SERVICE_SCHEMA, schemaAt, type Schema } from '../../../config/schema.js';
import { parsePortText } from '../../../config/derive.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function fill(target: unknown, defaults: Obj): unknown {
  if (target === undefined || target === null) return structuredClone(defaults);
  if (!isObj(target)) return target;
  const out: Obj = { ...target };
  for (const [k, d] of Object.entries(defaults)) {
    const v = out[k];
    if (v === undefined || v === null) out[k] = structuredClone(d);
    else if (isObj(d) && isObj(v)) out[k] = fill(v, d);
  }
  return out;
}

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

export function oracleApplyDefaults(partial: unknown): unknown {
  const base = defaultConfig() as unknown as Obj;
  let input: unknown = partial;
  try {
    input = structuredClone(partial);
  } catch {
    /* as is */
  }
  const out = fill(dropNulls(input, CONFIG_SCHEMA), base) as Obj;
  if (!isObj(out)) return out;
  if (isObj(out.ha) && Array.isArray(out.ha.instances)) {
    out.ha = { ...out.ha, instances: out.ha.instances.map((i) => (isObj(i) ? fill(dropNulls(i, VRRP_INSTANCE_SCHEMA), { vips: [] }) : i)) };
  }
  if (Array.isArray(out.services)) out.services = out.services.map(applyServiceDefaults);
  return orderKeys(out, CONFIG_SCHEMA);
}

function orderKeys(v: unknown, s: Schema | undefined): unknown {
  if (s?.kind === 'array' && Array.isArray(v)) return v.map((x) => orderKeys(x, s.items));
  if (s?.kind !== 'object' || !isObj(v)) return v;
  const out: Obj = {};
  for (const [k, f] of Object.entries(s.fields)) if (k in v) out[k] = orderKeys(v[k], f.schema);
  for (const k of Object.keys(v)) if (!(k in out)) out[k] = v[k];
  return out;
}
