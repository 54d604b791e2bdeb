// Health checks with real traffic on a real IPVS kernel (root, inside the VM): issue 14's kernel acceptance.
// The test builds its own little network in the guest:
//   - a bridge lbhcbr (10.77.0.1/24) in the root namespace (the director), with three backend namespaces
//     lbhc-b1..b3 (10.77.0.11-13) on it, each running a small TCP server on :8080 that answers its own name
//     and closes; their default route goes via the director, so NAT replies come back through IPVS;
//   - a client namespace lbhc-c (10.77.1.2) on a veth to the root namespace (10.77.1.1);
//   - the VIP 10.77.2.10 on the root namespace's lo, programmed by the real `lbctl daemon` (not --lab: the
//     guest kernel's IPVS) from a configuration with one NAT service over the three backends, health tcp every
//     200 ms, timeout 100 ms, fail_after 3, recover_after 2, slow_start_s 2.
// A client in lbhc-c opens a connection through the VIP every 20 ms (at most 8 in flight, 3 s timeout each) and
// records which backend answered, or the error, with timestamps. Then:
//   1. one backend's server is SIGKILLed: the time until the daemon logs the transition and until `ipvsadm -Ln`
//      shows weight 0 is measured and printed against interval × fail_after; no connection started after the
//      window (interval × fail_after + margin) or after the kernel showed weight 0 reaches the dead backend,
//      and none of them fails;
//   2. its server is started again: the backend answers connections again, and `ipvsadm -Ln` shows its weight
//      ramping through intermediate values before the full weight.
// Every address is inside namespaces this test creates; every loop is bounded; `after` removes it all.
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonProcess, pollUntil, sleep, writeLauncher } from './daemon-helpers.js';

const VIP = '10.77.2.10';
const VPORT = 80;
const BPORT = 8080;
const BACKENDS = [
  { name: 'b1', ns: 'lbhc-b1', host: 'lbhcv1', addr: '10.77.0.11' },
  { name: 'b2', ns: 'lbhc-b2', host: 'lbhcv2', addr: '10.77.0.12' },
  { name: 'b3', ns: 'lbhc-b3', host: 'lbhcv3', addr: '10.77.0.13' },
];
const VICTIM = BACKENDS[2];
const CLIENT_NS = 'lbhc-c';
const WEIGHT = 100;
const HEALTH = { type: 'tcp', interval_ms: 200, timeout_ms: 100, fail_after: 3, recover_after: 2 };
const SLOW_START_S = 2;
/** interval × fail_after: the nominal detection time. */
const NOMINAL_MS = HEALTH.interval_ms * HEALTH.fail_after;
/** Slack for emulation (qemu TCG is 10–40× slower than native): LBCTL_HEALTH_MARGIN_MS overrides. */
const MARGIN_MS = Number(process.env.LBCTL_HEALTH_MARGIN_MS ?? 2000);
const WINDOW_MS = NOMINAL_MS + MARGIN_MS;

const sh = (script: string) => execFileSync('sh', ['-ec', script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const SERVER_JS = `
const net = require('net');
const name = process.argv[1];
const srv = net.createServer((s) => { s.on('error', () => {}); s.end(name + '\\n'); });
srv.listen(${BPORT}, '0.0.0.0', () => console.log('ready'));
setTimeout(() => process.exit(0), 15 * 60_000);
`;

/** One connection every EVERY ms (at most 8 in flight), until stdin ends or MAX ms: a JSON line per connection. */
const CLIENT_JS = `
const net = require('net');
const [vip, port, every, timeout, max] = process.argv.slice(1);
const t0 = Date.now(); let inflight = 0; let stopping = false;
process.stdin.on('end', () => (stopping = true)); process.stdin.on('error', () => (stopping = true)); process.stdin.resume();
const tick = setInterval(() => {
  if (stopping || Date.now() - t0 > Number(max)) {
    clearInterval(tick);
    const w = setInterval(() => { if (inflight === 0) { clearInterval(w); process.exit(0); } }, 20);
    return;
  }
  if (inflight >= 8) return;
  inflight++;
  const s = Date.now(); let data = ''; let done = false;
  const sock = net.connect({ host: vip, port: Number(port) });
  const finish = (rec) => {
    if (done) return; done = true; inflight--; sock.destroy();
    process.stdout.write(JSON.stringify({ s, e: Date.now(), ...rec }) + '\\n');
  };
  sock.setTimeout(Number(timeout), () => finish({ err: 'timeout' }));
  sock.setEncoding('utf8');
  sock.on('data', (d) => (data += d));
  sock.on('end', () => finish(data.trim() ? { b: data.trim() } : { err: 'empty reply' }));
  sock.on('error', (e) => finish({ err: e.code || e.message }));
}, Number(every));
`;

interface Conn {
  /** start and end, Date.now() ms */
  s: number;
  e: number;
  b?: string;
  err?: string;
}

interface Sample {
  t: number;
  weights: Map<string, number>;
}

/** `ipvsadm -Ln`: destination address:port → weight, for the service VIP:VPORT. */
function parseWeights(listing: string): Map<string, number> {
  const out = new Map<string, number>();
  let inService = false;
  for (const line of listing.split('\n')) {
    if (/^(TCP|UDP|SCTP|FWM)\s/.test(line)) {
      inService = line.split(/\s+/)[1] === `${VIP}:${VPORT}`;
      continue;
    }
    const m = /^\s+->\s+(\S+)\s+\S+\s+(\d+)/.exec(line);
    if (inService && m) out.set(m[1], Number(m[2]));
  }
  return out;
}

const ipvsadmAsync = () =>
  new Promise<string>((res, rej) => execFile('ipvsadm', ['-Ln'], { encoding: 'utf8' }, (err, out) => (err ? rej(err) : res(out))));

/** Reads `ipvsadm -Ln` in a loop (every ~50 ms plus the run time) until stopped or `maxMs` passes. */
class Sampler {
  readonly samples: Sample[] = [];
  private stopped = false;
  readonly done: Promise<void>;
  constructor(maxMs: number) {
    const end = Date.now() + maxMs;
    this.done = (async () => {
      while (!this.stopped && Date.now() < end) {
        try {
          const out = await ipvsadmAsync();
          this.samples.push({ t: Date.now(), weights: parseWeights(out) });
        } catch {
          /* a failed read is just a missing sample */
        }
        await sleep(50);
      }
    })();
  }
  weight(dest: string): number | undefined {
    return this.samples.at(-1)?.weights.get(dest);
  }
  /** The first sample at or after `from` where `dest` has `pred(weight)`. */
  first(dest: string, from: number, pred: (w: number | undefined) => boolean): Sample | undefined {
    return this.samples.find((x) => x.t >= from && pred(x.weights.get(dest)));
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

class Client {
  readonly conns: Conn[] = [];
  private partial = '';
  readonly exited: Promise<void>;
  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      this.partial += d;
      let nl: number;
      while ((nl = this.partial.indexOf('\n')) >= 0) {
        const line = this.partial.slice(0, nl);
        this.partial = this.partial.slice(nl + 1);
        try {
          this.conns.push(JSON.parse(line) as Conn);
        } catch {
          /* not a record */
        }
      }
    });
    child.stderr!.resume();
    this.exited = new Promise((r) => child.once('exit', () => r()));
  }
  static start(maxMs: number): Client {
    const child = spawn('ip', ['netns', 'exec', CLIENT_NS, process.execPath, '-e', CLIENT_JS, VIP, String(VPORT), '20', '3000', String(maxMs)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return new Client(child);
  }
  async stop(): Promise<void> {
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
  since(t: number): Conn[] {
    return this.conns.filter((c) => c.s >= t);
  }
}

function summarise(conns: Conn[]): string {
  const by = new Map<string, number>();
  for (const c of conns) by.set(c.b ?? `error ${c.err}`, (by.get(c.b ?? `error ${c.err}`) ?? 0) + 1);
  return [...by].sort().map(([k, v]) => `${k}: ${v}`).join(', ') || 'none';
}

/** Start one backend's server in its namespace; resolves when it listens. */
async function startServer(b: (typeof BACKENDS)[number]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', b.ns, process.execPath, '-e', SERVER_JS, b.name], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stderr!.resume();
  const ready = await new Promise<boolean>((res) => {
    const timer = setTimeout(() => res(false), 60_000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      if (d.includes('ready')) {
        clearTimeout(timer);
        res(true);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      res(false);
    });
  });
  assert.ok(ready, `the server of ${b.name} listens in ${b.ns}`);
  return child;
}

/** The ISO time at the start of the first daemon log line after `from` that contains every one of `words`. */
function logTime(log: string[], from: number, ...words: string[]): number | null {
  for (const line of log) {
    if (!words.every((w) => line.includes(w))) continue;
    const t = Date.parse(line.slice(0, 24));
    if (Number.isFinite(t) && t >= from) return t;
  }
  return null;
}

describe('health checks with real traffic through the guest kernel (issue 14)', () => {
  let root: string;
  let daemon: DaemonProcess | undefined;
  let client: Client | undefined;
  let sampler: Sampler | undefined;
  const servers = new Map<string, ChildProcess>();
  const victimDest = `${VICTIM.addr}:${BPORT}`;

  before(async () => {
    execFileSync('modprobe', ['ip_vs']);
    execFileSync('ipvsadm', ['-C']);
    sh(`
      ip link add lbhcbr type bridge
      ip addr add 10.77.0.1/24 dev lbhcbr
      ip link set lbhcbr up
      ${BACKENDS.map(
        (b) => `
      ip netns add ${b.ns}
      ip link add ${b.host} type veth peer name eth0 netns ${b.ns}
      ip link set ${b.host} master lbhcbr
      ip link set ${b.host} up
      ip -n ${b.ns} addr add ${b.addr}/24 dev eth0
      ip -n ${b.ns} link set eth0 up
      ip -n ${b.ns} link set lo up
      ip -n ${b.ns} route add default via 10.77.0.1`,
      ).join('\n')}
      ip netns add ${CLIENT_NS}
      ip link add lbhcvc type veth peer name eth0 netns ${CLIENT_NS}
      ip addr add 10.77.1.1/24 dev lbhcvc
      ip link set lbhcvc up
      ip -n ${CLIENT_NS} addr add 10.77.1.2/24 dev eth0
      ip -n ${CLIENT_NS} link set eth0 up
      ip -n ${CLIENT_NS} link set lo up
      ip -n ${CLIENT_NS} route add default via 10.77.1.1
      ip link set lo up
      ip addr add ${VIP}/32 dev lo
      sysctl -qw net.ipv4.ip_forward=1
    `);
    for (const b of BACKENDS) servers.set(b.name, await startServer(b));

    root = mkdtempSync(join(tmpdir(), 'lbctl-khealth-'));
    const cfgDir = join(root, 'config');
    const stateDir = join(root, 'state');
    mkdirSync(join(cfgDir, 'config.d'), { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(
      join(cfgDir, 'config.yaml'),
      `# written by test/kernel/suite/health-traffic.test.ts
node:
  name: khealth
daemon:
  reconcile_interval_ms: 60000
observability:
  prometheus: {enabled: false}
  audit:
    path: ${join(stateDir, 'audit.jsonl')}
`,
    );
    const service = {
      name: 'hc',
      vip: VIP,
      ports: [VPORT],
      scheduler: 'wrr',
      on_down: 'inhibit',
      slow_start_s: SLOW_START_S,
      health: HEALTH,
      backends: BACKENDS.map((b) => ({ address: b.addr, port: BPORT, weight: WEIGHT })),
    };
    writeFileSync(join(cfgDir, 'config.d', '10-hc.yaml'), `services: ${JSON.stringify([service], null, 2)}\n`); // JSON is YAML
    const launcher = writeLauncher(root);
    daemon = DaemonProcess.start(launcher, cfgDir, stateDir);
    const info = await daemon.waitHello(90_000);
    assert.ok(info, `the daemon answers hello within 90 s; its log:\n${daemon.tail()}`);

    sampler = new Sampler(8 * 60_000);
    const programmed = await pollUntil(() => (BACKENDS.every((b) => sampler!.weight(`${b.addr}:${BPORT}`) === WEIGHT) ? true : null), 30_000, 100);
    assert.ok(programmed, `ipvsadm -Ln shows the three backends at weight ${WEIGHT}:\n${execFileSync('ipvsadm', ['-Ln'], { encoding: 'utf8' })}`);
    // Every target has had its first good probe (unknown → up is logged).
    const up = await pollUntil(() => (BACKENDS.every((b) => daemon!.log.some((l) => l.includes(`${b.addr}:${BPORT}`) && l.includes('unknown → up'))) ? true : null), 30_000, 100);
    assert.ok(up, `every backend is up by its checks; daemon log:\n${daemon.tail()}`);

    client = Client.start(6 * 60_000);
    const t0 = Date.now();
    const all = await pollUntil(() => (BACKENDS.every((b) => client!.since(t0).some((c) => c.b === b.name)) ? true : null), 60_000, 100);
    assert.ok(all, `the client reaches all three backends through the VIP: ${summarise(client.since(t0))}`);
  });

  after(async () => {
    await client?.stop().catch(() => {});
    await sampler?.stop().catch(() => {});
    for (const s of servers.values()) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
    if (daemon?.alive) await daemon.stop('SIGTERM', 20_000);
    spawnSync('ipvsadm', ['-C']);
    spawnSync('sh', [
      '-c',
      `for n in ${[...BACKENDS.map((b) => b.ns), CLIENT_NS].join(' ')}; do ip netns del $n; done; ip link del lbhcbr; ip link del lbhcvc; ip addr del ${VIP}/32 dev lo`,
    ]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it(`a killed backend gets no new connection after interval × fail_after (${NOMINAL_MS} ms) + ${MARGIN_MS} ms, and none fails`, async (t) => {
    assert.ok(client && sampler && daemon);
    const server = servers.get(VICTIM.name)!;
    const gone = new Promise((r) => server.once('exit', r));
    const tKill = Date.now();
    server.kill('SIGKILL');
    await gone;

    const zero = await pollUntil(() => sampler!.first(victimDest, tKill, (w) => w === 0) ?? null, 30_000, 20);
    assert.ok(zero, `ipvsadm -Ln shows weight 0 for ${victimDest} within 30 s; daemon log:\n${daemon.tail()}`);
    const tLog = await pollUntil(() => logTime(daemon!.log, tKill - 1000, victimDest, 'up → down'), 10_000, 50);
    assert.ok(tLog !== null, `the daemon logs the transition; its log:\n${daemon.tail()}`);
    // Keep the traffic going well past the window, then judge.
    const judgeFrom = Math.max(tKill + WINDOW_MS, zero.t);
    await pollUntil(() => (Date.now() >= judgeFrom + 4000 ? true : null), 60_000, 100);
    const tEnd = Date.now();
    const lastBefore = [...sampler.samples].reverse().find((x) => x.t < zero.t);

    const during = client.conns.filter((c) => c.s >= tKill && c.s < tKill + WINDOW_MS);
    const afterWindow = client.conns.filter((c) => c.s >= tKill + WINDOW_MS && c.e <= tEnd);
    const afterKernel = client.conns.filter((c) => c.s >= zero.t && c.e <= tEnd);
    t.diagnostic(`detection: daemon logged "up → down" ${tLog - tKill} ms after the kill; ipvsadm -Ln showed weight 0 ${zero.t - tKill} ms after (previous read ${lastBefore ? `${lastBefore.t - tKill} ms` : 'none'}, weight ${lastBefore?.weights.get(victimDest)}); interval × fail_after = ${HEALTH.interval_ms} × ${HEALTH.fail_after} = ${NOMINAL_MS} ms; window asserted ${WINDOW_MS} ms`);
    t.diagnostic(`log: ${daemon.log.find((l) => l.includes(victimDest) && l.includes('up → down'))}`);
    t.diagnostic(`connections started in the window: ${during.length} (${summarise(during)})`);
    t.diagnostic(`connections started after the window: ${afterWindow.length} (${summarise(afterWindow)}); after the kernel's weight 0: ${afterKernel.length} (${summarise(afterKernel)})`);

    // The daemon logs the transition after the kernel acknowledged the weight 0, so the log's time bounds the
    // kernel change from above; ipvsadm -Ln's first read of it only confirms it (its reads are coarse under load).
    assert.ok(tLog - tKill <= WINDOW_MS, `detected within the window: ${tLog - tKill} ms > ${WINDOW_MS} ms`);
    assert.ok(afterWindow.length >= 20, `enough traffic after the window to judge: ${afterWindow.length}`);
    for (const [what, conns] of [['after the window', afterWindow], ['after the kernel showed weight 0', afterKernel]] as const) {
      const bad = conns.filter((c) => c.err !== undefined || c.b === VICTIM.name);
      assert.deepEqual(bad, [], `connections started ${what}: none fails, none reaches ${VICTIM.name}`);
      for (const b of BACKENDS.filter((x) => x !== VICTIM)) assert.ok(conns.some((c) => c.b === b.name), `${b.name} still answers ${what}`);
    }
  });

  it(`the backend back: it answers again, its weight ramping over slow_start_s ${SLOW_START_S}`, async (t) => {
    assert.ok(client && sampler && daemon);
    const tBack = Date.now();
    servers.set(VICTIM.name, await startServer(VICTIM));
    const tListen = Date.now();
    const full = await pollUntil(() => sampler!.first(victimDest, tBack, (w) => w === WEIGHT) ?? null, 60_000, 50);
    assert.ok(full, `ipvsadm -Ln shows ${victimDest} back at weight ${WEIGHT}; daemon log:\n${daemon.tail()}`);
    const used = await pollUntil(() => client!.since(tListen).find((c) => c.b === VICTIM.name) ?? null, 60_000, 100);
    assert.ok(used, `${VICTIM.name} answers connections again: ${summarise(client.since(tListen))}`);
    await sleep(1000);
    const tEnd = Date.now();

    // The weights ipvsadm -Ln showed from the restart to the first full weight, changes only.
    const series: Array<{ ms: number; w: number | undefined }> = [];
    for (const x of sampler.samples) {
      if (x.t < tBack || x.t > full.t) continue;
      const w = x.weights.get(victimDest);
      if (series.at(-1)?.w !== w) series.push({ ms: x.t - tBack, w });
    }
    const tUp = logTime(daemon.log, tBack - 1000, victimDest, 'down → up');
    const firstUse = client.since(tListen).find((c) => c.b === VICTIM.name)!;
    t.diagnostic(`server seen listening ${tListen - tBack} ms after the restart began (node's start in the guest); daemon logged "down → up" ${tUp === null ? '?' : `${tUp - tListen} ms`} after the test saw it listening (recover_after ${HEALTH.recover_after} × ${HEALTH.interval_ms} ms)`);
    t.diagnostic(`ipvsadm -Ln weights of ${victimDest} after the restart (ms: weight): ${series.map((p) => `${p.ms}: ${p.w}`).join(', ')}`);
    t.diagnostic(`first connection answered by ${VICTIM.name} started ${firstUse.s - tListen} ms after the test saw it listening; from then on: ${summarise(client.since(firstUse.s).filter((c) => c.e <= tEnd))}`);

    const intermediate = series.filter((p) => p.w !== undefined && p.w > 0 && p.w < WEIGHT);
    assert.ok(intermediate.length >= 1, `the weight ramps through intermediate values before ${WEIGHT}: ${JSON.stringify(series)}`);
    const ws = series.map((p) => p.w ?? 0);
    for (let i = 1; i < ws.length; i++) assert.ok(ws[i] >= ws[i - 1], `the ramp only rises: ${ws.join(' → ')}`);
    const bad = client.since(tBack).filter((c) => c.err !== undefined && c.e <= tEnd);
    assert.deepEqual(bad, [], 'no connection fails while the backend comes back');
  });
});
