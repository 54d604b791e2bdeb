// TEST-ONLY: real VRRP labs on the host kernel, in network namespaces this module creates and removes.
//
//   switch namespace  <tag>s : bridge vwbr0 (192.0.2.254/24, a client address), veths vwa and vwb enslaved
//   balancer A        <tag>a : vweth0 192.0.2.1/24  (FRR: macvlan vwv4-<vrid> with the VRRP MAC and the VIP)
//   balancer B        <tag>b : vweth0 192.0.2.2/24  (idem)
//
// The FRR lab runs a real zebra + vrrpd per balancer, each in its own pathspace (named like its namespace, so
// `vtysh -N <tag>a` talks to A's FRR); the keepalived lab runs a real keepalived per balancer with its config,
// pid files and log under a temp dir. Every name starts with `vw` and carries a random tag, so parallel tests of
// other engineers never clash. Nothing is attached to the root namespace; test traffic stays in 192.0.2.0/24
// inside these namespaces. Recipe and measured behaviour: docs/ha.md.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Ha } from '../../config/model.js';
import { parseShowVrrpJson, type FrrRouter } from '../../engine/ha/frr-json.js';

export const FRR_BIN = '/usr/lib/frr';
export const VRID = 10;
export const PARENT = 'vweth0';
export const VIP = '192.0.2.100';
export type Node = 'a' | 'b';

/** Why a lab cannot run here, or null. */
export function labUnavailable(kind: 'frr' | 'keepalived'): string | null {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces)';
  if (spawnSync('ip', ['-V']).status !== 0) return 'needs iproute2 (ip)';
  if (kind === 'frr') {
    if (spawnSync('vtysh', ['-h']).error) return 'vtysh is not installed (FRR: apt-get install frr)';
    if (!existsSync(join(FRR_BIN, 'zebra')) || !existsSync(join(FRR_BIN, 'vrrpd'))) return `FRR's zebra/vrrpd are not in ${FRR_BIN}`;
  } else if (spawnSync('keepalived', ['--version']).error) return 'keepalived is not installed (apt-get install keepalived)';
  return null;
}

function run(file: string, args: string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Running (a zombie is not: FRR daemonizes, and its reaper may be slow to collect it). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) S ...": the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Signal a process we started and wait (bounded) until it is gone. */
async function stopPid(pid: number, signal: NodeJS.Signals, waitMs = 5000): Promise<void> {
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  for (const end = Date.now() + waitMs; Date.now() < end; ) {
    if (!alive(pid)) return;
    await sleep(20);
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

/** Wait (bounded) until `check` returns a value other than undefined/false; throws with `what` on timeout. */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => T | undefined | false | Promise<T | undefined | false>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await sleep(50);
  }
}

/** The three namespaces and their wiring. */
export class NetLab {
  readonly tag = `vw${randomBytes(3).toString('hex')}`;
  readonly ns = { s: `${this.tag}s`, a: `${this.tag}a`, b: `${this.tag}b` };
  readonly addr = { a: '192.0.2.1', b: '192.0.2.2', client: '192.0.2.254' };
  readonly dir = mkdtempSync(join(tmpdir(), 'vw-lab-'));
  private created: string[] = [];

  build(): void {
    for (const ns of Object.values(this.ns)) {
      run('ip', ['netns', 'add', ns]);
      this.created.push(ns);
      this.ip(ns, 'link', 'set', 'lo', 'up');
    }
    const s = this.ns.s;
    this.ip(s, 'link', 'add', 'vwbr0', 'type', 'bridge');
    this.ip(s, 'addr', 'add', `${this.addr.client}/24`, 'dev', 'vwbr0');
    this.ip(s, 'link', 'set', 'vwbr0', 'up');
    for (const n of ['a', 'b'] as const) {
      const ns = this.ns[n];
      // trap 6: `name` before the first name too.
      run('ip', ['link', 'add', 'name', `vw${n}`, 'netns', s, 'type', 'veth', 'peer', 'name', PARENT, 'netns', ns]);
      this.ip(s, 'link', 'set', `vw${n}`, 'master', 'vwbr0', 'up');
      // trap 4: without these the parent answers ARP for the VIP and clients reach the Backup.
      run('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_ignore=1', 'net.ipv4.conf.all.arp_announce=2']);
      this.ip(ns, 'addr', 'add', `${this.addr[n]}/24`, 'dev', PARENT);
      this.ip(ns, 'link', 'set', PARENT, 'up');
    }
  }

  ip(ns: string, ...args: string[]): string {
    return run('ip', ['-n', ns, ...args]);
  }

  /** Set a balancer's parent link (vweth0) up or down. */
  setParent(node: Node, up: boolean): void {
    this.ip(this.ns[node], 'link', 'set', PARENT, up ? 'up' : 'down');
  }

  /** Does the VIP sit on an interface of this balancer? */
  hasAddress(node: Node, addr: string): boolean {
    const out = JSON.parse(this.ip(this.ns[node], '-j', 'addr', 'show')) as { addr_info: { local: string }[] }[];
    return out.some((l) => l.addr_info.some((a) => a.local === addr));
  }

  destroy(): void {
    for (const ns of this.created.reverse()) spawnSync('ip', ['netns', 'del', ns]);
    this.created = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface FrrLabOptions {
  /** VRRP advertisement interval (ms; FRR rounds to centiseconds). The reference measurements used 1000. */
  advertMs?: number;
  priority?: { a: number; b: number };
}

/** Two real FRR (zebra + vrrpd) on the NetLab, VRRPv3 VRID 10 on vweth0, VIP on macvlan vwv4-10. */
export class FrrLab {
  readonly net = new NetLab();
  readonly macvlan = `vwv4-${VRID}`;
  readonly advertMs: number;
  private readonly priority: { a: number; b: number };

  constructor(opts: FrrLabOptions = {}) {
    this.advertMs = opts.advertMs ?? 1000;
    this.priority = { ...(opts.priority ?? { a: 200, b: 100 }) };
  }

  /** Pathspace of a balancer's FRR: the namespace's name. */
  pathspace(node: Node): string {
    return this.net.ns[node];
  }

  /** What the watcher in balancer A is configured with. */
  ha(pollMs = 1000): Ha {
    return {
      source: 'frr',
      program: 'master-only',
      instances: [{ name: 'vw10', vrid: VRID, interface: PARENT, vips: [VIP] }],
      frr_pathspace: this.pathspace('a'),
      poll_interval_ms: pollMs,
    };
  }

  async start(): Promise<void> {
    this.net.build();
    // The daemons drop to the frr user: the temp dir and configs must be readable by it.
    chmodSync(this.net.dir, 0o755);
    for (const n of ['a', 'b'] as const) {
      const ns = this.net.ns[n];
      // trap 5: addrgenmode only after creation, before up.
      this.net.ip(ns, 'link', 'add', 'link', PARENT, 'name', this.macvlan, 'type', 'macvlan', 'mode', 'bridge');
      this.net.ip(ns, 'link', 'set', this.macvlan, 'address', `00:00:5e:00:01:${VRID.toString(16).padStart(2, '0')}`);
      this.net.ip(ns, 'link', 'set', this.macvlan, 'addrgenmode', 'random');
      this.net.ip(ns, 'addr', 'add', `${VIP}/24`, 'dev', this.macvlan);
      this.net.ip(ns, 'link', 'set', this.macvlan, 'up');
      const conf = join(this.net.dir, n);
      mkdirSync(join(conf, ns), { recursive: true });
      chmodSync(conf, 0o755);
      writeFileSync(join(conf, ns, 'vtysh.conf'), ''); // silences vtysh's warning in the lab's own calls
      writeFileSync(join(conf, 'zebra.conf'), `hostname ${ns}\n`, { mode: 0o644 });
      run('install', ['-d', '-o', 'frr', '-g', 'frr', this.runDir(n)]);
      await this.startDaemon(n, 'zebra');
      await this.startVrrpd(n);
    }
  }

  private runDir(node: Node): string {
    return `/var/run/frr/${this.pathspace(node)}`;
  }

  private pidFile(node: Node, daemon: 'zebra' | 'vrrpd'): string {
    return join(this.runDir(node), `${daemon}.pid`);
  }

  pid(node: Node, daemon: 'zebra' | 'vrrpd'): number | null {
    try {
      const pid = Number(readFileSync(this.pidFile(node, daemon), 'utf8').trim());
      return pid > 0 && alive(pid) ? pid : null;
    } catch {
      return null;
    }
  }

  private async startDaemon(node: Node, daemon: 'zebra' | 'vrrpd'): Promise<void> {
    const conf = join(this.net.dir, node, `${daemon}.conf`);
    rmSync(this.pidFile(node, daemon), { force: true });
    run('ip', ['netns', 'exec', this.net.ns[node], join(FRR_BIN, daemon), '-d', '-N', this.pathspace(node), '-P', '0', '-f', conf, '-i', this.pidFile(node, daemon)]);
    await waitFor(`${daemon} of ${node} to start`, 10_000, () => this.pid(node, daemon) !== null && existsSync(join(this.runDir(node), `${daemon}.vty`)));
  }

  /** Start vrrpd on a balancer with its current priority (written into its config). */
  async startVrrpd(node: Node): Promise<void> {
    const lines = [
      `hostname ${this.net.ns[node]}`,
      `interface ${PARENT}`,
      ` vrrp ${VRID} version 3`,
      ` vrrp ${VRID} priority ${this.priority[node]}`,
      ` vrrp ${VRID} advertisement-interval ${this.advertMs}`,
      ` vrrp ${VRID} ip ${VIP}`,
      '',
    ];
    writeFileSync(join(this.net.dir, node, 'vrrpd.conf'), lines.join('\n'), { mode: 0o644 });
    await this.startDaemon(node, 'vrrpd');
  }

  vtysh(node: Node, ...commands: string[]): string {
    return run('vtysh', ['-N', this.pathspace(node), '--config_dir', join(this.net.dir, node), ...commands.flatMap((c) => ['-c', c])]);
  }

  /** vrrpd's own view (one router: VRID 10 on vweth0). */
  show(node: Node): FrrRouter {
    const r = parseShowVrrpJson(this.vtysh(node, 'show vrrp json')).find((x) => x.vrid === VRID);
    if (!r) throw new Error(`no vrrp ${VRID} on ${node}`);
    return r;
  }

  /** Wait (bounded) until vrrpd on `node` reports `status` for IPv4. */
  async waitStatus(node: Node, status: 'Master' | 'Backup' | 'Initialize', timeoutMs = 15_000): Promise<void> {
    await waitFor(`${node} to be ${status}`, timeoutMs, () => this.show(node).v4.status === status);
  }

  /** Change a balancer's priority in the running vrrpd (and in its config, for a restart). */
  setPriority(node: Node, priority: number): void {
    this.priority[node] = priority;
    this.vtysh(node, 'configure terminal', `interface ${PARENT}`, `vrrp ${VRID} priority ${priority}`);
  }

  /** Graceful stop: SIGTERM, vrrpd sends a priority-0 advertisement so the peer takes over at once. */
  async stopVrrpd(node: Node): Promise<void> {
    const pid = this.pid(node, 'vrrpd');
    if (pid) await stopPid(pid, 'SIGTERM');
  }

  /** Crash: SIGKILL, nothing sent; the macvlan stays as it was (trap 2). */
  async killVrrpd(node: Node): Promise<void> {
    const pid = this.pid(node, 'vrrpd');
    if (pid) await stopPid(pid, 'SIGKILL');
  }

  async teardown(): Promise<void> {
    for (const n of ['a', 'b'] as const) {
      // vrrpd before zebra (it talks to zebra on the way out).
      for (const d of ['vrrpd', 'zebra'] as const) {
        const pid = this.pid(n, d);
        if (pid) await stopPid(pid, 'SIGTERM', 3000);
      }
      rmSync(this.runDir(n), { recursive: true, force: true });
    }
    this.net.destroy();
  }
}

/** Two real keepalived (VRRP only) on the NetLab; the VIP moves onto vweth0 of the Master. */
export class KeepalivedLab {
  readonly net = new NetLab();
  private readonly procs = new Map<Node, ChildProcess>();
  private readonly priority = { a: 200, b: 100 };

  ha(pollMs = 1000): Ha {
    return {
      source: 'keepalived',
      program: 'master-only',
      instances: [{ name: 'vw10', vrid: VRID, interface: PARENT, instance: 'vw10', vips: [VIP] }],
      poll_interval_ms: pollMs,
    };
  }

  async start(): Promise<void> {
    this.net.build();
    for (const n of ['a', 'b'] as const) await this.startNode(n);
  }

  private file(node: Node, name: string): string {
    return join(this.net.dir, `${node}-${name}`);
  }

  async startNode(node: Node): Promise<void> {
    const conf = [
      'global_defs {',
      `  router_id ${this.net.ns[node]}`,
      '}',
      'vrrp_instance vw10 {',
      '  state BACKUP',
      `  interface ${PARENT}`,
      `  virtual_router_id ${VRID}`,
      `  priority ${this.priority[node]}`,
      '  advert_int 1',
      `  virtual_ipaddress {\n    ${VIP}/24\n  }`,
      '}',
      '',
    ].join('\n');
    writeFileSync(this.file(node, 'keepalived.conf'), conf);
    // --dont-fork keeps the parent as our child (its pid is ip's: `ip netns exec` execs); own pid files so two
    // instances (and any system keepalived) never collide.
    const p = spawn(
      'ip',
      [
        'netns', 'exec', this.net.ns[node], 'keepalived', '--dont-fork', '--vrrp', '--log-console', '--log-detail',
        `--use-file=${this.file(node, 'keepalived.conf')}`, `--pid=${this.file(node, 'keepalived.pid')}`,
        `--vrrp_pid=${this.file(node, 'vrrp.pid')}`, `--checkers_pid=${this.file(node, 'checkers.pid')}`,
      ],
      { stdio: ['ignore', 'ignore', 'ignore'] },
    );
    this.procs.set(node, p);
    await waitFor(`keepalived of ${node} to start its VRRP child`, 10_000, () => existsSync(this.file(node, 'vrrp.pid')));
  }

  /** keepalived's SIGTERM: the Master sends a priority-0 advertisement and removes the VIP. */
  async stopNode(node: Node): Promise<void> {
    const p = this.procs.get(node);
    this.procs.delete(node);
    if (p?.pid && p.exitCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      await stopPid(p.pid, 'SIGTERM', 8000);
      await Promise.race([exited, sleep(2000)]);
    }
  }

  async teardown(): Promise<void> {
    for (const n of ['a', 'b'] as const) await this.stopNode(n);
    this.net.destroy();
  }
}
