// Maintenance without a commit: `request backend ADDRESS [port N] [service NAME] drain [timeout S] [then hold|remove]`
// takes a backend's new connections away (weight 0, the configured weight kept) and follows its active
// connections to 0; `… resume` gives its weight back. `show drains` lists them. The daemon keeps them when one
// runs; otherwise this shell's engine applies them. They survive restarts (STATE/drains.json).
import { drainLine, drainResultText, type DrainRequest, type DrainRow } from '../present/drain.js';
import { CommandError, type Args, type CommandDef, type CommandOutput, type ModeContext } from './types.js';

export const DRAIN_HELP: Record<string, string> = {
  drain: 'Drain it for maintenance: weight 0, the configured weight kept, until resume',
  resume: 'End its drain: the configured weight comes back',
  drains: 'Backends drained for maintenance, with their active connections',
  then: 'What to do once its connections end or the timeout expires',
  hold: 'Keep it in IPVS at weight 0 (the default)',
  remove: 'Take it out of IPVS',
};

/** The drains now (advanced first), or the refusal in words. */
export async function drainRows(ctx: ModeContext, service?: string): Promise<DrainRow[]> {
  const ask = ctx.backend.drains;
  if (!ask) return [];
  try {
    return await ask(service);
  } catch (e) {
    throw drainError(e);
  }
}

function drainError(e: unknown): CommandError {
  const err = e as Error & { type?: string };
  if (err.type === 'unknown-method') return new CommandError('% The daemon does not serve drains (an older lbctl): restart it.');
  return new CommandError(`% ${err.message.split('\n')[0]}`);
}

function drainRequest(a: Args, action: DrainRequest['action']): DrainRequest {
  return {
    action,
    address: a.backend as string,
    ...(a.port !== undefined ? { port: a.port as number } : {}),
    ...(a.service !== undefined ? { service: a.service as string } : {}),
    ...(a.timeout !== undefined ? { timeoutS: a.timeout as number } : {}),
    ...(a.then !== undefined ? { then: a.then as 'hold' | 'remove' } : {}),
  };
}

async function request(a: Args, ctx: ModeContext, action: DrainRequest['action']): Promise<CommandOutput> {
  if (ctx.readOnly) throw new CommandError('% Permission denied: read-only user.');
  const run = ctx.backend.drain;
  if (!run) throw new CommandError('% Drains need the engine of a state directory (lbctl shell).');
  try {
    const result = await run(drainRequest(a, action));
    return { text: drainResultText(result), data: result };
  } catch (e) {
    throw drainError(e);
  }
}

const NARROW_HELP = { port: 'Only the backend with this port', service: 'Only in this service' };

export const DRAIN_COMMANDS: CommandDef[] = [
  {
    decl: 'request backend ADDRESS [port <1-65535>] [service RSERVICE] drain [timeout <1-86400>] [then hold|remove$then]',
    help: { ...NARROW_HELP, timeout: 'Seconds to wait for its connections to end' },
    run: (a, ctx) => request(a, ctx, 'drain'),
  },
  {
    decl: 'request backend ADDRESS [port <1-65535>] [service RSERVICE] resume',
    help: NARROW_HELP,
    run: (a, ctx) => request(a, ctx, 'resume'),
  },
  {
    decl: 'show drains [service RSERVICE]',
    help: {},
    pipes: 'text',
    run: async (a, ctx) => {
      const rows = await drainRows(ctx, a.service as string | undefined);
      if (rows.length === 0) return { text: 'No backends are drained.', data: [] };
      return { text: rows.map(drainLine).join('\n'), data: rows };
    },
  },
];
