// TEST-ONLY: a copy of this installation (bin, this build as build/, dist, package.json, node_modules) that every user may read,
// for tests that run lbctl as a second, unprivileged uid. A clone in a 0700 folder (mktemp's, or /root, where CI
// and root users clone) cannot be read by that uid at all, which would test the folder, not lbctl.
import { chmodSync, cpSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';

/** The build this module belongs to (BUILD/test/support → ../..: build/, or another --outDir such as build-ssh2/). */
const BUILD = fileURLToPath(new URL('../../', import.meta.url));
/** The repository root: the build folder's parent. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface ReadableInstall {
  dir: string;
  /** bin/lbctl of the copy. */
  lbctl: string;
  cleanup(): void;
}

export function readableInstall(): ReadableInstall {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-install-'));
  for (const part of ['bin', 'dist', 'package.json', 'node_modules']) cpSync(join(ROOT, part), join(dir, part), { recursive: true, verbatimSymlinks: true });
  // The build in use becomes the copy's build/ (the folder bin/lbctl loads), whatever its name here.
  cpSync(BUILD, join(dir, 'build'), { recursive: true, verbatimSymlinks: true });
  chmodSync(dir, 0o755);
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  return { dir, lbctl: join(dir, 'bin', 'lbctl'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface ReadableLab {
  root: string;
  config: string;
  state: string;
  /** HOME for the runs (the lab keeps nothing there but it must exist), without CI (ink's CI detection). */
  env: NodeJS.ProcessEnv;
  /** `lbctl ARGS --lab --config … --state-dir STATE`; `labMode` false leaves out --lab. */
  args(extra: string[], labMode?: boolean, stateDir?: string): string[];
  /** Runs lbctl from the install with those arguments, as this user or as `user` (runuser). */
  run(extra: string[], opts?: { user?: string; stateDir?: string; labMode?: boolean }): SpawnSyncReturns<string>;
}

/** A lab (dist/examples configuration, empty state) in a folder every user can read, for tests of `install`. */
export function readableLab(install: ReadableInstall, t: { after(fn: () => void): void }): ReadableLab {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-lab-'));
  chmodSync(root, 0o755);
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const config = join(root, 'config');
  cpSync(join(install.dir, 'dist', 'examples'), config, { recursive: true });
  const state = join(root, 'state');
  mkdirSync(join(root, 'home'));
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(root, 'home') };
  delete env.CI;
  const args = (extra: string[], labMode = true, stateDir = state) => [...extra, ...(labMode ? ['--lab'] : []), '--config', config, '--state-dir', stateDir];
  const run = (extra: string[], opts: { user?: string; stateDir?: string; labMode?: boolean } = {}) => {
    const argv = [install.lbctl, ...args(extra, opts.labMode ?? true, opts.stateDir)];
    return opts.user
      ? spawnSync('runuser', ['-u', opts.user, '--', ...argv], { encoding: 'utf8', env, input: '' })
      : spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', env, input: '' });
  };
  return { root, config, state, env, args, run };
}
