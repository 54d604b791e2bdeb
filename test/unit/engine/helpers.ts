// Shared fixtures for the engine tests: configurations from partial literals, a table snapshot without
// counters, and a dataplane wrapper that fails chosen operations (the fault injector for the undo tests).
import { applyDefaults, type DeepPartial } from '../../../config/defaults.js';
import type { Config, Service } from '../../../config/model.js';
import type { Dataplane, IpvsOp, OpResult } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { describeOp } from '../../../netlink/describe.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { mkdirSync, writeFileSync } from 'node:fs';
import { EngineHost } from '../../../engine/host.js';
import { openStore, type Store } from '../../../store/store.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A store under `root` whose running configuration is one service `web` (192.0.2.10:80, one backend
 * 198.51.100.1:8080 weight 10), and an opener of in-process engine hosts on `dp` beside it (each call a new host,
 * as each one-shot command is).
 */
export async function webStore(root: string, dp: Dataplane): Promise<{ store: Store; stateDir: string; open: () => EngineHost }> {
  const configDir = join(root, 'config');
  const stateDir = join(root, 'state');
  mkdirSync(configDir);
  writeFileSync(join(configDir, 'config.yaml'), 'vip: 192.0.2.10\nservices:\n  - name: web\n    ports: [80]\n    backends:\n      - {address: 198.51.100.1, port: 8080, weight: 10}\n');
  const store = await openStore({ stateDir, configPath: configDir, keepRunning: true });
  const open = () => new EngineHost({ mode: 'in-process', stateDir, lab: true, openDataplane: async () => dp, store, describe: () => 'refused', readBeforeCommit: true });
  return { store, stateDir, open };
}

/** Runs `fn` with a fresh temporary state directory, removed afterwards. */
export async function withStateDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'lbctl-engine-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function config(partial: DeepPartial<Config> = {}): Config {
  return applyDefaults(partial);
}

export function service(name: string, over: DeepPartial<Service> = {}): DeepPartial<Service> {
  return { name, protocol: 'tcp', ports: [80], scheduler: 'wrr', ...over };
}

export function web(over: DeepPartial<Service> = {}): DeepPartial<Service> {
  return service('web', {
    vip: '10.0.0.10',
    backends: [
      { address: '10.0.1.1', port: 8080, weight: 100 },
      { address: '10.0.1.2', port: 8080, weight: 100 },
    ],
    ...over,
  });
}

/** The table as comparable text: services and dests sorted, counters left out. */
export async function snapshot(dp: Dataplane): Promise<string> {
  const table = await dp.readAll();
  const rows = table.map((e) => {
    const { stats: _s, ...svc } = e.service;
    const dests = e.dests
      .map(({ stats: _d, activeConns: _a, inactConns: _i, persistConns: _p, ...d }) => JSON.stringify(d))
      .sort();
    return JSON.stringify(svc) + '\n  ' + dests.join('\n  ');
  });
  return rows.sort().join('\n');
}

/**
 * Passes operations to an inner dataplane one by one, but answers `fail` (without applying) for the operations
 * chosen by `shouldFail(globalIndex, op)`. Global index counts every op ever given to apply().
 */
export class FaultyDataplane implements Dataplane {
  get kind() {
    return this.inner.kind;
  }
  opsSeen = 0;
  applyCalls = 0;
  /** When set, apply() throws instead (an unknown outcome: the socket died). */
  throwOnApply: number | null = null;
  constructor(
    readonly inner: Dataplane,
    public shouldFail: (index: number, op: IpvsOp) => boolean = () => false,
    readonly failWith: { errno: number; code: string } = { errno: 12, code: 'ENOMEM' },
  ) {}
  info() { return this.inner.info(); }
  listServices(o?: Parameters<Dataplane['listServices']>[0]) { return this.inner.listServices(o); }
  getService(k: Parameters<Dataplane['getService']>[0]) { return this.inner.getService(k); }
  listDests(k: Parameters<Dataplane['listDests']>[0], o?: Parameters<Dataplane['listDests']>[1]) { return this.inner.listDests(k, o); }
  readAll(o?: Parameters<Dataplane['readAll']>[0]) { return this.inner.readAll(o); }
  async apply(ops: IpvsOp[]): Promise<OpResult[]> {
    this.applyCalls++;
    if (this.throwOnApply !== null && this.applyCalls === this.throwOnApply) {
      // Half the batch reaches the kernel, then the socket dies: the caller cannot know which half.
      await this.inner.apply(ops.slice(0, Math.ceil(ops.length / 2)));
      throw new Error('netlink socket: no answer within 5000 ms');
    }
    const out: OpResult[] = [];
    for (const op of ops) {
      const index = this.opsSeen++;
      if (this.shouldFail(index, op)) {
        out.push({ ok: false, errno: this.failWith.errno, code: this.failWith.code, message: `${describeOp(op)}: ${this.failWith.code} (injected)` });
        continue;
      }
      out.push((await this.inner.apply([op]))[0]);
    }
    return out;
  }
  getTimeouts() { return this.inner.getTimeouts(); }
  setTimeouts(t: Parameters<Dataplane['setTimeouts']>[0]) { return this.inner.setTimeouts(t); }
  zero(k?: Parameters<Dataplane['zero']>[0]) { return this.inner.zero(k); }
  flush() { return this.inner.flush(); }
  messagesSent() { return this.inner.messagesSent(); }
  close() { return this.inner.close(); }
}

/** n services × `backends` each: vips 10.x.y.z:80 (unique per service), backends 172.16.0.1.. port 8080. */
export function bigConfig(n: number, backends = 4): Config {
  const services: DeepPartial<Service>[] = [];
  for (let i = 0; i < n; i++) {
    services.push({
      name: `svc${i}`,
      vip: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
      protocol: 'tcp',
      ports: [80],
      scheduler: 'wrr',
      backends: Array.from({ length: backends }, (_, b) => ({ address: `172.16.0.${b + 1}`, port: 8080, weight: 10 })),
    });
  }
  return config({ daemon: { limits: { max_services: n } }, services });
}
