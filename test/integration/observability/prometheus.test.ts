// The exporter as Prometheus meets it: `lbctl daemon --lab` (temporary HOME and state directory) serves
// /metrics on a loopback port; a real Prometheus server (Debian's `prometheus`, started here with a temporary
// configuration and data directory, scraping every second) reports the target up and answers a query for the lab
// service's IPVS counters. `promtool check metrics` accepts a real scrape, `promtool check rules` the shipped
// alert rules. A SIGHUP reload that moves the port re-binds the exporter; one that asks for a port in use is a
// logged error and the daemon keeps serving its socket.
// Skipped, saying so, where Prometheus is not installed (`sudo npm run deps` installs it).
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { probeDaemon } from '../../../engine/daemon/client.js';
import { HOOKED_LBCTL } from '../../support/hooks.js';
import { freePort } from '../health/servers.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const ALERTS = join(REPO, 'dist/prometheus/lbctl-alerts.yml');
const DASHBOARD = join(REPO, 'dist/grafana/lbctl-dashboard.json');
const SCRAPE_EXAMPLE = join(REPO, 'dist/prometheus/scrape-config.example.yml');

const has = (cmd: string) => spawnSync(cmd, ['--version'], { encoding: 'utf8' }).status === 0;
const HAVE_PROMETHEUS = has('prometheus');
const HAVE_PROMTOOL = has('promtool');
const SKIP = HAVE_PROMETHEUS && HAVE_PROMTOOL ? false : 'prometheus/promtool not installed (Debian package prometheus; sudo npm run deps)';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** Polls `check` until it returns a value (not undefined) or `ms` pass; returns the value or undefined. */
async function eventually<T>(check: () => Promise<T | undefined>, ms: number, every = 200): Promise<T | undefined> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await check().catch(() => undefined);
    if (v !== undefined) return v;
    await sleep(every);
  }
  return undefined;
}

const configYaml = (port: number) => `node: {name: lbd}
vip: 192.0.2.10
daemon: {reconcile_interval_ms: 500}
observability:
  prometheus: {enabled: true, bind: 127.0.0.1, port: ${port}}
`;
const SERVICES = `services:
  - name: web
    protocol: tcp
    ports: [80]
    scheduler: wrr
    backends:
      - {address: 198.51.100.11, port: 8080, weight: 100}
      - {address: 198.51.100.12, port: 8080, weight: 50}
`;

interface PromResult {
  metric: Record<string, string>;
  value: [number, string];
}

describe('Prometheus scrapes lbctl daemon --lab', { skip: SKIP }, () => {
  let home = '';
  let configDir = '';
  let stateDir = '';
  let metricsPort = 0;
  let promPort = 0;
  let daemon: ChildProcess | null = null;
  let prometheus: ChildProcess | null = null;
  let daemonLog = '';
  let promLog = '';
  const blockers: Server[] = [];

  before(async () => {
    home = mkdtempSync(join(tmpdir(), 'lbctl-prom-'));
    configDir = join(home, 'config');
    stateDir = join(home, 'state');
    mkdirSync(join(configDir, 'config.d'), { recursive: true });
    mkdirSync(stateDir);
    metricsPort = await freePort();
    writeFileSync(join(configDir, 'config.yaml'), configYaml(metricsPort));
    writeFileSync(join(configDir, 'config.d', 'web.yaml'), SERVICES);
    daemon = spawn(process.execPath, [HOOKED_LBCTL, '--', 'daemon', '--lab', '--config', configDir, '--state-dir', stateDir], {
      env: { ...process.env, HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    daemon.stdout!.on('data', (d) => (daemonLog += d));
    daemon.stderr!.on('data', (d) => (daemonLog += d));
    let up = false;
    for (let i = 0; i < 300 && !up; i++) {
      if (daemon.exitCode !== null) throw new Error(`daemon exited ${daemon.exitCode}: ${daemonLog}`);
      up = (await probeDaemon(stateDir, 500)) !== null;
      if (!up) await sleep(50);
    }
    assert.ok(up, `the daemon did not answer: ${daemonLog}`);

    promPort = await freePort();
    const promDir = join(home, 'prometheus');
    mkdirSync(join(promDir, 'data'), { recursive: true });
    const promConfig = join(promDir, 'prometheus.yml');
    writeFileSync(
      promConfig,
      `global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: lbctl
    scrape_interval: 1s
    scrape_timeout: 900ms
    static_configs: [{targets: ['127.0.0.1:${metricsPort}']}]
`,
    );
    prometheus = spawn(
      'prometheus',
      [`--config.file=${promConfig}`, `--storage.tsdb.path=${join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`, '--log.level=warn'],
      { cwd: promDir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    prometheus.stdout!.on('data', (d) => (promLog += d));
    prometheus.stderr!.on('data', (d) => (promLog += d));
    const ready = await eventually(async () => ((await httpGet(promPort, '/-/ready')).status === 200 ? true : undefined), 30_000);
    assert.ok(ready, `prometheus did not become ready: ${promLog}`);
  });

  after(async () => {
    for (const child of [prometheus, daemon]) {
      if (!child || child.exitCode !== null || child.signalCode !== null) continue;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    }
    for (const b of blockers) await new Promise((r) => b.close(r));
    if (home) rmSync(home, { recursive: true, force: true });
  });

  async function query(q: string): Promise<PromResult[]> {
    const r = await httpGet(promPort, `/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = JSON.parse(r.body) as { status: string; data: { result: PromResult[] } };
    assert.equal(body.status, 'success', r.body);
    return body.data.result;
  }

  it('Prometheus reports the target up and returns lbctl_ipvs_connections_total for the lab service', async () => {
    const target = await eventually(async () => {
      const r = JSON.parse((await httpGet(promPort, '/api/v1/targets')).body) as { data: { activeTargets: Array<{ health: string; scrapeUrl: string; lastError: string }> } };
      const t = r.data.activeTargets.find((x) => x.scrapeUrl === `http://127.0.0.1:${metricsPort}/metrics`);
      return t?.health === 'up' ? t : undefined;
    }, 30_000);
    assert.ok(target, `the target never became up: ${promLog}`);
    const up = await eventually(async () => {
      const r = await query('up{job="lbctl"}');
      return r.length === 1 ? r : undefined;
    }, 15_000);
    assert.ok(up, 'no up series');
    assert.equal(up[0].value[1], '1');
    const conns = await eventually(async () => {
      const r = await query('lbctl_ipvs_connections_total{service="web"}');
      return r.length === 3 ? r : undefined;
    }, 15_000);
    assert.ok(conns, 'lbctl_ipvs_connections_total{service="web"}: expected the service row and two backends');
    // Prometheus stores an empty label as no label: the service row has no `backend`, and {backend=""} selects it.
    const backends = conns.map((r) => r.metric.backend ?? '').sort();
    assert.deepEqual(backends, ['', '198.51.100.11:8080', '198.51.100.12:8080']);
    for (const r of conns) {
      assert.equal(r.metric.vip, '192.0.2.10');
      assert.equal(r.metric.port, '80');
      assert.equal(r.metric.protocol, 'tcp');
      assert.equal(r.value[1], '0', 'the lab carries no traffic');
    }
    const serviceRow = await query('lbctl_ipvs_connections_total{service="web",backend=""}');
    assert.equal(serviceRow.length, 1);
    const weight = await query('lbctl_backend_weight{service="web",backend="198.51.100.12:8080"}');
    assert.equal(weight[0]?.value[1], '50');
    const inSync = await query('lbctl_config_in_sync');
    assert.equal(inSync[0]?.value[1], '1');
  });

  it('promtool check metrics accepts a real scrape', async () => {
    const scrape = await httpGet(metricsPort, '/metrics');
    assert.equal(scrape.status, 200);
    assert.match(scrape.body, /^lbctl_ipvs_connections_total\{service="web"/m);
    // The process's default metrics start with the endpoint (Exporter.startDefaultMetrics).
    assert.match(scrape.body, /^nodejs_eventloop_lag_seconds /m);
    assert.match(scrape.body, /^process_cpu_user_seconds_total /m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: scrape.body, encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `promtool check metrics: ${r.stdout}${r.stderr}`);
  });

  it('promtool check rules accepts dist/prometheus/lbctl-alerts.yml', () => {
    const r = spawnSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `promtool check rules: ${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /SUCCESS: \d+ rules found/);
  });

  it('every query of the Grafana dashboard runs in Prometheus and names metrics the exporter serves', async () => {
    interface Panel { title: string; targets?: Array<{ expr: string }> }
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[]; templating: { list: Array<{ definition?: string }> } };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ title: p.title, expr: t.expr })));
    assert.ok(exprs.length >= 20, `only ${exprs.length} queries`);
    const served = new Set([...(await httpGet(metricsPort, '/metrics')).body.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
      type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name],
    ));
    const variables = (e: string) => e.replaceAll('$__rate_interval', '1m').replaceAll('$__interval', '1m').replaceAll('$instance', '.*').replaceAll('$service', '.*');
    for (const { title, expr } of exprs) {
      for (const [name] of expr.matchAll(/\blbctl_[a-z_]+/g)) assert.ok(served.has(name), `${title}: ${name} is not served`);
      const r = await httpGet(promPort, `/api/v1/query?query=${encodeURIComponent(variables(expr))}`);
      assert.equal((JSON.parse(r.body) as { status: string }).status, 'success', `${title}: ${expr}: ${r.body}`);
    }
    for (const v of dashboard.templating.list) for (const [name] of (v.definition ?? '').matchAll(/\blbctl_[a-z_]+/g)) assert.ok(served.has(name), name);
  });

  it('promtool check config accepts the example scrape configuration (with the shipped rules)', () => {
    const file = join(home, 'scrape-example.yml');
    writeFileSync(file, readFileSync(SCRAPE_EXAMPLE, 'utf8').replace('/etc/prometheus/rules/lbctl-alerts.yml', ALERTS));
    const r = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 0, `promtool check config: ${r.stdout}${r.stderr}`);
  });

  it('a reload that moves the port re-binds; a port in use is a logged error, not a crash', async () => {
    const old = metricsPort;
    const next = await freePort();
    writeFileSync(join(configDir, 'config.yaml'), configYaml(next));
    daemon!.kill('SIGHUP');
    const moved = await eventually(async () => ((await httpGet(next, '/metrics')).status === 200 ? true : undefined), 15_000);
    assert.ok(moved, `the exporter did not move to ${next}: ${daemonLog}`);
    await assert.rejects(httpGet(old, '/metrics'), 'the old port is let go');

    const blocker = createServer();
    blockers.push(blocker);
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    writeFileSync(join(configDir, 'config.yaml'), configYaml(busy));
    daemon!.kill('SIGHUP');
    const logged = await eventually(async () => (daemonLog.includes(`cannot listen on 127.0.0.1:${busy}: the port is in use`) ? true : undefined), 15_000);
    assert.ok(logged, daemonLog);
    assert.equal(daemon!.exitCode, null, 'the daemon is still running');
    assert.notEqual(await probeDaemon(stateDir, 2000), null, 'and still answers on its socket');
  });
});
