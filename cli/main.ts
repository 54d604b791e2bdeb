// `lbctl` argument routing. Each subcommand is its own module under cli/commands/, loaded only when used
// so that `lbctl version` does not pay for the shell's UI libraries.
import type { CliCommand, CliIO } from './command.js';
import { UserError } from './command.js';

type Loader = () => Promise<{ default: CliCommand }>;

/** Order here is the order of `lbctl --help`. */
const COMMANDS: Record<string, Loader> = {
  shell: () => import('./commands/shell.js'),
  daemon: () => import('./commands/daemon.js'),
  validate: () => import('./commands/validate.js'),
  show: () => import('./commands/show.js'),
  apply: () => import('./commands/apply.js'),
  status: () => import('./commands/status.js'),
  monitor: () => import('./commands/monitor.js'),
  doctor: () => import('./commands/doctor.js'),
  disable: () => import('./commands/disable.js'),
  version: () => import('./commands/version.js'),
};

/** `lbctl show ipvs | head` closes our stdout early: that is the reader's choice, not an error to report. */
function exitQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
}

export function defaultIO(): CliIO {
  exitQuietlyOnEpipe(process.stdout);
  return {
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    stdin: process.stdin,
    isTTY: Boolean(process.stdin.isTTY && process.stdout.isTTY),
    env: process.env,
  };
}

async function loadAll(): Promise<CliCommand[]> {
  return Promise.all(Object.values(COMMANDS).map(async (load) => (await load()).default));
}

async function overview(): Promise<string> {
  const cmds = await loadAll();
  const width = Math.max(...cmds.map((c) => c.name.length));
  const lines = cmds.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'usage: lbctl COMMAND [OPTIONS]',
    '',
    'Control plane of a Linux L4 load balancer on IPVS.',
    '',
    'Commands:',
    ...lines,
    '',
    'Common options:',
    '  --config DIR|FILE   configuration directory (default /etc/lbctl, env LBCTL_CONFIG)',
    '  --state-dir DIR     revision store and runtime state (default /var/lib/lbctl, env LBCTL_STATE_DIR)',
    '  --lab               in-memory dataplane with state under ~/.lbctl-lab (no kernel changes)',
    '',
    "Run 'lbctl help COMMAND' for a command's options.",
    '',
  ].join('\n');
}

export async function main(argv: string[], io: CliIO = defaultIO()): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '--help' || first === '-h') {
      io.stdout(await overview());
      return first === undefined ? 2 : 0;
    }
    if (first === '--version' || first === '-V') return await runCommand('version', [], io);
    if (first === 'help') {
      if (rest.length === 0) {
        io.stdout(await overview());
        return 0;
      }
      const load = COMMANDS[rest[0]];
      if (!load) throw new UserError(`unknown command '${rest[0]}'. Run 'lbctl --help' for the list.`, 2);
      io.stdout((await load()).default.usage.trimEnd() + '\n');
      return 0;
    }
    return await runCommand(first, rest, io);
  } catch (err) {
    if (err instanceof UserError) {
      io.stderr(`lbctl: ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

async function runCommand(name: string, args: string[], io: CliIO): Promise<number> {
  const load = COMMANDS[name];
  if (!load) throw new UserError(`unknown command '${name}'. Run 'lbctl --help' for the list.`, 2);
  const cmd = (await load()).default;
  if (args.includes('--help') || args.includes('-h')) {
    io.stdout(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  return cmd.run(args, io);
}
