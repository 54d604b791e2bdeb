// The lab (`--lab`): try lbctl without touching /etc, /var/lib or the kernel. Its configuration and state live
// under ~/.lbctl-lab/ (seeded from the shipped dist/examples the first time), and its "kernel" is the in-memory
// IPVS persisted in the state directory, so successive lbctl commands see the same table.
// Also here: opening the dataplane a command should use (lab or kernel), with the operator-facing errors.
import { cp, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Dataplane } from '../netlink/dataplane.js';
import { DataplaneUnavailableError, openDataplane } from '../netlink/open.js';
import { UserError } from './command.js';
import type { Context } from './context.js';
import { Engine } from '../engine/engine.js';
import type { Config } from '../config/model.js';
import { loadConfig } from '../config/load.js';
import type { CliIO } from './command.js';
import { reportErrors } from './commands/validate.js';

/** The lab's IPVS table, inside its state directory. */
export const LAB_TABLE_FILE = 'lab-ipvs.json';

/** dist/examples of this installation (build/cli/lab.js → ../../dist/examples). */
export function examplesDir(): string {
  return fileURLToPath(new URL('../../dist/examples', import.meta.url));
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * With `--lab` on its default paths: create ~/.lbctl-lab/{config,state}, copying dist/examples into config the
 * first time. Returns a note for the operator when it seeded, else null. Paths the user chose are never seeded.
 */
export async function ensureLab(ctx: Context, examples = examplesDir()): Promise<string | null> {
  if (!ctx.lab) return null;
  await mkdir(ctx.stateDir, { recursive: true });
  if (!ctx.labDefaults || (await exists(ctx.configPath))) return null;
  if (!(await exists(examples))) {
    await mkdir(ctx.configPath, { recursive: true });
    return `lab: created an empty configuration in ${ctx.configPath} (no examples found at ${examples})`;
  }
  await cp(examples, ctx.configPath, { recursive: true, errorOnExist: false, force: false });
  return `lab: seeded ${ctx.configPath} from ${examples}`;
}

/** The dataplane for this context: the lab's persisted in-memory table, or the kernel through netlink. */
export async function openContextDataplane(ctx: Context): Promise<Dataplane> {
  if (ctx.lab) {
    try {
      return await openDataplane({ kind: 'memory', persistPath: join(ctx.stateDir, LAB_TABLE_FILE) });
    } catch (e) {
      throw new UserError(`lab table: ${(e as Error).message}`);
    }
  }
  try {
    return await openDataplane({ kind: 'netlink' });
  } catch (e) {
    if (e instanceof DataplaneUnavailableError) throw new UserError(e.message);
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND')
      throw new UserError('the kernel dataplane (netlink/ipvs) is not part of this build; use --lab for the in-memory dataplane');
    throw e;
  }
}
// ---- hosting the engine for one command (apply, status, disable) ----


export interface CommandEngine {
  dataplane: Dataplane;
  engine: Engine;
  close(): Promise<void>;
}

/** Open the context's dataplane and start an engine on it (one full read of the table). */
export async function startCommandEngine(ctx: Context): Promise<CommandEngine> {
  const dataplane = await openContextDataplane(ctx);
  const engine = new Engine({ dataplane, stateDir: ctx.stateDir });
  try {
    await engine.start();
  } catch (e) {
    await dataplane.close();
    throw e;
  }
  return {
    dataplane,
    engine,
    async close() {
      await engine.close();
      await dataplane.close();
    },
  };
}

/** The configuration at ctx.configPath, or null after printing every located error. */
export function loadConfigOrReport(ctx: Context, io: CliIO): Config | null {
  const result = loadConfig(ctx.configPath);
  if (!result.config || result.errors.length) {
    reportErrors(result, ctx.configPath, io);
    return null;
  }
  return result.config;
}
