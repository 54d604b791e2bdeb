// Shared by the session tests: a session on a static backend, and a runner that feeds lines like line mode.
import type { Config } from '../../../config/model.js';
import { applyDefaults } from '../../../config/defaults.js';
import { createSession } from '../../../shell/session.js';
import { createStaticBackend } from '../../../shell/session-backend.js';
import type { ExecResult, ShellSession } from '../../../shell/session-api.js';
import { MemoryDataplane } from '../../../netlink/memory.js';

export interface Fixture {
  session: ShellSession;
  backend: ReturnType<typeof createStaticBackend>;
  dataplane: MemoryDataplane;
  /** Run lines in order; throws (with the line) on the first error unless `allowError`. Returns the last result. */
  run(...lines: string[]): Promise<ExecResult>;
  /** The output of one line (must succeed). */
  out(line: string): Promise<string>;
  /** The error of one line (must fail). */
  err(line: string): Promise<string>;
}

export function fixture(opts: { config?: unknown; readOnly?: boolean; lab?: boolean; role?: 'master' | 'backup' | null; hostname?: string } = {}): Fixture {
  const dataplane = new MemoryDataplane();
  const config: Config = applyDefaults(opts.config ?? {});
  const backend = createStaticBackend({ config, dataplane, hostname: opts.hostname ?? 'lb1', role: opts.role ?? null, revision: 7 });
  const session = createSession({ backend, readOnly: opts.readOnly, lab: opts.lab, terminal: { width: 120, length: 0 } });
  const run = async (...lines: string[]) => {
    let last: ExecResult = { output: '' };
    for (const l of lines) {
      last = await session.execute(l);
      if (last.error) throw new Error(`"${l}" failed:\n${last.error}`);
    }
    return last;
  };
  return {
    session,
    backend,
    dataplane,
    run,
    out: async (l) => (await run(l)).output,
    err: async (l) => {
      const r = await session.execute(l);
      if (!r.error) throw new Error(`"${l}" succeeded but an error was expected; output:\n${r.output}`);
      return r.error;
    },
  };
}

/** A configuration with a bit of everything, in the YAML model's shape. */
export const RICH_CONFIG = {
  node: { name: 'edge1' },
  vip: '192.0.2.1',
  daemon: { reconcile_interval_ms: 2500, state_cache: { enabled: false, ttl_ms: 500 }, limits: { max_services: 500, max_ports_per_range: 100 }, revisions_kept: 80 },
  ha: {
    source: 'frr',
    program: 'master-only',
    instances: [
      { name: 'v1', vrid: 10, interface: 'eth0', vips: ['192.0.2.1', '192.0.2.2'] },
      { name: 'v2', vrid: 11, interface: 'eth1', instance: 'VI_2', vips: [] },
    ],
    frr_pathspace: 'lb',
    poll_interval_ms: 700,
  },
  observability: {
    prometheus: { enabled: true, bind: '0.0.0.0', port: 9100 },
    gelf: { enabled: true, host: 'logs.example', port: 12202, facility: 'edge' },
    audit: { path: '/var/log/lbctl/a.jsonl' },
  },
  services: [
    {
      name: 'web',
      description: 'front web | public',
      vip: '192.0.2.10',
      protocol: 'tcp',
      ports: [80, 443, { from: 8000, to: 8010 }],
      port_ranges: [{ from: 9000, to: 9001 }, 9100],
      scheduler: 'sh',
      scheduler_flags: ['sh-port', 'sh-fallback'],
      persistence: { timeout: 600, netmask: '255.255.255.0' },
      forwarding: { method: 'tunnel', tunnel: { type: 'gue', port: 6080, csum: 'remcsum' } },
      u_threshold: 1000,
      l_threshold: 10,
      on_down: 'remove',
      backends: [
        { address: '10.0.0.1', port: 8080, weight: 5, enabled: true },
        { address: '10.0.0.2', port: 0, weight: 0, enabled: false, u_threshold: 50, l_threshold: 5 },
        { address: '10.0.0.1', port: 8081, weight: 1, enabled: true },
      ],
      health: {
        enabled: false,
        type: 'https',
        port: 8443,
        interval_ms: 5000,
        timeout_ms: 900,
        fail_after: 4,
        recover_after: 6,
        http: { path: '/health z', method: 'HEAD', host: 'web.example', expect_status: [200, 204], insecure: true },
      },
      enabled: false,
    },
    {
      name: 'dns6',
      vip: '2001:db8::53',
      protocol: 'udp',
      ports: [53],
      scheduler: 'mh',
      scheduler_flags: ['mh-port'],
      persistence: { timeout: 30, netmask: 64 },
      forwarding: { method: 'dr' },
      backends: [{ address: '2001:db8::1', port: 0, weight: 1, enabled: true }],
      health: { enabled: true, type: 'dns', interval_ms: 1000, timeout_ms: 300, fail_after: 3, recover_after: 2, dns: { query: 'example.org', record_type: 'AAAA' } },
    },
    {
      name: 'echo',
      description: 'udp echo; "lab" only',
      protocol: 'udp',
      ports: [7],
      health: { enabled: true, type: 'udp_echo', interval_ms: 1000, timeout_ms: 300, fail_after: 3, recover_after: 2, payload: 'PING me', expect: 'PONG "x"' },
    },
    { name: 'marked', fwmark: 42, protocol: 'tcp', forwarding: { method: 'tunnel' }, backends: [{ address: '10.1.0.1', port: 80, weight: 3, enabled: true }] },
  ],
};
