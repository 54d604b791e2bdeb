// `lbctl shell`: the operator's CLI. An interactive terminal (stdin and stdout both TTYs, SSH included) gets
// the ink UI; anything else, or `-c`, gets line mode. Both drive the same session engine. Under an sshd
// `ForceCommand`, the command the client asked for (`ssh lb1 'show ipvs'`) arrives in SSH_ORIGINAL_COMMAND and
// runs as `-c` does (docs/ssh.md).
import { parseArgs } from 'node:util';
import type { CliCommand, CliIO } from '../command.js';
import { UserError } from '../command.js';
import { COMMON_OPTIONS, resolveContext } from '../../config/context.js';

const USAGE = `usage: lbctl shell [--lab] [--config DIR] [--state-dir DIR] [-c 'CMD; CMD…'] [--keep-going]

The operator's CLI: exec, configure and service modes, TAB completion, '?' help, a candidate configuration
and commit. On a terminal (stdin and stdout both TTYs, SSH included) it edits lines Emacs-style with history
(~/.lbctl_history, Ctrl-R to search) and pages long output with --More--; otherwise it reads commands from
standard input, one or more per line.

Options:
  -c, --command 'CMDS'  run these commands (separated by ';' or newlines) and exit
  --keep-going          in line mode, run every command even after one failed (exit code 1 at the end)
  --config DIR|FILE     configuration directory (default /etc/lbctl, env LBCTL_CONFIG)
  --state-dir DIR       revision store and runtime state (default /var/lib/lbctl, env LBCTL_STATE_DIR)
  --lab                 in-memory dataplane with state under ~/.lbctl-lab (no kernel changes)

Keys on a terminal:
  TAB                 complete the word (a list when several fit)      ?        help for the next word, at once
  Up/Down, Ctrl-P/N   history                                          Ctrl-R   search the history backwards
  Ctrl-A/E, Home/End  start/end of line          Ctrl-B/F, Left/Right  a character back/forward
  Alt-B/F             a word back/forward        Ctrl-K/U/W, Alt-D     cut to end/start/word back/word forward
  Ctrl-Y              paste what was cut         Ctrl-C                drop the line
  Ctrl-Z              run the line, then end     Ctrl-D                leave (on an empty exec prompt)
  At --More--: space for the next page, Enter for the next line; any other key stops (what you type is kept).

Over SSH with sshd's ForceCommand (docs/ssh.md), a command given to ssh (SSH_ORIGINAL_COMMAND, e.g.
'ssh lb1 "show ipvs"') runs as with -c; without one, the interactive shell starts.

Line mode prints output on stdout and each error on stderr as '% command N: PROMPT COMMAND' followed by the
error; it stops with exit code 1 at the first error unless --keep-going. A command that asks a question
([yes/no]) takes its answer from the next line of standard input.

Examples:
  lbctl shell --lab
  lbctl shell -c 'configure; service web; vip 192.0.2.10; port 80; commit'
  lbctl shell < changes.txt
`;

const cmd: CliCommand = {
  name: 'shell',
  summary: 'interactive CLI (configure, commit, show); line mode with -c or a pipe',
  usage: USAGE,
  async run(argv: string[], io: CliIO): Promise<number> {
    let values;
    try {
      ({ values } = parseArgs({
        args: argv,
        options: {
          ...COMMON_OPTIONS,
          command: { type: 'string', short: 'c' },
          'keep-going': { type: 'boolean' },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UserError(`${(err as Error).message}\n\n${USAGE}`, 2);
    }
    const context = resolveContext(values, io.env);
    const command = values.command ?? sshCommand(io.env);
    const interactive = io.isTTY && command === undefined;
    const { openSession } = await import('../../shell/open-session.js');
    if (interactive) {
      // ink and react take most of a second to load on a busy machine, and the session a few hundred ms to open:
      // the first prompt is painted before either when the disk allows it (shell/first-screen.ts), else before
      // ink only; the session's controller and then the ink face take over that screen.
      const { firstScreen } = await import('../../shell/first-screen.js');
      const { paintFirstPrompt, paintInstantPrompt } = await import('../../shell/tui/early-prompt.js');
      const { colourEnabled, makeStyle } = await import('../../shell/display.js');
      const first = firstScreen(context, io.env);
      const instant = first ? paintInstantPrompt(first, makeStyle(colourEnabled(Boolean(process.stdout.isTTY), io.env)), process.stdin, process.stdout) : null;
      let session;
      try {
        session = await openSession({ context, interactive, env: io.env });
      } catch (e) {
        instant?.abandon();
        throw e;
      }
      const { makeController } = await import('../../shell/tui/make-controller.js');
      const face = makeController(session, { env: io.env });
      let prompt = instant;
      if (prompt) prompt.attach(face);
      else prompt = paintFirstPrompt(face, process.stdin, process.stdout);
      const { runTui } = await import('../../shell/tui/run.js');
      return runTui(session, { env: io.env }, { face, prompt });
    }
    const session = await openSession({ context, interactive, env: io.env });
    const lineIO = { stdout: io.stdout, stderr: io.stderr };
    const options = { keepGoing: Boolean(values['keep-going']) };
    const { runCommandString, runStream } = await import('../../shell/line-mode.js');
    if (command !== undefined) return runCommandString(session, command, lineIO, options);
    return runStream(session, io.stdin, lineIO, options);
  },
};
export default cmd;

/** The command an SSH client asked for, under sshd's ForceCommand; undefined for none (an interactive login). */
export function sshCommand(env: NodeJS.ProcessEnv): string | undefined {
  const text = env.SSH_ORIGINAL_COMMAND;
  return text !== undefined && text.trim() !== '' ? text : undefined;
}
