// The exporter and its HTTP edge, with sources made of plain data and a hand-driven clock:
//  - one table read per interval, shared by concurrent scrapes; a failed read shows as
//    lbctl_ipvs_read_ok 0 while the rest is still served;
//  - event metrics (commits, kernel operations, reconcile, probes) appear in the exposition;
//  - the server: GET and HEAD /metrics, 404 elsewhere, 405 for other methods, a port in use logged (no throw),
//    re-bound to another port.
import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import { after, describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { Exporter, type ExporterSources } from '../../../engine/observability/exporter.js';
import { MetricsServer } from '../../../engine/daemon/metrics-server.js';
import { AF_INET, IPPROTO_TCP, type IpvsTableEntry } from '../../../netlink/dataplane.js';
import type { ApplyResult } from '../../../engine/engine.js';
import { config, web } from '../engine/helpers.js';

const cfg = config({ services: [web()] });
const entry: IpvsTableEntry = {
  service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.0.0.10', port: 80 }, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff },
  dests: [{ addr: '10.0.1.1', port: 8080, fwdMethod: 0, weight: 100, uThresh: 0, lThresh: 0, activeConns: 1, inactConns: 0 }],
};

function sources(over: Partial<ExporterSources> = {}): ExporterSources & { reads: number } {
  const s = {
    reads: 0,
    table: async () => {
      s.reads++;
      await new Promise((r) => setTimeout(r, 20));
      return [entry];
    },
    config: () => cfg,
    health: () => null,
    ha: async () => null,
    engine: () => ({ runningRevision: 3, inSync: true, driftRepairs: 2 }),
    ...over,
  };
  return s;
}

describe('Exporter', () => {
  it("starts the process's default metrics only when asked (the endpoint is served), once", async () => {
    const ex = new Exporter({ sources: sources() });
    // Not before: prom-client's event-loop-lag histogram would wake a daemon with Prometheus off every 10 ms.
    assert.equal(ex.defaultMetricsRunning, false);
    assert.doesNotMatch(await ex.registry.metrics(), /nodejs_eventloop_lag_seconds|process_cpu_user_seconds_total/);
    ex.startDefaultMetrics();
    ex.startDefaultMetrics(); // a second serve (the port moved): prom-client would throw on a second registration
    assert.equal(ex.defaultMetricsRunning, true);
    const text = await ex.registry.metrics();
    assert.match(text, /^nodejs_eventloop_lag_seconds /m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
    assert.doesNotMatch(text, /^nodejs_active_handles_total /m);
    const off = new Exporter({ sources: sources(), defaultMetrics: false });
    off.startDefaultMetrics();
    assert.equal(off.defaultMetricsRunning, false);
    assert.doesNotMatch(await off.registry.metrics(), /nodejs_eventloop_lag_seconds/);
  });

  it('reads the table at most once per interval; concurrent scrapes share the read', async () => {
    let clock = 0;
    const src = sources();
    const ex = new Exporter({ sources: src, now: () => clock, defaultMetrics: false });
    const texts = (await Promise.all([ex.metrics(), ex.metrics(), ex.metrics()])).map((c) => Buffer.concat(c).toString());
    assert.equal(src.reads, 1);
    assert.equal(new Set(texts).size, 1);
    clock = 999;
    await ex.metrics();
    assert.equal(src.reads, 1, 'within the second: the same read');
    clock = 1000;
    await ex.metrics();
    assert.equal(src.reads, 2);
    assert.match(texts[0], /^lbctl_ipvs_connections_total\{service="web",vip="10\.0\.0\.10",port="80",protocol="tcp",backend="10\.0\.1\.1:8080"\} 0$/m);
    assert.match(texts[0], /^lbctl_running_revision 3$/m);
    assert.match(texts[0], /^lbctl_config_in_sync 1$/m);
    assert.match(texts[0], /^lbctl_drift_repairs_total 2$/m);
    assert.match(texts[0], /^lbctl_ipvs_read_ok 1$/m);
    assert.match(texts[0], /^# TYPE lbctl_ipvs_bytes_in_total counter$/m);
    assert.match(texts[0], /^# TYPE lbctl_backend_weight gauge$/m);
  });

  it('a failed read: lbctl_ipvs_read_ok 0 and the rest served; kept for its second like any read', async () => {
    let fail = true;
    const errors: string[] = [];
    const src = sources({
      table: async () => {
        if (fail) throw new Error('EPERM');
        return [entry];
      },
    });
    const ex = new Exporter({ sources: src, now: () => 0, defaultMetrics: false, onReadError: (e) => errors.push(e.message) });
    const text = Buffer.concat(await ex.metrics()).toString();
    assert.match(text, /^lbctl_ipvs_read_ok 0$/m);
    assert.match(text, /^lbctl_running_revision 3$/m);
    assert.deepEqual(errors, ['EPERM']);
    // A read that failed is served for its second like any other (no retry storm under a failing kernel).
    fail = false;
    assert.match(Buffer.concat(await ex.metrics()).toString(), /^lbctl_ipvs_read_ok 0$/m);
  });

  it('event metrics: commits, kernel operations by kind and result, reconcile and probe histograms', async () => {
    const ex = new Exporter({ sources: sources(), defaultMetrics: false });
    ex.observeCommit('committed');
    ex.observeCommit('committed');
    ex.observeCommit('refused');
    const key = entry.service.key;
    ex.observeApply({
      applied: [{ op: 'newService', service: entry.service }, { op: 'setDest', key, dest: entry.dests[0] }],
      failed: { op: { op: 'delDest', key, dest: entry.dests[0] }, text: 'x', errno: 2, code: 'ENOENT', message: 'x' },
      undoFailures: [],
    } as unknown as ApplyResult);
    ex.observeReconcile(0.2, true);
    ex.observeReconcile(3, false);
    ex.observeProbe('http', { ok: true, latencyMs: 12.5 });
    const text = Buffer.concat(await ex.metrics()).toString();
    assert.match(text, /^lbctl_commits_total\{result="committed"\} 2$/m);
    assert.match(text, /^lbctl_commits_total\{result="refused"\} 1$/m);
    assert.match(text, /^lbctl_kernel_operations_total\{kind="new_service",result="ok"\} 1$/m);
    assert.match(text, /^lbctl_kernel_operations_total\{kind="set_dest",result="ok"\} 1$/m);
    assert.match(text, /^lbctl_kernel_operations_total\{kind="del_dest",result="failed"\} 1$/m);
    assert.match(text, /^lbctl_reconcile_duration_seconds_count\{result="ok"\} 1$/m);
    assert.match(text, /^lbctl_reconcile_duration_seconds_bucket\{le="5",result="error"\} 1$/m);
    assert.match(text, /^lbctl_health_check_latency_seconds_bucket\{le="0.025",type="http"\} 1$/m);
    assert.match(text, /^lbctl_health_check_latency_seconds_bucket\{le="0.01",type="http"\} 0$/m);
  });
});

function get(port: number, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; body: string; type?: string; encoding?: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => {
        const raw = Buffer.concat(chunks);
        const encoding = res.headers['content-encoding'];
        const body = (encoding === 'gzip' ? gunzipSync(raw) : raw).toString();
        resolve({ status: res.statusCode!, body, type: res.headers['content-type'], ...(encoding ? { encoding } : {}) });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('MetricsServer', () => {
  const logs: string[] = [];
  const log = (level: string, m: string) => logs.push(`${level} ${m}`);
  const server = new MetricsServer({ source: { metrics: async () => 'lbctl_x 1\n', contentType: 'text/plain; version=0.0.4; charset=utf-8' }, log });
  const blocker = createServer();
  after(async () => {
    await server.close();
    await new Promise((r) => blocker.close(r));
  });

  it('serves GET and HEAD /metrics only', async () => {
    assert.equal(await server.listen('127.0.0.1', 0), true);
    const port = server.address()!.port;
    const ok = await get(port, '/metrics');
    assert.equal(ok.status, 200);
    assert.equal(ok.body, 'lbctl_x 1\n');
    assert.match(ok.type ?? '', /version=0\.0\.4/);
    const head = await get(port, '/metrics', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.equal((await get(port, '/')).status, 404);
    assert.equal((await get(port, '/metrics/x')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);
  });

  it('compresses for a client that accepts gzip, as Prometheus does', async () => {
    const port = server.address()!.port;
    const gz = await get(port, '/metrics', 'GET', { 'Accept-Encoding': 'gzip, deflate' });
    assert.equal(gz.encoding, 'gzip');
    assert.equal(gz.body, 'lbctl_x 1\n');
    assert.equal((await get(port, '/metrics')).encoding, undefined);
  });

  it('a port in use is a logged error, and the old address is let go; another port binds', async () => {
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const busy = (blocker.address() as { port: number }).port;
    const old = server.address()!.port;
    assert.equal(await server.listen('127.0.0.1', busy), false);
    assert.ok(logs.some((l) => l.startsWith('error ') && l.includes(`127.0.0.1:${busy}`) && l.includes('in use')), logs.join('\n'));
    assert.equal(server.address(), null);
    await assert.rejects(get(old, '/metrics'));
    assert.equal(await server.listen('127.0.0.1', 0), true);
    assert.equal((await get(server.address()!.port, '/metrics')).status, 200);
  });
});
