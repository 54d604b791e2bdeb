// The configuration the scale benchmarks use: N IPv4 tcp services × 4 backends, 100 services per file in
// config.d/ (LBCTL_BENCH_PER_FILE; LBCTL_BENCH_FORMAT=json for files a generator wrote as JSON). Addresses are
// documentation ranges (VIPs 192.0.2.0/24 and 203.0.113.0/24 on many ports, backends 198.51.100.0/24): table
// entries only, no traffic is ever sent to them.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const BACKENDS = 4;
/** Services per file (LBCTL_BENCH_PER_FILE; 100 by default, as an operator splits a large configuration). */
export const PER_FILE = Math.max(1, Number(process.env.LBCTL_BENCH_PER_FILE ?? 100));
/** The service files written as JSON instead of block YAML (LBCTL_BENCH_FORMAT=json). */
const AS_JSON = process.env.LBCTL_BENCH_FORMAT === 'json';

/** Service i: a documentation VIP (two /24s) on port 10000 + i / 500. */
export function vipOf(i: number): { vip: string; port: number } {
  const slot = i % 500;
  const vip = slot < 250 ? `192.0.2.${slot + 1}` : `203.0.113.${slot - 249}`;
  return { vip, port: 10_000 + Math.floor(i / 500) };
}

/** Backend j of service i: 198.51.100.x:8080+j, weight 1+j. */
export const backendOf = (i: number, j: number) => ({ address: `198.51.100.${1 + ((i * BACKENDS + j) % 250)}`, port: 8080 + j, weight: 1 + j });

/**
 * Service i of the in-memory benchmarks (engine plan, health): `svc<i>` on a unique 10.x.y.z:80, wrr, with the
 * backends given (the health bench points them at its loopback targets).
 */
export function memoryService<B>(i: number, backends: B[]) {
  return { name: `svc${i}`, vip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, protocol: 'tcp' as const, ports: [80], scheduler: 'wrr' as const, backends };
}

/** config.yaml (reconcile interval, limits, audit into the state directory) and config.d/NNNN.yaml. */
export function writeBigConfig(dir: string, stateDir: string, services: number, reconcileIntervalMs: number): void {
  mkdirSync(join(dir, 'config.d'), { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      '# lbctl scale benchmark',
      'node:',
      '  name: benchlb',
      'daemon:',
      `  reconcile_interval_ms: ${reconcileIntervalMs}`,
      '  limits:',
      `    max_services: ${Math.max(services, 10_000)}`,
      'observability:',
      '  prometheus: {enabled: false}',
      '  audit:',
      `    path: ${join(stateDir, 'audit.jsonl')}`,
      '',
    ].join('\n'),
  );
  for (let f = 0; f * PER_FILE < services; f++) {
    if (AS_JSON) {
      // As a generator would write it (JSON is YAML): JSON.stringify(…, null, 2), backends' weights included.
      const items = [];
      for (let i = f * PER_FILE; i < Math.min(services, (f + 1) * PER_FILE); i++) {
        const { vip, port } = vipOf(i);
        items.push({ name: `s${i}`, vip, ports: [port], scheduler: 'wrr', health: { enabled: false }, backends: Array.from({ length: BACKENDS }, (_, j) => backendOf(i, j)) });
      }
      writeFileSync(join(dir, 'config.d', `${String(f).padStart(4, '0')}.yaml`), `${JSON.stringify({ services: items }, null, 2)}\n`);
      continue;
    }
    const lines = ['services:'];
    for (let i = f * PER_FILE; i < Math.min(services, (f + 1) * PER_FILE); i++) {
      const { vip, port } = vipOf(i);
      lines.push(`  - name: s${i}`, `    vip: ${vip}`, `    ports: [${port}]`, '    scheduler: wrr', '    health: {enabled: false}', '    backends:');
      for (let j = 0; j < BACKENDS; j++) {
        const b = backendOf(i, j);
        lines.push(`      - {address: ${b.address}, port: ${b.port}, weight: ${b.weight}}`);
      }
    }
    writeFileSync(join(dir, 'config.d', `${String(f).padStart(4, '0')}.yaml`), lines.join('\n') + '\n');
  }
}

/** The same table as `ipvsadm -R` input (masquerading, wrr), for the ipvsadm reference beside lbctl. */
export function ipvsadmRules(services: number): string {
  const lines: string[] = [];
  for (let i = 0; i < services; i++) {
    const { vip, port } = vipOf(i);
    lines.push(`-A -t ${vip}:${port} -s wrr`);
    for (let j = 0; j < BACKENDS; j++) {
      const b = backendOf(i, j);
      lines.push(`-a -t ${vip}:${port} -r ${b.address}:${b.port} -m -w ${b.weight}`);
    }
  }
  return lines.join('\n') + '\n';
}
