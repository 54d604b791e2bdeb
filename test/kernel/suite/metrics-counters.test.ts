// The Prometheus exporter against a real IPVS kernel (root, inside the VM): `lbctl daemon` programs a NAT
// service with two backends, each a socat echo server in its own network namespace; a client in a third
// namespace makes real connections to the VIP. Once the kernel's counters have settled, the per-backend series
// the exporter serves (connections, packets and bytes in and out, active and inactive connections, weight) and
// the service row (backend="") equal what `ipvsadm -Ln --stats --exact` and `ipvsadm -Ln` print.
// Every namespace, address and process is this test's own and removed in `after`; traffic stays inside the guest.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonProcess, ipvsadm, pollUntil, sleep, writeLauncher } from './daemon-helpers.js';
import { parseListing } from '../../unit/netlink/ipvsadm-format.js';
import { echoClientScript } from './echo-client.js';

const VIP = '10.11.9.1';
const BACKENDS = ['10.11.2.2', '10.11.3.2'];
const CONNECTIONS = 24;
const PORT = 19469;
const SERVICE_ID = `TCP ${VIP}:80`;

const sh = (script: string) => {
  const r = spawnSync('sh', ['-ec', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${script}\n${r.stderr}`);
};

function scrape(): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: PORT, path: '/metrics', timeout: 60_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('scrape timed out')));
    req.on('error', reject);
    req.end();
  });
}

/** `name{labels} value` lines of one metric for service web, by backend label ("" = the service row). */
function series(text: string, name: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm');
  for (const [, labels, value] of text.matchAll(re)) {
    const l = Object.fromEntries([...labels.matchAll(/(\w+)="([^"]*)"/g)].map(([, k, v]) => [k, v]));
    if (l.service !== 'web') continue;
    assert.equal(l.vip, VIP);
    assert.equal(l.port, '80');
    assert.equal(l.protocol, 'tcp');
    out.set(l.backend, value);
  }
  return out;
}

describe('the exporter equals ipvsadm after real traffic', () => {
  let root = '';
  let daemon: DaemonProcess | null = null;
  const servers: ChildProcess[] = [];

  before(async () => {
    spawnSync('modprobe', ['ip_vs']);
    sh(`
      ip netns add lbmc; ip netns add lbmb1; ip netns add lbmb2
      ip link add lbmvc type veth peer name eth0 netns lbmc
      ip link add lbmv1 type veth peer name eth0 netns lbmb1
      ip link add lbmv2 type veth peer name eth0 netns lbmb2
      ip addr add 10.11.1.1/24 dev lbmvc; ip link set lbmvc up
      ip addr add 10.11.2.1/24 dev lbmv1; ip link set lbmv1 up
      ip addr add 10.11.3.1/24 dev lbmv2; ip link set lbmv2 up
      ip addr add ${VIP}/32 dev lo; ip link set lo up
      ip -n lbmc addr add 10.11.1.2/24 dev eth0; ip -n lbmc link set eth0 up; ip -n lbmc link set lo up
      ip -n lbmc route add default via 10.11.1.1
      ip -n lbmb1 addr add ${BACKENDS[0]}/24 dev eth0; ip -n lbmb1 link set eth0 up; ip -n lbmb1 link set lo up
      ip -n lbmb1 route add default via 10.11.2.1
      ip -n lbmb2 addr add ${BACKENDS[1]}/24 dev eth0; ip -n lbmb2 link set eth0 up; ip -n lbmb2 link set lo up
      ip -n lbmb2 route add default via 10.11.3.1
      sysctl -qw net.ipv4.ip_forward=1
    `);
    for (const ns of ['lbmb1', 'lbmb2']) servers.push(spawn('ip', ['netns', 'exec', ns, 'socat', 'TCP-LISTEN:8080,fork,reuseaddr', 'PIPE'], { stdio: 'ignore' }));
    for (const ns of ['lbmb1', 'lbmb2'])
      assert.ok(await pollUntil(() => (spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'grep -q ":1F90 " /proc/net/tcp']).status === 0 ? true : null), 20_000), `${ns}: socat does not listen`);

    root = mkdtempSync(join(tmpdir(), 'lbctl-kmetrics-'));
    const cfg = join(root, 'config');
    const state = join(root, 'state');
    mkdirSync(join(cfg, 'config.d'), { recursive: true });
    mkdirSync(state);
    writeFileSync(
      join(cfg, 'config.yaml'),
      `node: {name: kmetrics}
daemon: {reconcile_interval_ms: 600000}
observability:
  prometheus: {enabled: true, bind: 127.0.0.1, port: ${PORT}}
  audit: {path: ${join(state, 'audit.jsonl')}}
`,
    );
    writeFileSync(
      join(cfg, 'config.d', 'web.yaml'),
      `services:
  - name: web
    vip: ${VIP}
    ports: [80]
    scheduler: rr
    health: {enabled: false}
    backends:
${BACKENDS.map((a, i) => `      - {address: ${a}, port: 8080, weight: ${3 + i}}`).join('\n')}
`,
    );
    daemon = DaemonProcess.start(writeLauncher(root), cfg, state);
    assert.ok(await daemon.waitHello(180_000), `the daemon did not answer: ${daemon.tail()}`);
    assert.ok(await pollUntil(() => scrape().then(() => true, () => null), 60_000), `the exporter does not answer: ${daemon.tail()}`);

    // A bounded client in its own namespace, to the VIP only (echo-client.ts).
    const client = echoClientScript(VIP, 80, CONNECTIONS);
    const r = spawnSync('ip', ['netns', 'exec', 'lbmc', process.execPath, '-e', client], { encoding: 'utf8', timeout: 180_000 });
    assert.equal(r.status, 0, r.stderr);
  });

  after(async () => {
    await daemon?.stop('SIGTERM');
    for (const s of servers) s.kill();
    spawnSync('sh', ['-c', `ip netns del lbmc; ip netns del lbmb1; ip netns del lbmb2; ip addr del ${VIP}/32 dev lo; ipvsadm -D -t ${VIP}:80`]);
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('per backend and per service: connections, packets, bytes, active/inactive connections and weight equal ipvsadm', async (t) => {
    // The kernel publishes counters from its estimator (every 2 s): wait (bounded) until every connection shows,
    // then one more period for the last FIN/ACKs, and until two ipvsadm reads 2.5 s apart agree.
    const total = () => parseListing(ipvsadm('-Ln', '--stats', '--exact')).get(SERVICE_ID)?.rest[0];
    assert.ok(await pollUntil(() => (total() === String(CONNECTIONS) ? true : null), 30_000, 200), `ipvsadm shows ${total()} connections`);
    let stats = '';
    const settled = await pollUntil(async () => {
      const a = ipvsadm('-Ln', '--stats', '--exact');
      await sleep(2500);
      const b = ipvsadm('-Ln', '--stats', '--exact');
      stats = b;
      return a === b ? true : null;
    }, 60_000, 0);
    assert.ok(settled, 'the counters did not settle');
    const text = await scrape();
    const listing = ipvsadm('-Ln');
    assert.equal(ipvsadm('-Ln', '--stats', '--exact'), stats, 'the counters moved while the exporter read them');

    const svc = parseListing(stats).get(SERVICE_ID);
    const conns = parseListing(listing).get(SERVICE_ID);
    assert.ok(svc && conns, stats);
    const names = ['lbctl_ipvs_connections_total', 'lbctl_ipvs_packets_in_total', 'lbctl_ipvs_packets_out_total', 'lbctl_ipvs_bytes_in_total', 'lbctl_ipvs_bytes_out_total'];
    const exported = names.map((n) => series(text, n));
    // The service row: ipvsadm's service line (Conns InPkts OutPkts InBytes OutBytes).
    assert.deepEqual(exported.map((m) => m.get('')), svc.rest.slice(0, 5), 'service row');
    assert.equal(svc.rest[0], String(CONNECTIONS));
    const active = series(text, 'lbctl_ipvs_connections_active');
    const inactive = series(text, 'lbctl_ipvs_connections_inactive');
    const weight = series(text, 'lbctl_backend_weight');
    let sum = 0;
    for (const [i, addr] of BACKENDS.entries()) {
      const b = `${addr}:8080`;
      const row = svc.dests.get(b);
      assert.ok(row, `ipvsadm lists ${b}`);
      assert.deepEqual(exported.map((m) => m.get(b)), row.slice(0, 5), `backend ${b}: ${names.join(' ')}`);
      assert.ok(Number(row[0]) > 0, `${b} took connections (rr)`);
      assert.ok(Number(row[3]) >= Number(row[0]) * 1000, `${b}: at least 1000 bytes in per connection`);
      // ipvsadm -Ln: Forward Weight ActiveConn InActConn
      const [, w, act, inact]: string[] = conns.dests.get(b)!;
      assert.equal(weight.get(b), w);
      assert.equal(weight.get(b), String(3 + i));
      assert.equal(active.get(b), act);
      assert.equal(inactive.get(b), inact);
      sum += Number(act) + Number(inact);
      t.diagnostic(`${b}: exporter ${names.map((n, k) => `${n.replace('lbctl_ipvs_', '')}=${exported[k].get(b)}`).join(' ')} active=${active.get(b)} inactive=${inactive.get(b)} weight=${weight.get(b)}; ipvsadm ${row.join(' ')} / ${conns.dests.get(b)!.join(' ')}`);
    }
    assert.equal(active.get('') !== undefined && inactive.get('') !== undefined, true);
    assert.equal(Number(active.get('')) + Number(inactive.get('')), sum, 'the service row sums its backends');
  });
});
