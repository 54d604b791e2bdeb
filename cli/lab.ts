// What the commands share to reach their dataplane and configuration, with the operator-facing errors: the
// dataplane a command should use (the lab's table or the kernel), and the configuration or its located errors.
import type { Dataplane } from '../netlink/dataplane.js';
import { HostDataplaneError, openHostDataplane } from '../engine/host-dataplane.js';
import { UserError } from './command.js';
import { missingConfiguration, type Context } from '../config/context.js';
import type { Config } from '../config/model.js';
import { loadConfig } from '../config/load.js';
import type { CliIO } from './command.js';
import { reportErrors } from './commands/validate.js';
import { openStore } from '../store/store.js';

export { LAB_TABLE_FILE } from '../engine/host-dataplane.js';
export { ensureLab, examplesDir } from '../config/lab.js';

/** The dataplane for this context: the lab's persisted in-memory table, or the kernel through netlink. */
export async function openContextDataplane(ctx: Context): Promise<Dataplane> {
  try {
    return await openHostDataplane(ctx);
  } catch (e) {
    if (e instanceof HostDataplaneError) throw new UserError(e.message);
    throw e;
  }
}

/** The configuration at ctx.configPath, or null after printing every located error. */
/** Says plainly that the context has no configuration (and how to create one); true when it has none. */
export function reportMissingConfiguration(ctx: Context, io: CliIO): boolean {
  const missing = missingConfiguration(ctx);
  if (missing) io.stderr(`lbctl: ${missing.why}.\n${missing.hint.charAt(0).toUpperCase()}${missing.hint.slice(1)}.\n`);
  return missing !== null;
}

export function loadConfigOrReport(ctx: Context, io: CliIO): Config | null {
  if (reportMissingConfiguration(ctx, io)) return null;
  const result = loadConfig(ctx.configPath);
  if (!result.config || result.errors.length) {
    reportErrors(result, ctx.configPath, io);
    return null;
  }
  return result.config;
}

/** The running revision's configuration (what the engine programmed), or null without a readable store. */
export async function runningConfig(ctx: Context): Promise<Config | null> {
  try {
    const store = await openStore({ stateDir: ctx.stateDir, configPath: ctx.configPath, readOnly: true });
    const r = store.running();
    return r.number > 0 ? r.config : null;
  } catch {
    return null;
  }
}
