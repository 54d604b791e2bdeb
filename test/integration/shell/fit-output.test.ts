// Issue 12 point 4, "Fit the terminal and scripts", through the real `bin/lbctl` on a lab: output that is not a
// terminal keeps every name and comment whole; `show ipvs service web` and `show ipvs stats` fit 80 columns;
// `lbctl show ipvs` and the shell's `show ipvs` print one layout; JSON names what the kernel numbers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand } from './tmux.js';

const skip = existsSync(join(BUILD_DIR, 'shell', 'session.js')) ? false : 'the session engine is not in this build';

const LONG_NAME = 'voice-gateway-for-the-billing-department';
const CONFIG = `node:
  name: lb1
services:
  - name: web
    vip: 192.0.2.10
    protocol: tcp
    ports: [80, 443]
    scheduler: wlc
    persistence: {timeout: 300, netmask: 255.255.255.0}
    backends:
      - {address: 198.51.100.11, port: 0, weight: 100}
      - {address: 198.51.100.12, port: 0, weight: 50}
  - name: ${LONG_NAME}
    vip: 2001:db8::5060
    protocol: udp
    ports: [5060]
    scheduler: sh
    scheduler_flags: [sh-port]
    forwarding: {method: tunnel, tunnel: {type: gue, port: 6080}}
    backends:
      - {address: 2001:db8:aaaa:bbbb:cccc:dddd:eeee:2}
`;

/** A lab with CONFIG applied; `run(args)` runs lbctl in it (no terminal: stdout is a pipe). */
function lab(t: { after(fn: () => void): void }) {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-fit-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const d of ['config', 'state', 'home']) mkdirSync(join(root, d));
  writeFileSync(join(root, 'config', 'config.yaml'), CONFIG);
  const [first, ...rest] = lbctlCommand();
  const launcher = first.startsWith('LBCTL_LAUNCH=');
  const argv = launcher ? rest : [first, ...rest];
  const env: NodeJS.ProcessEnv = { ...process.env, ...(launcher ? { LBCTL_LAUNCH: '1' } : {}), HOME: join(root, 'home') };
  const where = ['--lab', '--config', join(root, 'config'), '--state-dir', join(root, 'state')];
  const run = (args: string[]) => {
    const r = spawnSync(argv[0], [...argv.slice(1), ...args, ...where], { encoding: 'utf8', env, timeout: 60_000 });
    assert.equal(r.status, 0, `lbctl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  run(['apply']);
  return { run, shell: (commands: string) => run(['shell', '-c', commands]) };
}

const HEAD = ['IP Virtual Server version 1.2.1 (size=4096) [lab: in-memory]'];

test('-c output keeps a long service name and a commit comment whole', { skip }, (t) => {
  const { shell } = lab(t);
  assert.equal(
    shell('show ipvs'),
    [
      ...HEAD,
      '3 services, 5 destinations; in sync with the running configuration',
      `Service -> Backend                               Name                                      State    Sched/Fwd        Weight  ActiveConn  InActConn`,
      `-----------------------------------------------  ----------------------------------------  -------  ---------------  ------  ----------  ---------`,
      `tcp 192.0.2.10:80                                web                                       in sync  wlc persistent 300 mask 255.255.255.0`,
      `  -> 198.51.100.11:80                                                                      in sync  nat                 100           0          0`,
      `  -> 198.51.100.12:80                                                                      in sync  nat                  50           0          0`,
      `tcp 192.0.2.10:443                               web                                       in sync  wlc persistent 300 mask 255.255.255.0`,
      `  -> 198.51.100.11:443                                                                     in sync  nat                 100           0          0`,
      `  -> 198.51.100.12:443                                                                     in sync  nat                  50           0          0`,
      `udp [2001:db8::5060]:5060                        ${LONG_NAME}  in sync  sh sh-port`,
      `  -> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:2]:5060                                            in sync  tunnel/gue:6080       1           0          0`,
      '',
    ].join('\n'),
  );
  const comment = 'raise the web weights after the capacity review of the billing department, ticket OPS-4711';
  shell(`configure; service web; backend 198.51.100.12 weight 60; commit comment "${comment}"`);
  const history = shell('show system commit | include OPS');
  // The commit's id, time and user are the cells that change from run to run.
  const masked = history.replace(/\b1\d{9}\b/, 'ID').replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/, 'TIME').replace(/(TIME {2})\S+ */, '$1USER  ');
  assert.equal(masked, `  0    2  ID  TIME  USER  shell   ${comment}\n`);
  assert.equal(shell('show terminal'), 'Length: 0 lines (no pager)\nWidth: no limit (not a terminal: every value is printed whole)\nExec timeout: 30 minutes\n');
});

test('show ipvs service web and show ipvs service web stats fit 80 columns', { skip }, (t) => {
  const { shell } = lab(t);
  const out = shell('terminal width 80; show ipvs service web; show ipvs service web stats');
  assert.equal(
    out,
    [
      ...HEAD,
      '2 services, 4 destinations; in sync with the running configuration',
      'Service -> Backend      Name  State    Sched/Fwd  Weight  ActiveConn  InActConn',
      '----------------------  ----  -------  ---------  ------  ----------  ---------',
      'tcp 192.0.2.10:80       web   in sync  wlc persistent 300 mask 255.255.255.0',
      '  -> 198.51.100.11:80         in sync  nat           100           0          0',
      '  -> 198.51.100.12:80         in sync  nat            50           0          0',
      'tcp 192.0.2.10:443      web   in sync  wlc persistent 300 mask 255.255.255.0',
      '  -> 198.51.100.11:443        in sync  nat           100           0          0',
      '  -> 198.51.100.12:443        in sync  nat            50           0          0',
      ...HEAD,
      '2 services, 4 destinations; in sync with the running configuration',
      'Service -> Backend      Name  State    Conns  InPkts  OutPkts  InBytes  OutBytes',
      '----------------------  ----  -------  -----  ------  -------  -------  --------',
      'tcp 192.0.2.10:80       web   in sync      0       0        0        0         0',
      '  -> 198.51.100.11:80         in sync      0       0        0        0         0',
      '  -> 198.51.100.12:80         in sync      0       0        0        0         0',
      'tcp 192.0.2.10:443      web   in sync      0       0        0        0         0',
      '  -> 198.51.100.11:443        in sync      0       0        0        0         0',
      '  -> 198.51.100.12:443        in sync      0       0        0        0         0',
      '',
    ].join('\n'),
  );
  for (const line of out.split('\n')) assert.ok(line.length <= 80, `wider than 80: ${line}`);
  // At 60 columns the scheduler's settings wrap under their column; the long name gives way, the addresses never.
  assert.equal(
    shell('terminal width 60; show ipvs | begin udp'),
    [`udp [2001:db8::5060]:5060                        voice…  in sync  sh sh-port`, `  -> [2001:db8:aaaa:bbbb:cccc:dddd:eeee:2]:5060          in sync  tunnel/gue:6080       1           0          0`, ''].join('\n'),
  );
});

test('lbctl show ipvs prints the shell’s show ipvs layout', { skip }, (t) => {
  const { run, shell } = lab(t);
  for (const [cli, inShell] of [
    [[], 'show ipvs'],
    [['--stats'], 'show ipvs stats'],
    [['--rate'], 'show ipvs rate'],
  ] as const) {
    assert.equal(run(['show', 'ipvs', ...cli]), shell(inShell), `lbctl show ipvs ${cli.join(' ')} and ${inShell}`);
  }
  assert.equal(
    run(['show', 'ipvs', '--rate']).split('\n').slice(2, 5).join('\n'),
    [
      'Service -> Backend                               Name                                      State    CPS  InPPS  OutPPS  InBPS  OutBPS',
      '-----------------------------------------------  ----------------------------------------  -------  ---  -----  ------  -----  ------',
      'tcp 192.0.2.10:80                                web                                       in sync    0      0       0      0       0',
    ].join('\n'),
  );
});

test('JSON names what the kernel numbers: family, protocol, forwarding, tunnel, netmask, flags', { skip }, (t) => {
  const { run, shell } = lab(t);
  const cli = JSON.parse(run(['show', 'ipvs', '--json']));
  const inShell = JSON.parse(shell('show ipvs | json'));
  const counters = { conns: '0', inPkts: '0', outPkts: '0', inBytes: '0', outBytes: '0', cps: '0', inPps: '0', outPps: '0', inBps: '0', outBps: '0' };
  const web80 = {
    id: 'tcp 192.0.2.10:80',
    name: 'web',
    family: 'inet',
    protocol: 'tcp',
    addr: '192.0.2.10',
    port: 80,
    scheduler: 'wlc',
    flags: [],
    persistent: true,
    timeout: 300,
    netmask: '255.255.255.0',
    stats: counters,
    dests: [100, 50].map((weight, i) => ({
      id: `198.51.100.1${i + 1}:80`,
      family: 'inet',
      addr: `198.51.100.1${i + 1}`,
      port: 80,
      forwarding: 'nat',
      weight,
      upperThreshold: 0,
      lowerThreshold: 0,
      activeConns: 0,
      inactConns: 0,
      persistConns: 0,
      stats: counters,
      state: 'in-sync',
    })),
    state: 'in-sync',
  };
  assert.deepEqual(inShell[0], web80);
  assert.deepEqual(cli.services[0], { ...web80, owner: 'lbctl' });
  const voice = inShell[2];
  assert.deepEqual(
    { family: voice.family, protocol: voice.protocol, flags: voice.flags, persistent: voice.persistent, netmask: voice.netmask },
    { family: 'inet6', protocol: 'udp', flags: ['sh-port'], persistent: false, netmask: '/128' },
  );
  assert.deepEqual(
    { forwarding: voice.dests[0].forwarding, tunnel: voice.dests[0].tunnel, family: voice.dests[0].family },
    { forwarding: 'tunnel', tunnel: { type: 'gue', port: 6080 }, family: 'inet6' },
  );
  assert.deepEqual({ version: cli.version, connTabSize: cli.connTabSize, count: cli.services.length }, { version: '1.2.1', connTabSize: 4096, count: 3 });
});
