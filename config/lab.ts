// The lab (`--lab`): try lbctl without touching /etc, /var/lib or the kernel. Its configuration and state live
// under ~/.lbctl-lab/ (seeded from the shipped dist/examples the first time); its "kernel" is the in-memory IPVS
// persisted in the state directory (engine/host-dataplane.ts), so successive lbctl commands see the same table.
import { cp, mkdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Context } from './context.js';

/** dist/examples of this installation (build/config/lab.js → ../../dist/examples). */
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
