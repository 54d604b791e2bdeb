// Loading a configuration file's text as the store would, for the splice tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../config/load.js';
import type { Config } from '../../../config/model.js';

export function loadConfigText(text: string): Config {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-splice-'));
  try {
    writeFileSync(join(dir, 'config.yaml'), text);
    const r = loadConfig(join(dir, 'config.yaml'));
    if (!r.config) throw new Error(`does not load: ${JSON.stringify(r.errors)}`);
    return r.config;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
