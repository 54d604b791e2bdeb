// Small configurations for the store's tests, built from the model's defaults.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config, Service } from '../../../config/model.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';

export function service(name: string, port: number, backends: string[] = ['10.0.0.1', '10.0.0.2'], vip = '192.0.2.10'): Service {
  return {
    ...defaultService(name, 'tcp'),
    vip,
    ports: [port],
    backends: backends.map((a) => ({ ...defaultBackend(a), port: 8080 })),
  };
}

/** A configuration with the given services (and an optional node name). */
export function configWith(services: Service[], nodeName?: string): Config {
  const c = defaultConfig();
  c.services = services;
  if (nodeName) c.node.name = nodeName;
  return c;
}

/** N services web1..webN on ports 8001.. */
export function configOf(n: number, tag = ''): Config {
  return configWith(Array.from({ length: n }, (_, i) => service(`web${i + 1}${tag}`, 8001 + i)));
}

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) rmSync(dir, { recursive: true, force: true });
});

/** A fresh root with state/ and etc/ paths (not created); removed when the test process exits. */
export function tempDirs(prefix = 'lbctl-store-'): { root: string; stateDir: string; configDir: string } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  created.push(root);
  return { root, stateDir: join(root, 'state'), configDir: join(root, 'etc') };
}

/** A fixed, injectable clock. */
export class FakeClock {
  constructor(public t: number = Date.parse('2026-11-25T15:00:00Z')) {}
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}
