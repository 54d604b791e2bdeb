// Shared set-up for the commit-workflow tests: a temporary lab (configuration + state directory), sessions on it
// driven through the same ShellSession API the faces use, and a way to answer questions.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../../../config/context.js';
import { createContextBackend, type ContextBackendExtras } from '../../../shell/session-backend.js';
import { createSession } from '../../../shell/session.js';
import type { ExecResult, ShellSession } from '../../../shell/session-api.js';

export interface Lab {
  dir: string;
  ctx: Context;
  cleanup(): void;
}

/** An empty configuration directory holding one file, plus a state directory. */
export function makeLab(configYaml = 'vip: 192.0.2.10\n'): Lab {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-cw-'));
  const configPath = join(dir, 'config');
  const stateDir = join(dir, 'state');
  mkdirSync(configPath);
  mkdirSync(stateDir);
  writeFileSync(join(configPath, 'config.yaml'), configYaml);
  return {
    dir,
    ctx: { configPath, stateDir, lab: true, labDefaults: false },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A session on the lab, as `lbctl shell --lab` opens it (optionally with injected extras). */
export async function openLabSession(lab: Lab, extras: ContextBackendExtras = {}, env: NodeJS.ProcessEnv = process.env): Promise<ShellSession> {
  if (Object.keys(extras).length === 0) return createSession({ context: lab.ctx, interactive: false, env });
  const backend = await createContextBackend(lab.ctx, env, { ensureGuard: () => {}, ...extras });
  return createSession({ backend, lab: true, terminal: { length: 0, width: 200 } });
}

/** Runs each line; throws with the line and the error when one fails (unless it is the last and `allowError`). */
export async function run(s: ShellSession, ...lines: string[]): Promise<ExecResult> {
  let last: ExecResult = { output: '' };
  for (const line of lines) {
    last = await s.execute(line);
    if (last.error) throw new Error(`${s.prompt()}${line}\n${last.error}`);
  }
  return last;
}

/** The output (or error) of one line. */
export async function out(s: ShellSession, line: string): Promise<string> {
  const r = await s.execute(line);
  return r.output + (r.error ?? '');
}

/** The compiled CLI entry of this build (build-X/cli/main.js). */
export function cliEntry(): string {
  return fileURLToPath(new URL('../../../cli/main.js', import.meta.url));
}
