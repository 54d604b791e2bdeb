// TEST-ONLY: a copy of this installation (bin, this build as build/, dist, package.json, node_modules) that every user may read,
// for tests that run lbctl as a second, unprivileged uid. A clone in a 0700 folder (mktemp's, or /root, where CI
// and root users clone) cannot be read by that uid at all, which would test the folder, not lbctl.
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';

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
