// Service mode, `HOST(config-svc-NAME)#`: the fields of one service. Every command has a `no` form that removes
// the setting or puts its default back. modes/display-set.ts renders a service as exactly these commands.
import { isIP } from 'node:net';
import { backendOptions, healthOptions, simpleFieldCommands } from './schema-fields.js';
import { DEFAULT_HTTP_CHECK, DEFAULT_PERSISTENCE_TIMEOUT, defaultHealth } from '../config/defaults.js';
import { DNS_RCODES, FORWARDING_METHODS, HEALTH_TYPES, SCHEDULERS, type DnsRcode, type Health, type PortSpec, type Service } from '../config/model.js';
import type { Args } from '../completion/grammar.js';
import { addPort, editService, findBackend, portText, removePort, setProtocol, upsertBackend } from './edit.js';
import { CommandError, type CommandDef, type ModeContext } from './types.js';

export const HEALTH_KEYWORDS = HEALTH_TYPES.map((t) => t.replace(/_/g, '-'));
export const RECORD_TYPES = ['a', 'aaaa', 'cname', 'mx', 'ns', 'soa', 'txt', 'srv', 'ptr'] as const;

/** One line per IPVS scheduler (ipvsadm(8)). */
const SCHEDULER_HELP: Record<(typeof SCHEDULERS)[number], string> = {
  rr: 'Round robin',
  wrr: 'Weighted round robin',
  lc: 'Least connections',
  wlc: 'Weighted least connections (default)',
  lblc: 'Locality-based least connections',
  lblcr: 'Locality-based least connections with replication',
  dh: 'Destination hashing',
  sh: 'Source hashing',
  sed: 'Shortest expected delay',
  nq: 'Never queue',
  fo: 'Weighted failover',
  ovf: 'Weighted overflow',
  mh: 'Maglev hashing',
  twos: 'Weighted random twos choice',
};

/** The service this mode edits. */
export function serviceName(ctx: ModeContext): string {
  const f = ctx.frames[ctx.frames.length - 1];
  if (f.kind !== 'service') throw new CommandError('% Not in a service.');
  return f.name;
}

function edit(ctx: ModeContext, fn: (s: Service) => string | void): { text?: string } | void {
  let note: string | undefined;
  ctx.setCandidate(
    editService(ctx.candidate(), serviceName(ctx), (s) => {
      const r = fn(s);
      if (typeof r === 'string') note = r;
    }),
  );
  return note !== undefined ? { text: note } : undefined;
}

/** `port P` adds to the service's ports (it never replaces them): said when there were ports already. */
function portAdded(s: Service, port: PortSpec): string | void {
  const had = s.ports.length;
  s.ports = addPort(s.ports, port);
  if (had === 0 || s.ports.length === had) return;
  return `Port ${portText(port)} added: the service's ports are now ${s.ports.map(portText).join(', ')} ('no port ${portText(port)}' takes it out).`;
}

const num = (a: Args, k: string) => a[k] as number | undefined;
const str = (a: Args, k: string) => a[k] as string | undefined;

/** Help shared by service-mode commands. */
export const SERVICE_HELP: Record<string, string> = {
  no: 'Remove a setting or restore its default',
  vip: 'Virtual IP address of the service',
  fwmark: 'Firewall-mark service (instead of vip and ports)',
  protocol: 'Transport protocol',
  tcp: 'TCP',
  udp: 'UDP',
  sctp: 'SCTP',
  port: "Add a port (or range) to the service's ports; 'no port N' removes one",
  'port-range': "Add a range to the original format's port_ranges list",
  scheduler: 'IPVS scheduler',
  'sh-port': 'sh: hash the source port too',
  'sh-fallback': 'sh: fall back to another backend when the chosen one is unavailable',
  'mh-port': 'mh: hash the source port too',
  'mh-fallback': 'mh: fall back to another backend when the chosen one is unavailable',
  persistence: 'Client persistence (sticky sessions)',
  netmask: 'Group clients by network: IPv4 mask or prefix length (24; IPv6: 64)',
  forwarding: 'How packets reach the backends',
  nat: 'Masquerading (NAT)',
  dr: 'Direct routing',
  tunnel: 'IP tunnelling',
  ipip: 'IP-in-IP encapsulation',
  gre: 'GRE encapsulation',
  gue: 'GUE (UDP) encapsulation',
  csum: 'GUE/GRE checksum mode',
  nocsum: 'No checksum',
  remcsum: 'Remote checksum offload',
  backend: 'A real server: ADDRESS port P edits the backend with that address and port, or adds it when there is none',
  disable: 'Keep it configured but not in use',
  enable: 'Put it back in use',
  health: 'Health check of every backend',
  'udp-echo': 'UDP: send a payload, expect a reply',
  http: 'HTTP request',
  https: 'HTTPS request',
  dns: 'DNS query',
  none: 'No check: backends are always up',
  get: 'GET',
  head: 'HEAD',
  description: 'Free text describing the service',
  shutdown: 'Keep the service configured but not programmed',
  sorry: 'Sorry server: serves while fewer than quorum backends are healthy',
  inhibit: 'Weight 0: no new connections',
  remove: 'Removed from IPVS until it recovers',
  ...SCHEDULER_HELP,
  ...Object.fromEntries(RECORD_TYPES.map((r) => [r, `${r.toUpperCase()} record`])),
  ...Object.fromEntries(DNS_RCODES.map((c) => [c.toLowerCase(), `Reply code ${c}`])),
  $vip: 'IPv4 or IPv6 address',
  $fwmark: 'Firewall mark',
  $port: 'Port number (added to those the service has)',
  $description: 'Description text',
};

const HEALTH_OPTIONS = healthOptions();

const BACKEND_OPTIONS = backendOptions('port', 'weight', 'u_threshold', 'l_threshold');
const BACKEND_PORT = backendOptions('port');

export const SERVICE_COMMANDS: CommandDef[] = [
  {
    decl: 'vip ADDRESS',
    help: {},
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        s.vip = str(a, 'vip');
        if (s.fwmark !== undefined) {
          const was = s.fwmark;
          delete s.fwmark;
          return `fwmark ${was} removed: a service has a vip or a fwmark, not both`;
        }
      }),
  },
  { decl: 'no vip', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.vip) },
  {
    decl: 'fwmark <1-4294967295>',
    help: {},
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        s.fwmark = num(a, 'fwmark');
        const notes: string[] = [];
        if (s.vip !== undefined) notes.push(`vip ${s.vip}`);
        if (s.ports.length + s.port_ranges.length > 0) notes.push('ports');
        delete s.vip;
        s.ports = [];
        s.port_ranges = [];
        if (notes.length) return `${notes.join(' and ')} removed: a fwmark service has no vip or ports`;
      }),
  },
  { decl: 'no fwmark', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.fwmark) },
  {
    decl: 'protocol tcp|udp|sctp',
    help: {},
    edits: true,
    run: (a, ctx) => edit(ctx, (s) => setProtocol(s, a.protocol as Service['protocol'])),
  },
  { decl: 'no protocol', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => setProtocol(s, 'tcp')) },
  {
    decl: 'port <1-65535>',
    help: {},
    edits: true,
    run: (a, ctx) => edit(ctx, (s) => portAdded(s, num(a, 'port')!)),
  },
  {
    decl: 'port <1-65535>-<1-65535>',
    help: { '$port': 'Port range FROM-TO (added to the ports the service has)' },
    edits: true,
    run: (a, ctx) => edit(ctx, (s) => portAdded(s, a.port as PortSpec)),
  },
  {
    decl: 'no port [<1-65535>|<1-65535>-<1-65535>]',
    help: { '$port': 'The port or range to remove (all when omitted)' },
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        s.ports = a.port === undefined ? [] : removePort(s.ports, a.port as PortSpec, 'Port');
      }),
  },
  {
    decl: 'port-range <1-65535>|<1-65535>-<1-65535>',
    help: { '$port-range': 'Port range FROM-TO' },
    edits: true,
    run: (a, ctx) => edit(ctx, (s) => void (s.port_ranges = addPort(s.port_ranges, a['port-range'] as PortSpec))),
  },
  {
    decl: 'no port-range [<1-65535>|<1-65535>-<1-65535>]',
    help: { '$port-range': 'The range to remove (all when omitted)' },
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        s.port_ranges = a['port-range'] === undefined ? [] : removePort(s.port_ranges, a['port-range'] as PortSpec, 'Port range');
      }),
  },
  {
    decl: `scheduler ${SCHEDULERS.join('|')} [sh-port] [sh-fallback] [mh-port] [mh-fallback]`,
    help: {},
    edits: true,
    run: (a, ctx, kws) =>
      edit(ctx, (s) => {
        s.scheduler = a.scheduler as Service['scheduler'];
        s.scheduler_flags = (['sh-port', 'sh-fallback', 'mh-port', 'mh-fallback'] as const).filter((f) => kws.includes(f));
      }),
  },
  {
    decl: 'no scheduler',
    help: {},
    edits: true,
    run: (_a, ctx) =>
      edit(ctx, (s) => {
        s.scheduler = 'wlc';
        s.scheduler_flags = [];
      }),
  },
  {
    decl: 'persistence <1-2678400> [netmask A.B.C.D|<1-128>]',
    help: { $persistence: 'Seconds a client sticks to its backend', $netmask: 'IPv4 mask or prefix length (24; IPv6: 64)' },
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const netmask = a.netmask as string | number | undefined;
        const family = s.vip === undefined ? 0 : isIP(s.vip);
        if (family === 4 && typeof netmask === 'number' && netmask > 32)
          throw new CommandError(`% netmask ${netmask}: an IPv4 service takes a prefix length 1-32 or a dotted mask (255.255.255.0).`);
        if (family === 6 && typeof netmask === 'string') throw new CommandError(`% netmask ${netmask}: an IPv6 service takes a prefix length 1-128, not a dotted mask.`);
        s.persistence = { timeout: num(a, 'persistence') ?? DEFAULT_PERSISTENCE_TIMEOUT };
        if (netmask !== undefined) s.persistence.netmask = netmask;
      }),
  },
  { decl: 'no persistence', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.persistence) },
  {
    decl: `forwarding ${FORWARDING_METHODS.filter((m) => m !== 'tunnel').join('|')}`,
    help: {},
    edits: true,
    run: (a, ctx) => edit(ctx, (s) => void (s.forwarding = { method: a.forwarding as 'nat' | 'dr' })),
  },
  {
    decl: 'forwarding tunnel [ipip$type | gre$type | gue$type [port <1-65535>]] [csum nocsum|csum|remcsum]',
    help: { $port: 'GUE: UDP destination port', $csum: 'Checksum mode' },
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const type = a.type as 'ipip' | 'gre' | 'gue' | undefined;
        s.forwarding = { method: 'tunnel' };
        if (type === undefined && a.csum === undefined) return;
        s.forwarding.tunnel = { type: type ?? 'ipip' };
        if (a.port !== undefined) s.forwarding.tunnel!.port = num(a, 'port');
        if (a.csum !== undefined) s.forwarding.tunnel!.csum = a.csum as 'nocsum' | 'csum' | 'remcsum';
      }),
  },
  { decl: 'no forwarding', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void (s.forwarding = { method: 'nat' })) },
  {
    decl: `backend BACKEND ${BACKEND_OPTIONS.decl}`,
    help: BACKEND_OPTIONS.help,
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const { backend: b, note } = upsertBackend(s, str(a, 'backend')!, num(a, 'port'));
        if (a.weight !== undefined) b.weight = num(a, 'weight')!;
        if (a['u-threshold'] !== undefined) b.u_threshold = num(a, 'u-threshold');
        if (a['l-threshold'] !== undefined) b.l_threshold = num(a, 'l-threshold');
        return note;
      }),
  },
  {
    decl: `backend BACKEND ${BACKEND_PORT.decl} disable|enable$state`,
    help: BACKEND_PORT.help,
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const { backend: b, note } = upsertBackend(s, str(a, 'backend')!, num(a, 'port'));
        b.enabled = a.state === 'enable';
        return note;
      }),
  },
  {
    decl: `no backend BACKEND ${BACKEND_PORT.decl}`,
    help: BACKEND_PORT.help,
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const b = findBackend(s, str(a, 'backend')!, num(a, 'port'));
        if (!b) {
          const p = num(a, 'port');
          throw new CommandError(`% Backend ${str(a, 'backend')}${p === undefined ? '' : ` port ${p}`} is not configured.`);
        }
        s.backends = s.backends.filter((x) => x !== b);
      }),
  },
  {
    decl: `no backend BACKEND ${BACKEND_PORT.decl} u-threshold|l-threshold$field`,
    help: { ...BACKEND_PORT.help, 'u-threshold': 'Remove the upper threshold', 'l-threshold': 'Remove the lower threshold' },
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const b = findBackend(s, str(a, 'backend')!, num(a, 'port'));
        if (!b) throw new CommandError(`% Backend ${str(a, 'backend')} is not configured.`);
        delete b[a.field === 'u-threshold' ? 'u_threshold' : 'l_threshold'];
      }),
  },
  {
    decl: 'no health port|expect|payload|host|insecure|body|sni|rcode|answer$field',
    help: {
      health: 'Health check setting',
      port: "Check the backend's port",
      expect: 'Any reply counts as success',
      payload: 'Send no payload',
      host: 'Host header: the backend address',
      insecure: 'Verify HTTPS certificates',
      body: 'Any response body counts',
      sni: 'Send the Host header as the TLS server name',
      rcode: 'NOERROR counts as success',
      answer: 'Any answer counts',
    },
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const h = s.health;
        if (a.field === 'host') delete h.http?.host;
        else if (a.field === 'insecure') delete h.http?.insecure;
        else if (a.field === 'body') delete h.http?.body;
        else if (a.field === 'sni') delete h.http?.sni;
        else if (a.field === 'rcode') delete h.dns?.rcode;
        else if (a.field === 'answer') delete h.dns?.answer;
        else delete h[a.field as 'port' | 'expect' | 'payload'];
      }),
  },
  {
    decl: `health ${HEALTH_KEYWORDS.join('|')} ${HEALTH_OPTIONS.decl}`,
    help: HEALTH_OPTIONS.help,
    edits: true,
    run: (a, ctx, kws) => edit(ctx, (s) => setHealth(s, a, kws)),
  },
  {
    decl: 'health disable|enable$state',
    help: { disable: 'Stop checking: backends are considered up', enable: 'Check the backends' },
    edits: true,
    run: (a, ctx) => edit(ctx, (s) => void (s.health.enabled = a.state === 'enable')),
  },
  {
    decl: 'no health',
    help: { health: 'Health check: back to the default for the protocol' },
    edits: true,
    run: (_a, ctx) => edit(ctx, (s) => void (s.health = defaultHealth(s.protocol))),
  },
  {
    decl: 'description LINE',
    help: {},
    edits: true,
    run: (a, ctx) => edit(ctx, (s) => void (s.description = str(a, 'description'))),
  },
  { decl: 'no description', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.description) },
  { decl: 'shutdown', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void (s.enabled = false)) },
  { decl: 'no shutdown', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void (s.enabled = true)) },
  {
    decl: 'sorry ADDRESS [port <1-65535>]',
    help: {},
    edits: true,
    run: (a, ctx) =>
      edit(ctx, (s) => {
        const address = a.sorry as string;
        const port = a.port as number | undefined;
        s.sorry = port === undefined ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
      }),
  },
  { decl: 'no sorry', help: {}, edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.sorry) },
  ...simpleFieldCommands(edit),
];

/** `health TYPE [options]`: sets the type and every option given; options not given keep their values. */
/** Which check types take each option of `health TYPE …` (the rest take every type). */
const HEALTH_OPTION_TYPES: Record<string, readonly Health['type'][]> = {
  path: ['http', 'https'],
  method: ['http', 'https'],
  host: ['http', 'https'],
  'expect-status': ['http', 'https'],
  insecure: ['http', 'https'],
  body: ['http', 'https'],
  sni: ['https'],
  query: ['dns'],
  'record-type': ['dns'],
  rcode: ['dns'],
  answer: ['dns'],
  expect: ['tcp', 'udp_echo'],
  payload: ['tcp', 'udp_echo'],
};

/**
 * `health TYPE …`: an option the type does not take is refused when typed, not at commit. Changing the type drops
 * the settings only the old type took (they would make the candidate invalid).
 */
function setHealth(s: Service, a: Args, kws: string[]): void {
  const h: Health = s.health;
  const type = (a.health as string).replace(/-/g, '_') as Health['type'];
  for (const [option, types] of Object.entries(HEALTH_OPTION_TYPES))
    if ((a[option] !== undefined || kws.includes(option)) && !types.includes(type))
      throw new CommandError(`% ${option} is a setting of ${types.map((t) => t.replace('_', '-')).join(' or ')} checks, not of ${a.health as string}.`);
  if (type !== h.type) {
    if (type !== 'http' && type !== 'https') delete h.http;
    else if (type === 'http' && h.http) delete h.http.sni;
    if (type !== 'dns') delete h.dns;
    if (type !== 'tcp' && type !== 'udp_echo') {
      delete h.expect;
      delete h.payload;
    }
  }
  h.type = type;
  h.enabled = true;
  if (a.port !== undefined) h.port = a.port as number;
  if (a.interval !== undefined) h.interval_ms = a.interval as number;
  if (a.timeout !== undefined) h.timeout_ms = a.timeout as number;
  if (a['fail-after'] !== undefined) h.fail_after = a['fail-after'] as number;
  if (a['recover-after'] !== undefined) h.recover_after = a['recover-after'] as number;
  if (a.expect !== undefined) h.expect = a.expect as string;
  if (a.payload !== undefined) h.payload = a.payload as string;
  const httpish = h.type === 'http' || h.type === 'https';
  const httpGiven = ['path', 'method', 'host', 'expect-status', 'body', 'sni'].some((k) => a[k] !== undefined) || kws.includes('insecure');
  if (httpish || httpGiven) {
    h.http ??= { ...DEFAULT_HTTP_CHECK, expect_status: [...DEFAULT_HTTP_CHECK.expect_status] };
    if (a.path !== undefined) h.http.path = a.path as string;
    if (a.method !== undefined) h.http.method = (a.method as string).toUpperCase() as 'GET' | 'HEAD';
    if (a.host !== undefined) h.http.host = a.host as string;
    if (a['expect-status'] !== undefined) h.http.expect_status = a['expect-status'] as number[];
    if (kws.includes('insecure')) h.http.insecure = true;
    if (a.body !== undefined) h.http.body = a.body as string;
    if (a.sni !== undefined) h.http.sni = a.sni as string;
  }
  const dnsGiven = ['query', 'record-type', 'rcode', 'answer'].some((k) => a[k] !== undefined);
  if (dnsGiven || h.type === 'dns') {
    if (a.query === undefined && h.dns === undefined) {
      if (h.type === 'dns') throw new CommandError('% A dns check needs a name to resolve: add "query NAME".');
    }
    h.dns ??= { query: '', record_type: 'A' };
    if (a.query !== undefined) h.dns.query = a.query as string;
    if (a['record-type'] !== undefined) h.dns.record_type = (a['record-type'] as string).toUpperCase() as 'A';
    if (a.rcode !== undefined) h.dns.rcode = (a.rcode as string).toUpperCase() as DnsRcode;
    if (a.answer !== undefined) h.dns.answer = a.answer as string;
  }
}

/** Text of a port list for tables. */
export function portsText(s: Service): string {
  const all = [...s.ports, ...s.port_ranges];
  return all.length ? all.map(portText).join(',') : '-';
}
