// The configuration schema as data: every key, its type, its range and one line saying what it is for.
// One declaration drives validation (validate.ts), the canonical key order of rendered YAML (render.ts),
// the unknown-key hints, the shell's commands with their `?` help, ranges and `display set` lines
// (modes/schema-commands.ts, modes/service-settings.ts) and the reference (docs/config.md), so they cannot drift
// apart. A doc is one sentence with a capital first letter saying what the setting does: the shell shows it as
// is. Cross-field rules (identity, families, …) live in validate.ts, not here.
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
/** The largest TCP/UDP/SCTP port. */
export const PORT_MAX = 65535;
/** The longest prefix of a persistence netmask (IPv6; an IPv4 service takes 1..32, validate.ts). */
export const PREFIX_MAX = 128;
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
  address: { schema: { kind: 'ip', ipvs: 'backend' }, required: true, doc: 'Real server address (IPv4 or IPv6)' },
  port: { schema: int(0, PORT_MAX), doc: 'Real server port; 0 = the port the client connected to (the service port)' },
  weight: { schema: int(0, WEIGHT_MAX), doc: "Scheduler weight: the backend's share of new connections; 0 quiesces it (no new connections)" },
  u_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'Upper connection threshold: no new connections while it has this many; 0 = no limit' },
  l_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'Lower connection threshold: after the upper one was reached, new connections resume below it' },
  enabled: { schema: bool, doc: 'Whether IPVS programs the backend; false (disable) keeps it configured but out of IPVS' },
  inactive: { schema: bool, doc: 'Deactivated when true (Junos inactive:): kept in the configuration, left out of the kernel' },
});

export const HEALTH_SCHEMA = obj({
  enabled: { schema: bool, doc: 'Run the check; false = backends are always considered up' },
  type: { schema: enumOf(HEALTH_TYPES), doc: 'Check kind: tcp (connect), udp_echo, http, https, dns or none' },
  port: { schema: int(0, PORT_MAX), doc: "Port to check; 0 or absent = the backend's port" },
  interval_ms: { schema: int(100, 3600000), doc: 'Milliseconds between two checks of one backend' },
  timeout_ms: { schema: int(10, 3600000), doc: 'Milliseconds one check may take (less than the interval)' },
  fail_after: { schema: int(1, 100), doc: 'Consecutive failures that mark a backend down' },
  recover_after: { schema: int(1, 100), doc: 'Consecutive successes that mark a down backend up' },
  payload: { schema: str, doc: 'Bytes sent by udp_echo (and optionally tcp) checks: text, or hex:0a0b… for bytes' },
  expect: { schema: str, doc: 'What the reply must contain (udp_echo, tcp), text or hex:…; absent = any reply' },
  http: {
    schema: obj({
      path: { schema: { kind: 'string', nonEmpty: true }, doc: 'HTTP request path' },
      method: { schema: enumOf(['GET', 'HEAD']), doc: 'HTTP request method' },
      host: { schema: str, doc: 'Host header; absent = the backend address' },
      expect_status: { schema: list(int(100, 599), true), doc: 'HTTP status codes that count as success' },
      insecure: { schema: bool, doc: 'HTTPS: skip certificate verification' },
      body: { schema: { kind: 'string', nonEmpty: true, maxLength: 1024 }, doc: 'A substring the body must contain (the first 64 KiB are read); absent = not checked' },
      sni: {
        schema: { kind: 'string', pattern: HOST_NAME_PATTERN, maxLength: 253 },
        doc: 'HTTPS: TLS server name (SNI, and the name the certificate must match); absent = the Host header if it is a name',
      },
    }),
    doc: 'HTTP and HTTPS check settings',
  },
  dns: {
    schema: obj({
      query: { schema: { kind: 'string', nonEmpty: true }, required: true, doc: 'Name to resolve' },
      record_type: { schema: enumOf(DNS_RECORD_TYPES), doc: 'DNS record type to ask for' },
      rcode: { schema: enumOf(DNS_RCODES), doc: 'Reply code that counts as success; absent = NOERROR' },
      answer: { schema: { kind: 'string', nonEmpty: true }, doc: 'An answer the reply must hold, as dig +short prints it (192.0.2.1, 10 mx.example.); absent = any' },
    }),
    doc: 'DNS check settings',
  },
});

export const SERVICE_SCHEMA = obj({
  name: {
    schema: { kind: 'string', pattern: NAME_PATTERN, maxLength: NAME_MAX },
    required: true,
    doc: 'Unique service name: letters, digits, _ and -, at most 64 characters',
  },
  description: { schema: str, doc: 'Free text describing the service' },
  enabled: { schema: bool, doc: 'Whether IPVS programs the service; false (shutdown) keeps it configured but not programmed' },
  inactive: { schema: bool, doc: 'Deactivated when true (Junos inactive:): kept in the configuration, left out of the kernel' },
  vip: { schema: { kind: 'ip', ipvs: 'vip' }, doc: 'Virtual IP address (IPv4 or IPv6); absent = the top-level vip. Exclusive with fwmark' },
  fwmark: { schema: int(1, FWMARK_MAX), doc: 'Firewall mark the service matches instead of a vip and ports. Exclusive with vip' },
  protocol: { schema: enumOf(PROTOCOLS), doc: 'Transport protocol: tcp, udp or sctp' },
  ports: { schema: list({ kind: 'port-spec' }), doc: 'Ports and port ranges the service listens on: [80, 443, 7543-7814]' },
  port_ranges: { schema: list({ kind: 'port-spec' }), doc: "The original format's extra list of port ranges; merged with ports" },
  scheduler: { schema: enumOf(SCHEDULERS), doc: 'IPVS scheduler: how a backend is picked for a new connection' },
  scheduler_flags: { schema: list(enumOf(SCHEDULER_FLAGS)), doc: 'Scheduler flags: sh-port, sh-fallback (sh); mh-port, mh-fallback (mh)' },
  persistence: {
    schema: obj({
      timeout: { schema: int(1, PERSISTENCE_MAX), doc: 'Seconds a client sticks to its backend' },
      netmask: { schema: { kind: 'netmask' }, doc: 'Groups clients by network: IPv4 mask 255.255.255.0 or prefix length (24; IPv6: 64)' },
    }),
    doc: 'Client persistence (ipvsadm -p): a client sticks to one backend',
  },
  forwarding: {
    schema: obj({
      method: { schema: enumOf(FORWARDING_METHODS), doc: 'Forwarding method: nat (masquerade), dr (direct routing) or tunnel' },
      tunnel: {
        schema: obj({
          type: { schema: enumOf(TUNNEL_TYPES), doc: 'Tunnel encapsulation: ipip, gue or gre' },
          port: { schema: int(1, PORT_MAX), doc: 'GUE: UDP destination port (required for gue)' },
          csum: { schema: enumOf(['nocsum', 'csum', 'remcsum']), doc: 'GUE/GRE checksum mode (remcsum: gue only)' },
        }),
        doc: 'Tunnel options (method tunnel only)',
      },
    }),
    doc: 'How packets reach the backends',
  },
  u_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'Upper connection threshold of the backends that set none' },
  l_threshold: { schema: int(0, THRESHOLD_MAX), doc: 'Lower connection threshold of the backends that set none' },
  on_down: { schema: enumOf(ON_DOWN_ACTIONS), doc: 'What a failed backend gets: weight 0 (inhibit) or removal from IPVS (remove)' },
  slow_start_s: { schema: int(0, 3600), doc: 'Seconds over which a recovered backend ramps back to its weight, in steps; absent or 0 = at once' },
  quorum: { schema: int(1, 65535), doc: 'Fewest healthy backends; below it the sorry backend is programmed (absent = 1)' },
  sorry: {
    schema: { kind: 'string', nonEmpty: true, maxLength: 64 },
    doc: "Sorry server (keepalived's sorry_server): address or address:port ([v6]:port), serves while fewer than quorum backends are healthy",
  },
  backends: { schema: list(BACKEND_SCHEMA), doc: 'Real servers' },
  health: { schema: HEALTH_SCHEMA, doc: 'Health check of every backend' },
});

export const CONFIG_SCHEMA = obj({
  node: {
    schema: obj({ name: { schema: { kind: 'string', pattern: HOST_NAME_PATTERN, maxLength: NAME_MAX }, doc: "This balancer's name (the shell prompt); absent = the host name" } }),
    doc: 'This node',
  },
  vip: { schema: { kind: 'ip', ipvs: 'vip' }, doc: 'Default VIP for every service that names none' },
  daemon: {
    schema: obj({
      reconcile_interval_ms: { schema: int(100, 3600000), doc: 'Full kernel read that heals unannounced drift' },
      state_cache: {
        schema: obj({
          enabled: { schema: bool, doc: 'Cache the kernel dump between reconciles' },
          ttl_ms: { schema: int(0, 3600000), doc: 'Age after which the cache is read again' },
        }),
        doc: 'Kernel state cache',
      },
      limits: {
        schema: obj({
          max_services: { schema: int(1, 1000000), doc: 'IPVS services the configuration may expand to (each port of a range counts)' },
          max_ports_per_range: { schema: int(1, 65535), doc: 'Largest port range one entry may hold' },
        }),
        doc: 'Guards against a typo that expands to thousands of services',
      },
      revisions_kept: { schema: int(50, 100000), doc: 'Committed revisions kept for rollback (at least 50)' },
    }),
    doc: 'The reconcile daemon',
  },
  ha: {
    schema: obj({
      source: { schema: enumOf(HA_SOURCES), doc: 'Where VRRP state comes from: frr, keepalived or none' },
      program: { schema: enumOf(HA_PROGRAM_MODES), doc: 'On Backup: program IPVS anyway (always) or only as Master (master-only)' },
      instances: {
        schema: list(
          obj({
            name: { schema: { kind: 'string', pattern: NAME_PATTERN, maxLength: NAME_MAX }, required: true, doc: 'Instance name for logs and the shell' },
            vrid: { schema: int(1, 255), required: true, doc: 'VRRP virtual router id' },
            interface: { schema: { kind: 'string', nonEmpty: true, maxLength: 15 }, required: true, doc: 'Interface carrying the VRRP instance' },
            instance: { schema: { kind: 'string', nonEmpty: true }, doc: "Keepalived: the vrrp_instance's name" },
            vips: { schema: list({ kind: 'ip' }), doc: 'Addresses this instance holds' },
          }),
        ),
        doc: 'VRRP instances watched',
      },
      frr_pathspace: { schema: { kind: 'string', nonEmpty: true }, doc: 'FRR pathspace (vtysh -N) if not the default' },
      poll_interval_ms: { schema: int(100, 3600000), doc: 'VRRP state poll period (events are used when available)' },
    }),
    doc: 'High availability (VRRP)',
  },
  observability: {
    schema: obj({
      prometheus: {
        schema: obj({
          enabled: { schema: bool, doc: 'Serve /metrics' },
          bind: { schema: { kind: 'ip' }, doc: 'Listen address' },
          port: { schema: int(1, 65535), doc: 'Listen port' },
        }),
        doc: 'Prometheus exporter',
      },
      gelf: {
        schema: obj({
          enabled: { schema: bool, doc: 'Send logs as GELF (docs/logging.md)' },
          host: { schema: { kind: 'string', nonEmpty: true }, doc: 'GELF collector host (required when enabled)' },
          port: { schema: int(1, 65535), doc: 'GELF collector port (UDP or TCP, see protocol)' },
          facility: { schema: { kind: 'string', nonEmpty: true }, doc: 'GELF facility field' },
          protocol: { schema: enumOf(GELF_PROTOCOLS), doc: 'UDP: gzip, chunked datagrams; TCP: one connection, NUL-terminated JSON' },
        }),
        doc: 'GELF logging',
      },
      audit: {
        schema: obj({
          path: { schema: { kind: 'string', nonEmpty: true }, doc: 'Append-only JSON lines audit trail' },
          max_bytes: { schema: int(0, 1099511627776), doc: 'Rotate the trail (and the confirm guard log) when it reaches this size; 0 = never' },
          keep: { schema: int(1, 1000), doc: 'Rotated segments kept (all but the newest gzip-compressed)' },
        }),
        doc: 'Audit trail',
      },
    }),
    doc: 'Metrics, logs, audit',
  },
  system: {
    schema: obj({
      exec_timeout_s: {
        schema: int(0, EXEC_TIMEOUT_MAX),
        doc: 'Idle seconds after which a shell session leaves configuration mode and disconnects (IOS exec-timeout); 0 = never',
      },
      banner_motd: { schema: { kind: 'string', maxLength: 4096 }, doc: 'Message of the day, shown before the first prompt of the shell' },
    }),
    doc: "The operator's shell (lbctl shell, locally or over SSH)",
  },
  services: { schema: list(SERVICE_SCHEMA), doc: 'Virtual services (config.yaml and config.d/*.yaml)' },
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
