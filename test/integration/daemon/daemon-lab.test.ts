// `lbctl daemon --lab` as an operator meets it: the real bin/lbctl processes, a temporary HOME, the control socket.
//  - the shell names the daemon and its pid; a shell commit reaches the daemon's lab table; status is in sync;
//  - a second daemon on the same state directory is refused, naming the first;
//  - killing the daemon falls back to in-process with the same outputs (compared line by line);
//  - drift written into the lab table by hand (the lab's `ipvsadm`) is healed; a foreign service survives;
//  - SIGHUP with a broken file logs every located error and changes nothing; a valid edit becomes a revision;
//  - garbage, an oversized line and a silent client do not stop the daemon serving others;
//  - the audit names the uid the kernel reported, not the one the client claimed.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { DaemonConnection, probeDaemon } from '../../../engine/daemon/client.js';
import { DaemonPort } from '../../../engine/daemon/port.js';
import { socketPath } from '../../../engine/daemon/protocol.js';
import { auditPath } from '../../../engine/audit.js';
import { createContextBackend } from '../../../shell/session-backend.js';
import { createSession } from '../../../shell/session.js';
import { openStore } from '../../../store/store.js';
import { startDaemon as startLabDaemon, stopDaemon, type RunningDaemon } from '../../support/lab-daemon.js';
import { labTableJSON } from '../../support/lab-table.js';

const LBCTL = fileURLToPath(new URL('../../../../bin/lbctl', import.meta.url));

const CONFIG = `node: {name: lbd}
vip: 192.0.2.10
daemon: {reconcile_interval_ms: 300}
`;
const SERVICES = `services:
  - name: web
    protocol: tcp
    ports: [80]
    scheduler: wrr
    backends:
      - {address: 198.51.100.11, port: 80, weight: 100}
      - {address: 198.51.100.12, port: 80, weight: 50}
`;

interface Lab {
  home: string;
  config: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

function makeLab(): Lab {
  const home = mkdtempSync(join(tmpdir(), 'lbctl-daemon-'));
  const config = join(home, 'config');
  const state = join(home, 'state');
  mkdirSync(join(config, 'config.d'), { recursive: true });
  mkdirSync(state);
  writeFileSync(join(config, 'config.yaml'), CONFIG);
  writeFileSync(join(config, 'config.d', 'web.yaml'), SERVICES);
  return { home, config, state, env: { ...process.env, HOME: home } };
}

function lbctl(lab: Lab, args: string[], input?: string) {
  const r = spawnSync(process.execPath, [LBCTL, ...args, '--lab', '--config', lab.config, '--state-dir', lab.state], {
    env: lab.env,
    encoding: 'utf8',
    input: input ?? '',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

type Daemon = RunningDaemon;
const startDaemon = (lab: Lab, extra: string[] = []): Promise<Daemon> => startLabDaemon(lab, {}, extra);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 50 ms for at most `ms`; returns whether it became true. */
async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

interface LabJson {
  services: Array<{ service: { key: { addr?: string; port?: number } }; dests: Array<{ dest: { addr: string; port: number; weight: number } }> }>;
}
const labTable = (lab: Lab) => labTableJSON<LabJson>(join(lab.state, 'lab-ipvs.json'));
const weightOf = (lab: Lab, addr: string) => {
  for (const s of labTable(lab).services) for (const d of s.dests) if (d.dest.addr === addr) return d.dest.weight;
  return undefined;
};

describe('lbctl daemon --lab', () => {
  let lab: Lab;
  let daemon: Daemon;

  before(async () => {
    lab = makeLab();
    daemon = await startDaemon(lab);
  });
  after(async () => {
    if (daemon) await stopDaemon(daemon, 'SIGKILL');
    rmSync(lab.home, { recursive: true, force: true });
  });

  it('the shell names the daemon and its pid; a commit reaches the daemon table; status is in sync', () => {
    const v = lbctl(lab, ['shell', '-c', 'show version']);
    assert.equal(v.code, 0, v.err);
    assert.match(v.out, new RegExp(`Engine: daemon \\(pid ${daemon.child.pid}, up \\d+s\\), in sync`));
    const c = lbctl(lab, ['shell', '-c', 'configure; service web; backend 198.51.100.11 port 80 weight 7; commit']);
    assert.equal(c.code, 0, c.out + c.err);
    assert.match(c.out, /Configuration committed successfully \(revision 2\)/);
    // The daemon's dataplane wrote its lab table: the weight is there.
    assert.equal(weightOf(lab, '198.51.100.11'), 7);
    const s = lbctl(lab, ['status']);
    assert.equal(s.code, 0, s.out + s.err);
    assert.match(s.out, /1 IPVS service: 1 in sync; 0 foreign/);
    const sys = lbctl(lab, ['shell', '-c', 'show system status']);
    assert.match(sys.out, new RegExp(`Daemon pid: +${daemon.child.pid}`));
    assert.match(sys.out, /Running revision: 2/);
  });

  it('a second daemon on the same state directory is refused and names the first', () => {
    const r = spawnSync(process.execPath, [LBCTL, 'daemon', '--lab', '--config', lab.config, '--state-dir', lab.state], { env: lab.env, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`another lbctl daemon is running for .*pid ${daemon.child.pid}`));
  });

  it('hand drift in the lab table is healed within a few intervals; a foreign service survives', async () => {
    const table = labTable(lab);
    const web = table.services.find((s) => s.service.key.port === 80 && s.service.key.addr === '192.0.2.10')!;
    web.dests[0].dest.weight = 999; // ipvsadm -e
    web.dests.splice(1, 1); // ipvsadm -d
    const foreign = structuredClone(web);
    foreign.service.key.addr = '203.0.113.99';
    foreign.dests = [];
    table.services.push(foreign); // ipvsadm -A
    writeFileSync(join(lab.state, 'lab-ipvs.json'), JSON.stringify(table));
    const healed = await eventually(() => weightOf(lab, '198.51.100.11') === 7 && weightOf(lab, '198.51.100.12') === 50, 30_000);
    assert.ok(healed, `not healed: ${JSON.stringify(labTable(lab))}\n${daemon.log()}`);
    assert.ok(await eventually(() => /drift repaired: \d+ kernel operation/.test(daemon.log()), 10_000), daemon.log());
    await sleep(1000); // several more intervals
    assert.ok(labTable(lab).services.some((s) => s.service.key.addr === '203.0.113.99'), 'the foreign service was removed');
  });

  it('SIGHUP with a broken file logs every located error and changes nothing; a valid edit becomes a revision', async () => {
    const before = lbctl(lab, ['shell', '-c', 'show system commit']).out;
    const good = readFileSync(join(lab.config, 'config.d', 'web.yaml'), 'utf8');
    writeFileSync(join(lab.config, 'config.d', 'web.yaml'), good.replace('scheduler: wrr', 'scheduler: wrrr').replace('weight: 50', 'weight: -3'));
    const mark = daemon.log().length;
    daemon.child.kill('SIGHUP');
    assert.ok(await eventually(() => /reload: the configuration files have 2 error/.test(daemon.log().slice(mark)), 10_000), daemon.log());
    const logged = daemon.log().slice(mark);
    assert.match(logged, /web\.yaml:\d+:\d+: services\[0\]\.scheduler/);
    assert.match(logged, /web\.yaml:\d+:\d+: services\[0\]\.backends\[1\]\.weight/);
    assert.equal(lbctl(lab, ['shell', '-c', 'show system commit']).out, before);
    assert.equal(weightOf(lab, '198.51.100.12'), 50);
    assert.equal((await probeDaemon(lab.state))?.pid, daemon.child.pid, 'the daemon stopped serving');

    writeFileSync(join(lab.config, 'config.d', 'web.yaml'), good.replace('weight: 50', 'weight: 60'));
    daemon.child.kill('SIGHUP');
    assert.ok(await eventually(() => weightOf(lab, '198.51.100.12') === 60, 10_000), daemon.log());
    const list = lbctl(lab, ['shell', '-c', 'show system commit']).out;
    assert.match(list, /file/);
    assert.equal((await probeDaemon(lab.state))?.runningRevision, 3);
  });

  it('garbage, an oversized line and a silent client do not stop the daemon serving others', async () => {
    const silent = createConnection({ path: socketPath(lab.state) });
    await new Promise((r) => silent.once('connect', r));
    const raw = createConnection({ path: socketPath(lab.state) });
    let replies = '';
    raw.on('data', (d) => (replies += d));
    await new Promise((r) => raw.once('connect', r));
    raw.write('this is not json\n');
    raw.write('{"v":1,"id":5,"method":"nope"}\n');
    raw.write('{"v":99,"id":6,"method":"hello"}\n');
    assert.ok(await eventually(() => replies.split('\n').filter(Boolean).length === 3, 5000), replies);
    const [a, b, c] = replies.trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(a.error.type, 'bad-request');
    assert.deepEqual([b.id, b.error.type], [5, 'unknown-method']);
    assert.deepEqual([c.id, c.error.type], [6, 'bad-request']);
    // A line that never ends: refused once it passes the limit (64 MiB), and the connection closed.
    const huge = createConnection({ path: socketPath(lab.state) });
    await new Promise((r) => huge.once('connect', r));
    let closed = false;
    huge.on('close', () => (closed = true));
    huge.on('error', () => {});
    const chunk = Buffer.alloc(1 << 20, 0x61);
    for (let i = 0; i < 70 && !closed; i++) await new Promise<void>((r) => huge.write(chunk, () => r()));
    assert.ok(await eventually(() => closed, 10_000), 'the oversized connection was not closed');
    // Everyone else is still served, the silent client notwithstanding.
    assert.equal((await probeDaemon(lab.state))?.pid, daemon.child.pid);
    silent.destroy();
    raw.destroy();
  });

  it("the audit names the kernel's uid, not the one the client claimed", async () => {
    const conn = (await DaemonConnection.connect(lab.state))!;
    const hello = await conn.call<{ runningRevision: number; peer: { uid: number; user: string } }>('hello');
    assert.equal(hello.peer.uid, process.getuid!());
    const show = lbctl(lab, ['show', 'config', '--format', 'json']);
    const candidate = JSON.parse(show.out);
    candidate.services[0].backends[0].weight = 8;
    await conn.call('commit', {
      job: { candidate, base: hello.runningRevision, action: 'commit', record: { how: 'commit', meta: { origin: 'shell', user: 'mallory', uid: 4242 } }, voice: 'shell' },
      identity: { user: 'mallory', uid: 4242, session: 'forged' },
    });
    conn.close();
    const audit = readFileSync(auditPath({ stateDir: lab.state, lab: true }), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const last = audit[audit.length - 1];
    assert.equal(last.uid, process.getuid!());
    assert.notEqual(last.user, 'mallory');
    const rev = lbctl(lab, ['shell', '-c', 'show system commit']).out;
    assert.doesNotMatch(rev, /mallory/);
  });

  it('a commit sent as a delta from its base revision reaches the kernel; one from a revision the daemon lacks is resent whole', async () => {
    const store = await openStore({ stateDir: lab.state, configPath: lab.config, readOnly: true });
    const port = (await DaemonPort.connect(lab.state))!;
    assert.ok(port, 'the daemon answers');
    const base = store.running();
    const candidate = structuredClone(base.config);
    candidate.services[0].backends[1].weight = 44;
    // What crosses the socket: the delta, a few hundred bytes, not the candidate.
    const sent: string[] = [];
    const conn = (port as unknown as { conn: { socket: { write: (s: string) => boolean } } }).conn.socket;
    const write = conn.write.bind(conn);
    conn.write = (line: string) => (sent.push(String(line)), write(line));
    const job = { candidate, base: base.number, action: 'commit' as const, record: { how: 'commit' as const, meta: { origin: 'shell' as const } }, voice: 'shell' as const };
    const out = await port.commit({ ...job, baseConfig: base.config }, { user: 'root' });
    assert.equal(out.kind, 'committed');
    assert.equal(weightOf(lab, '198.51.100.12'), 44, 'the daemon rebuilt the candidate and applied it');
    assert.equal(sent.length, 1);
    assert.match(sent[0], /"delta":/);
    assert.doesNotMatch(sent[0], /"candidate":/);
    // A base the daemon does not keep: it answers delta-base, the port sends the whole candidate, and the store
    // refuses it as stale (the base is not the running revision): the refusal proves the whole candidate arrived.
    sent.length = 0;
    const again = structuredClone(candidate);
    again.services[0].backends[1].weight = 45;
    await assert.rejects(port.commit({ ...job, candidate: again, base: 999, baseConfig: candidate }, { user: 'root' }), (e: Error & { refusal?: { kind: string } }) => {
      assert.equal(e.refusal?.kind, 'stale');
      return true;
    });
    assert.equal(sent.length, 2);
    assert.match(sent[0], /"delta":/);
    assert.match(sent[1], /"candidate":/);
    assert.equal(weightOf(lab, '198.51.100.12'), 44, 'nothing applied');
    await port.close();
  });

  it('a commit made beside the daemon (a shell opened before it) is followed, never reverted by the drift check', async () => {
    const backend = await createContextBackend({ configPath: lab.config, stateDir: lab.state, lab: true, labDefaults: false }, lab.env, { daemon: false, ensureGuard: () => {} });
    const session = await createSession({ backend, lab: true, terminal: { length: 0, width: 200 } });
    try {
      assert.equal(backend.daemonAttached, false);
      for (const line of ['configure private', 'service web', 'backend 198.51.100.12 port 80 weight 33', 'commit']) {
        const r = await session.execute(line);
        assert.equal(r.error, undefined, `${line}: ${r.error}`);
      }
    } finally {
      await session.close();
    }
    assert.equal(weightOf(lab, '198.51.100.12'), 33);
    const n = (await openStore({ stateDir: lab.state, configPath: lab.config, readOnly: true })).runningNumber();
    assert.match(lbctl(lab, ['shell', '-c', 'show system status']).out, new RegExp(`Running revision: ${n}\\b`));
    assert.ok(await eventually(() => /committed outside the daemon/.test(daemon.log()), 10_000), daemon.log());
    await sleep(1500); // several drift checks
    assert.equal(weightOf(lab, '198.51.100.12'), 33, 'the daemon reverted a commit it did not make');
    assert.equal((await probeDaemon(lab.state))?.runningRevision, n);
  });

  it('killing the daemon falls back to in-process with the same outputs', async () => {
    const commands: string[][] = [
      ['status'],
      ['show', 'ipvs'],
      ['show', 'ipvs', '--json'],
      ['shell', '-c', 'show ipvs'],
      ['shell', '-c', 'show running-config'],
      ['shell', '-c', 'configure private; service web; backend 198.51.100.11 port 80 weight 7; commit check'],
      ['apply', '--dry-run'],
    ];
    const withDaemon = commands.map((c) => lbctl(lab, c));
    assert.equal(await stopDaemon(daemon, 'SIGKILL'), null);
    assert.equal(await probeDaemon(lab.state, 500), null);
    const inProcess = commands.map((c) => lbctl(lab, c));
    for (const [i, c] of commands.entries()) {
      assert.deepEqual(inProcess[i], withDaemon[i], `lbctl ${c.join(' ')} differs between the daemon and in-process`);
    }
    // And show version says which engine answered.
    assert.match(lbctl(lab, ['shell', '-c', 'show version']).out, /Engine: in-process \(no daemon\)/);
  });
});
