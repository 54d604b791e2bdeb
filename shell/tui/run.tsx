// Starts the ink face on the process's terminal and resolves with the exit code when the operator leaves.
import { render } from 'ink';
import type { ShellSession } from '../session-api.js';
import { colourEnabled, makeStyle } from '../display.js';
import { defaultHistoryPath, HistoryFile } from '../history.js';
import { ShellController } from './controller.js';
import { ShellApp } from './app.js';
import { formatExecTimeout } from '../../modes/exec.js';

export interface TuiOptions {
  env?: NodeJS.ProcessEnv;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  historyPath?: string;
}

export async function runTui(session: ShellSession, options: TuiOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const stdin = options.stdin ?? process.stdin;
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
  const app = render(<ShellApp controller={controller} style={style} />, {
    stdin,
    stdout,
    // Ctrl-C drops the line (the controller handles it); it never kills the shell.
    exitOnCtrlC: false,
    // A stray console.log from a library is printed above the prompt instead of tearing the live area.
    patchConsole: true,
  });
  // exec-timeout: idle at a prompt (not while a command runs) for the session's limit ends the session.
  const idleCheck = setInterval(() => {
    const limit = session.execTimeout?.() ?? 0;
    if (limit > 0 && controller.idleMs() >= limit * 1000 && controller.getSnapshot().live.mode !== 'busy')
      void controller.hangUp(`% Idle for ${formatExecTimeout(limit)} (exec-timeout): leaving the shell.`);
  }, 1000);
  // A dropped connection (sshd sends SIGHUP; so does closing the terminal) ends the session the same way.
  const onHangUp = () => void controller.hangUp();
  process.on('SIGHUP', onHangUp);
  await exited;
  clearInterval(idleCheck);
  process.off('SIGHUP', onHangUp);
  // Let ink paint the last scrollback items before it unmounts.
  await new Promise((r) => setImmediate(r));
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  return 0;
}
