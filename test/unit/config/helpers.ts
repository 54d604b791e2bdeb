// Shared by the config unit tests: the repository root (for dist/examples), temporary configuration
// directories, and a CliIO that records what a command prints.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { CliIO } from '../../../cli/command.js';

/** The checkout: this file runs from <out>/test/unit/config/, four levels below it. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const EXAMPLES_DIR = join(REPO_ROOT, 'dist', 'examples');

/**
 * A seeded generator of integers 0..n-1 (mulberry32): the same walk at every run. (A linear congruential step
 * in doubles, `seed * 1103515245 % 2^31`, loses precision above 2^53 and falls into a short cycle.)
 */
export function seededRandom(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * n | 0;
  };
}

/** Freezes a configuration deeply, as the store freezes the revisions it keeps (and shares with candidates). */
export function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** A fresh directory holding `files` (relative path → content); removed by the returned cleanup. */
export function tempConfigDir(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-config-test-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RecordingIO extends CliIO {
  out: string[];
  err: string[];
}

export function recordingIO(env: NodeJS.ProcessEnv = {}): RecordingIO {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    stdout: (s) => void out.push(s),
    stderr: (s) => void err.push(s),
    stdin: Readable.from([]),
    isTTY: false,
    env,
  };
}

/** The issue's example service file, byte for byte. */
export const ISSUE_EXAMPLE = `services:
  - name: switchboard-udp
    protocol: udp
    ports: [7543-7814]
    backends:
      - address: 192.168.94.22
        port: 0
        weight: 1
    health:
      enabled: true
      type: udp_echo          # udp_echo, tcp, ...
      port: 8080
      interval_ms: 1000
      timeout_ms: 300
      fail_after: 3
      recover_after: 2
      payload: "PING"
      expect: "PING"
  - name: postgres-cluster
    protocol: tcp
    ports: [5432]
    port_ranges: []
    scheduler: lc
    backends:
      - {address: 192.168.1.101, port: 5432, weight: 100}
      - {address: 192.168.1.102, port: 5432, weight: 100}
    health: {enabled: true, type: tcp, port: 5432, interval_ms: 10000, timeout_ms: 3000, fail_after: 3, recover_after: 2}
`;

/** A service file with five different mistakes, and the five lines lbctl prints for it. */
export const FIVE_MISTAKES = `services:
  - name: web
    vip: 192.0.2.10
    protocol: tcp
    ports: [80]
    backends:
      - address: 198.51.100.11
        weight: 1
      - address: 198.51.100.12
        wieght: 1
      - address: 198.51.100.13
        port: 80
        enabled: true
        weight: -5
      - address: 198.51.100.300
    health:
      type: udp_echo
      interval_ms: 1000
  - name: api
    vip: 192.0.2.11
    ports: [8080, 9000-8000]
`;

export const FIVE_MISTAKES_ERRORS = [
  'config.d/web.yaml:10:9: services[0].backends[1].wieght: unknown key "wieght" (did you mean "weight"?)',
  'config.d/web.yaml:14:17: services[0].backends[2].weight: must be 0..2147483647, got -5',
  'config.d/web.yaml:15:18: services[0].backends[3].address: must be an IPv4 or IPv6 address, got "198.51.100.300"',
  'config.d/web.yaml:17:13: services[0].health.type: a udp_echo check needs a udp service; this one is tcp: use tcp, http, https or none',
  'config.d/web.yaml:21:19: services[1].ports[1]: range 9000-8000 is reversed: write 8000-9000',
];
