// Exec mode, `HOST#`: looking at the running system, and the way into configuration mode.
import type { Config, Service } from '../config/model.js';
import { renderYaml } from '../config/render.js';
import { defaultConfig } from '../config/defaults.js';
import { canonicalAddress, effectiveVip } from '../config/derive.js';
import { portsText } from './service.js';
import { ipvsTable, type IpvsView } from './show-ipvs.js';
import { readKernel, systemStatusLines, withKernelColumn, withServiceKernel } from './show-sync.js';
import type { EngineHello } from '../engine/host.js';
import { CommandError, type CommandDef, type CommandOutput, type ModeContext, type Table } from './types.js';
import { HEALTH_COMMANDS, HEALTH_HELP, destMarker, healthReport } from './show-health.js';
import { healthMark, type HealthReport } from '../present/health.js';
import { VRRP_COMMANDS, VRRP_HELP } from './show-vrrp.js';
import { DRAIN_COMMANDS, DRAIN_HELP, drainRows } from './drain.js';
import { drainCell, type DrainRow } from '../present/drain.js';

export const EXEC_HELP: Record<string, string> = {
  show: 'Show running system information',
  ipvs: 'The IPVS table (virtual services and their backends)',
  service: 'One service',
  services: 'Every configured service, one line each',
  stats: 'Add packet and byte counters',
  rate: 'Add rates per second',
  'running-config': 'The running configuration (YAML)',
  version: 'lbctl, IPVS and engine versions',
  configure: 'Enter configuration mode',
  terminal: 'Terminal settings of this session',
  exclusive: 'Lock the candidate: others cannot commit meanwhile',
  private: 'A candidate of your own',
  length: 'Lines per page (0 = no pager)',
  width: 'Characters per line',
  exit: 'Leave the shell',
  quit: 'Leave the shell',
  help: 'How to use this shell',
  ...HEALTH_HELP,
  ...DRAIN_HELP,
  ...VRRP_HELP,
  $service: 'Service name',
  $length: 'Lines per page; 0 turns the pager off',
  $width: 'Characters per line',
};

/** Text that tells a user why `configure exclusive|private` acts as the shared candidate for now. */
export const CANDIDATE_KIND_NOTE =
  'Note: exclusive and private candidates arrive with the commit workflow; this session edits the shared candidate.';

export const HELP_TEXT = [
  'Help may be requested at any point in a command by entering a question mark "?".',
  'If nothing matches, the help list is empty; back up until entering a "?" shows the available options.',
  'Two styles of help are provided:',
  '1. Full help is available when you are ready to enter a command argument (e.g. "show ?") and describes',
  '   each possible argument.',
  '2. Partial help is provided when an abbreviated argument is entered and you want to know what arguments',
  '   match the input (e.g. "show ip?").',
  'TAB completes a keyword or a name; every keyword may be shortened to a unique prefix ("sh ipv ser web").',
  'Output of show commands may be filtered: | include RE, | exclude RE, | begin RE, | section RE, | count,',
  '| json, | no-more; in configuration mode "show | compare" and "show | display set".',
  'Modes: "configure" enters configuration mode, "service NAME" a service; "exit" goes up one level,',
  '"end" (or Ctrl-Z) back to exec, "top" to configuration mode, "do CMD" runs an exec command from any level.',
].join('\n');

export function findService(config: Config, name: string): Service {
  const s = config.services.find((x) => x.name === name);
  if (!s) throw new CommandError(`% Service "${name}" does not exist.`);
  return s;
}

export function servicesTable(config: Config): Table {
  return {
    columns: [
      { title: 'Name', shrink: true },
      { title: 'VIP', shrink: true },
      { title: 'Proto' },
      { title: 'Ports', shrink: true },
      { title: 'Sched' },
      { title: 'Fwd' },
      { title: 'Backends', align: 'right' },
      { title: 'State' },
    ],
    rows: config.services.map((s) => [
      s.name,
      s.fwmark !== undefined ? `fwmark ${s.fwmark}` : effectiveVip(config, s) ?? '-',
      s.protocol,
      s.fwmark !== undefined ? '-' : portsText(s),
      s.scheduler,
      s.forwarding.method,
      `${s.backends.filter((b) => b.enabled).length}/${s.backends.length}`,
      s.inactive ? 'inactive' : s.enabled ? 'enabled' : 'shutdown',
    ]),
  };
}

/** `show service`: with the daemon's health report, a Health column marks backends that are not simply up. */
export function serviceDetail(config: Config, s: Service, health: HealthReport | null = null, drains: readonly DrainRow[] = []): CommandOutput {
  const vip = s.fwmark !== undefined ? `fwmark ${s.fwmark}` : `${effectiveVip(config, s) ?? '(none)'}${s.vip === undefined ? ' (default vip)' : ''}`;
  const h = s.health;
  const lines = [
    `Service ${s.name}, ${s.inactive ? 'inactive (deactivated)' : s.enabled ? 'enabled' : 'shut down'}`,
    ...(s.description !== undefined ? [`  Description: ${s.description}`] : []),
    `  Address: ${vip}  Protocol: ${s.protocol}  Ports: ${s.fwmark !== undefined ? '-' : portsText(s)}`,
    `  Scheduler: ${s.scheduler}${s.scheduler_flags.length ? ` (${s.scheduler_flags.join(', ')})` : ''}  Forwarding: ${s.forwarding.method}${
      s.forwarding.tunnel ? ` ${s.forwarding.tunnel.type}${s.forwarding.tunnel.port ? ` port ${s.forwarding.tunnel.port}` : ''}` : ''
    }`,
    `  Persistence: ${s.persistence ? `${s.persistence.timeout} s${s.persistence.netmask !== undefined ? ` netmask ${s.persistence.netmask}` : ''}` : 'none'}  On down: ${s.on_down}`,
    `  Health: ${h.enabled ? h.type.replace(/_/g, '-') : 'disabled'}${h.port ? ` port ${h.port}` : ''}, every ${h.interval_ms} ms, timeout ${h.timeout_ms} ms, down after ${h.fail_after}, up after ${h.recover_after}${
      s.slow_start_s ? `, slow start ${s.slow_start_s} s` : ''
    }`,
    `  Backends: ${s.backends.length}`,
  ];
  const rows = health?.rows.filter((r) => r.service === s.name) ?? [];
  const healthOf = (address: string, port: number) => rows.find((r) => r.backend === (port ? (address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`) : address));
  const table: Table = {
    columns: [
      { title: 'Address', shrink: true },
      { title: 'Port', align: 'right' },
      { title: 'Weight', align: 'right' },
      { title: 'State' },
      ...(health ? [{ title: 'Health' }] : []),
    ],
    rows: s.backends.map((b) => {
      // Port 0 means "the port the client used": show the ports that gives, as the kernel is programmed.
      const port = b.port === 0 && s.fwmark === undefined && (s.ports.length || s.port_ranges.length) ? `${portsText(s)} (0)` : String(b.port);
      // A drained backend keeps its configured weight here; the State says what IPVS has instead.
      const drain = drains.find((d) => d.service === s.name && d.address === canonicalAddress(b.address) && d.port === b.port);
      const row = [b.address, port, String(b.weight), b.inactive ? 'inactive' : !b.enabled ? 'disabled' : drain ? drainCell(drain) : 'enabled'];
      if (health) {
        const h = b.enabled ? healthOf(b.address, b.port) : undefined;
        row.push(h ? healthMark(h) || h.state : '-');
      }
      return row;
    }),
  };
  const summary = health?.services.find((x) => x.service === s.name);
  if (summary && (s.sorry !== undefined || s.quorum !== undefined))
    lines.push(`  Quorum: ${summary.healthy} of ${summary.quorum} healthy${s.sorry !== undefined ? `; sorry ${s.sorry} ${summary.sorryActive ? 'SERVING' : 'standing by'}` : ''}`);
  else if (s.sorry !== undefined || s.quorum !== undefined) lines.push(`  Quorum: ${s.quorum ?? 1}${s.sorry !== undefined ? `, sorry ${s.sorry}` : ''}`);
  return { text: lines.join('\n'), table: s.backends.length ? table : undefined, data: s };
}

export const EXEC_COMMANDS: CommandDef[] = [
  {
    decl: 'show ipvs [service RSERVICE] [stats|rate]$view',
    help: {},
    pipes: 'text',
    run: async (a, ctx) => {
      // One read: the table and its judgement against the running configuration (the table alone if unjudged).
      // Counters only where they are shown: `stats`, `rate`, or the data for `| json`.
      const view = ((a.view as string) ?? 'basic') as IpvsView;
      const counters = view !== 'basic' || ctx.jsonPiped === true;
      const read = await readKernel(ctx, { table: true, counters });
      let entries = read.view?.table;
      try {
        entries ??= await ctx.backend.table({ counters });
      } catch (e) {
        throw new CommandError(`% The IPVS table cannot be read: ${(e as Error).message.split('\n')[0]}`);
      }
      const running = ctx.backend.running();
      const health = await quietHealth(ctx);
      const info = await ctx.backend.dataplaneInfo();
      return ipvsTable(entries, running, info, view, a.service as string | undefined, health ? destMarker(running, health) : undefined, read.view?.report);
    },
  },
  {
    decl: 'show services',
    help: {},
    pipes: 'text',
    run: async (_a, ctx) => {
      const c = ctx.backend.running();
      if (c.services.length === 0) return { text: 'No services configured.', data: [] };
      return { ...withKernelColumn(servicesTable(c), c, await readKernel(ctx)), data: c.services };
    },
  },
  {
    decl: 'show service RSERVICE',
    help: {},
    pipes: 'text',
    run: async (a, ctx) => {
      const c = ctx.backend.running();
      const s = findService(c, a.service as string);
      return withServiceKernel(serviceDetail(c, s, await quietHealth(ctx, a.service as string), await drainRows(ctx, a.service as string)), s, await readKernel(ctx));
    },
  },
  {
    decl: 'show running-config [service RSERVICE]',
    help: {},
    pipes: 'config',
    run: (a, ctx) => configOutput(ctx.backend.running(), a.service as string | undefined),
  },
  {
    // Junos spells it `show configuration`: the same running configuration.
    decl: 'show configuration [service RSERVICE]',
    help: {},
    pipes: 'config',
    run: (a, ctx) => configOutput(ctx.backend.running(), a.service as string | undefined),
  },
  {
    decl: 'show version',
    help: {},
    pipes: 'text',
    run: async (_a, ctx) => {
      const b = ctx.backend;
      let ipvs = 'unknown';
      try {
        const info = await b.dataplaneInfo();
        ipvs = `${info.version} (connection table ${info.connTabSize})${info.kind === 'memory' ? ', in-memory' : ''}`;
      } catch (e) {
        ipvs = `unavailable (${(e as Error).message.split('\n')[0]})`;
      }
      const engine = await engineStatusOrError(ctx);
      const data = {
        lbctl: b.version,
        node: nodeName(ctx),
        ipvs,
        runningRevision: b.runningRevision(),
        engine: engine.mode,
        ...(engine.mode === 'daemon' ? { daemonPid: engine.pid, daemonUptimeMs: engine.uptimeMs } : {}),
        inSync: engine.inSync,
        lab: ctx.lab,
        node_js: process.version,
      };
      const text = [
        `lbctl ${b.version}`,
        `Node: ${data.node}${ctx.lab ? ' (lab)' : ''}`,
        `IPVS: ${ipvs}`,
        `Running revision: ${data.runningRevision}`,
        `Engine: ${engineLine(engine)}`,
        `Node.js: ${process.version}`,
      ].join('\n');
      return { text, data };
    },
  },
  {
    decl: 'show system status',
    help: { system: 'The system: engine, daemon, commits', status: 'Which engine runs, since when, the revision, and whether the kernel runs it (the summary of lbctl status)' },
    pipes: 'text',
    run: async (_a, ctx) => {
      const e = await engineStatusOrError(ctx);
      const lines = [
        `Engine:           ${engineLine(e)}`,
        ...(e.mode === 'daemon' ? [`Daemon pid:       ${e.pid}`, `Daemon up since:  ${e.startedAt} (${formatUptime(e.uptimeMs)})`] : []),
        `Running revision: ${e.runningRevision}`,
        ...systemStatusLines(await readKernel(ctx)),
      ];
      return { text: lines.join('\n'), data: e };
    },
  },
  {
    decl: 'configure [terminal|exclusive|private]$kind',
    help: { terminal: 'The shared candidate (default)' },
    noDo: true,
    // Entering configuration mode is refused to read-only users with the session's permission message.
    edits: true,
    run: (a, ctx) => {
      if (ctx.readOnly) throw new CommandError('% Permission denied: read-only user.');
      const kind = a.kind as string | undefined;
      const port = ctx.backend.commit;
      if (port) return port.enterConfigure(ctx, kind === 'exclusive' || kind === 'private' ? kind : 'shared');
      ctx.enter({ kind: 'configure' });
      const lines = ['Entering configuration mode.'];
      if (kind === 'exclusive' || kind === 'private') lines.push(CANDIDATE_KIND_NOTE);
      return { text: lines.join('\n') };
    },
  },
  {
    decl: 'terminal length <0-512>',
    help: {},
    run: (a, ctx) => {
      ctx.setTerminal({ length: a.length as number });
    },
  },
  {
    decl: 'terminal width <40-512>',
    help: {},
    run: (a, ctx) => {
      ctx.setTerminal({ width: a.width as number });
    },
  },
  {
    decl: 'terminal exec-timeout <0-35791>$minutes [<0-2147483>$seconds]',
    help: {
      'exec-timeout': 'Idle time before the session leaves configuration mode and disconnects (0 0 = never)',
      minutes: 'Minutes',
      seconds: 'Seconds, added to the minutes',
    },
    run: (a, ctx) => {
      ctx.setExecTimeout?.((a.minutes as number) * 60 + ((a.seconds as number | undefined) ?? 0));
    },
  },
  {
    decl: 'show terminal',
    help: { terminal: 'Terminal settings of this session' },
    pipes: 'text',
    run: (_a, ctx) => ({
      text:
        `Length: ${ctx.term.length} lines${ctx.term.length === 0 ? ' (no pager)' : ''}\nWidth: ${ctx.term.width === 0 ? 'no limit (not a terminal: every value is printed whole)' : `${ctx.term.width} columns`}` +
        (ctx.execTimeout ? `\nExec timeout: ${formatExecTimeout(ctx.execTimeout())}` : ''),
      data: { ...ctx.term, ...(ctx.execTimeout ? { execTimeoutSeconds: ctx.execTimeout() } : {}) },
    }),
  },
  ...HEALTH_COMMANDS,
  ...DRAIN_COMMANDS,
  ...VRRP_COMMANDS,
  { decl: 'exit', help: {}, noDo: true, run: () => ({ exitShell: true }) },
  { decl: 'quit', help: {}, noDo: true, run: () => ({ exitShell: true }) },
  { decl: 'help', help: {}, pipes: 'text', run: () => ({ text: HELP_TEXT }) },
];

/** The daemon's health report for the marks of `show service` / `show ipvs`; null when there is none to ask. */
async function quietHealth(ctx: ModeContext, service?: string): Promise<HealthReport | null> {
  if (!ctx.backend.daemonAttached) return null;
  try {
    return await healthReport(ctx, service);
  } catch {
    return null;
  }
}

export function nodeName(ctx: ModeContext): string {
  return ctx.backend.running().node?.name || ctx.backend.systemHostname();
}

/** A configuration (or one service of it) as YAML, carrying the model for `| display set` and `| compare`. */
export function configOutput(config: Config, service?: string): CommandOutput {
  if (service !== undefined) {
    const s = findService(config, service);
    // Only the service: every other section at its default, so the rendering leaves it out.
    const yaml = renderYaml({ ...defaultConfig(), services: [s] });
    return { text: yaml.trimEnd(), config: { value: config, service }, data: s };
  }
  return { text: renderYaml(config).trimEnd(), config: { value: config }, data: config };
}

/** The engine's own account, or what we know without it (the revision this shell read). */
async function engineStatusOrError(ctx: ModeContext): Promise<EngineHello> {
  try {
    return await ctx.backend.engineStatus();
  } catch {
    return { mode: ctx.backend.daemonAttached ? 'daemon' : 'in-process', pid: process.pid, startedAt: '', uptimeMs: 0, runningRevision: ctx.backend.runningRevision(), inSync: null };
  }
}

function engineLine(e: EngineHello): string {
  if (e.mode === 'in-process') return 'in-process (no daemon)';
  return `daemon (pid ${e.pid}, up ${formatUptime(e.uptimeMs)})${e.inSync === null ? '' : e.inSync ? ', in sync' : ', NOT in sync'}`;
}

/** 3d 4h 5m, 4h 5m 6s, 5m 6s, 6s. */
export function formatUptime(ms: number): string {
  let s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  if (d) return `${d}d ${h}h ${m}m`;
  if (h) return `${h}h ${m}m ${s}s`;
  if (m) return `${m}m ${s}s`;
  return `${s}s`;
}

/** `30 minutes`, `1 minute 30 seconds`, `never`. */
export function formatExecTimeout(seconds: number): string {
  if (seconds <= 0) return 'never';
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  const parts: string[] = [];
  if (m) parts.push(`${m} minute${m === 1 ? '' : 's'}`);
  if (s) parts.push(`${s} second${s === 1 ? '' : 's'}`);
  return parts.join(' ');
}
