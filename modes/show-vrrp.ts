// `show vrrp` (and `show ha`, the same command): each VRRP instance as the HA watcher sees it on this node: VRID,
// interface, family, state, since, source, VIPs, priority when known, and whether this node programs its
// services. Asked of the daemon (or of the watcher an in-process shell runs); without either it says so.
import type { HaSnapshot } from '../engine/host.js';
import { NO_HA_SOURCE, NO_HA_WATCHER, VRRP_COLUMNS, vrrpHeader, vrrpRows } from '../present/vrrp.js';
import { CommandError, type CommandDef, type CommandOutput, type ModeContext, type Table } from './types.js';

export const VRRP_HELP: Record<string, string> = {
  vrrp: 'VRRP instances on this node: state, VIPs, whether their services are programmed',
  ha: 'High availability: the same as "show vrrp"',
};

/** The watcher's picture, or null when nothing watches here. */
export async function haSnapshot(ctx: ModeContext): Promise<HaSnapshot | null> {
  const ask = ctx.backend.ha;
  if (!ask) return null;
  try {
    return await ask();
  } catch (e) {
    const err = e as Error & { type?: string };
    if (err.type === 'unknown-method') throw new CommandError('% The daemon does not serve VRRP state (an older lbctl): restart it.');
    throw new CommandError(`% ${err.message.split('\n')[0]}`);
  }
}

export function vrrpOutput(snapshot: HaSnapshot | null, configuredSource: string, now = Date.now()): CommandOutput {
  if (snapshot?.source === 'none' || (!snapshot && configuredSource === 'none')) return { text: NO_HA_SOURCE, data: { source: 'none', instances: [] } };
  if (!snapshot) return { text: NO_HA_WATCHER, data: null };
  if (snapshot.instances.length === 0) return { text: `${vrrpHeader(snapshot)}\nNo VRRP instances are configured (ha.instances).`, data: snapshot };
  const table: Table = {
    // Nothing is cut: a state's reason is what the operator needs, and addresses are never cut anyway.
    columns: VRRP_COLUMNS.map((title) => ({ title, ...(title === 'VRID' || title === 'Priority' ? { align: 'right' as const } : {}) })),
    rows: vrrpRows(snapshot, now),
  };
  return { text: vrrpHeader(snapshot), table, data: snapshot };
}

const show = async (ctx: ModeContext) => vrrpOutput(await haSnapshot(ctx), ctx.backend.running().ha?.source ?? 'none');

export const VRRP_COMMANDS: CommandDef[] = [
  { decl: 'show vrrp', help: {}, pipes: 'text', run: (_a, ctx) => show(ctx) },
  { decl: 'show ha', help: {}, pipes: 'text', run: (_a, ctx) => show(ctx) },
];
