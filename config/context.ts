// Where a command finds its configuration, its state and its dataplane: flags first, then the environment,
// then the defaults. `--lab` moves both under ~/.lbctl-lab so trying lbctl never touches /etc or the kernel.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export const DEFAULT_CONFIG_DIR = '/etc/lbctl';
export const DEFAULT_STATE_DIR = '/var/lib/lbctl';

export interface Context {
  /** Configuration directory (holding config.yaml and config.d/) or a single YAML file. */
  configPath: string;
  stateDir: string;
  lab: boolean;
  /** Set when configPath/stateDir were chosen by --lab defaults (the lab may seed them from dist/). */
  labDefaults: boolean;
}

export interface CommonFlags {
  config?: string;
  'state-dir'?: string;
  lab?: boolean;
}

/** Option definitions for node:util parseArgs shared by every subcommand. */
export const COMMON_OPTIONS = {
  config: { type: 'string' },
  'state-dir': { type: 'string' },
  lab: { type: 'boolean' },
} as const;

export function resolveContext(flags: CommonFlags, env: NodeJS.ProcessEnv = process.env): Context {
  const lab = Boolean(flags.lab);
  const labRoot = join(env.HOME || homedir(), '.lbctl-lab');
  const configFromUser = flags.config ?? env.LBCTL_CONFIG;
  const stateFromUser = flags['state-dir'] ?? env.LBCTL_STATE_DIR;
  const configPath = resolve(configFromUser ?? (lab ? join(labRoot, 'config') : DEFAULT_CONFIG_DIR));
  const stateDir = resolve(stateFromUser ?? (lab ? join(labRoot, 'state') : DEFAULT_STATE_DIR));
  return { configPath, stateDir, lab, labDefaults: lab && !configFromUser && !stateFromUser };
}

/**
 * Why this context has no configuration to read (its path does not exist), with how to create one on purpose,
 * or null. Nothing creates a configuration by the way (`lbctl init` does); the lab seeds its own.
 */
export function missingConfiguration(ctx: Context): { why: string; hint: string } | null {
  if (ctx.lab || existsSync(ctx.configPath)) return null;
  return {
    why: `there is no configuration at ${ctx.configPath} (no such file or directory)`,
    hint: `'lbctl init${ctx.configPath === DEFAULT_CONFIG_DIR ? '' : ` --config ${ctx.configPath}`}' creates a commented starting configuration`,
  };
}
