// Every setting of a service in service mode, in the order `display set` writes them: each brings its commands,
// the help and ranges of their words (from config/schema.ts) and its `display set` lines, so one entry of
// SERVICE_SETTINGS is all a new setting needs. Fields edited alone are generated (modes/schema-fields.ts);
// the handlers written here are the edits that touch several fields: vip/fwmark exclude each other, the protocol
// carries the default health check along, ports add to a list, the scheduler takes its flags, persistence its
// netmask, forwarding its tunnel, sorry an address and a port, and `backend` edits or adds.
import { isIP } from 'node:net';
import { DEFAULT_PERSISTENCE_TIMEOUT, defaultService } from '../config/defaults.js';
import { FORWARDING_METHODS, SCHEDULER_FLAGS, type Backend, type PortSpec, type Service } from '../config/model.js';
import { PORT_MAX, PREFIX_MAX } from '../config/schema.js';
import { parseSorry } from '../config/validate.js';
import { quoteWord } from '../completion/words.js';
import type { Args } from '../completion/grammar.js';
import { addPort, findBackend, portText, removePort, setProtocol, upsertBackend } from './edit.js';
import { flagSetting, unit, valueSetting, wordDecl, wordHelp, type FieldWord, type ServiceSetting, type ServiceUnit } from './schema-fields.js';
import { HEALTH_SETTING } from './service-health.js';
import { editCurrentService as edit } from './service-edit.js';
import { CommandError } from './types.js';

const num = (a: Args, k: string) => a[k] as number | undefined;
const str = (a: Args, k: string) => a[k] as string | undefined;

/** A description as LINE reads it back: raw unless blanks at its ends, a leading quote or a `;` need quoting. */
function descriptionText(d: unknown): string {
  const t = d as string;
  return t === '' || /^\s|\s$|^"|;/.test(t) ? quoteWord(t) : t;
}

const VIP_WORDS = [{ word: 'vip', path: ['vip'] }];
const VIP: ServiceSetting = {
  words: VIP_WORDS,
  commands: [
    {
      decl: 'vip ADDRESS',
      help: wordHelp(VIP_WORDS),
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
    { decl: 'no vip', help: wordHelp(VIP_WORDS), edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.vip) },
  ],
  units: (s) => (s.vip === undefined ? [] : [unit('vip', `vip ${s.vip}`)]),
};

const FWMARK_WORDS = [{ word: 'fwmark', path: ['fwmark'] }];
const FWMARK: ServiceSetting = {
  words: FWMARK_WORDS,
  commands: [
    {
      decl: wordDecl(FWMARK_WORDS[0]),
      help: wordHelp(FWMARK_WORDS),
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
    { decl: 'no fwmark', help: wordHelp(FWMARK_WORDS), edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.fwmark) },
  ],
  units: (s) => (s.fwmark === undefined ? [] : [unit('fwmark', `fwmark ${s.fwmark}`)]),
};

const PROTOCOL_WORDS = [{ word: 'protocol', path: ['protocol'] }];
const PROTOCOL: ServiceSetting = {
  words: PROTOCOL_WORDS,
  commands: [
    {
      decl: wordDecl(PROTOCOL_WORDS[0]),
      help: wordHelp(PROTOCOL_WORDS),
      edits: true,
      run: (a, ctx) => edit(ctx, (s) => setProtocol(s, a.protocol as Service['protocol'])),
    },
    { decl: 'no protocol', help: wordHelp(PROTOCOL_WORDS), edits: true, run: (_a, ctx) => edit(ctx, (s) => setProtocol(s, 'tcp')) },
  ],
  units: (s) => (s.protocol === 'tcp' ? [] : [unit('protocol', `protocol ${s.protocol}`)]),
};

/** A port or a range FROM-TO (the `port-spec` of the schema). */
const PORT_SPEC = `<1-${PORT_MAX}>|<1-${PORT_MAX}>-<1-${PORT_MAX}>`;

/** `port P` adds to the service's ports (it never replaces them): said when there were ports already. */
function portAdded(s: Service, port: PortSpec): string | void {
  const had = s.ports.length;
  s.ports = addPort(s.ports, port);
  if (had === 0 || s.ports.length === had) return;
  return `Port ${portText(port)} added: the service's ports are now ${s.ports.map(portText).join(', ')} ('no port ${portText(port)}' takes it out).`;
}

const PORT_WORDS = [{ word: 'port', path: ['ports'] }];
const PORTS: ServiceSetting = {
  words: PORT_WORDS,
  commands: [
    {
      decl: `port <1-${PORT_MAX}>`,
      help: { ...wordHelp(PORT_WORDS), $port: 'Port number (added to those the service has)' },
      edits: true,
      run: (a, ctx) => edit(ctx, (s) => portAdded(s, num(a, 'port')!)),
    },
    {
      decl: `port <1-${PORT_MAX}>-<1-${PORT_MAX}>`,
      help: { ...wordHelp(PORT_WORDS), $port: 'Port range FROM-TO (added to the ports the service has)' },
      edits: true,
      run: (a, ctx) => edit(ctx, (s) => portAdded(s, a.port as PortSpec)),
    },
    {
      decl: `no port [${PORT_SPEC}]`,
      help: { ...wordHelp(PORT_WORDS), $port: 'The port or range to remove (all when omitted)' },
      edits: true,
      run: (a, ctx) =>
        edit(ctx, (s) => {
          s.ports = a.port === undefined ? [] : removePort(s.ports, a.port as PortSpec, 'Port');
        }),
    },
  ],
  units: (s) => s.ports.map((p) => unit(`port ${portText(p)}`, `port ${portText(p)}`)),
};

const PORT_RANGE_WORDS = [{ word: 'port-range', path: ['port_ranges'] }];
const PORT_RANGES: ServiceSetting = {
  words: PORT_RANGE_WORDS,
  commands: [
    {
      decl: `port-range ${PORT_SPEC}`,
      help: { ...wordHelp(PORT_RANGE_WORDS), '$port-range': 'Port range FROM-TO' },
      edits: true,
      run: (a, ctx) => edit(ctx, (s) => void (s.port_ranges = addPort(s.port_ranges, a['port-range'] as PortSpec))),
    },
    {
      decl: `no port-range [${PORT_SPEC}]`,
      help: { ...wordHelp(PORT_RANGE_WORDS), '$port-range': 'The range to remove (all when omitted)' },
      edits: true,
      run: (a, ctx) =>
        edit(ctx, (s) => {
          s.port_ranges = a['port-range'] === undefined ? [] : removePort(s.port_ranges, a['port-range'] as PortSpec, 'Port range');
        }),
    },
  ],
  units: (s) => s.port_ranges.map((p) => unit(`port-range ${portText(p)}`, `port-range ${portText(p)}`)),
};

const SCHEDULER_WORDS = [{ word: 'scheduler', path: ['scheduler'] }];
const SCHEDULER: ServiceSetting = {
  words: SCHEDULER_WORDS,
  commands: [
    {
      decl: `${wordDecl(SCHEDULER_WORDS[0])} ${SCHEDULER_FLAGS.map((f) => `[${f}]`).join(' ')}`,
      help: wordHelp(SCHEDULER_WORDS),
      edits: true,
      run: (a, ctx, kws) =>
        edit(ctx, (s) => {
          s.scheduler = a.scheduler as Service['scheduler'];
          s.scheduler_flags = SCHEDULER_FLAGS.filter((f) => kws.includes(f));
        }),
    },
    {
      decl: 'no scheduler',
      help: wordHelp(SCHEDULER_WORDS),
      edits: true,
      run: (_a, ctx) =>
        edit(ctx, (s) => {
          s.scheduler = defaultService(s.name).scheduler;
          s.scheduler_flags = [];
        }),
    },
  ],
  units: (s) => (s.scheduler !== defaultService(s.name).scheduler || s.scheduler_flags.length ? [unit('scheduler', ['scheduler', s.scheduler, ...s.scheduler_flags].join(' '))] : []),
};

const PERSISTENCE_WORDS = [
  { word: 'persistence', path: ['persistence'], value: ['persistence', 'timeout'] },
  { word: 'netmask', path: ['persistence', 'netmask'] },
];
const PERSISTENCE: ServiceSetting = {
  words: PERSISTENCE_WORDS,
  commands: [
    {
      decl: `${wordDecl(PERSISTENCE_WORDS[0])} [netmask A.B.C.D|<1-${PREFIX_MAX}>]`,
      help: wordHelp(PERSISTENCE_WORDS),
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
    { decl: 'no persistence', help: wordHelp(PERSISTENCE_WORDS.slice(0, 1)), edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.persistence) },
  ],
  units: (s) => {
    if (!s.persistence) return [];
    const n = s.persistence.netmask;
    return [unit('persistence', `persistence ${s.persistence.timeout}${n === undefined ? '' : ` netmask ${n}`}`)];
  },
};

const FORWARDING_WORDS = [
  { word: 'forwarding', path: ['forwarding'] },
  { word: 'port', path: ['forwarding', 'tunnel', 'port'] },
  { word: 'csum', path: ['forwarding', 'tunnel', 'csum'] },
];
const FORWARDING: ServiceSetting = {
  words: FORWARDING_WORDS,
  commands: [
    {
      decl: `forwarding ${FORWARDING_METHODS.filter((m) => m !== 'tunnel').join('|')}`,
      help: wordHelp(FORWARDING_WORDS.slice(0, 1)),
      edits: true,
      run: (a, ctx) => edit(ctx, (s) => void (s.forwarding = { method: a.forwarding as 'nat' | 'dr' })),
    },
    {
      decl: `forwarding tunnel [ipip$type | gre$type | gue$type [${wordDecl(FORWARDING_WORDS[1])}]] [${wordDecl(FORWARDING_WORDS[2])}]`,
      help: wordHelp(FORWARDING_WORDS),
      edits: true,
      run: (a, ctx) =>
        edit(ctx, (s) => {
          const type = a.type as 'ipip' | 'gre' | 'gue' | undefined;
          s.forwarding = { method: 'tunnel' };
          if (type === undefined && a.csum === undefined) return;
          s.forwarding.tunnel = { type: type ?? 'ipip' };
          if (a.port !== undefined) s.forwarding.tunnel.port = num(a, 'port');
          if (a.csum !== undefined) s.forwarding.tunnel.csum = a.csum as 'nocsum' | 'csum' | 'remcsum';
        }),
    },
    { decl: 'no forwarding', help: wordHelp(FORWARDING_WORDS.slice(0, 1)), edits: true, run: (_a, ctx) => edit(ctx, (s) => void (s.forwarding = { method: 'nat' })) },
  ],
  units: (s) => {
    const f = s.forwarding;
    if (f.method === 'nat' && !f.tunnel) return [];
    if (f.method !== 'tunnel') return [unit('forwarding', `forwarding ${f.method}`)];
    const t = f.tunnel;
    const parts = ['forwarding tunnel'];
    if (t) {
      parts.push(t.type);
      if (t.port !== undefined) parts.push(`port ${t.port}`);
      if (t.csum !== undefined) parts.push(`csum ${t.csum}`);
    }
    return [unit('forwarding', parts.join(' '))];
  },
};

const SORRY_WORDS = [{ word: 'sorry', path: ['sorry'] }];
const SORRY: ServiceSetting = {
  words: SORRY_WORDS,
  commands: [
    {
      decl: `sorry ADDRESS [port <1-${PORT_MAX}>]`,
      help: { ...wordHelp(SORRY_WORDS), $sorry: 'Sorry server address (IPv4 or IPv6)', port: 'Sorry server port; absent = the port the client connected to', $port: 'Sorry server port' },
      edits: true,
      run: (a, ctx) =>
        edit(ctx, (s) => {
          const address = a.sorry as string;
          const port = a.port as number | undefined;
          s.sorry = port === undefined ? address : address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
        }),
    },
    { decl: 'no sorry', help: wordHelp(SORRY_WORDS), edits: true, run: (_a, ctx) => edit(ctx, (s) => void delete s.sorry) },
  ],
  units: (s) => {
    if (s.sorry === undefined) return [];
    const sorry = parseSorry(s.sorry);
    return [unit('sorry', sorry ? `sorry ${sorry.address}${sorry.port ? ` port ${sorry.port}` : ''}` : `sorry ${s.sorry}`)];
  },
};

/** The options of `backend ADDRESS …`: the backend's fields of one number each, the port first (it names the backend). */
const BACKEND_OPTIONS: readonly (FieldWord & { key: 'port' | 'weight' | 'u_threshold' | 'l_threshold' })[] = [
  { word: 'port', path: ['backends', 'port'], key: 'port' },
  { word: 'weight', path: ['backends', 'weight'], key: 'weight' },
  { word: 'u-threshold', path: ['backends', 'u_threshold'], key: 'u_threshold' },
  { word: 'l-threshold', path: ['backends', 'l_threshold'], key: 'l_threshold' },
];
const BACKEND_VALUES = BACKEND_OPTIONS.slice(1);

/** `[port <0-65535>]` and its help: how a command names one backend of several at the same address. */
export const BACKEND_PORT = { decl: `[${wordDecl(BACKEND_OPTIONS[0])}]`, help: wordHelp(BACKEND_OPTIONS.slice(0, 1)) };

/**
 * A backend's lines. `port 0` (the service's port) is left out, as the operator types it, unless a backend at the
 * same address comes earlier: then `backend A weight W` would edit that one, so the port is spelled.
 */
function backendUnit(b: Backend, earlier: Backend[]): ServiceUnit {
  const id = b.port === 0 && !earlier.some((x) => x.address === b.address) ? `backend ${b.address}` : `backend ${b.address} port ${b.port}`;
  const line = [id, ...BACKEND_VALUES.filter((o) => b[o.key] !== undefined).map((o) => `${o.word} ${b[o.key]}`)].join(' ');
  const lines = [line];
  if (!b.enabled) lines.push(`${id} disable`);
  if (b.inactive) lines.push(`deactivate ${id}`);
  return {
    key: `backend ${b.address} port ${b.port}`,
    lines,
    negation: [`no ${id}`],
    replacing: (old) => {
      const was = (word: string) => old.lines[0].includes(` ${word} `);
      const out = [line];
      for (const o of BACKEND_VALUES) if (was(o.word) && b[o.key] === undefined) out.push(`no ${id} ${o.word}`);
      if (old.lines.includes(`${id} disable`) && b.enabled) out.push(`${id} enable`);
      if (!b.enabled) out.push(`${id} disable`);
      if (old.lines.includes(`deactivate ${id}`) && !b.inactive) out.push(`activate ${id}`);
      if (b.inactive) out.push(`deactivate ${id}`);
      return out;
    },
  };
}

/** The options `no backend ADDRESS … OPTION` takes out (those without a default: the thresholds). */
const UNSETTABLE_BACKEND = BACKEND_VALUES.filter((o) => o.key !== 'weight');

const BACKENDS: ServiceSetting = {
  words: BACKEND_OPTIONS,
  commands: [
    {
      decl: `backend BACKEND ${BACKEND_OPTIONS.map((o) => `[${wordDecl(o)}]`).join(' ')}`,
      help: wordHelp(BACKEND_OPTIONS),
      edits: true,
      run: (a, ctx) =>
        edit(ctx, (s) => {
          const { backend: b, note } = upsertBackend(s, str(a, 'backend')!, num(a, 'port'));
          for (const o of BACKEND_VALUES) if (a[o.word] !== undefined) b[o.key] = num(a, o.word)!;
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
      decl: `no backend BACKEND ${BACKEND_PORT.decl} ${UNSETTABLE_BACKEND.map((o) => o.word).join('|')}$field`,
      help: { ...BACKEND_PORT.help, 'u-threshold': 'Remove the upper threshold', 'l-threshold': 'Remove the lower threshold' },
      edits: true,
      run: (a, ctx) =>
        edit(ctx, (s) => {
          const b = findBackend(s, str(a, 'backend')!, num(a, 'port'));
          if (!b) throw new CommandError(`% Backend ${str(a, 'backend')} is not configured.`);
          delete b[UNSETTABLE_BACKEND.find((o) => o.word === a.field)!.key as 'u_threshold' | 'l_threshold'];
        }),
    },
  ],
  units: (s) => s.backends.map((b, i) => backendUnit(b, s.backends.slice(0, i))),
};

/** Every setting of a service, in the order `display set` writes them. */
export const SERVICE_SETTINGS: readonly ServiceSetting[] = [
  valueSetting('description', 'description', { token: 'LINE', text: descriptionText }),
  PROTOCOL,
  VIP,
  FWMARK,
  PORTS,
  PORT_RANGES,
  SCHEDULER,
  PERSISTENCE,
  FORWARDING,
  valueSetting('on_down', 'on-down'),
  valueSetting('slow_start_s', 'slow-start'),
  valueSetting('quorum', 'quorum'),
  SORRY,
  valueSetting('u_threshold', 'u-threshold'),
  valueSetting('l_threshold', 'l-threshold'),
  BACKENDS,
  HEALTH_SETTING,
  flagSetting('enabled', 'shutdown', false),
];

/** The `display set` units of a service: each setting's, in the list's order. */
export function serviceUnits(s: Service): ServiceUnit[] {
  return SERVICE_SETTINGS.flatMap((setting) => setting.units(s));
}

/** The commands of every setting. */
export const SETTING_COMMANDS = SERVICE_SETTINGS.flatMap((setting) => setting.commands);

