// The engine against a real IPVS kernel (root, inside the VM): a representative subset of the unit suite, with
// the kernel's own answers and `ipvsadm -Sn` as the judge of "the table is as before".
//  - unchanged config → empty plan against what the kernel reports (HASHED, netmask defaults, tunnel fields);
//  - a failure injected at op k of n, for every k → table byte-identical in `ipvsadm -Sn`;
//  - a scheduler the kernel lacks → the kernel's ENOENT, table unchanged;
//  - drift healing (ipvsadm -D / -e by hand) with a foreign service left alone;
//  - concurrent hand edits during a commit resolved by re-reading;
//  - one backend verdict → one netlink message, no dump;
//  - disable → only the foreign service remains;
//  - a declared identity held by the foreign service: never deleted (disabled), commit refused (enabled).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Dataplane } from '../../../netlink/dataplane.js';
import { openDataplane } from '../../../netlink/open.js';
import type { Config, Scheduler } from '../../../config/model.js';
import { Engine } from '../../../engine/engine.js';
import { backendRef } from '../../../engine/inputs.js';
import { config, FaultyDataplane, service } from '../../unit/engine/helpers.js';

const ipvsadm = (...args: string[]) => execFileSync('ipvsadm', args, { encoding: 'utf8' });
/** The table as ipvsadm saves it, sorted: the kernel's own account, independent of lbctl's decoder. */
const saved = () => ipvsadm('-Sn').split('\n').filter(Boolean).sort().join('\n');

function base(): Config {
  return config({
    services: [
      service('web', {
        vip: '10.10.0.10',
        persistence: { timeout: 300, netmask: '255.255.255.0' },
        backends: [{ address: '10.10.1.1', port: 8080, weight: 100 }, { address: '10.10.1.2', port: 8080, weight: 100, u_threshold: 500, l_threshold: 10 }],
      }),
      service('v6', { vip: '2001:db8::10', scheduler: 'rr', backends: [{ address: '2001:db8:1::1', port: 80, weight: 70000 }] }),
      service('range', {
        vip: '10.10.0.11',
        protocol: 'udp',
        scheduler: 'sh',
        scheduler_flags: ['sh-port', 'sh-fallback'],
        ports: [{ from: 7000, to: 7004 }],
        backends: [{ address: '10.10.2.1', port: 0, weight: 1 }],
      }),
      service('dr', { vip: '10.10.0.12', forwarding: { method: 'dr' }, backends: [{ address: '10.10.3.1', port: 0, weight: 2147483647 }] }),
      service('tun', { vip: '10.10.0.13', forwarding: { method: 'tunnel', tunnel: { type: 'gue', port: 6080 } }, backends: [{ address: '10.10.4.1', port: 80, weight: 1 }] }),
      service('gone', { vip: '10.10.0.14', backends: [{ address: '10.10.5.1', port: 80, weight: 1 }] }),
    ],
  });
}

/** Every kind of op: SET service, DEL/SET/NEW dest, NEW service + dests, DEL service. */
function changed(): Config {
  const c = base();
  const web = c.services[0];
  web.scheduler = 'lc';
  web.backends = [{ ...web.backends[1], weight: 7 }, { address: '10.10.1.3', port: 8080, weight: 1, enabled: true }];
  c.services = c.services.filter((s) => s.name !== 'gone');
  c.services.push(config({ services: [service('fresh', { vip: '10.10.0.15', backends: [{ address: '10.10.6.1', port: 80, weight: 1 }, { address: '10.10.6.2', port: 80, weight: 1 }] })] }).services[0]);
  return c;
}

describe('engine on the kernel', () => {
  let dp: Dataplane;
  let stateDir: string;
  before(async () => {
    dp = await openDataplane({ kind: 'netlink' });
    stateDir = mkdtempSync(join(tmpdir(), 'lbctl-kengine-'));
  });
  after(async () => {
    await dp.flush();
    await dp.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  async function fresh(): Promise<{ engine: Engine; faulty: FaultyDataplane }> {
    await dp.flush();
    rmSync(join(stateDir, 'ipvs-owned.json'), { force: true });
    ipvsadm('-A', '-t', '172.17.0.1:5000', '-s', 'rr');
    ipvsadm('-a', '-t', '172.17.0.1:5000', '-r', '172.17.0.2:5000', '-m', '-w', '3');
    const faulty = new FaultyDataplane(dp);
    const engine = new Engine({ dataplane: faulty, stateDir });
    await engine.start();
    const r = await engine.commit(base());
    assert.equal(r.ok, true, r.failed?.message);
    return { engine, faulty };
  }

  it('an unchanged configuration plans nothing against what the kernel reports', async () => {
    await fresh();
    const reread = new Engine({ dataplane: dp, stateDir });
    await reread.start();
    const p = reread.plan(base());
    assert.deepEqual(p.steps.map((s) => s.op.op), [], 'HASHED masked, kernel defaults normalised');
    assert.deepEqual(p.foreign, ['tcp 172.17.0.1:5000']);
    assert.deepEqual(p.clashes, [], 'the ownership record says every configured service is lbctl\'s');
    const listing = ipvsadm('-Ln');
    assert.match(listing, /UDP {2}10\.10\.0\.11:7004 sh \(sh-fallback,sh-port\)/);
    assert.match(listing, /TCP {2}10\.10\.0\.10:80 wrr persistent 300 mask 255\.255\.255\.0/);
    assert.match(listing, /-> 10\.10\.3\.1:80 +Route +2147483647/);
  });

  it('a failure at op k of n, for every k, leaves `ipvsadm -Sn` exactly as before', async () => {
    const probe = await fresh();
    const n = probe.engine.plan(changed()).steps.length;
    assert.ok(n >= 8, `every kind of op (${n})`);
    for (let k = 0; k < n; k++) {
      const { engine, faulty } = await fresh();
      const before = saved();
      const start = faulty.opsSeen;
      faulty.shouldFail = (i) => i === start + k;
      const r = await engine.commit(changed());
      assert.equal(r.ok, false);
      assert.equal(r.rolledBack, true);
      assert.deepEqual(r.undoFailures, [], `undo accepted by the kernel (k=${k})`);
      assert.equal(saved(), before, `table restored after a failure at op ${k + 1} of ${n}`);
    }
  });

  it('a scheduler the kernel lacks: the kernel says ENOENT and nothing stays applied', async () => {
    const { engine } = await fresh();
    const before = saved();
    const c = changed();
    c.services.find((s) => s.name === 'fresh')!.scheduler = 'nosuch' as Scheduler;
    const r = await engine.commit(c);
    assert.equal(r.ok, false);
    assert.equal(r.failed?.code, 'ENOENT');
    assert.match(r.failed!.text, /newService tcp 10\.10\.0\.15:80/);
    assert.equal(saved(), before);
  });

  it('drift healing: hand-deleted service and hand-changed weight come back; the foreign service stays', async () => {
    const { engine } = await fresh();
    const good = saved();
    ipvsadm('-D', '-t', '10.10.0.12:80');
    ipvsadm('-e', '-t', '10.10.0.10:80', '-r', '10.10.1.1:8080', '-m', '-w', '1');
    ipvsadm('-E', '-t', '172.17.0.1:5000', '-s', 'lc');
    const r = await engine.reconcile();
    assert.equal(r?.ok, true);
    assert.deepEqual(r!.applied.map((op) => op.op).sort(), ['newDest', 'newService', 'setDest']);
    const now = saved();
    const mine = (s: string) => s.split('\n').filter((l) => !l.includes('172.17.0.')).join('\n');
    assert.equal(mine(now), mine(good));
    assert.match(now, /-A -t 172\.17\.0\.1:5000 -s lc/, "the foreign service's own change is not undone");
  });

  it('one backend verdict sends one netlink message and no dump', async () => {
    const { engine } = await fresh();
    const before = dp.messagesSent();
    const reads = engine.metrics.fullReads;
    const r = await engine.setVerdicts(new Map([[backendRef('web', '10.10.1.2', 8080), { state: 'down' }]]));
    assert.equal(r?.ok, true);
    assert.equal(dp.messagesSent() - before, 1);
    assert.equal(engine.metrics.fullReads, reads);
    assert.match(ipvsadm('-Ln'), /-> 10\.10\.1\.2:8080 +Masq +0 /);
  });

  it('hand edits between read and commit (EEXIST, ESRCH, ENOENT) are re-read and resolved by the kernel round trip', async () => {
    const { engine } = await fresh();
    // After lbctl's last read: someone creates the service lbctl is about to create, deletes one it is about to
    // change, and removes a destination it is about to SET.
    ipvsadm('-A', '-t', '10.10.0.15:80', '-s', 'rr');
    ipvsadm('-a', '-t', '10.10.0.15:80', '-r', '10.10.6.1:80', '-m', '-w', '9');
    ipvsadm('-D', '-t', '10.10.0.10:80');
    const r = await engine.commit(changed());
    assert.equal(r.ok, true, r.failed?.message);
    assert.ok(r.racesResolved >= 2, `races resolved: ${r.racesResolved}`);
    const check = new Engine({ dataplane: dp, stateDir });
    await check.start();
    const p = check.plan(changed());
    assert.deepEqual(p.clashes, [], 'the service created meanwhile at an identity lbctl was creating is recorded as lbctl\'s');
    assert.deepEqual(p.steps.map((s) => s.op.op), [], 'the kernel now equals the configuration');
  });

  it('disable removes what lbctl owns; only the foreign service remains', async () => {
    const { engine } = await fresh();
    const r = await engine.disable();
    assert.equal(r.ok, true);
    assert.equal(saved(), ['-A -t 172.17.0.1:5000 -s rr', '-a -t 172.17.0.1:5000 -r 172.17.0.2:5000 -m -w 3'].sort().join('\n'));
  });

  it('a declared identity held by the foreign service: disabled → never deleted; enabled → commit refused, nothing sent', async () => {
    const { engine } = await fresh();
    const foreignLines = ['-A -t 172.17.0.1:5000 -s rr', '-a -t 172.17.0.1:5000 -r 172.17.0.2:5000 -m -w 3'];
    const withLater = (enabled: boolean) => {
      const c = base();
      c.services.push(config({ services: [service('later', { enabled, vip: '172.17.0.1', ports: [5000], scheduler: 'wlc', backends: [{ address: '10.10.7.1', port: 5000, weight: 5 }] })] }).services[0]);
      return c;
    };
    const off = await engine.commit(withLater(false));
    assert.equal(off.ok, true, off.failed?.message);
    assert.ok(!off.applied.some((op) => op.op === 'delService'), 'nothing deleted');
    const listing = saved();
    for (const line of foreignLines) assert.ok(listing.includes(line), `foreign service intact: ${line}`);
    assert.equal((await engine.reconcile())?.ok, true);
    assert.equal(saved(), listing, 'drift healing leaves it alone too');
    const sent = dp.messagesSent();
    const on = await engine.commit(withLater(true));
    assert.equal(on.ok, false);
    assert.equal(on.failed?.code, 'EEXIST');
    assert.match(on.refused ?? '', /tcp 172\.17\.0\.1:5000 exists and is not lbctl's/);
    assert.equal(dp.messagesSent(), sent, 'refused before any netlink message');
    assert.equal(saved(), listing);
    assert.equal((await engine.disable()).ok, true);
    assert.equal(saved(), foreignLines.sort().join('\n'), 'disable removes only what lbctl owns');
  });
});
