// `lbctl doctor`: is this host ready to run lbctl? Kernel IPVS and its modules, capabilities, sysctls, the
// configuration, the daemon, the HA source and the state directory; every problem with the command that fixes it.
// The checks are pure (cli/doctor/checks.ts) over the real host probe (cli/doctor/probe.ts).
import type { CliCommand } from '../command.js';
import { resolveContext } from '../../config/context.js';
import { ensureLab } from '../../config/lab.js';
import { parseCommandArgs } from './validate.js';
import { lbctlVersion } from '../../engine/version.js';
import { loadConfig } from '../../config/load.js';
import { probeDaemon } from '../../engine/daemon/client.js';
import { daemonHa } from '../../engine/daemon/ha-client.js';
import { exitCode, runDoctor } from '../doctor/checks.js';
import { distDir, hostProbe } from '../doctor/probe.js';
import { findingsJson, formatFindings } from '../doctor/format.js';

const USAGE = `usage: lbctl doctor [--json] [--config DIR|FILE] [--state-dir DIR] [--lab]

Checks this host for running lbctl. Every finding is ok, warning or error; each warning and error is
followed by the command that fixes it (fix: ...).
  ipvs            ip_vs loaded and /proc/net/ip_vs present; if not: the module can be loaded (warning,
                  fix: modprobe ip_vs) or the kernel lacks IPVS (error, fix: install a kernel with it, reboot)
  schedulers      the ip_vs_<scheduler> modules the configuration's services use are loaded or loadable
  modules-load    /etc/modules-load.d/lbctl.conf installed, so ip_vs is loaded at boot (warning)
  capabilities    CAP_NET_ADMIN in this process's effective set (needed to program IPVS over netlink)
  sysctl          each key of dist/sysctl.d/90-lbctl.conf has its value in /proc/sys (warning; the
                  net.ipv4.vs.* keys exist only once ip_vs is loaded)
  config          the configuration loads and validates; every error as FILE:LINE:COLUMN: PATH: MESSAGE
  daemon          the lbctl daemon of the state directory answers: pid, uptime, revision, in sync (no daemon:
                  warning, commits then run in-process)
  ha              ha.source frr: vtysh installed and FRR's vrrpd running; keepalived: installed and running;
                  none: not used. Not running is an error with program: master-only, else a warning
  vrrp-sysctl     each instance's interface: arp_ignore >= 1, arp_announce >= 2 (all or the interface's
                  own value); error with frr (the VIP sits on both nodes), warning with keepalived
  vrrp-source     frr: vtysh -c 'show vrrp json' answers and lists each (interface, vrid); keepalived:
                  each instance's interface and which of its VIPs it holds (Master) or not (Backup)
  vrrp-state      the daemon's watcher: split brain is an error; unknown an error with master-only
  state-dir       the state directory is writable, or can be created (commits write revisions there)
With --lab the kernel checks (ipvs, schedulers, modules-load, capabilities, sysctl) do not apply and are
skipped: the lab's IPVS is in memory and its state lives under ~/.lbctl-lab. See docs/doctor.md.

Options:
  --json              one JSON object: {"ok", "configPath", "stateDir", "lab", "summary": {ok, warnings, errors},
                      "findings": [{check, status, detail, lines, fix}]}
  --config DIR|FILE   configuration (default /etc/lbctl, env LBCTL_CONFIG)
  --state-dir DIR     state directory (default /var/lib/lbctl, env LBCTL_STATE_DIR)
  --lab               check the lab (~/.lbctl-lab) instead of the kernel

Exit status: 0 no errors (warnings do not fail), 1 at least one error, 2 bad usage.
`;

const doctor: CliCommand = {
  name: 'doctor',
  summary: 'check this host for running lbctl: IPVS, capabilities, sysctls, configuration, daemon, HA',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('doctor', argv, { json: { type: 'boolean' } }, 0);
    const ctx = resolveContext(values, io.env);
    const note = await ensureLab(ctx);
    if (note) io.stderr(note + '\n');
    const findings = await runDoctor(hostProbe(io.env), {
      configPath: ctx.configPath,
      stateDir: ctx.stateDir,
      lab: ctx.lab,
      distDir: distDir(),
      loadConfig,
      probeDaemon: (dir) => probeDaemon(dir),
      probeHa: (dir) => daemonHa(dir),
      version: lbctlVersion(),
    });
    io.stdout(values.json ? findingsJson(findings, { configPath: ctx.configPath, stateDir: ctx.stateDir, lab: ctx.lab }) : formatFindings(findings));
    return exitCode(findings);
  },
};

export default doctor;
