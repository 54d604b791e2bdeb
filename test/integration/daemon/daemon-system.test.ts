// The daemon against the system's real parts:
//  - systemd's notify protocol: a real receiving AF_UNIX datagram socket as $NOTIFY_SOCKET gets READY=1, periodic
//    WATCHDOG=1 (WATCHDOG_USEC), RELOADING=1 then READY=1 on SIGHUP, and STOPPING=1 on SIGTERM;
//  - the control socket's permissions with a real second uid (runuser -u nobody): the kernel's SO_PEERCRED says
//    who connects; nobody may read (hello, status) and may not commit.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { probeDaemon } from '../../../engine/daemon/client.js';
import { socketPath } from '../../../engine/daemon/protocol.js';
import { AF_UNIX, bindUnix, close, MSG_DONTWAIT, pollIn, recv, SOCK_CLOEXEC, SOCK_DGRAM, socket } from '../../../netlink/libc.js';

const LBCTL = fileURLToPath(new URL('../../../../bin/lbctl', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeLab() {
  const home = mkdtempSync(join(tmpdir(), 'lbctl-daemon-sys-'));
  const config = join(home, 'config');
  const state = join(home, 'state');
  mkdirSync(join(config, 'config.d'), { recursive: true });
  mkdirSync(state);
  writeFileSync(join(config, 'config.yaml'), 'vip: 192.0.2.10\ndaemon: {reconcile_interval_ms: 5000}\n');
  writeFileSync(join(config, 'config.d', 'web.yaml'), 'services:\n  - name: web\n    ports: [80]\n    backends:\n      - {address: 198.51.100.11, port: 80, weight: 10}\n');
  return { home, config, state };
}

function startDaemon(lab: ReturnType<typeof makeLab>, env: NodeJS.ProcessEnv, extra: string[] = []): ChildProcess {
  return spawn(process.execPath, [LBCTL, 'daemon', '--lab', '--config', lab.config, '--state-dir', lab.state, ...extra], {
    env: { ...process.env, HOME: lab.home, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

async function waitForDaemon(stateDir: string, child: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await probeDaemon(stateDir, 500)) return;
    if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}`);
    await sleep(50);
  }
  throw new Error('the daemon did not answer');
}

/** Every datagram that arrives within `ms` (poll, then non-blocking recv; bounded). */
async function collect(fd: number, ms: number, until?: (all: string[]) => boolean): Promise<string[]> {
  const out: string[] = [];
  const buf = Buffer.alloc(4096);
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // Short polls, then yield: the daemon is another process, but our own timers must run too.
    const p = pollIn(fd, 20);
    if (p.value > 0) {
      const r = recv(fd, buf, MSG_DONTWAIT);
      if (r.value >= 0) out.push(buf.subarray(0, r.value).toString('utf8'));
      if (until?.(out)) break;
    } else await sleep(10);
  }
  return out;
}

describe('the daemon and systemd', () => {
  const cleanups: Array<() => void> = [];
  after(() => cleanups.forEach((c) => c()));

  it('READY=1 at start, WATCHDOG=1 periodically, RELOADING=1 on SIGHUP, STOPPING=1 on SIGTERM', async () => {
    const lab = makeLab();
    cleanups.push(() => rmSync(lab.home, { recursive: true, force: true }));
    const notifyPath = join(lab.home, 'notify.sock');
    const s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert.ok(s.value >= 0);
    assert.equal(bindUnix(s.value, notifyPath).value, 0);
    cleanups.push(() => close(s.value));
    const child = startDaemon(lab, { NOTIFY_SOCKET: notifyPath, WATCHDOG_USEC: '400000' });
    cleanups.push(() => child.kill('SIGKILL'));
    const ready = await collect(s.value, 30_000, (all) => all.some((m) => m.startsWith('READY=1')));
    const first = ready.find((m) => m.startsWith('READY=1'));
    assert.ok(first, `no READY=1: ${JSON.stringify(ready)}`);
    assert.match(first!, /^READY=1\nSTATUS=revision 1, in sync$/);
    // WATCHDOG_USEC=400000: the daemon pings every 200 ms. Two seconds bring several.
    const later = await collect(s.value, 2000);
    assert.ok(later.filter((m) => m === 'WATCHDOG=1').length >= 3, `watchdog pings: ${JSON.stringify(later)}`);
    child.kill('SIGHUP');
    const reload = await collect(s.value, 10_000, (all) => all.some((m) => m.startsWith('READY=1')));
    const rel = reload.findIndex((m) => m.startsWith('RELOADING=1\nMONOTONIC_USEC='));
    assert.ok(rel >= 0, `no RELOADING=1: ${JSON.stringify(reload)}`);
    assert.ok(reload.slice(rel + 1).some((m) => m.startsWith('READY=1')), 'no READY=1 after the reload');
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const stop = await collect(s.value, 10_000, (all) => all.includes('STOPPING=1'));
    assert.ok(stop.includes('STOPPING=1'), JSON.stringify(stop));
    assert.equal(await exited, 0);
    // A clean stop removes the socket; IPVS is left as it is (the lab table still holds the service).
    assert.throws(() => statSync(socketPath(lab.state)));
  });

  it('a user outside lbctl-admin (real uid nobody) may read but not commit', async (t) => {
    if (process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).status !== 0) return t.skip('needs root and runuser');
    const lab = makeLab();
    cleanups.push(() => rmSync(lab.home, { recursive: true, force: true }));
    chmodSync(lab.home, 0o755);
    chmodSync(lab.state, 0o755);
    // nobody's primary group is nogroup: the socket's group lets it connect; lbctl-admin it is not in.
    const child = startDaemon(lab, {}, ['--socket-group', 'nogroup']);
    cleanups.push(() => child.kill('SIGKILL'));
    await waitForDaemon(lab.state, child);
    const mode = statSync(socketPath(lab.state)).mode & 0o777;
    assert.equal(mode, 0o660);
    // A client that knows only the wire protocol (nobody cannot read this build): three requests, three replies.
    const script = join(lab.home, 'client.cjs');
    writeFileSync(
      script,
      `const s = require('net').createConnection(process.argv[2]);
let buf = ''; const replies = [];
s.on('data', (d) => { buf += d; let i; while ((i = buf.indexOf('\\n')) >= 0) { replies.push(JSON.parse(buf.slice(0, i))); buf = buf.slice(i + 1); }
  if (replies.length === 3) { console.log(JSON.stringify(replies)); s.end(); } });
s.on('connect', () => {
  s.write(JSON.stringify({ v: 1, id: 1, method: 'hello' }) + '\\n');
  s.write(JSON.stringify({ v: 1, id: 2, method: 'status', params: { config: null } }) + '\\n');
  s.write(JSON.stringify({ v: 1, id: 3, method: 'commit', params: { job: { candidate: {}, base: 1, action: 'commit', record: { how: 'commit', meta: {} }, voice: 'shell' }, identity: { user: 'root', uid: 0 } } }) + '\\n');
});
setTimeout(() => { console.log('timeout ' + JSON.stringify(replies)); process.exit(3); }, 20000).unref();
`,
    );
    chmodSync(script, 0o644);
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, script, socketPath(lab.state)], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const [hello, status, commit] = (JSON.parse(r.stdout) as Array<{ id: number; ok: boolean; result?: any; error?: any }>).sort((a, b) => a.id - b.id);
    assert.equal(hello.ok, true);
    assert.equal(hello.result.peer.uid, 65534, 'the daemon must see the kernel-reported uid');
    assert.equal(hello.result.peer.canConfigure, false);
    assert.equal(status.ok, true, JSON.stringify(status));
    assert.equal(status.result.inSync, true);
    assert.equal(commit.ok, false);
    assert.equal(commit.error.type, 'forbidden');
    assert.match(commit.error.message, /nobody \(uid 65534\) is neither root nor a member of group lbctl-admin/);
    // Nothing was committed: still revision 1.
    assert.equal((await probeDaemon(lab.state))?.runningRevision, 1);
  });
});
