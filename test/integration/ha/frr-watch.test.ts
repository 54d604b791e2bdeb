// The HA watcher against two real FRR vrrpd on the host kernel (test/support/vrrp-lab.ts builds the lab). The
// watcher runs inside balancer A's namespace (test/support/ha-probe.ts); B is the peer we fail in every way FRR
// can fail. Each step waits (bounded) for the transition it expects and checks where it came from.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HaProbe } from '../../support/ha-probe-client.js';
import { FrrLab, labUnavailable, PARENT, waitFor } from '../../support/vrrp-lab.js';

const skip = labUnavailable('frr');
// 500 ms adverts: Master_Down_Interval ≈ 1.7 s, so the silent failures take seconds, not tens of seconds.
const ADVERT_MS = 500;
const POLL_MS = 500;

describe('HA watcher, ha.source frr (two real vrrpd in namespaces)', { skip: skip ? `skipped: ${skip}` : false, timeout: 180_000 }, () => {
  const lab = new FrrLab({ advertMs: ADVERT_MS, priority: { a: 200, b: 100 } });
  let probe: HaProbe | null = null;
  const inst = () => probe!.snapshot().instances[0];

  before(async () => {
    await lab.start();
    // FRR starts in Backup and waits Master_Down_Interval before taking over.
    await lab.waitStatus('a', 'Master');
    await lab.waitStatus('b', 'Backup');
  });
  after(async () => {
    await probe?.stop();
    await lab.teardown();
  });

  it('starts from what vtysh says: Master, priority 200, programs', async () => {
    probe = await HaProbe.start(lab.net.ns.a, lab.ha(POLL_MS));
    const s = probe.snapshot();
    console.log('start snapshot:', JSON.stringify(s));
    assert.equal(s.summary, 'master');
    assert.equal(inst().state, 'master');
    assert.equal(inst().source, 'start');
    assert.equal(inst().priority, 200, 'effectivePriority from show vrrp json');
    assert.equal(inst().programs, true);
  });

  it('Master → Backup when the peer is raised above us, and back when it is lowered (link events)', async () => {
    const down = await probe!.after(() => lab.setPriority('b', 250), 'master → backup', (t) => t.to === 'backup');
    console.log('raised peer:', JSON.stringify(down.transition));
    assert.equal(down.transition.from, 'master');
    assert.equal(down.transition.source, 'event', 'the protodown flip on the macvlan, not the poll');
    assert.equal(lab.show('a').v4.status, 'Backup', 'vrrpd agrees');
    assert.equal(inst().programs, false, 'master-only: a Backup does not program');
    assert.equal(probe!.snapshot().summary, 'backup');

    const up = await probe!.after(() => lab.setPriority('b', 100), 'backup → master', (t) => t.to === 'master');
    console.log('lowered peer:', JSON.stringify(up.transition));
    assert.equal(up.transition.source, 'event');
    assert.equal(inst().programs, true);
    // A poll later, vrrpd's own answer agrees: no disagreement was logged.
    const from = probe!.lines.length;
    await new Promise((r) => setTimeout(r, POLL_MS * 3));
    assert.equal(inst().state, 'master');
    assert.ok(!probe!.lines.slice(from).some((l) => l.t === 'change'), 'the poll changed nothing');
    assert.ok(!probe!.logs().some((l) => l.includes('poll wins')), probe!.logs().join('\n'));
  });

  it('the peer stopping vrrpd gracefully (SIGTERM: priority-0 advert) makes us Master', async () => {
    await probe!.after(() => lab.setPriority('b', 250), 'backup first', (t) => t.to === 'backup');
    const up = await probe!.after(() => lab.stopVrrpd('b'), 'master after the peer left', (t) => t.to === 'master');
    console.log('peer vrrpd stopped:', JSON.stringify(up.transition));
    assert.equal(up.transition.source, 'event');
    assert.equal(lab.show('a').v4.status, 'Master');
    // B comes back with priority 250 and takes over again (preemption).
    const back = await probe!.after(() => lab.startVrrpd('b'), 'backup after the peer came back', (t) => t.to === 'backup');
    assert.equal(back.transition.source, 'event');
  });

  it('silent loss of the peer (its parent link down, no advert) makes us Master after Master_Down_Interval', async () => {
    assert.equal(inst().state, 'backup');
    const up = await probe!.after(() => lab.net.setParent('b', false), 'master after silence', (t) => t.to === 'master');
    console.log('peer link down:', JSON.stringify(up.transition));
    assert.equal(up.transition.source, 'event');
    assert.ok(!inst().splitBrain, 'our own parent is up: a real Master');
    assert.equal(probe!.snapshot().summary, 'master');
    // B (250) was Master all along on its side; with the link back, we hear it and yield.
    await probe!.after(() => lab.net.setParent('b', true), 'backup once the peer is heard again', (t) => t.to === 'backup');
    await probe!.after(() => lab.setPriority('b', 100), 'master again', (t) => t.to === 'master');
  });

  it('our parent link down: vrrpd still says Master, the peer becomes Master too; reported as split brain', async () => {
    const sb = await probe!.after(() => lab.net.setParent('a', false), 'split brain', (t) => t.splitBrain === true);
    console.log('own parent down:', JSON.stringify(sb.transition));
    assert.equal(sb.transition.from, 'master');
    assert.equal(sb.transition.to, 'master');
    assert.match(sb.transition.reason ?? '', new RegExp(`parent ${PARENT} is administratively down`));
    assert.equal(probe!.snapshot().summary, 'master,split-brain');
    assert.equal(inst().splitBrain, true);
    // The trap itself, seen from both sides: both vrrpd claim Master.
    await lab.waitStatus('b', 'Master');
    assert.equal(lab.show('a').v4.status, 'Master');
    // The poll (vtysh says Master, the link dump says down) keeps the mark: nothing flips back.
    const from = probe!.lines.length;
    await new Promise((r) => setTimeout(r, POLL_MS * 3));
    assert.ok(!probe!.lines.slice(from).some((l) => l.t === 'change'), 'the poll kept the split-brain mark');
    assert.equal(probe!.snapshot().summary, 'master,split-brain');

    const over = await probe!.after(() => lab.net.setParent('a', true), 'split brain over', (t) => t.splitBrain === false);
    assert.equal(over.transition.to, 'master');
    assert.equal(probe!.snapshot().summary, 'master');
    await lab.waitStatus('b', 'Backup');
  });

  it('vrrpd killed: unknown, with vtysh\'s reason (never Backup)', async () => {
    const u = await probe!.after(() => lab.killVrrpd('a'), 'unknown', (t) => t.to === 'unknown');
    console.log('own vrrpd killed:', JSON.stringify(u.transition));
    assert.equal(u.transition.source, 'poll', 'a SIGKILLed vrrpd leaves protodown off: only the poll can tell');
    // The last event (protodown off) said Master; the poll overrules it and says so.
    assert.equal(u.transition.disagreement, true);
    assert.ok(probe!.logs().some((l) => /the last event said master, the poll says unknown; the poll wins/.test(l)), probe!.logs().join('\n'));
    // A poll that was talking to vrrpd when it died gets vtysh's "closing connection" warning instead of JSON;
    // the next one says vrrpd is not running. Either way unknown; the reason follows without a transition.
    const later = await waitFor('the reason "vrrpd is not running"', 10_000, async () => {
      const s = await probe!.fresh();
      return /vrrpd is not running/.test(s.instances[0].reason ?? '') && s;
    });
    console.log('a poll later:', JSON.stringify(later.instances[0]));
    assert.equal(inst().state, 'unknown');
    assert.equal(probe!.snapshot().summary, 'unknown');
    assert.equal(inst().programs, false);
    // Trap 2: the macvlan still says Master (protodown off) although nobody runs VRRP here.
    const mv = JSON.parse(lab.net.ip(lab.net.ns.a, '-j', '-d', 'link', 'show', lab.macvlan)) as { proto_down?: boolean }[];
    assert.ok(!mv[0].proto_down, 'protodown stayed off');
  });
});
