// `monitor` for real: the shell in a real terminal (tmux) showing the live view full screen, the numbers
// moving while nobody types, q giving the screen and the prompt back; and the one-snapshot form of a pipe
// and a script. The lab's counters change the way the lab documents: the test rewrites the lab's table file
// (STATE/lab-ipvs.json, the lab's `ipvsadm`), which every host of the state directory follows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILD_DIR, lbctlCommand, TmuxTerminal, tmuxAvailable } from './tmux.js';
import { labTableJSON } from '../../support/lab-table.js';

const PROMPT = 'lb1[lab]#';

const CONFIG = `node:
  name: lb1
services:
  - name: web
    vip: 192.0.2.10
    protocol: tcp
    ports: [80]
    backends:
      - {address: 198.51.100.11, weight: 100}
      - {address: 198.51.100.12, weight: 50}
  - name: dns
    vip: 192.0.2.53
    protocol: udp
    ports: [53]
    backends:
      - {address: 198.51.100.53}
`;

const built = existsSync(join(BUILD_DIR, 'shell', 'monitor', 'screen.js')) ? false : 'the monitor is not in this build';
const skipTmux = !tmuxAvailable() ? 'tmux is not installed' : built;

interface Lab {
  config: string;
  state: string;
  home: string;
}

/** argv and environment that run this build's lbctl (bin/lbctl, or the test launcher for another build dir). */
function lbctlArgv(): { argv: string[]; env: Record<string, string> } {
  const [first, ...rest] = lbctlCommand();
  if (first.startsWith('LBCTL_LAUNCH=')) return { argv: rest, env: { LBCTL_LAUNCH: '1' } };
  return { argv: [first, ...rest], env: {} };
}

function run(lab: Lab, args: string[], opts: { shell?: string } = {}) {
  const { argv, env: launch } = lbctlArgv();
  const env: NodeJS.ProcessEnv = { ...process.env, ...launch, HOME: lab.home };
  delete env.CI;
  if (opts.shell !== undefined) {
    const quoted = [...argv, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    return spawnSync('bash', ['-c', opts.shell.replace('LBCTL', quoted)], { encoding: 'utf8', env, timeout: 60_000 });
  }
  return spawnSync(argv[0], [...argv.slice(1), ...args], { encoding: 'utf8', env, timeout: 60_000, input: '' });
}

/** A lab with CONFIG applied to its in-memory IPVS (revision 1). */
function makeMonitorLab(t: { after(fn: () => void): void }): Lab {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-monitor-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const lab = { config: join(root, 'config'), state: join(root, 'state'), home: join(root, 'home') };
  for (const d of [lab.config, lab.state, lab.home]) mkdirSync(d);
  writeFileSync(join(lab.config, 'config.yaml'), CONFIG);
  const r = run(lab, ['apply', '--lab', '--config', lab.config, '--state-dir', lab.state]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  return lab;
}

type Counters = Partial<Record<'conns' | 'inPkts' | 'outPkts' | 'inBytes' | 'outBytes', bigint>>;

/**
 * Adds to the counters of web's first backend (and of its service, as the kernel does) in the lab's table
 * file, replaced atomically as a writer would.
 */
function addTraffic(lab: Lab, delta: Counters): void {
  const path = join(lab.state, 'lab-ipvs.json');
  const table = labTableJSON<any>(path); // loosely typed, as the JSON.parse this was
  const web = table.services.find((s: { service: { key: { port?: number } } }) => s.service.key.port === 80);
  for (const stats of [web.stats, web.dests.find((d: { dest: { addr: string } }) => d.dest.addr === '198.51.100.11').stats])
    for (const [k, v] of Object.entries(delta)) stats[k] = (BigInt(stats[k]) + (v as bigint)).toString();
  writeFileSync(path + '.new', JSON.stringify(table));
  renameSync(path + '.new', path);
}

/** The cells of the screen row that starts with `label` (split on runs of two or more spaces). */
function cells(screen: string, label: string): string[] {
  const line = screen.split('\n').find((l) => l.trim().startsWith(label));
  return line ? line.trim().split(/ {2,}/) : [];
}

function startShell(t: { after(fn: () => void): void }, lab: Lab): TmuxTerminal {
  const { argv, env } = lbctlArgv();
  const term = TmuxTerminal.start([...argv, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state], {
    cols: 120,
    rows: 30,
    env: { ...env, HOME: lab.home, NO_COLOR: '1' },
  });
  t.after(() => term.kill());
  return term;
}

test('tmux: monitor shows the services full screen, the figures move with the counters, q gives the shell back', { skip: skipTmux }, async (t) => {
  const lab = makeMonitorLab(t);
  const term = startShell(t, lab);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('show version');
  term.keys('Enter');
  const before = await term.waitFor(/Running revision: 1\n.*\n.*\nlb1\[lab\]#$/);

  term.type('monitor');
  term.keys('Enter');
  // The whole first frame, its last line included: a capture can land while the terminal is still drawing it.
  let screen = await term.waitFor((s) => s.startsWith('lbctl monitor on lb1') && s.includes('-> 198.51.100.53:53') && s.endsWith(' q quit'));
  assert.match(screen, /^Services 2, backends 3 {2}Health: no daemon, not checked {2}HA: none$/m);
  assert.match(screen, /^Service \/ Backend +Name +Health +Weight +ActConn +InActConn +Conn\/s +InPkt\/s +OutPkt\/s +InB\/s +OutB\/s$/m);
  assert.deepEqual(cells(screen, 'tcp 192.0.2.10:80').slice(0, 2), ['tcp 192.0.2.10:80', 'web']);
  assert.deepEqual(cells(screen, '-> 198.51.100.12:80').slice(0, 3), ['-> 198.51.100.12:80', '-', '50/50']);
  assert.match(screen.split('\n').at(-1)!, /^s sort .* q quit$/);
  assert.ok(!screen.includes(PROMPT), 'the alternate screen: nothing of the shell shows');

  // Traffic arrives (nobody touches the keyboard from here to q): the next refresh shows it per second...
  addTraffic(lab, { conns: 3000n, inPkts: 60_000n, outPkts: 40_000n, inBytes: 90_000_000n, outBytes: 2_000_000_000n });
  screen = await term.waitFor((s) => Number(cells(s, '-> 198.51.100.11:80')[5] ?? 0) > 1000, 10_000);
  t.diagnostic(`the monitor with traffic:\n${screen}`);
  const busy = cells(screen, '-> 198.51.100.11:80');
  // backend, health, weight, active, inactive, conn/s, in pkt/s, out pkt/s, in B/s, out B/s
  assert.equal(busy.length, 10, busy.join(' | '));
  assert.ok(Number(busy[5]) > 1000 && Number(busy[5]) <= 3000, `conn/s ${busy[5]}`);
  assert.match(busy[8], /^\d+(\.\d+)?M$/, `in bytes/s compact: ${busy[8]}`);
  assert.match(busy[9], /^\d+(\.\d+)?[MG]$/, `out bytes/s compact: ${busy[9]}`);
  assert.equal(cells(screen, '-> 198.51.100.12:80')[5], '0', 'the idle backend stays at 0');
  // ...and the refresh after that, with no new traffic, shows the rate fall back to 0.
  await term.waitFor((s) => cells(s, '-> 198.51.100.11:80')[5] === '0', 10_000);

  term.type('q');
  screen = await term.waitForLastLine(PROMPT, 10_000);
  assert.ok(screen.startsWith(before.replace(/\nlb1\[lab\]#$/, '')), `the screen is as it was:\n${screen}`);
  assert.match(screen, /\nlb1\[lab\]#monitor\nlb1\[lab\]#$/);
  assert.doesNotMatch(screen, /Service \/ Backend|q quit/);
  term.type('show ipvs stats');
  term.keys('Enter');
  screen = await term.waitFor(/-> 198\.51\.100\.11:80 +in sync +3000 +60000 +40000 +90000000 +2000000000\n[\s\S]*lb1\[lab\]#$/);
  t.diagnostic(`after q and show ipvs stats:\n${screen}`);
});

test('tmux: Ctrl-C leaves the monitor too; sort and filter keys act at once', { skip: skipTmux }, async (t) => {
  const lab = makeMonitorLab(t);
  const term = startShell(t, lab);
  await term.waitForLastLine(PROMPT, 20_000);
  term.type('monitor');
  term.keys('Enter');
  await term.waitFor(/sort: name ▲/);
  term.type('s');
  await term.waitFor(/sort: conn\/s ▼/);
  term.type('/dns');
  await term.waitFor((s) => s.split('\n').at(-1) === 'filter: dns_   Enter apply  Esc clear');
  term.keys('Enter');
  let screen = await term.waitFor(/filter: dns \(1 services\)/);
  assert.ok(!screen.includes('192.0.2.10'), 'web is filtered out');
  term.keys('C-c');
  screen = await term.waitForLastLine(PROMPT, 10_000);
  assert.match(screen, /lb1\[lab\]#monitor\nlb1\[lab\]#$/);
  term.type('show version');
  term.keys('Enter');
  await term.waitFor(/Running revision: 1/);
});

test('tmux: `lbctl monitor` alone on a terminal: the live view, then q restores the terminal and exits 0', { skip: skipTmux }, async (t) => {
  const lab = makeMonitorLab(t);
  const { argv, env } = lbctlArgv();
  const term = TmuxTerminal.start(['sh', '-c', 'echo before the monitor; exec "$@"', 'sh', ...argv, 'monitor', '--lab', '--config', lab.config, '--state-dir', lab.state], {
    cols: 100,
    rows: 20,
    env: { ...env, HOME: lab.home, NO_COLOR: '1' },
  });
  t.after(() => term.kill());
  let screen = await term.waitFor((s) => s.startsWith('lbctl monitor on lb1') && s.includes('-> 198.51.100.53:53'), 20_000);
  assert.ok(!screen.includes('before the monitor'), 'the alternate screen');
  term.type('q');
  screen = await term.waitFor(/\[exited \d+\]/);
  assert.equal(screen, 'before the monitor\n[exited 0]');
});

const SNAPSHOT = [
  'lbctl monitor on lb1: one snapshot, totals since the counters were zeroed (a terminal shows rates per second)',
  'Services 2, backends 3  Health: no daemon, not checked  HA: none',
  '',
  'Service / Backend      Name  Health   Weight  ActConn  InActConn  Conns  InPkts  OutPkts              InBytes  OutBytes',
  'udp 192.0.2.53:53      dns                          0          0      0       0        0                    0         0',
  '  -> 198.51.100.53:53        -           1/1        0          0      0       0        0                    0         0',
  'tcp 192.0.2.10:80      web                          0          0     42   70000    12345  9007199254740993000      5678',
  '  -> 198.51.100.11:80        -       100/100        0          0     42   70000    12345  9007199254740993000      5678',
  '  -> 198.51.100.12:80        -         50/50        0          0      0       0        0                    0         0',
  '',
].join('\n');

test('line mode: `lbctl shell -c monitor` and `lbctl monitor | cat` print one snapshot, every value in full, and exit 0', { skip: built }, (t) => {
  const lab = makeMonitorLab(t);
  // Past 2^53: a Number would print 9007199254740993000 as ...992000 or ...994000.
  addTraffic(lab, { conns: 42n, inPkts: 70_000n, outPkts: 12_345n, inBytes: 9_007_199_254_740_993_000n, outBytes: 5678n });
  const where = ['--lab', '--config', lab.config, '--state-dir', lab.state];
  const script = run(lab, ['shell', ...where, '-c', 'monitor']);
  assert.equal(script.status, 0, script.stderr);
  assert.equal(script.stderr, '');
  assert.equal(script.stdout, SNAPSHOT);
  const piped = run(lab, ['monitor', ...where], { shell: 'set -o pipefail; LBCTL | cat' });
  assert.equal(piped.status, 0, piped.stderr);
  assert.equal(piped.stderr, '');
  assert.equal(piped.stdout, SNAPSHOT);
  assert.doesNotMatch(piped.stdout, /\u001b/, 'no colour, no cursor codes');
});
