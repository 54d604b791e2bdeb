// Objects kept per service or per backend share their hidden class (V8's map) with their siblings: a copy made by
// object spread got a map of its own (~200 bytes of map and descriptors each; 40,000 health targets carried 8 MiB
// of them), and a field added after the object was made moved out of line (docs/scale.md, the spread trap). Only
// V8 can say which map an object has: a child node with natives syntax asks %HaveSameMap and %HasFastProperties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';

const build = (rel: string) => new URL(`../../../${rel}`, import.meta.url).href;

const SCRIPT = `
import { ActualState } from '${build('engine/actual.js')}';
import { MemoryDataplane } from '${build('netlink/memory.js')}';
import { HealthRunner } from '${build('engine/daemon/health-runner.js')}';
import { keptVerdict, copyVerdictInto, nextVerdict } from '${build('engine/health/verdict.js')}';
import { applyDefaults } from '${build('config/defaults.js')}';
// Enough that V8's inline caches see many objects (at 40 the spread's copies still shared a map).
const N = 2000;
const ip = (prefix, i) => prefix + (i >> 8) + '.' + (i & 255);
const report = {};
const same = (name, objs) => { report[name] = objs.filter((o) => !%HaveSameMap(objs[0], o)).length + ' of ' + objs.length + ' differ, fast ' + objs.every((o) => %HasFastProperties(o)); };

// The cache's copies of a read's services and keys, and the lab's read itself.
const dp = new MemoryDataplane();
const ops = [];
for (let i = 0; i < N; i++) {
  const key = { af: 2, protocol: 6, addr: ip('10.1.', i), port: 80 };
  ops.push({ op: 'newService', service: { key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff } });
  ops.push({ op: 'newDest', key, dest: { addr: ip('10.2.', i), port: 8080, fwdMethod: 0, weight: 1, uThresh: 0, lThresh: 0 } });
}
await dp.apply(ops);
const table = await dp.readAll();
if (table.length !== N) throw new Error('the lab holds ' + table.length + ' services');
same('lab read keys', table.map((e) => e.service.key));
const cache = ActualState.fromTable(table);
same('cache keys', [...cache.services.values()].map((e) => e.service.key));
same('cache services', [...cache.services.values()].map((e) => e.service));

// The health runner's targets (one per backend) and its backends' records.
const services = [];
for (let i = 0; i < N; i++) services.push({ name: 's' + i, vip: ip('10.1.', i), ports: [80], backends: [{ address: ip('127.0.', i), port: 8080 }], health: { type: 'tcp', interval_ms: 60000, timeout_ms: 100 } });
const config = applyDefaults({ services });
const timers = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} };
const runner = new HealthRunner({ lab: true, setVerdicts: async () => null, log: () => {}, scheduler: { probe: async () => ({ ok: true, latencyMs: 1 }), timers, random: () => 0 }, rampTimers: timers, now: () => 0 });
await runner.update(config);
if (runner.targets.size !== N) throw new Error('the runner has ' + runner.targets.size + ' targets');
same('runner targets', [...runner.targets.values()]);
same('runner records', [...runner.uses.values()]);

// A kept verdict, before and after its first result (copyVerdictInto adds 'last').
const kept = Array.from({ length: N }, (_, i) => keptVerdict(i, i % 2 ? 'lab: not probed' : undefined));
for (const v of kept.slice(0, N / 2)) copyVerdictInto(v, nextVerdict(v, { ok: false, latencyMs: 1, error: 'refused' }, { fail_after: 1, recover_after: 1 }, 5).verdict);
same('kept verdicts', kept);
await runner.stop();
console.log(JSON.stringify(report));
`;

test('per-service and per-backend objects share one hidden class each, with their fields in the object', () => {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const report = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Record<string, string>;
  assert.deepEqual(Object.keys(report).sort(), ['cache keys', 'cache services', 'kept verdicts', 'lab read keys', 'runner records', 'runner targets']);
  for (const [name, result] of Object.entries(report)) assert.match(result, /^0 of \d+ differ, fast true$/, name);
});
