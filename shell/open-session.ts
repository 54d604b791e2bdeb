// Finds the session engine (shell/session.ts, built by its own module) for the CLI. Loaded lazily so that
// `lbctl shell -c` never pays for the ink UI, and the UI never pays for anything it does not show.
import type { Context } from '../config/context.js';
import type { ShellSession } from './session-api.js';

export interface OpenSessionOptions {
  context: Context;
  /** True for the terminal UI (the session may size tables to the terminal). */
  interactive: boolean;
  env: NodeJS.ProcessEnv;
}

export async function openSession(options: OpenSessionOptions): Promise<ShellSession> {
  const { createSession } = await import('./session.js');
  return createSession(options);
}
