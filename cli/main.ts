// `lbctl` argument routing. Each subcommand is its own module under cli/commands/, loaded only when used
// so that `lbctl version` does not pay for the shell's UI libraries.
import type { CliCommand, CliIO } from './command.js';
import { UserError } from './command.js';
import { escapeControls } from '../present/visible.js';

type Loader = () => Promise<{ default: CliCommand }>;

/** Order here is the order of `lbctl --help`. */
const COMMANDS: Record<string, Loader> = {
  shell: () => import('./commands/shell.js'),
  daemon: () => import('./commands/daemon.js'),
  validate: () => import('./commands/validate.js'),
  init: () => import('./commands/init.js'),
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
    const said = operatorMessage(err);
    if (said !== null) {
      io.stderr(`lbctl: ${escapeControls(said)}\n`);
      return 1;
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
  return cmd.run(args, PLAIN_TEXT_COMMANDS.has(name) ? visibleIO(io) : io);
}

/**
 * Commands whose output is plain text built from stored strings: every control character is shown escaped
 * (present/visible.ts). The shell escapes its commands' output itself (its own UI draws with escape codes), and
 * the daemon logs.
 */
const PLAIN_TEXT_COMMANDS = new Set(['validate', 'show', 'apply', 'status', 'doctor', 'disable', 'version']);

function visibleIO(io: CliIO): CliIO {
  return { ...io, stdout: (s) => io.stdout(escapeControls(s)), stderr: (s) => io.stderr(escapeControls(s)) };
}

/**
 * The sentence for an error the operator can act on (a damaged store, an untrusted directory, a path that is not
 * what it should be), instead of a stack trace; null for a bug, whose stack is worth having.
 */
export function operatorMessage(err: unknown): string | null {
  if (!(err instanceof Error)) return null;
  if (err.name === 'StoreCorruptError') return `the revision store is damaged: ${err.message} ('lbctl doctor' checks the store)`;
  if (err.name === 'UnsafeDirectoryError' || err.name === 'ConfigFileRefusedError') return err.message;
  const e = err as NodeJS.ErrnoException;
  if (typeof e.code !== 'string' || typeof e.path !== 'string') return null;
  const why: Record<string, string> = {
    EEXIST: e.syscall === 'mkdir' ? 'it exists and is not a directory' : 'it already exists',
    ENOTDIR: 'a part of it is not a directory',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    ENOENT: 'no such file or directory',
    EROFS: 'read-only file system',
    ENOSPC: 'no space left on the device',
    ELOOP: 'it is a symbolic link (lbctl does not follow one where it writes)',
  };
  return `cannot ${e.syscall ?? 'use'} ${e.path}: ${why[e.code] ?? e.message}`;
}
