// lbctl doctor's checks against a fake host: every verdict, its fix, and the exit code they add up to.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfigTexts, type LoadResult } from '../../../config/load.js';
import type { DaemonInfo } from '../../../engine/daemon/protocol.js';
import {
  checkCapabilities,
  checkConfig,
  checkDaemon,
  checkHa,
  checkIpvs,
  checkModulesLoad,
  checkSchedulers,
  checkStateDir,
  checkSysctls,
  exitCode,
  hasCapability,
  kernelFacts,
  parseSysctlConf,
  runDoctor,
  type DoctorOptions,
  type Finding,
  type HostProbe,
  type RunResult,
} from '../../../cli/doctor/checks.js';
import { formatFindings, summaryLine } from '../../../cli/doctor/format.js';

const RELEASE = '6.1.0-57-amd64';
const DIST = '/opt/lbctl/dist';
const ROOT_STATUS = 'Name:\tnode\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n';

interface FakeHost {
  files?: Record<string, string>;
  dirs?: string[];
  writable?: string[];
  /** `modprobe -n NAME` succeeds for these. */
  modprobable?: string[];
  binaries?: Record<string, string>;
  processes?: Record<string, number[]>;
  euid?: number;
}

/** A host that is only what it is told: files, directories, loadable modules, binaries and processes. */
function fakeProbe(h: FakeHost): HostProbe & { ran: Array<[string, string[]]> } {
  const files: Record<string, string> = { '/proc/sys/kernel/osrelease': `${RELEASE}\n`, ...(h.files ?? {}) };
  const ran: Array<[string, string[]]> = [];
  return {
    ran,
    readFile: async (p) => files[p] ?? null,
    exists: async (p) => p in files || (h.dirs ?? []).includes(p),
    writable: async (p) => (h.writable ?? []).includes(p),
    run: async (cmd, args): Promise<RunResult> => {
      ran.push([cmd, args]);
      if (cmd === 'modprobe' && args[0] === '-n') {
        return (h.modprobable ?? []).includes(args[1])
          ? { code: 0, stdout: '', stderr: '' }
          : { code: 1, stdout: '', stderr: `modprobe: FATAL: Module ${args[1]} not found in directory /lib/modules/${RELEASE}\n` };
      }
      return { code: null, stdout: '', stderr: '', error: 'not found' };
    },
    which: async (n) => h.binaries?.[n] ?? null,
    pidof: async (n) => h.processes?.[n] ?? [],
    euid: h.euid ?? 0,
    arch: 'amd64',
  };
}

const EXAMPLE_CONFIG = `vip: 203.0.113.10
services:
  - name: web
    ports: [80]
    scheduler: wrr
    backends: [{address: 198.51.100.11, weight: 1}]
  - name: api
    ports: [8080]
    backends: [{address: 198.51.100.12, weight: 1}]
`;

function configWith(ha = ''): LoadResult {
  return loadConfigTexts([{ path: 'config.yaml', text: EXAMPLE_CONFIG + ha }]);
}

function options(over: Partial<DoctorOptions> = {}): DoctorOptions {
  return {
    configPath: '/etc/lbctl',
    stateDir: '/var/lib/lbctl',
    lab: false,
    distDir: DIST,
    loadConfig: () => configWith(),
    probeDaemon: async () => null,
    version: '0.1.0',
    ...over,
  };
}

const MODULES_NO_IPVS = 'nf_conntrack 200704 1 - Live 0x0000000000000000\nx_tables 57344 0 - Live 0x0000000000000000\n';
const MODULES_IPVS =
  'ip_vs_wrr 12288 1 - Live 0x0000000000000000\nip_vs 204800 3 ip_vs_wrr, Live 0x0000000000000000\n' + MODULES_NO_IPVS;
const PROC_IPVS = 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n';

test('ip_vs not loaded but available: a warning (the kernel would autoload it), the fix is modprobe ip_vs; loadable schedulers are fine', async () => {
  const probe = fakeProbe({ files: { '/proc/modules': MODULES_NO_IPVS }, modprobable: ['ip_vs', 'ip_vs_wrr', 'ip_vs_wlc'] });
  const k = await kernelFacts(probe);
  assert.equal(k.ipvs, 'loadable');
  const f = await checkIpvs(probe, k);
  assert.equal(f.status, 'warning');
  assert.match(f.detail, /ip_vs is not loaded/);
  assert.deepEqual(f.fix, ['modprobe ip_vs']);
  assert.ok(probe.ran.some(([c, a]) => c === 'modprobe' && a.join(' ') === '-n ip_vs'), 'asked modprobe, no shell');

  const s = await checkSchedulers(probe, k, configWith().config, options());
  assert.equal(s.status, 'ok', s.detail);
  assert.match(s.detail, /ip_vs_wrr, ip_vs_wlc loadable/);
  assert.match(s.detail, /modprobe -a ip_vs_wrr ip_vs_wlc/);
});

test('ip_vs available only as a file under /lib/modules (no modprobe): still loadable', async () => {
  const probe = fakeProbe({
    files: { '/proc/modules': MODULES_NO_IPVS, [`/lib/modules/${RELEASE}/kernel/net/netfilter/ipvs/ip_vs.ko.xz`]: '' },
  });
  const k = await kernelFacts(probe);
  assert.equal(k.ipvs, 'loadable');
  assert.deepEqual((await checkIpvs(probe, k)).fix, ['modprobe ip_vs']);
});

test('ip_vs loaded: ok with the version line; a scheduler the kernel lacks is an error naming its services', async () => {
  const probe = fakeProbe({ files: { '/proc/modules': MODULES_IPVS, '/proc/net/ip_vs': PROC_IPVS } });
  const k = await kernelFacts(probe);
  const f = await checkIpvs(probe, k);
  assert.equal(f.status, 'ok');
  assert.match(f.detail, /ip_vs loaded, \/proc\/net\/ip_vs present \(IP Virtual Server version 1\.2\.1/);
  assert.equal(f.fix, undefined);

  const s = await checkSchedulers(probe, k, configWith().config, options());
  assert.equal(s.status, 'error');
  assert.match(s.detail, /ip_vs_wlc \(api\)/);
  assert.match(s.detail, /ip_vs_wrr loaded/);
});

test('a kernel without IPVS and without module support: error, the fix installs a kernel and reboots', async () => {
  const probe = fakeProbe({});
  const k = await kernelFacts(probe);
  assert.equal(k.moduleSupport, false);
  const f = await checkIpvs(probe, k);
  assert.equal(f.status, 'error');
  assert.match(f.detail, /has no IPVS/);
  assert.match(f.detail, /cannot load modules/);
  assert.deepEqual(f.fix?.[0], 'apt-get install linux-image-amd64');
  assert.match(f.fix?.[1] ?? '', /^reboot/);
});

test('modules-load file: missing is a warning with the install command from dist/; present listing ip_vs is ok', async () => {
  const none = fakeProbe({ files: { '/proc/modules': MODULES_NO_IPVS } });
  const w = await checkModulesLoad(none, await kernelFacts(none), options());
  assert.equal(w.status, 'warning');
  assert.deepEqual(w.fix, [`install -m644 ${DIST}/modules-load.d/lbctl.conf /etc/modules-load.d/`]);
  const some = fakeProbe({ files: { '/proc/modules': MODULES_IPVS, '/etc/modules-load.d/lbctl.conf': '# lbctl\nip_vs\nip_vs_wlc\n' } });
  assert.equal((await checkModulesLoad(some, await kernelFacts(some), options())).status, 'ok');
});

test('CapEff without bit 12: error with the capability fix; with it: ok', async () => {
  // 0x...efff: every bit of the low 16 except bit 12.
  const noNetAdmin = ROOT_STATUS.replace(/CapEff:.*\n/, 'CapEff:\t000001ffffffefff\n');
  assert.equal(hasCapability(noNetAdmin, 12n), false);
  assert.equal(hasCapability(noNetAdmin, 13n), true);
  const f = await checkCapabilities(fakeProbe({ files: { '/proc/self/status': noNetAdmin }, euid: 1000 }));
  assert.equal(f.status, 'error');
  assert.match(f.detail, /CAP_NET_ADMIN is not effective/);
  assert.deepEqual(f.fix, ['run as root or grant CAP_NET_ADMIN (systemd: AmbientCapabilities=CAP_NET_ADMIN)']);
  const onlyNetAdmin = ROOT_STATUS.replace(/CapEff:.*\n/, 'CapEff:\t0000000000001000\n');
  assert.equal((await checkCapabilities(fakeProbe({ files: { '/proc/self/status': onlyNetAdmin }, euid: 1000 }))).status, 'ok');
});

test('sysctl.d parsing: comments, spacing, the - prefix, slash keys', () => {
  assert.deepEqual(
    parseSysctlConf('# lbctl\n; also a comment\nnet.ipv4.ip_forward = 1\n-net.ipv4.vs.conntrack=1\n\nnet/ipv4/vs/expire_nodest_conn = 1\nnet.ipv4.ip_local_port_range = 1024   65000\n'),
    [
      ['net.ipv4.ip_forward', '1'],
      ['net.ipv4.vs.conntrack', '1'],
      ['net.ipv4.vs.expire_nodest_conn', '1'],
      ['net.ipv4.ip_local_port_range', '1024   65000'],
    ],
  );
});

test('sysctl mismatch: warning with sysctl -w and the install of the shipped file; unreadable vs.* keys say ip_vs is not loaded', async () => {
  const probe = fakeProbe({
    files: {
      '/proc/modules': MODULES_NO_IPVS,
      [`${DIST}/sysctl.d/90-lbctl.conf`]: '# shipped\nnet.ipv4.ip_forward = 1\nnet.ipv4.vs.expire_nodest_conn = 1\nnet.ipv4.ip_local_port_range = 1024 65000\n',
      '/proc/sys/net/ipv4/ip_forward': '0\n',
      '/proc/sys/net/ipv4/ip_local_port_range': '1024\t65000\n',
    },
    modprobable: ['ip_vs'],
  });
  const out = await checkSysctls(probe, await kernelFacts(probe), options());
  assert.equal(out.length, 3);
  const [fwd, nodest, range] = out;
  assert.equal(fwd.status, 'warning');
  assert.match(fwd.detail, /^net\.ipv4\.ip_forward = 0, want 1$/);
  assert.deepEqual(fwd.fix, ['sysctl -w net.ipv4.ip_forward=1', `install -m644 ${DIST}/sysctl.d/90-lbctl.conf /etc/sysctl.d/  (keeps it across reboots)`]);
  assert.equal(nodest.status, 'warning');
  assert.match(nodest.detail, /unreadable until ip_vs is loaded/);
  assert.equal(nodest.fix?.[0], 'modprobe ip_vs');
  assert.equal(range.status, 'ok', 'tabs and spaces compare equal');
});

test('sysctls without the shipped file: the built-in expectations', async () => {
  const probe = fakeProbe({
    files: {
      '/proc/net/ip_vs': PROC_IPVS,
      '/proc/sys/net/ipv4/ip_forward': '1\n',
      '/proc/sys/net/ipv4/vs/expire_nodest_conn': '1\n',
      '/proc/sys/net/ipv4/vs/expire_quiescent_template': '0\n',
    },
  });
  const out = await checkSysctls(probe, await kernelFacts(probe), options());
  assert.deepEqual(out.map((f) => f.status), ['ok', 'ok', 'warning']);
  assert.match(out[2].detail, /net\.ipv4\.vs\.expire_quiescent_template = 0, want 1 \(built-in expectation/);
  assert.equal(out[2].fix?.[0], 'sysctl -w net.ipv4.vs.expire_quiescent_template=1');
});

test('an invalid configuration: error with every located error line, as lbctl validate prints them', () => {
  const loaded = loadConfigTexts([
    { path: 'config.yaml', text: 'vip: 203.0.113.10\n' },
    { path: 'config.d/web.yaml', text: 'services:\n  - name: web\n    ports: [80]\n    backends:\n      - address: 198.51.100.11\n        weight: -5\n' },
  ]);
  const f = checkConfig(loaded, options());
  assert.equal(f.status, 'error');
  assert.match(f.detail, /^1 error \(\/etc\/lbctl\)$/);
  assert.equal(f.lines?.length, 1);
  assert.match(f.lines![0], /^config\.d\/web\.yaml:6:17: services\[0\]\.backends\[0\]\.weight: /);
  assert.deepEqual(f.fix, ['lbctl validate --config /etc/lbctl']);
  const text = formatFindings([f]);
  assert.match(text, /^ {4}config\.d\/web\.yaml:6:17: /m);
  assert.match(text, /^ {2}fix: lbctl validate --config \/etc\/lbctl$/m);
});

test('a configuration directory that does not exist: error whose fix starts from the examples', () => {
  const f = checkConfig({ config: null, errors: [{ file: '/etc/lbctl', line: 0, column: 0, path: '', message: 'cannot read: no such file or directory' }], files: [], layout: 'directory' }, options());
  assert.equal(f.status, 'error');
  assert.match(f.fix?.[0] ?? '', /cp -r \/opt\/lbctl\/dist\/examples\/\. \/etc\/lbctl\//);
});

test('ha.source frr without vtysh: error, the fix installs frr and enables vrrpd', async () => {
  const config = configWith('ha: {source: frr, program: master-only, instances: [{name: edge, vrid: 10, interface: eth0, vips: [203.0.113.10]}]}\n').config;
  assert.ok(config, 'the HA configuration is valid');
  const f = await checkHa(fakeProbe({}), config, options());
  assert.equal(f.status, 'error');
  assert.match(f.detail, /vtysh is not on PATH/);
  assert.equal(f.fix?.[0], 'apt-get install frr');
  assert.ok(f.fix?.some((x) => x.includes('vrrpd=yes')));
  assert.ok(f.fix?.includes('systemctl restart frr'));
});

test('ha.source frr: vrrpd not running with vrrpd=no is an error under master-only, a warning under always; running is ok', async () => {
  const ha = (program: string) => configWith(`ha: {source: frr, program: ${program}, instances: [{name: edge, vrid: 10, interface: eth0, vips: [203.0.113.10]}]}\n`).config;
  const stopped = fakeProbe({ binaries: { vtysh: '/usr/bin/vtysh' }, files: { '/etc/frr/daemons': 'zebra=yes\nvrrpd=no\n' } });
  const strict = await checkHa(stopped, ha('master-only'), options());
  assert.equal(strict.status, 'error');
  assert.match(strict.fix?.[0] ?? '', /sed -i 's\/\^vrrpd=no\/vrrpd=yes\/' \/etc\/frr\/daemons/);
  assert.equal(strict.fix?.[1], 'systemctl restart frr');
  assert.equal((await checkHa(stopped, ha('always'), options())).status, 'warning');
  const byPidFile = fakeProbe({ binaries: { vtysh: '/usr/bin/vtysh' }, files: { '/run/frr/vrrpd.pid': '4242\n' }, dirs: ['/proc/4242'] });
  const ok = await checkHa(byPidFile, ha('master-only'), options());
  assert.equal(ok.status, 'ok');
  assert.match(ok.detail, /vrrpd running \(pid 4242\)/);
});

test('ha.source keepalived: running is ok; not installed is an error; none is ok', async () => {
  const config = configWith('ha: {source: keepalived, instances: [{name: edge, vrid: 10, interface: eth0, instance: VI_1, vips: [203.0.113.10]}]}\n').config;
  assert.ok(config);
  const running = await checkHa(fakeProbe({ binaries: { keepalived: '/usr/sbin/keepalived' }, processes: { keepalived: [812, 813] } }), config, options());
  assert.equal(running.status, 'ok');
  assert.match(running.detail, /keepalived: \/usr\/sbin\/keepalived running \(pid 812\)/);
  const absent = await checkHa(fakeProbe({}), config, options());
  assert.equal(absent.status, 'error');
  assert.deepEqual(absent.fix?.[0], 'apt-get install keepalived');
  const stopped = await checkHa(fakeProbe({ binaries: { keepalived: '/usr/sbin/keepalived' } }), config, options());
  assert.equal(stopped.status, 'warning', 'program: always');
  assert.equal(stopped.fix?.[0], 'systemctl enable --now keepalived');
  const none = await checkHa(fakeProbe({}), configWith().config, options());
  assert.equal(none.status, 'ok');
  assert.match(none.detail, /HA not used/);
});

const INFO: DaemonInfo = {
  pid: 1234,
  startedAt: '2025-01-01T00:00:00Z',
  uptimeMs: (3 * 3600 + 12 * 60) * 1000,
  version: '0.1.0',
  stateDir: '/var/lib/lbctl',
  engine: null,
  lab: false,
  runningRevision: 17,
  inSync: true,
  lastReconcile: '2025-01-01T03:12:00Z',
  peer: { uid: 0, gid: 0, pid: 99, user: 'root', canConfigure: true },
};

test('daemon: up and in sync is ok; none is a warning naming systemctl; out of sync is a warning', async () => {
  const up = await checkDaemon(options({ probeDaemon: async () => INFO }));
  assert.equal(up.status, 'ok');
  assert.equal(up.detail, 'daemon pid 1234 up for 3h 12m, revision 17, in sync');
  const none = await checkDaemon(options());
  assert.equal(none.status, 'warning');
  assert.equal(none.detail, 'no daemon: commits run in-process; start it with `systemctl enable --now lbctl`');
  const drift = await checkDaemon(options({ probeDaemon: async () => ({ ...INFO, inSync: false }) }));
  assert.equal(drift.status, 'warning');
  assert.match(drift.detail, /NOT in sync/);
  assert.ok(drift.fix?.some((f) => f.startsWith('lbctl apply')));
});

test('state directory: writable ok, creatable ok, neither a warning', async () => {
  assert.equal((await checkStateDir(fakeProbe({ dirs: ['/var/lib/lbctl'], writable: ['/var/lib/lbctl'] }), options())).status, 'ok');
  const creatable = await checkStateDir(fakeProbe({ dirs: ['/var/lib', '/var', '/'], writable: ['/var/lib'] }), options());
  assert.equal(creatable.status, 'ok');
  assert.match(creatable.detail, /does not exist yet/);
  const ro = await checkStateDir(fakeProbe({ dirs: ['/var/lib/lbctl'], euid: 1000 }), options());
  assert.equal(ro.status, 'warning');
  assert.ok(ro.fix?.length);
});

test('exit code: 1 with any error, 0 with warnings only; the summary counts each', () => {
  const f = (status: Finding['status']): Finding => ({ check: 'x', status, detail: '', fix: status === 'ok' ? undefined : ['do it'] });
  assert.equal(exitCode([f('ok'), f('warning'), f('warning')]), 0);
  assert.equal(exitCode([f('ok'), f('warning'), f('error')]), 1);
  assert.equal(exitCode([]), 0);
  assert.equal(summaryLine([f('ok'), f('ok'), f('warning'), f('error')]), '2 ok, 1 warning, 1 error');
  assert.equal(summaryLine([f('warning'), f('warning'), f('error'), f('error')]), '0 ok, 2 warnings, 2 errors');
});

test('runDoctor on a healthy host: every finding ok, exit 0; the table is aligned', async () => {
  const probe = fakeProbe({
    files: {
      '/proc/modules': MODULES_IPVS,
      '/proc/net/ip_vs': PROC_IPVS,
      '/proc/self/status': ROOT_STATUS,
      '/etc/modules-load.d/lbctl.conf': 'ip_vs\n',
      '/proc/sys/net/ipv4/ip_forward': '1\n',
      '/proc/sys/net/ipv4/vs/expire_nodest_conn': '1\n',
      '/proc/sys/net/ipv4/vs/expire_quiescent_template': '1\n',
    },
    modprobable: ['ip_vs_wlc'],
    dirs: ['/var/lib/lbctl'],
    writable: ['/var/lib/lbctl'],
  });
  const findings = await runDoctor(probe, options({ probeDaemon: async () => INFO }));
  assert.deepEqual(
    findings.map((x) => `${x.check}:${x.status}`),
    ['ipvs:ok', 'schedulers:ok', 'modules-load:ok', 'capabilities:ok', 'sysctl:ok', 'sysctl:ok', 'sysctl:ok', 'config:ok', 'daemon:ok', 'ha:ok', 'state-dir:ok'],
  );
  assert.equal(exitCode(findings), 0);
  const text = formatFindings(findings);
  const rows = text.split('\n').filter((l) => /^(ok|warning|error|STATUS) /.test(l));
  const detailCol = rows[0].indexOf('DETAIL');
  for (const r of rows.slice(1)) {
    assert.match(r.slice(detailCol - 2, detailCol), /^ {2}$/, r);
    assert.notEqual(r[detailCol], ' ', `the detail starts in the DETAIL column: ${r}`);
  }
  assert.match(text, /\n11 ok, 0 warnings, 0 errors\n$/);
});

test('runDoctor --lab: kernel checks become one not-applicable finding; config, daemon, HA still checked', async () => {
  const probe = fakeProbe({ dirs: ['/home/u/.lbctl-lab/state'], writable: ['/home/u/.lbctl-lab/state'] });
  const findings = await runDoctor(probe, options({ lab: true, stateDir: '/home/u/.lbctl-lab/state' }));
  assert.deepEqual(findings.map((x) => x.check), ['kernel', 'config', 'daemon', 'ha', 'state-dir']);
  assert.equal(findings[0].status, 'ok');
  assert.match(findings[0].detail, /not applicable to the lab/);
  assert.equal(findings.find((x) => x.check === 'daemon')?.fix?.[0], 'lbctl daemon --lab');
  assert.equal(exitCode(findings), 0);
  assert.equal(probe.ran.length, 0, 'no kernel probing in the lab');
});

test('runDoctor with a broken configuration: schedulers and HA say they were not checked; exit 1', async () => {
  const broken = loadConfigTexts([{ path: 'config.yaml', text: 'vip: [broken\n' }]);
  const probe = fakeProbe({ files: { '/proc/modules': MODULES_IPVS, '/proc/net/ip_vs': PROC_IPVS, '/proc/self/status': ROOT_STATUS } });
  const findings = await runDoctor(probe, options({ loadConfig: () => broken }));
  const config = findings.find((x) => x.check === 'config')!;
  assert.equal(config.status, 'error');
  assert.match(config.lines?.[0] ?? '', /^config\.yaml:\d+:\d+: /);
  assert.match(findings.find((x) => x.check === 'schedulers')!.detail, /not checked/);
  assert.match(findings.find((x) => x.check === 'ha')!.detail, /not checked/);
  for (const x of findings.filter((f) => f.status !== 'ok')) assert.ok(x.fix?.length, `${x.check} has a fix`);
  assert.equal(exitCode(findings), 1);
});
