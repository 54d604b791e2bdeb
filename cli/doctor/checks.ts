// `lbctl doctor`'s checks: pure functions over an injected HostProbe (files, commands, processes), so every
// verdict can be tested against a fake host. Each check returns findings; a finding that is not ok carries the
// commands that fix it. The real probe is probe.ts, the words on the terminal are format.ts.
import type { Config, Scheduler } from '../../config/model.js';
import { errorSummary, formatConfigError, type LoadResult } from '../../config/load.js';
import type { DaemonInfo } from '../../engine/daemon/protocol.js';
import type { HaSnapshot } from '../../engine/ha/types.js';
import { checkVrrpSource, checkVrrpState, checkVrrpSysctls } from './vrrp.js';

export type FindingStatus = 'ok' | 'warning' | 'error';

export interface Finding {
  /** Short name of what was checked: `ipvs`, `capabilities`, `sysctl`, `config`, … */
  check: string;
  status: FindingStatus;
  detail: string;
  /** More lines belonging to the finding (the configuration's located errors). */
  lines?: string[];
  /** What fixes a non-ok finding, in the order to run it: commands, or a step that names one. */
  fix?: string[];
}

export interface RunResult {
  /** Exit code; null when the command did not run to completion (see error). */
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it did not run: `not found`, `timed out after 5000 ms`, … */
  error?: string;
}

/** Everything the checks learn about the host goes through here. */
export interface HostProbe {
  /** A file's text, or null when it cannot be read. */
  readFile(path: string): Promise<string | null>;
  exists(path: string): Promise<boolean>;
  /** May this process create files in `path` (an existing directory)? */
  writable(path: string): Promise<boolean>;
  /** execFile with a timeout: never a shell string. */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<RunResult>;
  /** The executable's full path (PATH, then the sbin directories), or null. */
  which(name: string): Promise<string | null>;
  /** Pids of running processes with this name. */
  pidof(name: string): Promise<number[]>;
  euid: number;
  /** Debian architecture (amd64, arm64, …): names the kernel package to install. */
  arch: string;
}

export interface DoctorOptions {
  configPath: string;
  stateDir: string;
  lab: boolean;
  /** dist/ of this installation: sysctl.d/, modules-load.d/, examples/. */
  distDir: string;
  loadConfig(path: string): LoadResult;
  probeDaemon(stateDir: string): Promise<DaemonInfo | null>;
  /** This lbctl's version, compared with the daemon's. */
  version: string;
  /** The daemon's HA picture (null: no daemon, or no watcher). */
  probeHa?(stateDir: string): Promise<HaSnapshot | null>;
}

export const MODULES_LOAD_FILE = '/etc/modules-load.d/lbctl.conf';
export const SYSCTL_FILE_NAME = '90-lbctl.conf';
/** What doctor expects when the shipped dist/sysctl.d/90-lbctl.conf is not there. */
export const BUILTIN_SYSCTLS: ReadonlyArray<readonly [string, string]> = [
  ['net.ipv4.ip_forward', '1'],
  ['net.ipv4.vs.expire_nodest_conn', '1'],
  ['net.ipv4.vs.expire_quiescent_template', '1'],
];
const CAP_NET_ADMIN = 12n;
const COMMAND_TIMEOUT_MS = 5000;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
const join = (dir: string, name: string) => `${dir.replace(/\/+$/, '')}/${name}`;

// ---- the whole run ----

/** Every check, in the order they are shown. The configuration is loaded once, first: schedulers and HA need it. */
export async function runDoctor(probe: HostProbe, opts: DoctorOptions): Promise<Finding[]> {
  const loaded = opts.loadConfig(opts.configPath);
  const config = loaded.config && loaded.errors.length === 0 ? loaded.config : null;
  const findings: Finding[] = [];
  if (opts.lab) {
    findings.push(labKernelFinding(opts));
  } else {
    const kernel = await kernelFacts(probe);
    findings.push(await checkIpvs(probe, kernel));
    findings.push(await checkSchedulers(probe, kernel, config, opts));
    findings.push(await checkModulesLoad(probe, kernel, opts));
    findings.push(await checkCapabilities(probe));
    findings.push(...(await checkSysctls(probe, kernel, opts)));
  }
  findings.push(checkConfig(loaded, opts));
  findings.push(await checkDaemon(opts));
  findings.push(await checkHa(probe, config, opts));
  // VRRP (cli/doctor/vrrp.ts): the ARP sysctls are the host kernel's (not the lab's); the source and the
  // daemon's picture are checked everywhere.
  if (!opts.lab) findings.push(...(await checkVrrpSysctls(probe, config)));
  findings.push(...(await checkVrrpSource(probe, config)));
  findings.push(...checkVrrpState(config, opts.probeHa ? await opts.probeHa(opts.stateDir).catch(() => null) : null));
  findings.push(await checkStateDir(probe, opts));
  return findings;
}

/** 1 when any finding is an error; warnings do not fail. */
export function exitCode(findings: readonly Finding[]): number {
  return findings.some((f) => f.status === 'error') ? 1 : 0;
}

export function countFindings(findings: readonly Finding[]): { ok: number; warnings: number; errors: number } {
  return {
    ok: findings.filter((f) => f.status === 'ok').length,
    warnings: findings.filter((f) => f.status === 'warning').length,
    errors: findings.filter((f) => f.status === 'error').length,
  };
}

export function labKernelFinding(opts: Pick<DoctorOptions, 'stateDir'>): Finding {
  return {
    check: 'kernel',
    status: 'ok',
    detail: `not applicable to the lab: IPVS, module, capability and sysctl checks skipped (the lab's IPVS is in memory, state in ${opts.stateDir})`,
  };
}

// ---- the kernel: IPVS and its modules ----

export interface KernelFacts {
  /** `uname -r`. */
  release: string;
  /** /proc/net/ip_vs's text, or null when absent (IPVS not in the running kernel). */
  procIpvs: string | null;
  /** /proc/modules exists: the kernel can load modules at all. */
  moduleSupport: boolean;
  /** Names in /proc/modules. */
  loaded: Set<string>;
  /** Names in /lib/modules/RELEASE/modules.builtin. */
  builtin: Set<string>;
  /** The ip_vs module itself. */
  ipvs: ModuleState;
}

export async function kernelFacts(probe: HostProbe): Promise<KernelFacts> {
  const release = (await probe.readFile('/proc/sys/kernel/osrelease'))?.trim() || (await probe.run('uname', ['-r'], COMMAND_TIMEOUT_MS)).stdout.trim();
  const modules = await probe.readFile('/proc/modules');
  const loaded = new Set((modules ?? '').split('\n').map((l) => l.split(' ')[0]).filter(Boolean));
  const builtinText = release ? await probe.readFile(`/lib/modules/${release}/modules.builtin`) : null;
  const builtin = new Set(
    (builtinText ?? '')
      .split('\n')
      .map((l) => /([^/]+)\.ko$/.exec(l.trim())?.[1]?.replace(/-/g, '_'))
      .filter((n): n is string => Boolean(n)),
  );
  const facts: KernelFacts = { release, procIpvs: await probe.readFile('/proc/net/ip_vs'), moduleSupport: modules !== null, loaded, builtin, ipvs: 'missing' };
  facts.ipvs = await moduleState(probe, facts, 'ip_vs');
  return facts;
}

export type ModuleState = 'loaded' | 'builtin' | 'loadable' | 'missing';

/** Is kernel module `name` in the running kernel, or can it be loaded? */
export async function moduleState(probe: HostProbe, k: Omit<KernelFacts, 'ipvs'>, name: string): Promise<ModuleState> {
  if (k.loaded.has(name)) return 'loaded';
  if (k.builtin.has(name)) return 'builtin';
  if (await probe.exists(`/sys/module/${name}`)) return k.moduleSupport ? 'loaded' : 'builtin';
  if (!k.moduleSupport) return 'missing';
  const dry = await probe.run('modprobe', ['-n', name], COMMAND_TIMEOUT_MS);
  if (dry.code === 0) return 'loadable';
  if (k.release) {
    const base = `/lib/modules/${k.release}/kernel/net/netfilter/ipvs/${name}.ko`;
    for (const ext of ['', '.xz', '.zst', '.gz']) if (await probe.exists(base + ext)) return 'loadable';
  }
  return 'missing';
}

function kernelFix(probe: HostProbe): string[] {
  return [`apt-get install linux-image-${probe.arch}`, 'reboot  (into the new kernel, then run lbctl doctor again)'];
}

export async function checkIpvs(probe: HostProbe, k: KernelFacts): Promise<Finding> {
  const state = k.ipvs;
  if (k.procIpvs !== null) {
    const version = k.procIpvs.split('\n')[0].trim();
    const how = state === 'builtin' ? 'built into the kernel' : 'ip_vs loaded';
    return { check: 'ipvs', status: 'ok', detail: `${how}, /proc/net/ip_vs present${version ? ` (${version})` : ''}` };
  }
  if (state === 'loaded' || state === 'builtin') {
    return {
      check: 'ipvs',
      status: 'error',
      detail: `ip_vs is ${state === 'loaded' ? 'loaded' : 'built in'} but /proc/net/ip_vs is missing (is /proc mounted from this network namespace?)`,
      fix: ['dmesg | grep -i ipvs  (why IPVS did not initialise)', 'modprobe -r ip_vs && modprobe ip_vs'],
    };
  }
  if (state === 'loadable') {
    // Not an error: the kernel autoloads ip_vs on lbctl's first generic-netlink request (its family alias). But
    // that is after systemd-sysctl ran, so the net.ipv4.vs.* settings would silently not apply.
    return {
      check: 'ipvs',
      status: 'warning',
      detail: `ip_vs is not loaded (no /proc/net/ip_vs); the module is available for kernel ${k.release} (autoloaded on first use, then without the net.ipv4.vs.* sysctls)`,
      fix: ['modprobe ip_vs'],
    };
  }
  const why = k.moduleSupport
    ? `no ip_vs module for it (modprobe -n ip_vs fails, no /lib/modules/${k.release}/…/ip_vs.ko*)`
    : 'and the kernel cannot load modules (no /proc/modules)';
  return {
    check: 'ipvs',
    status: 'error',
    detail: `this kernel${k.release ? ` (${k.release})` : ''} has no IPVS: ip_vs not loaded, no /proc/net/ip_vs, ${why}`,
    fix: kernelFix(probe),
  };
}

/** The schedulers a configuration uses, each with the services that use it, in first-use order. */
export function schedulersUsed(config: Config): Map<Scheduler, string[]> {
  const used = new Map<Scheduler, string[]>();
  for (const s of config.services) {
    const list = used.get(s.scheduler) ?? [];
    list.push(s.name);
    used.set(s.scheduler, list);
  }
  return used;
}

export async function checkSchedulers(probe: HostProbe, k: KernelFacts, config: Config | null, opts: Pick<DoctorOptions, 'configPath'>): Promise<Finding> {
  const check = 'schedulers';
  if (!config) {
    return { check, status: 'warning', detail: 'not checked: the configuration did not load', fix: [`lbctl validate --config ${opts.configPath}`] };
  }
  const used = schedulersUsed(config);
  if (used.size === 0) return { check, status: 'ok', detail: 'the configuration declares no services: no scheduler needed' };
  const byState: Record<ModuleState, string[]> = { loaded: [], builtin: [], loadable: [], missing: [] };
  for (const sched of used.keys()) byState[await moduleState(probe, k, `ip_vs_${sched}`)].push(`ip_vs_${sched}`);
  const parts: string[] = [];
  if (byState.loaded.length) parts.push(`${byState.loaded.join(', ')} loaded`);
  if (byState.builtin.length) parts.push(`${byState.builtin.join(', ')} built in`);
  if (byState.loadable.length)
    parts.push(`${byState.loadable.join(', ')} loadable (the kernel loads a scheduler on first use; \`modprobe -a ${byState.loadable.join(' ')}\` loads now)`);
  if (byState.missing.length === 0) return { check, status: 'ok', detail: parts.join('; ') };
  const users = byState.missing.map((m) => `${m} (${used.get(m.slice('ip_vs_'.length) as Scheduler)!.join(', ')})`);
  const noIpvs = k.procIpvs === null && k.ipvs === 'missing';
  return {
    check,
    status: 'error',
    detail: `not available in kernel ${k.release || '?'}: ${users.join(', ')}${noIpvs ? ' — the kernel has no IPVS at all' : ''}${parts.length ? `; ${parts.join('; ')}` : ''}`,
    fix: noIpvs
      ? kernelFix(probe)
      : [
          `apt-get install linux-image-${probe.arch}  (a kernel with ${byState.missing.join(', ')}), then reboot`,
          `or give those services another scheduler, then lbctl validate --config ${opts.configPath}`,
        ],
  };
}

export async function checkModulesLoad(probe: HostProbe, k: KernelFacts, opts: Pick<DoctorOptions, 'distDir'>): Promise<Finding> {
  const check = 'modules-load';
  const shipped = join(opts.distDir, 'modules-load.d/lbctl.conf');
  const install = `install -m644 ${shipped} /etc/modules-load.d/`;
  if (!k.moduleSupport && k.procIpvs !== null) {
    return { check, status: 'ok', detail: `not needed: IPVS is built into this kernel` };
  }
  const text = await probe.readFile(MODULES_LOAD_FILE);
  if (text === null) {
    const missingShipped = (await probe.exists(shipped)) ? '' : ` (note: ${shipped} is missing from this installation)`;
    return {
      check,
      status: 'warning',
      detail: `${MODULES_LOAD_FILE} is not installed: ip_vs is not loaded at boot${missingShipped}`,
      fix: [install],
    };
  }
  const names = text.split('\n').map((l) => l.replace(/[#;].*$/, '').trim()).filter(Boolean);
  if (!names.includes('ip_vs')) {
    return { check, status: 'warning', detail: `${MODULES_LOAD_FILE} does not list ip_vs`, fix: [install] };
  }
  return { check, status: 'ok', detail: `${MODULES_LOAD_FILE} loads ${names.join(', ')} at boot` };
}

// ---- capabilities ----

/** Is bit `cap` set in the CapEff line of a /proc/PID/status text? null when there is no such line. */
export function hasCapability(status: string, cap: bigint): boolean | null {
  const m = /^CapEff:\s*([0-9a-fA-F]+)\s*$/m.exec(status);
  if (!m) return null;
  return ((BigInt('0x' + m[1]) >> cap) & 1n) === 1n;
}

export async function checkCapabilities(probe: HostProbe): Promise<Finding> {
  const check = 'capabilities';
  const fix = ['run as root or grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN)'];
  const status = await probe.readFile('/proc/self/status');
  const has = status === null ? null : hasCapability(status, CAP_NET_ADMIN);
  if (has === null) {
    return probe.euid === 0
      ? { check, status: 'ok', detail: 'running as root (euid 0); CapEff not readable' }
      : { check, status: 'error', detail: `cannot read CapEff from /proc/self/status and not root (euid ${probe.euid})`, fix };
  }
  if (has) return { check, status: 'ok', detail: `CAP_NET_ADMIN effective (euid ${probe.euid})` };
  return { check, status: 'error', detail: `CAP_NET_ADMIN is not effective (euid ${probe.euid}): lbctl cannot program IPVS`, fix };
}

// ---- sysctls ----

/** sysctl.d(5) text → [key, value] pairs: `#`/`;` comments, `-key` (ignore failure) accepted, keys dotted. */
export function parseSysctlConf(text: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    let key = line.slice(0, eq).trim().replace(/^-/, '');
    const value = line.slice(eq + 1).trim();
    if (key.includes('/')) key = key.replace(/^\/+/, '').replace(/\./g, '\u0000').replace(/\//g, '.').replace(/\u0000/g, '/');
    if (key) out.push([key, value]);
  }
  return out;
}

/** /proc/sys path of a dotted key (a `/` inside a dotted key's segment stays a literal `.` per sysctl.d(5)). */
export function sysctlPath(key: string): string {
  return '/proc/sys/' + key.split('.').map((seg) => seg.replace(/\//g, '.')).join('/');
}

const normalizeValue = (v: string) => v.trim().split(/\s+/).join(' ');

export async function checkSysctls(probe: HostProbe, k: KernelFacts, opts: Pick<DoctorOptions, 'distDir'>): Promise<Finding[]> {
  const shipped = join(opts.distDir, `sysctl.d/${SYSCTL_FILE_NAME}`);
  const text = await probe.readFile(shipped);
  const wanted = text !== null ? parseSysctlConf(text) : BUILTIN_SYSCTLS.map(([key, v]) => [key, v] as [string, string]);
  const persist = text !== null ? `install -m644 ${shipped} /etc/sysctl.d/  (keeps it across reboots)` : null;
  const installed = (await probe.readFile(`/etc/sysctl.d/${SYSCTL_FILE_NAME}`)) !== null;
  const source = text !== null ? '' : ` (built-in expectation: no ${shipped})`;
  const out: Finding[] = [];
  for (const [key, value] of wanted) {
    const set = `sysctl -w ${key}=${value}`;
    const fix = [set, ...(installed ? [] : [persist ?? `echo '${key} = ${value}' >> /etc/sysctl.d/${SYSCTL_FILE_NAME}  (keeps it across reboots)`])];
    const actual = await probe.readFile(sysctlPath(key));
    if (actual === null) {
      if (/^net\.ipv[46]\.vs\./.test(key) && k.procIpvs === null) {
        out.push({
          check: 'sysctl',
          status: 'warning',
          detail: `${key}: unreadable until ip_vs is loaded (the net.ipv4.vs.* keys come with it); want ${value}${source}`,
          fix: [k.ipvs === 'loadable' ? 'modprobe ip_vs' : 'first give the kernel IPVS (see the ipvs finding)', ...fix],
        });
      } else {
        out.push({ check: 'sysctl', status: 'warning', detail: `${key}: not present in this kernel (${sysctlPath(key)}); want ${value}${source}`, fix });
      }
      continue;
    }
    if (normalizeValue(actual) === normalizeValue(value)) {
      out.push({ check: 'sysctl', status: 'ok', detail: `${key} = ${normalizeValue(actual)}${source}` });
    } else {
      out.push({ check: 'sysctl', status: 'warning', detail: `${key} = ${normalizeValue(actual)}, want ${value}${source}`, fix });
    }
  }
  return out;
}

// ---- configuration ----

export function checkConfig(loaded: LoadResult, opts: Pick<DoctorOptions, 'configPath' | 'distDir'>): Finding {
  const check = 'config';
  const validate = `lbctl validate --config ${opts.configPath}`;
  if (!loaded.config || loaded.errors.length > 0) {
    // Nothing there at all (a directory path, not a .yaml file): start from the shipped examples.
    const unreadable =
      loaded.files.length === 0 && loaded.errors.length === 1 && loaded.errors[0].file === opts.configPath && !/\.ya?ml$/.test(opts.configPath);
    const seed = `mkdir -p ${opts.configPath} && cp -r ${join(opts.distDir, 'examples')}/. ${opts.configPath}/  (start from the examples)`;
    return {
      check,
      status: 'error',
      detail: `${errorSummary(loaded.errors.length)} (${opts.configPath})`,
      lines: loaded.errors.map(formatConfigError),
      fix: unreadable ? [seed, validate] : [validate],
    };
  }
  if (loaded.files.length === 0) {
    return {
      check,
      status: 'warning',
      detail: `no configuration files in ${opts.configPath} (expected config.yaml or config.d/*.yaml): nothing to balance`,
      fix: [`cp -r ${join(opts.distDir, 'examples')}/. ${opts.configPath}/  (start from the examples)`, validate],
    };
  }
  const services = loaded.config.services;
  const backends = services.reduce((n, s) => n + s.backends.length, 0);
  return { check, status: 'ok', detail: `valid: ${plural(services.length, 'service')}, ${plural(backends, 'backend')} (${opts.configPath})` };
}

// ---- the daemon ----

/** `3d 4h`, `2h 5m`, `12m 3s`, `45s`. */
export function formatUptime(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

export async function checkDaemon(opts: Pick<DoctorOptions, 'stateDir' | 'lab' | 'probeDaemon' | 'version'>): Promise<Finding> {
  const check = 'daemon';
  let info: DaemonInfo | null;
  try {
    info = await opts.probeDaemon(opts.stateDir);
  } catch {
    info = null;
  }
  const stateFlag = opts.lab ? ' --lab' : ` --state-dir ${opts.stateDir}`;
  if (!info) {
    const start = opts.lab ? 'lbctl daemon --lab' : 'systemctl enable --now lbctl';
    return { check, status: 'warning', detail: `no daemon: commits run in-process; start it with \`${start}\``, fix: [start] };
  }
  const base = `daemon pid ${info.pid} up for ${formatUptime(info.uptimeMs)}, revision ${info.runningRevision}`;
  const restart = opts.lab ? `kill ${info.pid}, then lbctl daemon --lab` : 'systemctl restart lbctl';
  if (info.version !== opts.version) {
    return {
      check,
      status: 'warning',
      detail: `${base}, runs lbctl ${info.version} but this is ${opts.version} (upgraded without a restart?)`,
      fix: [restart],
    };
  }
  if (info.inSync === false) {
    return {
      check,
      status: 'warning',
      detail: `${base}, the kernel is NOT in sync with the running configuration${info.lastReconcile ? ` (last check ${info.lastReconcile})` : ''}`,
      fix: [`lbctl status${stateFlag}  (what differs)`, `lbctl apply${stateFlag}`],
    };
  }
  return { check, status: 'ok', detail: `${base}, ${info.inSync === null ? 'first drift check pending' : 'in sync'}` };
}

// ---- HA ----

async function running(probe: HostProbe, name: string, pidFile?: string): Promise<number | null> {
  const pids = await probe.pidof(name);
  if (pids.length) return pids[0];
  if (pidFile) {
    const pid = Number((await probe.readFile(pidFile))?.trim());
    if (Number.isInteger(pid) && pid > 0 && (await probe.exists(`/proc/${pid}`))) return pid;
  }
  return null;
}

export async function checkHa(probe: HostProbe, config: Config | null, opts: Pick<DoctorOptions, 'configPath'>): Promise<Finding> {
  const check = 'ha';
  if (!config) {
    return { check, status: 'warning', detail: 'not checked: the configuration did not load', fix: [`lbctl validate --config ${opts.configPath}`] };
  }
  const ha = config.ha;
  if (ha.source === 'none') return { check, status: 'ok', detail: 'HA not used (ha.source: none): this node always programs its services' };
  // Without its VRRP source every instance is unknown: a master-only node then only keeps what is programmed and
  // follows no failover (engine/ha/programming.ts): an error; with `always` a warning.
  const notRunning = ha.program === 'master-only' ? 'error' : 'warning';
  const consequence =
    ha.program === 'master-only' ? 'VRRP state unknown: with program: master-only this node keeps its services as they are and follows no failover' : 'VRRP state unknown';
  if (ha.source === 'frr') {
    const vtysh = await probe.which('vtysh');
    if (!vtysh) {
      return { check, status: 'error', detail: 'ha.source is frr but vtysh is not on PATH (FRR not installed?)', fix: ['apt-get install frr', "sed -i 's/^vrrpd=no/vrrpd=yes/' /etc/frr/daemons", 'systemctl restart frr'] };
    }
    const ps = ha.frr_pathspace;
    const runDir = ps ? `/run/frr/${ps}` : '/run/frr';
    const daemonsFile = ps ? `/etc/frr/${ps}/daemons` : '/etc/frr/daemons';
    const pid = await running(probe, 'vrrpd', `${runDir}/vrrpd.pid`);
    if (pid !== null) return { check, status: 'ok', detail: `frr: ${vtysh} found, vrrpd running (pid ${pid})` };
    const daemons = await probe.readFile(daemonsFile);
    const enabled = daemons !== null && /^\s*vrrpd\s*=\s*yes\b/m.test(daemons);
    const fix = enabled
      ? ['systemctl restart frr', 'journalctl -u frr  (why vrrpd stopped)']
      : [`sed -i 's/^vrrpd=no/vrrpd=yes/' ${daemonsFile}  (enable vrrpd=yes)`, 'systemctl restart frr'];
    return {
      check,
      status: notRunning,
      detail: `frr: vrrpd is not running (${enabled ? `enabled in ${daemonsFile}` : `vrrpd=yes not set in ${daemonsFile}`}): ${consequence}`,
      fix,
    };
  }
  const bin = await probe.which('keepalived');
  if (!bin) {
    return { check, status: 'error', detail: 'ha.source is keepalived but the keepalived binary is not installed', fix: ['apt-get install keepalived', 'systemctl enable --now keepalived'] };
  }
  const pid = await running(probe, 'keepalived', '/run/keepalived.pid');
  if (pid !== null) return { check, status: 'ok', detail: `keepalived: ${bin} running (pid ${pid})` };
  return {
    check,
    status: notRunning,
    detail: `keepalived: ${bin} installed but not running: ${consequence}`,
    fix: ['systemctl enable --now keepalived', 'journalctl -u keepalived  (if it does not stay up)'],
  };
}

// ---- the state directory ----

function parentOf(path: string): string | null {
  const trimmed = path.replace(/\/+$/, '');
  const i = trimmed.lastIndexOf('/');
  if (i < 0) return null;
  return i === 0 ? '/' : trimmed.slice(0, i);
}

export async function checkStateDir(probe: HostProbe, opts: Pick<DoctorOptions, 'stateDir'>): Promise<Finding> {
  const check = 'state-dir';
  const dir = opts.stateDir;
  if (await probe.exists(dir)) {
    if (await probe.writable(dir)) return { check, status: 'ok', detail: `${dir} is writable` };
    return {
      check,
      status: 'warning',
      detail: `${dir} is not writable by this user (euid ${probe.euid}): commits will fail`,
      fix: [`run as root, or chown $(id -un) ${dir}`],
    };
  }
  let ancestor = parentOf(dir);
  while (ancestor !== null && !(await probe.exists(ancestor))) ancestor = parentOf(ancestor);
  if (ancestor !== null && (await probe.writable(ancestor))) {
    return { check, status: 'ok', detail: `${dir} does not exist yet; the first commit creates it` };
  }
  return {
    check,
    status: 'warning',
    detail: `${dir} does not exist and cannot be created by this user (euid ${probe.euid})`,
    fix: [`install -d -m 0750 ${dir}  (as root)`],
  };
}
