// Starts the ink face on the process's terminal and resolves with the exit code when the operator leaves.
// `early` is the first prompt already painted without ink (early-prompt.ts): ink takes over its screen, its
// controller and the keys typed meanwhile.
import { render } from 'ink';
import type { ShellSession } from '../session-api.js';
import { decodeKeys } from '../keys.js';
import { makeController, type TerminalController, type TuiOptions } from './make-controller.js';
import type { EarlyPrompt } from './early-prompt.js';
import { ShellApp } from './app.js';
import { formatExecTimeout } from '../../modes/exec.js';

export type { TuiOptions } from './make-controller.js';

export async function runTui(session: ShellSession, options: TuiOptions = {}, early?: { face: TerminalController; prompt: EarlyPrompt }): Promise<number> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const { controller, style, exited } = early?.face ?? makeController(session, options);
  const handed = early?.prompt.handOver();
  const app = render(<ShellApp controller={controller} style={style} writtenUpTo={handed?.writtenUpTo ?? -1} />, {
    stdin,
    stdout,
    // Ctrl-C drops the line (the controller handles it); it never kills the shell.
    exitOnCtrlC: false,
    // A stray console.log from a library is printed above the prompt instead of tearing the live area.
    patchConsole: true,
  });
  if (handed?.typed) controller.feed(decodeKeys(handed.typed));
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
