// Engine planning figures on the in-memory dataplane (prints numbers; never passes or fails on time):
//  - a full compile + plan of 10,000 services × 4 backends from an empty table;
//  - one backend's health verdict changing in that table: plan time, end-to-end time, and the netlink
//    messages it sends (the design says exactly one, and no dump).
// Run directly (`node build/bench/engine-plan.js`) — it needs no kernel — or through bench/run.js.
import { fileURLToPath } from 'node:url';
import { applyDefaults } from '../config/defaults.js';
import type { Config } from '../config/model.js';
import { MemoryDataplane } from '../netlink/memory.js';
import { ActualState } from '../engine/actual.js';
import { compile } from '../engine/compile.js';
import { Engine } from '../engine/engine.js';
import { backendRef, NO_INPUTS } from '../engine/inputs.js';
import { plan } from '../engine/plan.js';
import { memoryService } from './big-config.js';

const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const BACKENDS = 4;
const ROUNDS = 7;

function bigConfig(n: number): Config {
  const services = [];
  for (let i = 0; i < n; i++)
    services.push(memoryService(i, Array.from({ length: BACKENDS }, (_, b) => ({ address: `172.16.0.${b + 1}`, port: 8080, weight: 10 }))));
  return applyDefaults({ daemon: { limits: { max_services: n } }, services });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x: number) => `${x.toFixed(1)} ms`;

/** Pure in-memory planning: runs on the host, no VM. */
export const needsKernel = false;

export async function main(): Promise<string> {
  const config = bigConfig(SERVICES);
  const out: string[] = [`engine-plan: ${SERVICES} services × ${BACKENDS} backends, in-memory dataplane, median of ${ROUNDS}`];

  // 1. From empty: compile + plan.
  const compileMs: number[] = [];
  const planMs: number[] = [];
  let ops = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const desired = compile(config, NO_INPUTS);
    const t1 = performance.now();
    const p = plan(desired, new ActualState(), new Set());
    const t2 = performance.now();
    compileMs.push(t1 - t0);
    planMs.push(t2 - t1);
    ops = p.steps.length;
  }
  out.push(`from empty: compile ${ms(median(compileMs))} + plan ${ms(median(planMs))} = ${ms(median(compileMs) + median(planMs))} (${ops} operations)`);

  // 2. Apply it, then change one backend's verdict at a time.
  const dp = new MemoryDataplane();
  const engine = new Engine({ dataplane: dp, stateDir: null });
  await engine.start();
  const t0 = performance.now();
  const first = await engine.commit(config);
  out.push(`first commit (memory dataplane): ${ms(performance.now() - t0)}, ${first.applied.length} ops, ok=${first.ok}`);

  const changePlanMs: number[] = [];
  const changeTotalMs: number[] = [];
  const messages: number[] = [];
  const reads0 = engine.metrics.fullReads;
  for (let r = 0; r < ROUNDS; r++) {
    const ref = backendRef(`svc${(r * 1237) % SERVICES}`, '172.16.0.2', 8080);
    const verdicts = new Map([[ref, { state: 'down' as const }]]);
    const p0 = performance.now();
    const p = engine.plan(config, { verdicts: new Map([...engine.currentInputs().verdicts, ...verdicts]) });
    changePlanMs.push(performance.now() - p0);
    if (p.steps.length !== 1) throw new Error(`expected one op, planned ${p.steps.length}`);
    const sent = dp.messagesSent();
    const e0 = performance.now();
    await engine.setVerdicts(verdicts);
    changeTotalMs.push(performance.now() - e0);
    messages.push(dp.messagesSent() - sent);
  }
  out.push(`one backend down: full re-plan (compile + plan of all ${SERVICES}) ${ms(median(changePlanMs))}; event path (setVerdicts: that service re-planned, applied) ${ms(median(changeTotalMs))}`);
  out.push(`netlink messages per change: ${messages.join(', ')} (full reads during changes: ${engine.metrics.fullReads - reads0})`);
  out.push(`host load average at the end: ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')} (figures are only comparable at similar load)`);
  await engine.close();
  return out.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) console.log(await main());
