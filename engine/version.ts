// The version, read from package.json at run time so it cannot drift from the package.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;
export function lbctlVersion(): string {
  if (cached) return cached;
  // build/engine/version.js → ../../package.json
  const pkg = JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8'));
  cached = String(pkg.version);
  return cached;
}
