// `lbctl daemon --lab` runs the health checks: real TCP listeners on 127.0.0.1 started by this test are the
// backends; the daemon's lab IPVS table (STATE/lab-ipvs.json) shows what the verdicts did.
//  - a listener closed: weight 0 (inhibit) after fail_after probes; reopened: back, ramping with slow_start_s;
//  - quorum: below it the sorry backend is programmed, above it removed;
//  - every transition is an audit record (action health) and a log line;
//  - documentation addresses are never probed: unknown (lab: not probed); set by hand they go down and back;
//  - `show health` through the shell; without a daemon it says how to start one.
// The CLI runs from this build (test/support/hooked-lbctl.js beside this file), never from bin/lbctl's build/.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { probeDaemon } from '../../../engine/daemon/client.js';
import { daemonHealth } from '../../../engine/daemon/health-client.js';
import { HOOKED_LBCTL } from '../../support/hooks.js';
import { labTableJSON } from '../../support/lab-table.js';

const LOOPBACK = '127.0.0.1';

class Listener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  async start(): Promise<this> {
    const server = createServer((s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
      s.on('error', () => {});
      s.end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, LOOPBACK, () => resolve());
    });
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }
  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

interface Lab {
  home: string;
  config: string;
  state: string;
  env: NodeJS.ProcessEnv;
}

function lbctl(lab: Lab, args: string[]) {
  const r = spawnSync(process.execPath, [HOOKED_LBCTL, '--', ...args, '--lab', '--config', lab.config, '--state-dir', lab.state], {
    env: lab.env,
    encoding: 'utf8',
    input: '',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(check: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(20);
  }
  return check();
}

interface LabJson {
  services: Array<{ service: { key: { addr?: string; port?: number } }; dests: Array<{ dest: { addr: string; port: number; weight: number } }> }>;
}

/** `addr:port` → weight, per VIP. */
function table(lab: Lab): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  const file = join(lab.state, 'lab-ipvs.json');
  if (!existsSync(file)) return out;
  let json: LabJson;
  try {
    json = labTableJSON<LabJson>(file);
  } catch {
    return out; // being written by hand
  }
  for (const s of json.services) {
    const m = new Map<string, number>();
    for (const d of s.dests) m.set(`${d.dest.addr}:${d.dest.port}`, d.dest.weight);
    out.set(`${s.service.key.addr}:${s.service.key.port}`, m);
  }
  return out;
}

const weight = (lab: Lab, vip: string, dest: string) => table(lab).get(vip)?.get(dest);

interface AuditLine {
  action: string;
  comment?: string;
  health?: { target: string; from: string; to: string; backends: string[]; reason?: string };
}
const audits = (lab: Lab): AuditLine[] => {
  const file = join(lab.state, 'audit.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as AuditLine)
    .filter((a) => a.action === 'health');
};

/** Waits until every probed backend of `service` has had its first good probe (state up). */
async function untilUp(lab: Lab, service: string): Promise<void> {
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    const report = await daemonHealth(lab.state, service);
    if (report && report.rows.length > 0 && report.rows.every((r) => r.state === 'up')) return;
    await sleep(20);
  }
  assert.fail(`${service}: not every backend came up`);
}

describe('lbctl daemon --lab: health checks', () => {
  let lab: Lab;
  let daemon: ChildProcess;
  let log = '';
  const web1 = new Listener();
  const web2 = new Listener();
  const q1 = new Listener();
  const q2 = new Listener();
  let sorryPort = 0;

  before(async () => {
    await Promise.all([web1.start(), web2.start(), q1.start(), q2.start()]);
    const spare = await new Listener().start();
    sorryPort = spare.port;
    await spare.stop();
    const home = mkdtempSync(join(tmpdir(), 'lbctl-health-'));
    lab = { home, config: join(home, 'config'), state: join(home, 'state'), env: { ...process.env, HOME: home } };
    mkdirSync(join(lab.config, 'config.d'), { recursive: true });
    mkdirSync(lab.state);
    const health = { type: 'tcp', interval_ms: 100, timeout_ms: 50, fail_after: 3, recover_after: 2 };
    const local = (port: number, weight: number) => ({ address: LOOPBACK, port, weight });
    const services = [
      { name: 'web', ports: [80], scheduler: 'wrr', slow_start_s: 1, health, backends: [local(web1.port, 10), local(web2.port, 40)] },
      { name: 'quorate', vip: '192.0.2.11', ports: [80], scheduler: 'wrr', quorum: 2, sorry: `${LOOPBACK}:${sorryPort}`, health, backends: [local(q1.port, 5), local(q2.port, 5)] },
      { name: 'docs', vip: '192.0.2.12', ports: [80], health, backends: [{ address: '198.51.100.20', port: 80, weight: 7 }] },
    ];
    writeFileSync(join(lab.config, 'config.yaml'), 'node: {name: hc}\nvip: 192.0.2.10\ndaemon: {reconcile_interval_ms: 60000}\n');
    // JSON is YAML.
    writeFileSync(join(lab.config, 'config.d', 'services.yaml'), `services: ${JSON.stringify(services, null, 2)}\n`);
    daemon = spawn(process.execPath, [HOOKED_LBCTL, '--', 'daemon', '--lab', '--config', lab.config, '--state-dir', lab.state], {
      env: lab.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout!.on('data', (d) => (log += d));
    daemon.stderr!.on('data', (d) => (log += d));
    let up = false;
    for (let i = 0; i < 200 && !up; i++) {
      if (await probeDaemon(lab.state, 500)) up = true;
      else if (daemon.exitCode !== null) throw new Error(`daemon exited ${daemon.exitCode}: ${log}`);
      else await sleep(50);
    }
    assert.ok(up, `the daemon answers: ${log}`);
  });

  after(async () => {
    if (daemon && daemon.exitCode === null) {
      const done = new Promise((r) => daemon.once('exit', r));
      daemon.kill('SIGKILL');
      await done;
    }
    await Promise.all([web1.stop(), web2.stop(), q1.stop(), q2.stop()]);
    if (lab) rmSync(lab.home, { recursive: true, force: true });
  });

  it('every backend starts at its weight; the documentation address is unknown (lab: not probed)', async () => {
    assert.ok(await eventually(() => weight(lab, '192.0.2.10:80', `127.0.0.1:${web2.port}`) === 40, 5000), JSON.stringify([...table(lab)]));
    const report = await daemonHealth(lab.state);
    assert.ok(report);
    const docs = report.rows.find((r) => r.service === 'docs')!;
    assert.equal(docs.state, 'unknown');
    assert.equal(docs.detail, 'lab: not probed');
    assert.equal(docs.probes, 0);
    assert.equal(weight(lab, '192.0.2.12:80', '198.51.100.20:80'), 7, 'unknown counts as up');
  });

  it('a closed listener is inhibited (weight 0) after fail_after probes, then ramps back when it returns', async () => {
    const dest = `127.0.0.1:${web2.port}`;
    assert.ok(await eventually(() => audits(lab).length === 0 && weight(lab, '192.0.2.10:80', dest) === 40, 3000));
    await untilUp(lab, 'web');
    const t0 = Date.now();
    await web2.stop();
    assert.ok(await eventually(() => weight(lab, '192.0.2.10:80', dest) === 0, 5000), `inhibited: ${JSON.stringify([...table(lab)])}\n${log}`);
    const detectMs = Date.now() - t0;
    assert.ok(detectMs >= 150, `not before fail_after probes (${detectMs} ms)`);
    assert.equal(weight(lab, '192.0.2.10:80', `127.0.0.1:${web1.port}`), 10, 'the other backend is untouched');
    // The record follows the kernel change (it carries what the kernel did).
    const isDown = (a: AuditLine) => a.health?.to === 'down' && a.health.backends.includes(`web/${dest}`);
    assert.ok(await eventually(() => audits(lab).some(isDown), 2000), JSON.stringify(audits(lab)));
    const down = audits(lab).find(isDown)!;
    assert.match(down.comment!, /up → down after 3 failed probes \(connection refused\)/);
    assert.ok(await eventually(() => /health: tcp 127\.0\.0\.1:\d+ #[0-9a-f]+: up → down after 3 failed probes/.test(log), 2000), log);
    const shown = lbctl(lab, ['shell', '-c', 'terminal width 200; show health service web']);
    assert.equal(shown.code, 0, shown.err);
    assert.match(shown.out, new RegExp(`web +127\\.0\\.0\\.1:${web2.port} +tcp :${web2.port} +down \\(inhibited\\) .*connection refused`));
    const ipvs = lbctl(lab, ['shell', '-c', 'terminal width 200; show ipvs service web']);
    assert.match(ipvs.out, new RegExp(`-> 127\\.0\\.0\\.1:${web2.port} +down, inhibited`));

    await web2.start();
    const seen = new Set<number>();
    assert.ok(
      await eventually(() => {
        const w = weight(lab, '192.0.2.10:80', dest);
        if (w !== undefined) seen.add(w);
        return w === 40;
      }, 5000),
      `back to 40: ${[...seen].join(',')}`,
    );
    const ramp = [...seen].filter((w) => w > 0 && w < 40);
    assert.ok(ramp.length >= 2, `slow start ramped in steps: ${[...seen].join(', ')}`);
    assert.ok(await eventually(() => audits(lab).some((a) => a.health?.from === 'down' && a.health.to === 'up'), 2000), 'the recovery is audited');
  });

  it('quorum: below it the sorry backend is programmed alone; above it, it is removed', async () => {
    const vip = '192.0.2.11:80';
    const sorry = `127.0.0.1:${sorryPort}`;
    assert.equal(weight(lab, vip, sorry), undefined);
    await untilUp(lab, 'quorate');
    await q1.stop();
    assert.ok(await eventually(() => weight(lab, vip, sorry) === 1, 5000), JSON.stringify([...table(lab)]));
    assert.equal(weight(lab, vip, `127.0.0.1:${q2.port}`), 0, 'the healthy one keeps its connections but gets no new ones');
    const shown = lbctl(lab, ['shell', '-c', 'terminal width 200; show health service quorate']);
    assert.match(shown.out, /quorate: 1 of 2 backends healthy, quorum 2; sorry 127\.0\.0\.1:\d+ SERVING/);
    await q1.start();
    assert.ok(await eventually(() => weight(lab, vip, sorry) === undefined, 5000));
    assert.equal(weight(lab, vip, `127.0.0.1:${q2.port}`), 5);
  });

  it('a lab backend set down by hand, and back to the checks', async () => {
    const r = lbctl(lab, ['shell', '-c', 'request backend 198.51.100.20 health down']);
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /198\.51\.100\.20: health set down by hand for docs\/198\.51\.100\.20:80 \(1 changed\)/);
    assert.equal(weight(lab, '192.0.2.12:80', '198.51.100.20:80'), 0);
    assert.ok(audits(lab).some((a) => a.health?.target === 'hand: docs/198.51.100.20:80' && a.health.to === 'down'));
    const back = lbctl(lab, ['shell', '-c', 'request backend 198.51.100.20 health auto']);
    assert.equal(back.code, 0, back.out + back.err);
    assert.equal(weight(lab, '192.0.2.12:80', '198.51.100.20:80'), 7);
    const json = lbctl(lab, ['shell', '-c', 'show health service docs | json']);
    const data = JSON.parse(json.out) as { rows: Array<{ state: string; detail?: string }> };
    assert.deepEqual(data.rows.map((x) => [x.state, x.detail]), [['unknown', 'lab: not probed']]);
  });

  it('a reload that changes nothing keeps every state; without a daemon show health says how to start one', async () => {
    const before = audits(lab).length;
    daemon.kill('SIGHUP');
    await sleep(500);
    assert.equal(audits(lab).length, before, 'no flap on reload');
    const done = new Promise((r) => daemon.once('exit', r));
    daemon.kill('SIGTERM');
    await done;
    const r = lbctl(lab, ['shell', '-c', 'show health']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /no health checks are running: start the daemon \(lbctl daemon, or systemctl start lbctl\)/);
  });
});
