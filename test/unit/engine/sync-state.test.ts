// The in-sync judgement as pure functions (issue 12 point 2): desired against actual → per IPVS service and
// destination (engine/sync-state.ts through engine/status.ts), then per configuration service and backend
// (present/sync.ts), and which commit operations repair drift (engine/drift-repair.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ActualState } from '../../../engine/actual.js';
import { compile } from '../../../engine/compile.js';
import { plan } from '../../../engine/plan.js';
import { statusReport } from '../../../engine/status.js';
import { destStates } from '../../../engine/sync-state.js';
import { driftRepair } from '../../../engine/drift-repair.js';
import { backendRef } from '../../../engine/inputs.js';
import { backendKernelText, kernelByService, serviceKernelLines, serviceKernelText, syncHeadline } from '../../../present/sync.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { ipvsTable } from '../../../modes/show-ipvs.js';
import { renderTable } from '../../../shell/format.js';
import { config, service, web } from './helpers.js';

const api = () => service('api', { vip: '10.0.0.11', ports: [80, 443], backends: [{ address: '10.0.2.1', port: 0, weight: 5 }] });

/** The table lbctl would program for `cfg`, then `edit` applied to it by hand (the lab's ipvsadm). */
async function kernelOf(cfg: ReturnType<typeof config>, edit: (dp: MemoryDataplane) => Promise<void> = async () => {}): Promise<ActualState> {
  const dp = new MemoryDataplane();
  await dp.apply(plan(compile(cfg), new ActualState(), new Set()).steps.map((s) => s.op));
  await edit(dp);
  return ActualState.fromTable(await dp.readAll());
}

const judge = (cfg: ReturnType<typeof config>, actual: ActualState) => {
  const desired = compile(cfg);
  const owned = new Set(actual.services.keys());
  return statusReport(desired, actual, owned, plan(desired, actual, owned), { dests: true });
};

test('destStates: in sync, differs (what, kernel→configuration), missing, stale; a foreign service is not judged', async () => {
  const cfg = config({ services: [web()] });
  const desired = compile(cfg).services.get('tcp 10.0.0.10:80')!;
  const actual = await kernelOf(cfg, async (dp) => {
    const key = desired.service.key;
    await dp.apply([
      { op: 'setDest', key, dest: { ...desired.dests.get('10.0.1.1:8080')!.dest, weight: 7 } },
      { op: 'delDest', key, dest: { addr: '10.0.1.2', port: 8080 } },
      { op: 'newDest', key, dest: { ...desired.dests.get('10.0.1.1:8080')!.dest, addr: '10.0.1.9' } },
    ]);
  });
  const have = actual.get('tcp 10.0.0.10:80');
  assert.deepEqual(destStates(desired, have, true), [
    { id: '10.0.1.1:8080', ref: 'web/10.0.1.1:8080', state: 'differs', changes: ['weight 7→100'] },
    { id: '10.0.1.2:8080', ref: 'web/10.0.1.2:8080', state: 'missing' },
    { id: '10.0.1.9:8080', state: 'stale' },
  ]);
  assert.deepEqual(destStates(desired, undefined, true).map((d) => d.state), ['missing', 'missing']);
  assert.deepEqual(destStates(undefined, have, true).map((d) => d.state), ['stale', 'stale']);
  assert.deepEqual(destStates(desired, have, false), [], "someone else's service: its destinations are not lbctl's to judge");
  assert.deepEqual(destStates(undefined, undefined, true), []);
});

test('per configuration service and backend: the words of show services and show service', async () => {
  const cfg = config({ services: [web(), api()] });
  // api's :443 deleted by hand, web's first backend re-weighted: web differs, api is half there.
  const actual = await kernelOf(cfg, async (dp) => {
    const web80 = compile(cfg).services.get('tcp 10.0.0.10:80')!;
    await dp.apply([
      { op: 'setDest', key: web80.service.key, dest: { ...web80.dests.get('10.0.1.1:8080')!.dest, weight: 7 } },
      { op: 'delService', key: compile(cfg).services.get('tcp 10.0.0.11:443')!.service.key },
    ]);
  });
  const report = judge(cfg, actual);
  const k = kernelByService(report);
  assert.equal(serviceKernelText(k.get('web')), 'differs');
  assert.equal(serviceKernelText(k.get('api')), 'differs', 'half there is not missing');
  assert.equal(serviceKernelText(undefined), 'not programmed');
  assert.equal(backendKernelText(k.get('web'), backendRef('web', '10.0.1.1', 8080)), 'differs (weight 7→100)');
  assert.equal(backendKernelText(k.get('web'), backendRef('web', '10.0.1.2', 8080)), 'in sync');
  assert.equal(backendKernelText(k.get('api'), backendRef('api', '10.0.2.1', 0)), 'differs (missing from 1 of 2)');
  assert.equal(backendKernelText(k.get('api'), backendRef('api', '10.0.9.9', 0)), 'not programmed');
  assert.deepEqual(serviceKernelLines(k.get('web')), ['  Kernel: differs (0 of 1 IPVS service in sync)', '    service tcp 10.0.0.10:80  (web)', '    ~ dest 10.0.1.1:8080 weight 7→100']);
  assert.deepEqual(serviceKernelLines(k.get('api')), ['  Kernel: differs (1 of 2 IPVS services in sync)']);
  assert.equal(syncHeadline(report), 'NOT in sync with the running configuration (1 differs, 1 missing)');

  const fresh = judge(cfg, new ActualState());
  assert.equal(serviceKernelText(kernelByService(fresh).get('api')), 'missing');
  assert.equal(backendKernelText(kernelByService(fresh).get('web'), backendRef('web', '10.0.1.1', 8080)), 'missing');
  const synced = judge(cfg, await kernelOf(cfg));
  assert.equal(serviceKernelText(kernelByService(synced).get('api')), 'in sync');
  assert.equal(syncHeadline(synced), 'in sync with the running configuration');
});

test('driftRepair: operations on services the commit does not change repair drift; vip or ha changes cannot be told apart', async () => {
  const running = config({ services: [web(), api()] });
  const candidate = config({ services: [web({ scheduler: 'lc' }), api()] });
  const fresh = plan(compile(candidate), new ActualState(), new Set()).steps;
  assert.deepEqual(driftRepair(fresh, running, candidate), { ops: 4, services: ['api'] }, 'api (2 services, 1 dest each) was never programmed');
  assert.deepEqual(driftRepair(fresh, running, running), { ops: 7, services: ['web', 'api'] }, 'unchanged: everything repairs drift');
  const inSync = await kernelOf(running);
  const change = plan(compile(candidate), inSync, new Set(inSync.services.keys())).steps;
  assert.deepEqual(driftRepair(change, running, candidate), { ops: 0, services: [] });
  assert.equal(driftRepair(fresh, running, { ...candidate, vip: '10.0.0.99' }), null);
  assert.deepEqual(driftRepair(fresh, running, { ...candidate, node: { name: 'other' } }), { ops: 4, services: ['api'] }, 'the node name programs nothing');
  assert.equal(driftRepair(fresh, null, candidate), null);
  // A service the commit removes: its removal is the change, not a repair.
  const removing = config({ services: [web()] });
  const removal = plan(compile(removing), inSync, new Set(inSync.services.keys())).steps;
  assert.deepEqual(driftRepair(removal, running, removing), { ops: 0, services: [] });
  // A leftover lbctl owns that no configuration declares (nothing removed by the commit): a repair, named by its id.
  assert.deepEqual(driftRepair(removal, removing, removing), { ops: 2, services: ['tcp 10.0.0.11:80', 'tcp 10.0.0.11:443'] });
});

test("show ipvs's State column: a service's own difference, a stale destination, a foreign service, a missing one", async () => {
  const cfg = config({ services: [web(), api()] });
  const compiled = compile(cfg);
  const web80 = compiled.services.get('tcp 10.0.0.10:80')!;
  const actual = await kernelOf(cfg, async (dp) => {
    await dp.apply([
      { op: 'setService', service: { ...web80.service, scheduler: 'rr' } },
      { op: 'newDest', key: web80.service.key, dest: { ...web80.dests.get('10.0.1.1:8080')!.dest, addr: '10.0.1.9' } },
      { op: 'delService', key: compiled.services.get('tcp 10.0.0.11:443')!.service.key },
      { op: 'newService', service: { ...web80.service, key: { ...web80.service.key, addr: '10.9.9.9' } } },
    ]);
  });
  const owned = new Set([...actual.services.keys()].filter((id) => !id.includes('10.9.9.9')));
  const desired = compile(cfg);
  const report = statusReport(desired, actual, owned, plan(desired, actual, owned), { dests: true });
  const table = ipvsTable(actual.toTable(), cfg, { kind: 'kernel', version: '1.2.1', connTabSize: 4096 }, 'basic', undefined, undefined, report);
  assert.equal(table.text, 'IP Virtual Server version 1.2.1 (size=4096)\n3 services, 4 destinations; NOT in sync with the running configuration (1 differs, 1 missing)');
  assert.equal(
    renderTable(table.table!, 200),
    [
      'Service -> Backend  Name        State                       Sched/Fwd  Weight  ActiveConn  InActConn',
      '------------------  ----------  --------------------------  ---------  ------  ----------  ---------',
      'tcp 10.0.0.10:80    web         differs (scheduler rr→wrr)  rr',
      '  -> 10.0.1.1:8080              in sync                     nat           100           0          0',
      '  -> 10.0.1.2:8080              in sync                     nat           100           0          0',
      '  -> 10.0.1.9:8080              stale                       nat           100           0          0',
      'tcp 10.0.0.11:80    api         in sync                     wrr',
      '  -> 10.0.2.1:80                in sync                     nat             5           0          0',
      'tcp 10.9.9.9:80     (not ours)  foreign                     wrr',
      'tcp 10.0.0.11:443   api         missing',
      '  -> 10.0.2.1:443               missing',
    ].join('\n'),
  );
});
