// The daemon as the systemd unit starts it (dist/systemd/lbctl.service): the node (V8) flags of its ExecStart
// (`/usr/bin/env node <flags> /usr/bin/lbctl daemon`) and the variables of its Environment= lines, so that a
// benchmark's daemon is the daemon as installed. LBCTL_BENCH_NODE_FLAGS overrides the flags ("" for none: V8's
// defaults); LBCTL_BENCH_UNIT_ENV=0 leaves the unit's variables out.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface InstalledDaemon {
  nodeFlags: string[];
  env: Record<string, string>;
}

/** The flags between `node` and the script in a unit's ExecStart line; none if it does not start node. */
export function unitNodeFlags(unitText: string): string[] {
  const exec = /^ExecStart=(.*)$/m.exec(unitText)?.[1] ?? '';
  const words = exec.split(/\s+/).filter(Boolean);
  const node = words.findIndex((w) => w === 'node' || w.endsWith('/node'));
  if (node < 0) return [];
  const flags: string[] = [];
  for (const w of words.slice(node + 1)) {
    if (!w.startsWith('--')) break;
    flags.push(w);
  }
  return flags;
}

/** The variables of a unit's `Environment=NAME=value` lines (unquoted, one or more per line). */
export function unitEnvironment(unitText: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const m of unitText.matchAll(/^Environment=(.*)$/gm))
    for (const word of m[1].split(/\s+/).filter(Boolean)) {
      const eq = word.indexOf('=');
      if (eq > 0) env[word.slice(0, eq)] = word.slice(eq + 1);
    }
  return env;
}

/** For the build in `buildDir` (`<repo>/build`): its repository's unit (none for an old build without one). */
export function installedDaemon(buildDir: string): InstalledDaemon {
  let unit = '';
  try {
    unit = readFileSync(join(buildDir, '..', 'dist', 'systemd', 'lbctl.service'), 'utf8');
  } catch {
    /* a build without the unit (an old one given by path): V8's and glibc's defaults, as it was installed then */
  }
  const given = process.env.LBCTL_BENCH_NODE_FLAGS;
  return {
    nodeFlags: given !== undefined ? given.split(' ').filter(Boolean) : unitNodeFlags(unit),
    env: process.env.LBCTL_BENCH_UNIT_ENV === '0' ? {} : unitEnvironment(unit),
  };
}
