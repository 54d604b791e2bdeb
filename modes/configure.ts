// Configuration mode, `HOST(config)#`, and what every configuration level shares (exit, end, top, do, show).
import { editConfig, ensureService, removeService } from './edit.js';
import { configOutput, findService } from './exec.js';
import { derivedCommands } from './schema-commands.js';
import { serviceName } from './service-edit.js';
import { choiceQuestion, type CommandDef, type CommandOutput, type ModeContext } from './types.js';
import { DEACTIVATE_CONFIGURE_COMMANDS } from './deactivate.js';

export const UNCOMMITTED_QUESTION = 'Uncommitted changes found, commit them before exiting? [yes/no/cancel]';

/**
 * Leaving configuration mode (`exit` at the top level, `end`): with uncommitted changes, ask first (IOS-XR):
 * yes commits and leaves, no discards and leaves, cancel stays; anything else is asked again. In the shared candidate only this session's
 * changes count: another session's are neither asked about nor discarded (Junos keeps the shared candidate).
 */
async function leaveConfiguration(ctx: ModeContext, go: () => void): Promise<CommandOutput | void> {
  const port = ctx.backend.commit;
  if (!port) return go();
  if (!port.dirty(ctx)) {
    // Nothing of this session's to lose; other sessions' changes stay in the shared candidate (the note says so).
    const note = await port.leaveConfigure(ctx);
    go();
    return note ? { text: note } : undefined;
  }
  return {
    question: choiceQuestion(UNCOMMITTED_QUESTION, [
      { words: ['yes', 'y'], run: () => port.commit(ctx, { andQuit: true }) },
      { words: ['no', 'n'], run: () => port.abort(ctx) },
      { words: ['cancel', 'c'], run: () => ({ text: '% Exit cancelled; the changes are kept.' }) },
    ]),
  };
}

export const CONFIGURE_HELP: Record<string, string> = {
  hostname: "This node's name (the prompt)",
  vip: 'Default virtual IP for every service that names none',
  service: 'Enter a service (created when new)',
  no: 'Remove a setting or restore its default',
  show: 'Show the candidate configuration',
  exit: 'Leave this level',
  end: 'Back to exec mode',
  top: 'Back to the top configuration level',
  do: 'Run an exec command',
  run: 'Run an exec command (the Junos spelling of do)',
  $hostname: 'Host name',
  $vip: 'IPv4 or IPv6 address',
  $service: 'Service name',
  $do: 'The exec command',
  $run: 'The exec command',
};

/** exit, end, top, do, run: present at every configuration level. */
export const LEVEL_COMMANDS: CommandDef[] = [
  {
    decl: 'exit',
    help: CONFIGURE_HELP,
    run: (_a, ctx) => (ctx.frames.length <= 2 ? leaveConfiguration(ctx, () => void ctx.exit()) : void ctx.exit()),
  },
  { decl: 'end', help: CONFIGURE_HELP, run: (_a, ctx) => leaveConfiguration(ctx, () => ctx.end()) },
  { decl: 'top', help: CONFIGURE_HELP, run: (_a, ctx) => ctx.top() },
  // Routed by the session before matching (the rest of the line is an exec command); declared for `?` and docs.
  { decl: 'do LINE', help: CONFIGURE_HELP, run: () => undefined },
  { decl: 'run LINE', help: CONFIGURE_HELP, run: () => undefined },
];

export const CONFIGURE_COMMANDS: CommandDef[] = [
  {
    decl: 'hostname HOST',
    help: {},
    edits: true,
    run: (a, ctx) => ctx.setCandidate(editConfig(ctx.candidate(), (c) => void (c.node = { ...c.node, name: a.hostname as string }))),
  },
  {
    decl: 'no hostname',
    help: {},
    edits: true,
    run: (_a, ctx) => ctx.setCandidate(editConfig(ctx.candidate(), (c) => void delete c.node.name)),
  },
  {
    decl: 'vip ADDRESS',
    help: {},
    edits: true,
    run: (a, ctx) => ctx.setCandidate(editConfig(ctx.candidate(), (c) => void (c.vip = a.vip as string))),
  },
  {
    decl: 'no vip',
    help: {},
    edits: true,
    run: (_a, ctx) => ctx.setCandidate(editConfig(ctx.candidate(), (c) => void delete c.vip)),
  },
  {
    decl: 'service NAME',
    help: {},
    run: (a, ctx) => {
      const name = a.service as string;
      const { config, created } = ensureService(ctx.candidate(), name);
      if (created) {
        if (ctx.readOnly) return; // unreachable: read-only users never reach configuration mode
        ctx.setCandidate(config);
      }
      ctx.enter({ kind: 'service', name });
      return created ? { text: `Service ${name} created.` } : undefined;
    },
  },
  {
    decl: 'no service SERVICE',
    help: {},
    edits: true,
    run: (a, ctx) => ctx.setCandidate(removeService(ctx.candidate(), a.service as string)),
  },
  {
    decl: 'show [service SERVICE]',
    help: { service: 'Only this service' },
    pipes: 'candidate',
    run: (a, ctx) => {
      const c = ctx.candidate();
      if (a.service !== undefined) findService(c, a.service as string);
      return configOutput(c, a.service as string | undefined);
    },
  },
  ...DEACTIVATE_CONFIGURE_COMMANDS,
  ...derivedCommands(),
  ...LEVEL_COMMANDS,
];

/** `show` inside a service: that service of the candidate. */
export const SERVICE_SHOW: CommandDef = {
  decl: 'show',
  help: { show: 'Show this service in the candidate configuration' },
  pipes: 'candidate',
  run: (_a, ctx) => configOutput(ctx.candidate(), serviceName(ctx)),
};
