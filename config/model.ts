// The configuration model: the one shape every part of lbctl reads, edits, validates, stores and compares.
// Field names follow the original LibraFlux YAML (snake_case) so operators' files load unchanged.
// This module holds types and the fixed vocabularies only; defaults live in defaults.ts, checks in validate.ts.

export const PROTOCOLS = ['tcp', 'udp', 'sctp'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'dh', 'sh', 'sed', 'nq', 'fo', 'ovf', 'mh', 'twos'] as const;
export type Scheduler = (typeof SCHEDULERS)[number];

export const SCHEDULER_FLAGS = ['sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'] as const;
export type SchedulerFlag = (typeof SCHEDULER_FLAGS)[number];

export const FORWARDING_METHODS = ['nat', 'dr', 'tunnel'] as const;
export type ForwardingMethod = (typeof FORWARDING_METHODS)[number];

export const TUNNEL_TYPES = ['ipip', 'gue', 'gre'] as const;
export type TunnelType = (typeof TUNNEL_TYPES)[number];

export const HEALTH_TYPES = ['tcp', 'udp_echo', 'http', 'https', 'dns', 'none'] as const;
export type HealthType = (typeof HEALTH_TYPES)[number];

export const HA_SOURCES = ['frr', 'keepalived', 'none'] as const;
export type HaSource = (typeof HA_SOURCES)[number];

/** What the balancer programs while it is VRRP Backup. */
export const HA_PROGRAM_MODES = ['always', 'master-only'] as const;
export type HaProgramMode = (typeof HA_PROGRAM_MODES)[number];
/** GELF transports: udp (compressed, chunked datagrams) or tcp (NUL-terminated JSON on one connection). */
export const GELF_PROTOCOLS = ['udp', 'tcp'] as const;
export type GelfProtocol = (typeof GELF_PROTOCOLS)[number];

/** What a backend that fails its health check becomes: weight 0 (inhibit) or removed from IPVS. */
export const ON_DOWN_ACTIONS = ['inhibit', 'remove'] as const;
export type OnDownAction = (typeof ON_DOWN_ACTIONS)[number];

/** A port or an inclusive range of ports, as written in `ports:` (`80`, `"7543-7814"`). */
export type PortSpec = number | { from: number; to: number };

export interface Backend {
  address: string;
  /** 0 = the service's port. */
  port: number;
  /** 0..2147483647; 0 quiesces. */
  weight: number;
  u_threshold?: number;
  l_threshold?: number;
  enabled: boolean;
  /** `deactivate` (Junos `inactive:`): kept in the configuration, left out of the kernel. Absent = active. */
  inactive?: boolean;
}

export interface HttpCheck {
  path: string;
  method: 'GET' | 'HEAD';
  host?: string;
  expect_status: number[];
  /** Skip TLS certificate verification for https checks. */
  insecure?: boolean;
  /** A substring the response body must contain (only its first 64 KiB are read). */
  body?: string;
  /** https: the TLS server name sent (SNI) and verified; absent = the Host header when it is a name. */
  sni?: string;
}

export const DNS_RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'MX', 'NS', 'SOA', 'TXT', 'SRV', 'PTR'] as const;
export type DnsRecordType = (typeof DNS_RECORD_TYPES)[number];

/** DNS reply codes a check may expect (RFC 1035 §4.1.1, RFC 2136). */
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'] as const;
export type DnsRcode = (typeof DNS_RCODES)[number];

export interface DnsCheck {
  query: string;
  record_type: DnsRecordType;
  /** The reply code that counts as success; absent = NOERROR. */
  rcode?: DnsRcode;
  /** An answer record (of record_type) the reply must hold, written as `dig +short` prints it; absent = any. */
  answer?: string;
}

export interface Health {
  enabled: boolean;
  type: HealthType;
  /** 0 or absent = the backend's port. */
  port?: number;
  interval_ms: number;
  timeout_ms: number;
  fail_after: number;
  recover_after: number;
  /** Text, or bytes written `hex:0a0b…` (see parseCheckBytes in validate.ts). */
  payload?: string;
  /** Same syntax as payload. */
  expect?: string;
  http?: HttpCheck;
  dns?: DnsCheck;
}

export interface Persistence {
  /** Seconds, 1..2678400. */
  timeout: number;
  /** IPv4 dotted mask (255.255.255.0) or IPv6 prefix length (1..128). */
  netmask?: string | number;
}

export interface Forwarding {
  method: ForwardingMethod;
  /** Only with method tunnel. */
  tunnel?: { type: TunnelType; port?: number; csum?: 'nocsum' | 'csum' | 'remcsum' };
}

export interface Service {
  name: string;
  description?: string;
  enabled: boolean;
  /** `deactivate service` (Junos `inactive:`): kept in the configuration, left out of the kernel. Absent = active. */
  inactive?: boolean;
  /** IPv4 or IPv6; absent = the top-level `vip`. Exclusive with fwmark. */
  vip?: string;
  fwmark?: number;
  protocol: Protocol;
  ports: PortSpec[];
  /** The original format's second list of ranges ("7000-7010"); merged with ports when compiled. */
  port_ranges: PortSpec[];
  scheduler: Scheduler;
  scheduler_flags: SchedulerFlag[];
  persistence?: Persistence;
  forwarding: Forwarding;
  u_threshold?: number;
  l_threshold?: number;
  on_down: OnDownAction;
  /**
   * Seconds over which a backend that recovers (down → up) ramps from a fraction of its weight back to all of
   * it, in a few steps; absent or 0 = at once.
   */
  slow_start_s?: number;
  /** The fewest healthy backends the service needs; below it the `sorry` backend is programmed. Absent = 1. */
  quorum?: number;
  /**
   * keepalived's sorry_server: `address` or `address:port` (`[v6]:port`), programmed (alone taking new
   * connections) while fewer than `quorum` backends are healthy, and removed when enough are back.
   */
  sorry?: string;
  backends: Backend[];
  health: Health;
}

export interface VrrpInstance {
  /** A name for logs and the shell. */
  name: string;
  vrid: number;
  /** Parent interface (FRR: the interface carrying `vrrp N`). */
  interface: string;
  /** keepalived: the instance name in its configuration. */
  instance?: string;
  vips: string[];
}

export interface Ha {
  source: HaSource;
  program: HaProgramMode;
  instances: VrrpInstance[];
  /** FRR pathspace (`vtysh -N`), if not the default one. */
  frr_pathspace?: string;
  poll_interval_ms: number;
}

export interface Daemon {
  reconcile_interval_ms: number;
  state_cache: { enabled: boolean; ttl_ms: number };
  limits: {
    /** Upper bound on IPVS services one configuration may expand to (port ranges count one per port). */
    max_services: number;
    max_ports_per_range: number;
  };
  revisions_kept: number;
}

export interface Observability {
  prometheus: { enabled: boolean; bind: string; port: number };
  gelf: { enabled: boolean; host?: string; port: number; facility: string; protocol: GelfProtocol };
  audit: { path: string; max_bytes: number; keep: number };
}

/** The operator's shell (`lbctl shell`, also over SSH: docs/ssh.md). */
export interface SystemSettings {
  /** Idle time after which a shell session leaves configuration mode and disconnects (IOS exec-timeout); 0 = never. */
  exec_timeout_s: number;
  /** Message of the day, shown before the first prompt (IOS `banner motd`). */
  banner_motd?: string;
}

export interface Config {
  node: { name?: string };
  /** Default VIP for every service that names none (the original's one VIP per balancer pair). */
  vip?: string;
  daemon: Daemon;
  ha: Ha;
  observability: Observability;
  system: SystemSettings;
  services: Service[];
}
