// Programming by role on a real IPVS kernel (issue 10, the kernel acceptance): a VRRP failover moves the IPVS
// services from one balancer to the other.
//
// Inside the guest: the lab of test/support/vrrp-lab.ts (a switch namespace with a bridge, balancers A and B on
// veths, addresses of 192.0.2.0/24 only inside them) with two REAL keepalived (the host's binary, seen by the
// guest), priority 200 on A and 100 on B, VIP 192.0.2.100. In each balancer namespace a real `lbctl daemon` (not
// --lab: IPVS is per network namespace, so each daemon has its own kernel table) with `ha.source: keepalived`,
// `program: master-only` and one service on the VIP. `ipvsadm -Ln` run in each namespace is the judge:
//   1. at start the service is in A's table only (A holds the VIP);
//   2. keepalived A stopped (SIGTERM: priority-0 advert, the VIP moves to B): the service leaves A's table and
//      appears in B's; a service created by hand in B's table (not lbctl's) is left alone;
//   3. keepalived A started again (it preempts): the service is back in A only.
// Every step is a bounded poll; the times are printed (emulated: compare only within one run).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DaemonProcess, nowMs, pollUntil, writeLauncher } from './daemon-helpers.js';
import { KeepalivedLab, labUnavailable, PARENT, VIP, waitFor } from '../../support/vrrp-lab.js';

const SERVICE = `TCP  ${VIP}:80`;
const FOREIGN = '10.99.0.1:80';
const WAIT_MS = 90_000;

const ipvsadmIn = (ns: string) => execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', '-Ln'], { encoding: 'utf8' });
const hasService = (ns: string) => ipvsadmIn(ns).includes(SERVICE);

function writeConfig(dir: string, instance: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'config.yaml'),
    [
      'ha:',
      '  source: keepalived',
      '  program: master-only',
      '  poll_interval_ms: 1000',
      '  instances:',
      `    - {name: ${instance}, vrid: 10, interface: ${PARENT}, vips: [${VIP}]}`,
      'daemon: {reconcile_interval_ms: 600000}',
      'services:',
      `  - {name: web, vip: ${VIP}, protocol: tcp, ports: [80], scheduler: rr, health: {enabled: false}, backends: [{address: 192.0.2.50, port: 80}, {address: 192.0.2.51, port: 80}]}`,
      '',
    ].join('\n'),
  );
  return dir;
}

const skip = labUnavailable('keepalived');

describe('VRRP failover moves the IPVS services (two daemons, two namespaces, real keepalived)', { skip: skip ?? false, timeout: 600_000 }, () => {
  const lab = new KeepalivedLab();
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-vrrp-failover-'));
  const daemons: Record<'a' | 'b', DaemonProcess | null> = { a: null, b: null };

  before(async () => {
    execFileSync('modprobe', ['ip_vs']);
    await lab.start();
    await waitFor('keepalived A to hold the VIP', WAIT_MS, () => lab.net.hasAddress('a', VIP));
    const launcher = writeLauncher(dir);
    const instance = lab.ha().instances[0].name;
    for (const n of ['a', 'b'] as const) {
      const cfg = writeConfig(join(dir, `config-${n}`), instance);
      daemons[n] = DaemonProcess.start(launcher, cfg, join(dir, `state-${n}`), { netns: lab.net.ns[n] });
    }
    for (const n of ['a', 'b'] as const) assert.ok(await daemons[n]!.waitHello(), `daemon ${n} answers:\n${daemons[n]!.tail()}`);
  });

  after(async () => {
    for (const n of ['a', 'b'] as const) if (daemons[n]?.alive) await daemons[n]!.stop('SIGTERM', 20_000);
    await lab.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('at start only the Master (A) programs the service', async () => {
    const a = await pollUntil(() => (hasService(lab.net.ns.a) ? true : null), WAIT_MS, 200);
    console.log(`A (Master) ipvsadm -Ln:\n${ipvsadmIn(lab.net.ns.a)}`);
    console.log(`B (Backup) ipvsadm -Ln:\n${ipvsadmIn(lab.net.ns.b)}`);
    assert.ok(a, `A's table has ${SERVICE}; A's log:\n${daemons.a!.tail()}`);
    assert.equal(hasService(lab.net.ns.b), false, `B's table must not have it; B's log:\n${daemons.b!.tail()}`);
    // Someone else's service in B's table: a transition must never touch it.
    execFileSync('ip', ['netns', 'exec', lab.net.ns.b, 'ipvsadm', '-A', '-t', FOREIGN, '-s', 'wlc']);
  });

  it('keepalived A stopped: the service leaves A\'s table and appears in B\'s', async () => {
    const t0 = nowMs();
    await lab.stopNode('a');
    const movedB = await pollUntil(() => (hasService(lab.net.ns.b) ? nowMs() - t0 : null), WAIT_MS, 100);
    const goneA = await pollUntil(() => (!hasService(lab.net.ns.a) ? nowMs() - t0 : null), WAIT_MS, 100);
    console.log(`failover A → B: B programmed after ${movedB} ms, A removed after ${goneA} ms (emulated)`);
    console.log(`A (now Backup) ipvsadm -Ln:\n${ipvsadmIn(lab.net.ns.a)}`);
    console.log(`B (now Master) ipvsadm -Ln:\n${ipvsadmIn(lab.net.ns.b)}`);
    assert.ok(movedB !== null, `B programs the service; B's log:\n${daemons.b!.tail()}`);
    assert.ok(goneA !== null, `A removed the service; A's log:\n${daemons.a!.tail()}`);
    assert.ok(lab.net.hasAddress('b', VIP), 'keepalived B holds the VIP');
    assert.match(ipvsadmIn(lab.net.ns.b), /-> 192\.0\.2\.50:80 +Masq +1/);
    assert.ok(ipvsadmIn(lab.net.ns.b).includes(`TCP  ${FOREIGN} wlc`), 'the foreign service in B is untouched');
    // The log line follows the kernel's answer through a pipe: wait for it (bounded) rather than race it.
    const logged = (d: DaemonProcess, re: RegExp) => pollUntil(() => (d.log.some((l) => re.test(l)) ? true : null), 10_000, 50);
    assert.ok(await logged(daemons.b!, /vrrp: instance \S+ backup → master \(event\); 3 kernel operation\(s\)/), daemons.b!.tail());
    assert.ok(await logged(daemons.a!, /vrrp: instance \S+ master → backup \(event\); 1 kernel operation\(s\)/), daemons.a!.tail());
  });

  it('keepalived A back (priority 200 preempts): the service returns to A only', async () => {
    const t0 = nowMs();
    await lab.startNode('a');
    const backA = await pollUntil(() => (hasService(lab.net.ns.a) ? nowMs() - t0 : null), WAIT_MS, 100);
    const goneB = await pollUntil(() => (!hasService(lab.net.ns.b) ? nowMs() - t0 : null), WAIT_MS, 100);
    console.log(`failback B → A: A programmed after ${backA} ms, B removed after ${goneB} ms (emulated; includes keepalived's Master_Down wait)`);
    console.log(`A ipvsadm -Ln:\n${ipvsadmIn(lab.net.ns.a)}`);
    console.log(`B ipvsadm -Ln:\n${ipvsadmIn(lab.net.ns.b)}`);
    assert.ok(backA !== null && goneB !== null, `A:\n${daemons.a!.tail()}\nB:\n${daemons.b!.tail()}`);
    assert.ok(ipvsadmIn(lab.net.ns.b).includes(`TCP  ${FOREIGN} wlc`), 'the foreign service in B is still untouched');
  });
});
