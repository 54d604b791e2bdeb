// The exporter's table read never waits for, nor holds up, the engine: with the read stuck in the dataplane (a
// dump that does not answer), a commit and a health verdict still complete through the same EngineHost, and the
// scrape then finishes with the table as it was read. (The daemon gives the exporter EngineHost.table().)
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { EngineHost } from '../../../engine/host.js';
import { Exporter } from '../../../engine/observability/exporter.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import type { IpvsService } from '../../../netlink/dataplane.js';
import { config, web } from '../engine/helpers.js';

/** The in-memory IPVS whose service dump (the start of every table read) waits for `release()` once `hold` is set. */
class HeldReads extends MemoryDataplane {
  hold = false;
  waiting = 0;
  private gate: Array<() => void> = [];
  override async listServices(): Promise<IpvsService[]> {
    if (this.hold) {
      this.waiting++;
      await new Promise<void>((r) => this.gate.push(r));
    }
    return super.listServices();
  }
  release(): void {
    this.hold = false;
    for (const r of this.gate.splice(0)) r();
  }
}

test('a scrape stuck in the table read does not hold a commit or a verdict', { timeout: 20_000 }, async () => {
  const dp = new HeldReads();
  const stateDir = mkdtempSync(join(tmpdir(), 'lbctl-metrics-lock-'));
  const host = new EngineHost({ mode: 'daemon', stateDir, lab: true, openDataplane: async () => dp, store: null, describe: () => '', readBeforeCommit: false });
  const cfg = config({ services: [web()] });
  assert.ok((await host.applyRunning(cfg)).ok);
  const exporter = new Exporter({
    sources: { table: () => host.table(), config: () => cfg, health: () => null, ha: () => host.ha(), engine: () => ({ runningRevision: 1, inSync: true, driftRepairs: 0 }) },
    defaultMetrics: false,
  });
  dp.hold = true;
  const scrape = exporter.metrics();
  for (let i = 0; i < 1000 && dp.waiting === 0; i++) await new Promise((r) => setImmediate(r));
  assert.equal(dp.waiting, 1, 'the scrape is reading the table');
  // The read is in the dataplane now. A commit (weights change) and a verdict (a backend down) go through.
  const changed = config({ services: [web({ backends: [{ address: '10.0.1.1', port: 8080, weight: 7 }, { address: '10.0.1.2', port: 8080, weight: 100 }] })] });
  const commit = await host.applyRunning(changed);
  assert.ok(commit.ok);
  const verdict = await (await host.engine()).setVerdicts(new Map([['web/10.0.1.2:8080', { state: 'down' }]]));
  assert.ok(verdict?.ok);
  let done = false;
  void scrape.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  assert.equal(done, false, 'the scrape is still waiting for its read');
  dp.release();
  const text = Buffer.concat(await scrape).toString();
  assert.match(text, /^lbctl_backend_weight\{service="web",vip="10\.0\.0\.10",port="80",protocol="tcp",backend="10\.0\.1\.1:8080"\} 7$/m);
  assert.match(text, /^lbctl_backend_weight\{service="web",vip="10\.0\.0\.10",port="80",protocol="tcp",backend="10\.0\.1\.2:8080"\} 0$/m);
  await host.close();
  rmSync(stateDir, { recursive: true, force: true });
});
