// `show health [service NAME]`: the daemon's health checks, one row per backend (service, backend, check, state,
// since, last result, latency, transitions) and a line per service (healthy count, quorum, sorry backend).
// `request backend ADDRESS [port N] [service NAME] health up|down|auto`: the lab's hand-set verdict.
// Without a daemon nothing probes: both say how to start it.
import type { Config } from '../config/model.js';
import {
  HEALTH_COLUMNS,
  NO_HEALTH_CHECKS,
  healthHeader,
  healthMark,
  healthRows,
  manualHealthText,
  serviceHealthLine,
  type HealthReport,
  type HealthRow,
} from '../present/health.js';
import { parseSorry } from '../config/validate.js';
import { canonicalAddress } from '../config/derive.js';
import { CommandError, type CommandDef, type CommandOutput, type ModeContext, type Table } from './types.js';
import { drainRows } from './drain.js';
import { drainCell, drainSection, type DrainRow } from '../present/drain.js';

export const HEALTH_HELP: Record<string, string> = {
  health: 'Health checks of the backends (run by the daemon)',
  request: 'Ask the system to do something now',
  backend: 'A backend, by address',
  up: 'Mark it up',
  down: 'Mark it down (weight 0, or removed with on_down: remove)',
  auto: 'Clear the hand-set verdict: the checks decide again',
};

/** The daemon's report, or null when no daemon runs (or this host cannot ask one). */
export async function healthReport(ctx: ModeContext, service?: string): Promise<HealthReport | null> {
  const ask = ctx.backend.health;
  if (!ask) return null;
  try {
    return await ask(service);
  } catch (e) {
    const err = e as Error & { type?: string };
    if (err.type === 'unknown-method') throw new CommandError('% The daemon does not serve health checks (an older lbctl): restart it.');
    throw new CommandError(`% ${err.message.split('\n')[0]}`);
  }
}

export function healthOutput(report: HealthReport | null): CommandOutput {
  if (!report) return { text: NO_HEALTH_CHECKS, data: { running: false, rows: [], services: [] } };
  if (report.rows.length === 0) return { text: 'No backends to check.', data: { running: true, ...report } };
  const table: Table = {
    columns: HEALTH_COLUMNS.map((title) => ({
      title,
      ...(title === 'Latency' || title === 'Trans' ? { align: 'right' as const } : {}),
      ...(title === 'Last result' || title === 'Service' ? { shrink: true } : {}),
    })),
    rows: healthRows(report),
  };
  const quorumLines = report.services.filter((s) => s.sorry !== undefined || s.healthy < s.quorum).map((s) => `  ${serviceHealthLine(s)}`);
  return {
    text: [healthHeader(report), ...quorumLines].join('\n'),
    table,
    data: { running: true, ...report },
  };
}

/**
 * The health mark of an IPVS destination of service `name` (`down, inhibited`, `sorry`, `up, slow start 50 %`),
 * or '' when there is nothing to say.
 */
export function destMarker(config: Config, report: HealthReport | null): (name: string | undefined, addr: string, port: number) => string {
  const byBackend = new Map<string, HealthRow[]>();
  for (const r of report?.rows ?? []) {
    const k = `${r.service}|${r.address}`;
    byBackend.set(k, [...(byBackend.get(k) ?? []), r]);
  }
  const sorry = new Map<string, { address: string; port: number }>();
  for (const s of config.services) {
    const p = s.sorry !== undefined ? parseSorry(s.sorry) : null;
    if (p) sorry.set(s.name, { address: canonicalAddress(p.address), port: p.port });
  }
  return (name, addr, port) => {
    if (name === undefined) return '';
    const rows = byBackend.get(`${name}|${addr}`) ?? [];
    const row = rows.find((r) => r.port === port) ?? rows.find((r) => r.port === 0);
    const mark = healthMark(row);
    if (mark) return mark;
    const s = sorry.get(name);
    if (s && s.address === addr && (s.port === 0 || s.port === port)) return 'sorry (below quorum)';
    return '';
  };
}

/** The State cell of a drained backend's row says so too: `unknown (lab: not probed), draining (3 active)`. */
function markDrained(report: HealthReport, cells: string[][], drains: readonly DrainRow[]): string[][] {
  const state = HEALTH_COLUMNS.indexOf('State');
  return cells.map((row, i) => {
    const r = report.rows[i];
    const d = drains.find((x) => x.service === r.service && x.address === r.address && x.port === r.port);
    return d ? row.map((cell, c) => (c === state ? `${cell}, ${drainCell(d)}` : cell)) : row;
  });
}

export const HEALTH_COMMANDS: CommandDef[] = [
  {
    decl: 'show health [service RSERVICE]',
    help: {},
    pipes: 'text',
    run: async (a, ctx) => {
      const report = await healthReport(ctx, a.service as string | undefined);
      const out = healthOutput(report);
      // Drains are the operator's, not the checks': they show with or without a daemon.
      const rows = await drainRows(ctx, a.service as string | undefined);
      if (rows.length === 0) return out;
      if (report && out.table) out.table = { ...out.table, rows: markDrained(report, out.table.rows, rows) };
      return { ...out, text: [out.text, ...drainSection(rows)].join('\n'), data: { ...(out.data as object), drains: rows } };
    },
  },
  {
    decl: 'request backend ADDRESS [port <1-65535>] [service RSERVICE] health up|down|auto$state',
    help: { port: 'Only the backend with this port', service: 'Only in this service', health: 'Set its health verdict by hand (lab only)' },
    run: async (a, ctx) => {
      if (!ctx.lab) throw new CommandError('% A backend\'s health is set by hand only in the lab (lbctl shell --lab): in production the checks decide.');
      if (ctx.readOnly) throw new CommandError('% Permission denied: read-only user.');
      const set = ctx.backend.setHealth;
      const address = a.backend as string;
      const req = {
        address,
        state: a.state as 'up' | 'down' | 'auto',
        ...(a.port !== undefined ? { port: a.port as number } : {}),
        ...(a.service !== undefined ? { service: a.service as string } : {}),
      };
      let result;
      try {
        result = set ? await set(req) : null;
      } catch (e) {
        const err = e as Error & { type?: string };
        if (err.type === 'unknown-method') throw new CommandError('% The daemon does not serve health checks (an older lbctl): restart it.');
        throw new CommandError(`% ${err.message.split('\n')[0]}`);
      }
      if (!result) throw new CommandError(`% ${NO_HEALTH_CHECKS}`);
      return { text: manualHealthText(address, result), data: result };
    },
  },
];
