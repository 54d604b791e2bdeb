// Issue 12 point 2, "the operational view tells the truth about the dataplane": the real bin/lbctl in line mode on
// a lab (in-memory IPVS, temporary HOME and state directory), its lab kernel changed by hand as ipvsadm would.
//  - show services / show service / show ipvs: in sync, differs, missing, per service and backend;
//  - show system status: the summary of lbctl status;
//  - commit check and commit agree on the kernel operations; a commit that also repairs drift says so;
//  - commit full re-reads the kernel (a daemon plans from its cache otherwise) and re-applies the running revision;
//  - status in configuration mode is lbctl status; who is editing is show configuration sessions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeLab, shell, startDaemon, stopDaemon, type Lab } from '../../support/lab-daemon.js';
import { labTableJSON } from '../../support/lab-table.js';

const LBCTL = fileURLToPath(new URL('../../../../bin/lbctl', import.meta.url));

/** The support lab's `web` (192.0.2.10:80, one backend) and `api`: two ports, two backends. */
function twoServiceLab(extraYaml = ''): Lab {
  const lab = makeLab(extraYaml);
  writeFileSync(
    join(lab.config, 'config.d', 'api.yaml'),
    'services:\n  - name: api\n    vip: 192.0.2.20\n    protocol: tcp\n    ports: [443, 8443]\n    backends:\n' +
      '      - {address: 198.51.100.21, weight: 10}\n      - {address: 198.51.100.22, weight: 20}\n',
  );
  return lab;
}

function run(lab: Lab, commands: string): string {
  const r = shell(lab, commands);
  assert.equal(r.code, 0, r.out);
  return r.out;
}

function lbctl(lab: Lab, args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [LBCTL, ...args, '--lab', '--config', lab.config, '--state-dir', lab.state], { env: { ...process.env, HOME: lab.home }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

interface LabTable {
  services: Array<{ service: { key: { addr?: string; port?: number } }; dests: Array<{ dest: { addr: string; port: number; weight: number } }> }>;
}

/** What `ipvsadm -e -t 192.0.2.20:443 -r 198.51.100.21 -w 7; ipvsadm -d -t 192.0.2.20:443 -r 198.51.100.22` does. */
function handDrift(lab: Lab): void {
  const path = join(lab.state, 'lab-ipvs.json');
  const table = labTableJSON<LabTable>(path);
  const api443 = table.services.find((s) => s.service.key.addr === '192.0.2.20' && s.service.key.port === 443)!;
  api443.dests.find((d) => d.dest.addr === '198.51.100.21')!.dest.weight = 7;
  api443.dests = api443.dests.filter((d) => d.dest.addr !== '198.51.100.22');
  writeFileSync(path, JSON.stringify(table));
}

const withLab = (extraYaml: string, fn: (lab: Lab) => Promise<void> | void) => async () => {
  const lab = twoServiceLab(extraYaml);
  try {
    await fn(lab);
  } finally {
    rmSync(lab.home, { recursive: true, force: true });
  }
};

const lines = (...l: string[]) => l.join('\n') + '\n';

const API_DIFFERS = [
  '    service tcp 192.0.2.20:443  (api)',
  '    ~ dest 198.51.100.21:443 weight 7→10',
  '    + dest 198.51.100.22:443 nat weight 20',
];
/** The drift repair as commit check lists it and commit applies it (folded as lbctl apply prints a plan). */
const API_REPAIR = [
  '    service tcp 192.0.2.20:443  (api)',
  '      ~ dest 198.51.100.21:443 weight 7→10',
  '      + dest 198.51.100.22:443 nat weight 20',
];

/** The head of `show service api`, before its Kernel line. */
const API_DETAIL = [
  'Service api, enabled',
  '  Address: 192.0.2.20  Protocol: tcp  Ports: 443,8443',
  '  Scheduler: wlc  Forwarding: nat',
  '  Persistence: none  On down: inhibit',
  '  Health: tcp, every 1000 ms, timeout 300 ms, down after 3, up after 2',
  '  Backends: 2',
];
/** `commit check` then `commit` of a clean candidate, the hand drift in the kernel: the same two operations. */
const CHECK_THEN_REPAIR = [
  'Kernel operations a commit would apply (2):',
  ...API_REPAIR,
  '% No configuration changes; a commit would repair drift: the kernel differs from the running configuration (service api).',
  '% Configuration check succeeded.',
  'Kernel operations applied (2):',
  ...API_REPAIR,
  '% No configuration changes; the commit repaired drift: the kernel differed from the running configuration (service api).',
];
const ALL_IN_SYNC = [
  'Name  VIP         Proto  Ports     Sched  Fwd  Backends  State    Kernel',
  '----  ----------  -----  --------  -----  ---  --------  -------  -------',
  'api   192.0.2.20  tcp    443,8443  wlc    nat       2/2  enabled  in sync',
  'web   192.0.2.10  tcp    80        wlc    nat       1/1  enabled  in sync',
];

test('a fresh lab: show services, show service and show ipvs say missing where they said enabled and 0 services', withLab('', (lab) => {
  assert.equal(
    run(lab, 'show services; show service api; show ipvs; show system status'),
    lines(
      'Name  VIP         Proto  Ports     Sched  Fwd  Backends  State    Kernel',
      '----  ----------  -----  --------  -----  ---  --------  -------  -------',
      'api   192.0.2.20  tcp    443,8443  wlc    nat       2/2  enabled  missing',
      'web   192.0.2.10  tcp    80        wlc    nat       1/1  enabled  missing',
      ...API_DETAIL,
      '  Kernel: missing (0 of 2 IPVS services in sync)',
      'Address                Port  Weight  State    Kernel',
      '-------------  ------------  ------  -------  -------',
      '198.51.100.21  443,8443 (0)      10  enabled  missing',
      '198.51.100.22  443,8443 (0)      20  enabled  missing',
      'IP Virtual Server version 1.2.1 (size=4096) [lab: in-memory]',
      '0 services, 0 destinations; NOT in sync with the running configuration (3 missing)',
      'Service -> Backend       Name  State    Sched/Fwd  Weight  ActiveConn  InActConn',
      '-----------------------  ----  -------  ---------  ------  ----------  ---------',
      'tcp 192.0.2.20:443       api   missing',
      '  -> 198.51.100.21:443         missing',
      '  -> 198.51.100.22:443         missing',
      'tcp 192.0.2.20:8443      api   missing',
      '  -> 198.51.100.21:8443        missing',
      '  -> 198.51.100.22:8443        missing',
      'tcp 192.0.2.10:80        web   missing',
      '  -> 198.51.100.11:80          missing',
      'Engine:           in-process (no daemon)',
      'Running revision: 1',
      "Kernel:           NOT in sync with the running configuration ('status' in configuration mode lists it)",
      "Services:         3 IPVS services: 0 in sync, 3 not (8 operations pending; 'commit full' fixes it); 0 foreign",
    ),
  );
}));

test('after a hand change to the lab kernel: differs, with the kernel weight, per service and backend', withLab('', (lab) => {
  run(lab, 'configure; commit');
  assert.equal(run(lab, 'show system status'), lines(
    'Engine:           in-process (no daemon)',
    'Running revision: 1',
    'Kernel:           in sync with the running configuration',
    'Services:         3 IPVS services: 3 in sync; 0 foreign',
  ));
  handDrift(lab);
  assert.equal(
    run(lab, 'show services; show service api; show ipvs service api; show system status'),
    lines(
      'Name  VIP         Proto  Ports     Sched  Fwd  Backends  State    Kernel',
      '----  ----------  -----  --------  -----  ---  --------  -------  -------',
      'api   192.0.2.20  tcp    443,8443  wlc    nat       2/2  enabled  differs',
      'web   192.0.2.10  tcp    80        wlc    nat       1/1  enabled  in sync',
      ...API_DETAIL,
      '  Kernel: differs (1 of 2 IPVS services in sync)',
      ...API_DIFFERS,
      'Address                Port  Weight  State    Kernel',
      '-------------  ------------  ------  -------  -----------------------------',
      '198.51.100.21  443,8443 (0)      10  enabled  differs (weight 7→10)',
      '198.51.100.22  443,8443 (0)      20  enabled  differs (missing from 1 of 2)',
      'IP Virtual Server version 1.2.1 (size=4096) [lab: in-memory]',
      '2 services, 3 destinations; NOT in sync with the running configuration (1 differs)',
      'Service -> Backend       Name  State                  Sched/Fwd  Weight  ActiveConn  InActConn',
      '-----------------------  ----  ---------------------  ---------  ------  ----------  ---------',
      'tcp 192.0.2.20:443       api   differs                wlc',
      '  -> 198.51.100.21:443         differs (weight 7→10)  nat             7           0          0',
      '  -> 198.51.100.22:443         missing',
      'tcp 192.0.2.20:8443      api   in sync                wlc',
      '  -> 198.51.100.21:8443        in sync                nat            10           0          0',
      '  -> 198.51.100.22:8443        in sync                nat            20           0          0',
      'Engine:           in-process (no daemon)',
      'Running revision: 1',
      "Kernel:           NOT in sync with the running configuration ('status' in configuration mode lists it)",
      "Services:         3 IPVS services: 2 in sync, 1 not (2 operations pending; 'commit full' fixes it); 0 foreign",
    ),
  );
}));

test('commit check and commit agree on the drift repair; the commit says it repaired drift and is audited', withLab('', (lab) => {
  run(lab, 'configure; commit');
  handDrift(lab);
  const out = run(lab, 'configure; commit check; commit; do show services; do show audit last 1');
  assert.equal(
    // The audit's columns are as wide as this run's session id (its pid): compared without the padding.
    out
      .replace(/^Time +User +Session +Action +Revision +Result$/m, 'Time User Session Action Revision Result')
      .replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d +root +\d+-[0-9a-f]+ +commit +1 +ok$/m, 'TIME root SESSION commit 1 ok'),
    lines(
      'Entering configuration mode.',
      ...CHECK_THEN_REPAIR,
      ...ALL_IN_SYNC,
      'Time User Session Action Revision Result',
      'TIME root SESSION commit 1 ok',
      '    kernel: 2 operations applied',
    ),
  );
  // In sync now: both say so, and agree again.
  assert.equal(run(lab, 'configure; commit check; commit'), lines(
    'Entering configuration mode.',
    'No kernel operations needed.',
    '% Configuration check succeeded.',
    '% No configuration changes to commit.',
  ));
}));

test('a commit of an unrelated change on a fresh lab says which of its operations repaired drift', withLab('', (lab) => {
  const plan = [
    '  + service tcp 192.0.2.20:443 wlc  (api)',
    '      + dest 198.51.100.21:443 nat weight 10',
    '      + dest 198.51.100.22:443 nat weight 20',
    '  + service tcp 192.0.2.20:8443 wlc  (api)',
    '      + dest 198.51.100.21:8443 nat weight 10',
    '      + dest 198.51.100.22:8443 nat weight 20',
    '  + service tcp 192.0.2.10:80 wlc  (web)',
    '      + dest 198.51.100.11:80 nat weight 60',
  ];
  assert.equal(
    run(lab, 'configure; service web; backend 198.51.100.11 weight 60; commit check; commit'),
    lines(
      'Entering configuration mode.',
      'Kernel operations a commit would apply (8):',
      ...plan,
      '% 6 of these would repair drift: the kernel differs from the running configuration (service api).',
      '% Configuration check succeeded.',
      'Kernel operations applied (8):',
      ...plan,
      '% 6 of these repaired drift: the kernel differed from the running configuration (service api).',
      '% Configuration committed successfully (revision 2).',
    ),
  );
}));

test('status in configuration mode prints what lbctl status prints; show configuration sessions says who edits', withLab('', (lab) => {
  run(lab, 'configure; commit');
  handDrift(lab);
  const table = [
    'SERVICE  IPVS                 STATE    DESTS want/have',
    'api      tcp 192.0.2.20:443   differs  2/1',
    ...API_DIFFERS,
    'api      tcp 192.0.2.20:8443  in sync  2/2',
    'web      tcp 192.0.2.10:80    in sync  1/1',
    '',
  ];
  const out = run(lab, 'configure; status; show configuration sessions');
  assert.match(
    out,
    new RegExp(
      '^' +
        lines(
          'Entering configuration mode.',
          ...table,
          "3 IPVS services: 2 in sync, 1 not (2 operations pending; 'commit full' fixes it); 0 foreign",
          'Users currently editing the configuration:',
        ).replace(/[.*+?^${}()|[\]\\]/g, '\\$&') +
        '\\* root no terminal \\(pid \\d+\\) on since \\d\\d:\\d\\d:\\d\\d, idle 00:00:00\\n {6}\\[edit\\]\\n$',
    ),
  );
  // The same table and verdict as `lbctl status`; only the fix is spelled for where it is typed.
  const cli = lbctl(lab, ['status']);
  assert.equal(cli.code, 3);
  assert.equal(cli.out, lines(...table, "3 IPVS services: 2 in sync, 1 not (2 operations pending; 'lbctl apply --lab' fixes it); 0 foreign"));
}));

test('commit full: with a daemon planning from its cache, it reads the kernel first and repairs drift the cache missed', withLab('daemon: {reconcile_interval_ms: 3600000}\n', async (lab) => {
  const daemon = await startDaemon(lab);
  try {
    handDrift(lab); // the daemon's next full read is an hour away
    assert.equal(
      run(lab, 'configure; commit check; commit check full; commit full; do show services'),
      lines(
        'Entering configuration mode.',
        // From the daemon's cache, as a plain commit would plan: check and commit agree, on what the cache knows.
        'No kernel operations needed.',
        '% Configuration check succeeded.',
        ...CHECK_THEN_REPAIR,
        ...ALL_IN_SYNC,
      ),
    );
  } finally {
    await stopDaemon(daemon);
  }
}));
