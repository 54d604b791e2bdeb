// Loading a configuration file's text as the store would, for the splice tests.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../config/load.js';
import type { Config, Service } from '../../../config/model.js';
import { applyDefaults } from '../../../config/defaults.js';

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

/** The configuration with every section at its default: what a splice is given as the file's other sections. */
export const sections = (): Config => applyDefaults({});

/** The services a file's text loads to. */
export const services = (text: string): Service[] => loadConfigText(text).services;

/** A copy of the service `name` of the text, changed by `fn`. */
export function edit(text: string, name: string, fn: (s: Service) => void): Service {
  const s = structuredClone(services(text).find((x) => x.name === name)!);
  fn(s);
  return s;
}
