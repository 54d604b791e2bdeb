// The configuration schema as data: every key, its type, its range and one line saying what it is for.
// One declaration drives validation (validate.ts), the canonical key order of rendered YAML (render.ts),
// the unknown-key hints, and is meant for the shell's configure mode (modes/) and the reference (docs/config.md),
// so they cannot drift apart. Cross-field rules (identity, families, …) live in validate.ts, not here.
import {
  DNS_RCODES,
  DNS_RECORD_TYPES,
  FORWARDING_METHODS,
  GELF_PROTOCOLS,
  HA_PROGRAM_MODES,
  HA_SOURCES,
  HEALTH_TYPES,
  ON_DOWN_ACTIONS,
  PROTOCOLS,
  SCHEDULER_FLAGS,
  SCHEDULERS,
  TUNNEL_TYPES,
} from './model.js';

export const NAME_PATTERN = /^[A-Za-z0-9_-]+$/;
export const NAME_MAX = 64;
/** A node name may also hold dots (a host name). */
export const HOST_NAME_PATTERN = /^[A-Za-z0-9._-]+$/;
export const WEIGHT_MAX = 2147483647;
/**
 * IPVS stores thresholds as u32, but the kernel refuses any above INT_MAX with EINVAL (ipvsadm: "illegal
 * u_threshold"): what validate accepts, the kernel must accept.
 */
export const THRESHOLD_MAX = 2147483647;
export const FWMARK_MAX = 4294967295;
/** ipvsadm's limit for -p: one month. */
export const PERSISTENCE_MAX = 2678400;
/** IOS accepts up to 35791 minutes; a day is plenty for an idle shell. */
export const EXEC_TIMEOUT_MAX = 86400;

export type Schema =
  | { kind: 'object'; fields: Record<string, Field> }
  | { kind: 'array'; items: Schema; nonEmpty?: boolean }
  | { kind: 'int'; min: number; max: number }
  | { kind: 'bool' }
  | { kind: 'string'; pattern?: RegExp; maxLength?: number; nonEmpty?: boolean }
  | { kind: 'enum'; values: readonly string[] }
  /**
   * IPv4 or IPv6 address (node:net isIP), never with a zone id. `ipvs`: IPVS programs it (a VIP or a backend), so
   * broadcast, multicast, unspecified and IPv4-mapped addresses are refused too (validate.ts ipvsAddressProblem).
   */
  | { kind: 'ip'; ipvs?: 'vip' | 'backend' }
  /** A port (1..65535) or an inclusive range { from, to }, written `80` or `7543-7814`. */
  | { kind: 'port-spec' }
  /** IPv4 dotted mask, or a prefix length 1..128 (validate.ts checkPersistence: 1..32 for an IPv4 service). */
  | { kind: 'netmask' };

export interface Field {
  schema: Schema;
  /** Must be present (after defaults). */
  required?: boolean;
  doc: string;
}

const int = (min: number, max: number): Schema => ({ kind: 'int', min, max });
const bool: Schema = { kind: 'bool' };
const enumOf = (values: readonly string[]): Schema => ({ kind: 'enum', values });
const str: Schema = { kind: 'string' };
const obj = (fields: Record<string, Field>): Schema => ({ kind: 'object', fields });
const list = (items: Schema, nonEmpty = false): Schema => ({ kind: 'array', items, nonEmpty });

export const BACKEND_SCHEMA = obj({
  address: { schema: { kind: 'ip', ipvs: 'backend' }, required: true, doc: 'real server address (IPv4 or IPv6)' },
  port: { schema: int(0, 65535), doc: 'real server port; 0 = the port the client connected to (the service port)' },
  weight: { schema: int(0, WEIGHT_MAX), doc: 'scheduler weight; 0 quiesces (no new connections)' },
  u_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'upper connection threshold; 0 = no limit' },
  l_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'lower connection threshold (resume below it)' },
  enabled: { schema: bool, doc: 'false = not programmed into IPVS at all' },
  inactive: { schema: bool, doc: 'true = deactivated (Junos inactive:): kept in the configuration, left out of the kernel' },
});

export const HEALTH_SCHEMA = obj({
  enabled: { schema: bool, doc: 'run the check; false = backends are always considered up' },
  type: { schema: enumOf(HEALTH_TYPES), doc: 'check kind: tcp connect, udp_echo, http, https, dns, none' },
  port: { schema: int(0, 65535), doc: "port to check; 0 or absent = the backend's port" },
  interval_ms: { schema: int(100, 3600000), doc: 'time between checks of one backend' },
  timeout_ms: { schema: int(10, 3600000), doc: 'time one check may take (must be less than interval_ms)' },
  fail_after: { schema: int(1, 100), doc: 'consecutive failures that mark a backend down' },
  recover_after: { schema: int(1, 100), doc: 'consecutive successes that mark a down backend up' },
  payload: { schema: str, doc: 'bytes sent by udp_echo (and optionally tcp) checks: text, or hex:0a0b… for bytes' },
  expect: { schema: str, doc: 'what the reply must contain (udp_echo, tcp), text or hex:…; absent = any reply' },
  http: {
    schema: obj({
      path: { schema: { kind: 'string', nonEmpty: true }, doc: 'request path' },
      method: { schema: enumOf(['GET', 'HEAD']), doc: 'request method' },
      host: { schema: str, doc: 'Host header; absent = the backend address' },
      expect_status: { schema: list(int(100, 599), true), doc: 'status codes that count as success' },
      insecure: { schema: bool, doc: 'https: skip certificate verification' },
      body: { schema: { kind: 'string', nonEmpty: true, maxLength: 1024 }, doc: 'a substring the body must contain (the first 64 KiB are read); absent = not checked' },
      sni: {
        schema: { kind: 'string', pattern: HOST_NAME_PATTERN, maxLength: 253 },
        doc: 'https: TLS server name (SNI, and the name the certificate must match); absent = the Host header if it is a name',
      },
    }),
    doc: 'http/https check settings',
  },
  dns: {
    schema: obj({
      query: { schema: { kind: 'string', nonEmpty: true }, required: true, doc: 'name to resolve' },
      record_type: { schema: enumOf(DNS_RECORD_TYPES), doc: 'record type to ask for' },
      rcode: { schema: enumOf(DNS_RCODES), doc: 'reply code that counts as success; absent = NOERROR' },
      answer: { schema: { kind: 'string', nonEmpty: true }, doc: 'an answer the reply must hold, as dig +short prints it (192.0.2.1, 10 mx.example.); absent = any' },
    }),
    doc: 'dns check settings',
  },
});

export const SERVICE_SCHEMA = obj({
  name: {
    schema: { kind: 'string', pattern: NAME_PATTERN, maxLength: NAME_MAX },
    required: true,
    doc: 'unique service name: letters, digits, _ and -, at most 64 characters',
  },
  description: { schema: str, doc: 'free text' },
  enabled: { schema: bool, doc: 'false = the service is kept in the configuration but not programmed' },
  inactive: { schema: bool, doc: 'true = deactivated (Junos inactive:): kept in the configuration, left out of the kernel' },
  vip: { schema: { kind: 'ip', ipvs: 'vip' }, doc: 'virtual IP (IPv4 or IPv6); absent = the top-level vip. Exclusive with fwmark' },
  fwmark: { schema: int(1, FWMARK_MAX), doc: 'firewall-mark service instead of vip+ports. Exclusive with vip' },
  protocol: { schema: enumOf(PROTOCOLS), doc: 'tcp, udp or sctp' },
  ports: { schema: list({ kind: 'port-spec' }), doc: 'ports and ranges: [80, 443, 7543-7814]' },
  port_ranges: { schema: list({ kind: 'port-spec' }), doc: "the original format's extra list of ranges; merged with ports" },
  scheduler: { schema: enumOf(SCHEDULERS), doc: 'IPVS scheduler' },
  scheduler_flags: { schema: list(enumOf(SCHEDULER_FLAGS)), doc: 'sh-port, sh-fallback (sh); mh-port, mh-fallback (mh)' },
  persistence: {
    schema: obj({
      timeout: { schema: int(1, PERSISTENCE_MAX), doc: 'seconds a client sticks to its backend' },
      netmask: { schema: { kind: 'netmask' }, doc: 'group clients: IPv4 mask 255.255.255.0 or prefix length (24; IPv6: 64)' },
    }),
    doc: 'client persistence (ipvsadm -p)',
  },
  forwarding: {
    schema: obj({
      method: { schema: enumOf(FORWARDING_METHODS), doc: 'nat (masquerade), dr (direct routing) or tunnel' },
      tunnel: {
        schema: obj({
          type: { schema: enumOf(TUNNEL_TYPES), doc: 'ipip, gue or gre' },
          port: { schema: int(1, 65535), doc: 'gue: UDP destination port (required for gue)' },
          csum: { schema: enumOf(['nocsum', 'csum', 'remcsum']), doc: 'gue/gre checksum mode (remcsum: gue only)' },
        }),
        doc: 'tunnel options (method tunnel only)',
      },
    }),
    doc: 'how packets reach the backends',
  },
  u_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'default upper connection threshold for backends' },
  l_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'default lower connection threshold for backends' },
  on_down: { schema: enumOf(ON_DOWN_ACTIONS), doc: 'a failed backend gets weight 0 (inhibit) or is removed' },
  slow_start_s: { schema: int(0, 3600), doc: 'a recovered backend ramps back to its weight over this many seconds, in steps; absent or 0 = at once' },
  quorum: { schema: int(1, 65535), doc: 'fewest healthy backends; below it the sorry backend is programmed (absent = 1)' },
  sorry: {
    schema: { kind: 'string', nonEmpty: true, maxLength: 64 },
    doc: "sorry server (keepalived's sorry_server): address or address:port ([v6]:port), serves while fewer than quorum backends are healthy",
  },
  backends: { schema: list(BACKEND_SCHEMA), doc: 'real servers' },
  health: { schema: HEALTH_SCHEMA, doc: 'health check of every backend' },
});

export const CONFIG_SCHEMA = obj({
  node: {
    schema: obj({ name: { schema: { kind: 'string', pattern: HOST_NAME_PATTERN, maxLength: NAME_MAX }, doc: "this balancer's name (the shell prompt); absent = the host name" } }),
    doc: 'this node',
  },
  vip: { schema: { kind: 'ip', ipvs: 'vip' }, doc: 'default VIP for every service that names none' },
  daemon: {
    schema: obj({
      reconcile_interval_ms: { schema: int(100, 3600000), doc: 'full kernel read that heals unannounced drift' },
      state_cache: {
        schema: obj({
          enabled: { schema: bool, doc: 'cache the kernel dump between reconciles' },
          ttl_ms: { schema: int(0, 3600000), doc: 'age after which the cache is read again' },
        }),
        doc: 'kernel state cache',
      },
      limits: {
        schema: obj({
          max_services: { schema: int(1, 1000000), doc: 'IPVS services the configuration may expand to (each port of a range counts)' },
          max_ports_per_range: { schema: int(1, 65535), doc: 'largest port range one entry may hold' },
        }),
        doc: 'guards against a typo that expands to thousands of services',
      },
      revisions_kept: { schema: int(50, 100000), doc: 'committed revisions kept for rollback (at least 50)' },
    }),
    doc: 'the reconcile daemon',
  },
  ha: {
    schema: obj({
      source: { schema: enumOf(HA_SOURCES), doc: 'where VRRP state comes from: frr, keepalived or none' },
      program: { schema: enumOf(HA_PROGRAM_MODES), doc: 'on Backup: program IPVS anyway (always) or only as Master (master-only)' },
      instances: {
        schema: list(
          obj({
            name: { schema: { kind: 'string', pattern: NAME_PATTERN, maxLength: NAME_MAX }, required: true, doc: 'instance name for logs and the shell' },
            vrid: { schema: int(1, 255), required: true, doc: 'VRRP virtual router id' },
            interface: { schema: { kind: 'string', nonEmpty: true, maxLength: 15 }, required: true, doc: 'interface carrying the VRRP instance' },
            instance: { schema: { kind: 'string', nonEmpty: true }, doc: "keepalived: the vrrp_instance's name" },
            vips: { schema: list({ kind: 'ip' }), doc: 'addresses this instance holds' },
          }),
        ),
        doc: 'VRRP instances watched',
      },
      frr_pathspace: { schema: { kind: 'string', nonEmpty: true }, doc: 'FRR pathspace (vtysh -N) if not the default' },
      poll_interval_ms: { schema: int(100, 3600000), doc: 'VRRP state poll period (events are used when available)' },
    }),
    doc: 'high availability (VRRP)',
  },
  observability: {
    schema: obj({
      prometheus: {
        schema: obj({
          enabled: { schema: bool, doc: 'serve /metrics' },
          bind: { schema: { kind: 'ip' }, doc: 'listen address' },
          port: { schema: int(1, 65535), doc: 'listen port' },
        }),
        doc: 'Prometheus exporter',
      },
      gelf: {
        schema: obj({
          enabled: { schema: bool, doc: 'send logs as GELF (docs/logging.md)' },
          host: { schema: { kind: 'string', nonEmpty: true }, doc: 'GELF collector host (required when enabled)' },
          port: { schema: int(1, 65535), doc: 'GELF collector port (UDP or TCP, see protocol)' },
          facility: { schema: { kind: 'string', nonEmpty: true }, doc: 'GELF facility field' },
          protocol: { schema: enumOf(GELF_PROTOCOLS), doc: 'udp: gzip, chunked datagrams; tcp: one connection, NUL-terminated JSON' },
        }),
        doc: 'GELF logging',
      },
      audit: {
        schema: obj({
          path: { schema: { kind: 'string', nonEmpty: true }, doc: 'append-only JSON lines audit trail' },
          max_bytes: { schema: int(0, 1099511627776), doc: 'rotate the trail (and the confirm guard log) when it reaches this size; 0 = never' },
          keep: { schema: int(1, 1000), doc: 'rotated segments kept (all but the newest gzip-compressed)' },
        }),
        doc: 'audit trail',
      },
    }),
    doc: 'metrics, logs, audit',
  },
  system: {
    schema: obj({
      exec_timeout_s: {
        schema: int(0, EXEC_TIMEOUT_MAX),
        doc: 'idle seconds after which a shell session leaves configuration mode and disconnects (IOS exec-timeout); 0 = never',
      },
      banner_motd: { schema: { kind: 'string', maxLength: 4096 }, doc: 'message of the day, shown before the first prompt of the shell' },
    }),
    doc: "the operator's shell (lbctl shell, locally or over SSH)",
  },
  services: { schema: list(SERVICE_SCHEMA), doc: 'virtual services (config.yaml and config.d/*.yaml)' },
});

/** The top-level keys, in canonical order. */
export const TOP_LEVEL_KEYS = Object.keys((CONFIG_SCHEMA as { fields: Record<string, Field> }).fields);

/** The fields of an object schema (throws on anything else: a programming error). */
export function fieldsOf(schema: Schema): Record<string, Field> {
  if (schema.kind !== 'object') throw new Error(`not an object schema: ${schema.kind}`);
  return schema.fields;
}

/** The schema of a model path (array indices skipped), or undefined when the path leaves the schema. */
export function schemaAt(path: readonly (string | number)[], root: Schema = CONFIG_SCHEMA): Schema | undefined {
  let s: Schema | undefined = root;
  for (const seg of path) {
    if (s === undefined) return undefined;
    if (s.kind === 'array') {
      if (typeof seg !== 'number') return undefined;
      s = s.items;
    } else if (s.kind === 'object') {
      if (typeof seg !== 'string') return undefined;
      s = s.fields[seg]?.schema;
    } else return undefined;
  }
  return s;
}
