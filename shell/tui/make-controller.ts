// The interactive shell's controller with the terminal's settings: history file, colours, size, polls. Made
// before ink loads (early-prompt.ts paints the first prompt from it), then handed to the ink face (run.tsx).
import type { ShellSession } from '../session-api.js';
import { colourEnabled, makeStyle, type Style } from '../display.js';
import { defaultHistoryPath, HistoryFile } from '../history.js';
import { ShellController } from './controller.js';

export interface TuiOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  historyPath?: string;
}

export interface TerminalController {
  controller: ShellController;
  style: Style;
  /** Settles when the operator leaves (exit, Ctrl-D, a hang-up). */
  exited: Promise<void>;
}

export function makeController(session: ShellSession, options: TuiOptions = {}): TerminalController {
  const env = options.env ?? process.env;
  const stdout = options.stdout ?? process.stdout;
  const style = makeStyle(colourEnabled(Boolean(stdout.isTTY), env));
  let resolveExit!: () => void;
  const exited = new Promise<void>((r) => (resolveExit = r));
  const controller = new ShellController(session, {
    history: new HistoryFile(options.historyPath ?? defaultHistoryPath(env)),
    style,
    width: stdout.columns || 80,
    height: stdout.rows || 24,
    onExit: () => resolveExit(),
    noticePollMs: 2000,
    // The {master} line follows a failover within about a second, without a key pressed (Junos shows the RE role).
    rolePollMs: 1000,
    reservedRows: 1,
  });
  return { controller, style, exited };
}
