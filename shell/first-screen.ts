// The first prompt before the session opens. Opening a session loads about 150 of lbctl's modules (the grammar of
// every mode, the engine, the store) and opens the store under its lock: a few hundred milliseconds on a busy
// machine. The prompt and the banner's head need only the running revision's number and node name, the operator's
// identity and the context, all cheap to read; so the shell paints them first (early-prompt.ts) and keeps what
// is typed until the session is there. When the disk leaves any doubt (running-peek.ts), or the configuration is
// missing, there is no early screen and the prompt comes when the session has opened, as it always did.
import type { Context } from '../config/context.js';
import { missingConfiguration } from '../config/context.js';
import { canConfigure, operatorIdentity } from '../config/identity.js';
import { lbctlVersion } from '../engine/version.js';
import { bannerHead, execPrompt, systemNodeName } from '../present/first-lines.js';
import { peekRunning } from '../store/running-peek.js';

export interface FirstScreen {
  /** The banner's first lines, unstyled (the session's banner starts with exactly these). */
  head: string;
  /** The exec prompt, unstyled. */
  prompt: string;
}

export function firstScreen(ctx: Context, env: NodeJS.ProcessEnv): FirstScreen | null {
  if (missingConfiguration(ctx)) return null;
  const running = peekRunning(ctx.stateDir);
  if (!running) return null;
  let version: string;
  try {
    version = lbctlVersion();
  } catch {
    return null;
  }
  const node = running.nodeName || systemNodeName();
  const readOnly = !canConfigure(operatorIdentity({ env }));
  return { head: bannerHead(version, node, running.number), prompt: execPrompt(node, ctx.lab, readOnly) };
}
