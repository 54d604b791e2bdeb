// The HA watcher against two real FRR vrrpd on the host kernel (test/support/vrrp-lab.ts builds the lab). The
// watcher runs inside balancer A's namespace (test/support/ha-probe.ts); B is the peer we fail in every way FRR
// can fail. Each step waits (bounded) for the transition it expects and checks where it came from.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HaProbe } from '../../support/ha-probe-client.js';
import { FrrLab, labUnavailable, PARENT } from '../../support/vrrp-lab.js';

const skip = labUnavailable('frr');
// 500 ms adverts: Master_Down_Interval ≈ 1.7 s, so the silent failures take seconds, not tens of seconds.
const ADVERT_MS = 500;
const POLL_MS = 500;
const WAIT = 15_000;

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
    let mark = probe!.lines.length;
    lab.setPriority('b', 250);
    const down = await probe!.waitTransition('master → backup', WAIT, (t) => t.to === 'backup', mark);
    console.log('raised peer:', JSON.stringify(down.transition));
    assert.equal(down.transition.from, 'master');
    assert.equal(down.transition.source, 'event', 'the protodown flip on the macvlan, not the poll');
    assert.equal(lab.show('a').v4.status, 'Backup', 'vrrpd agrees');
    assert.equal(inst().programs, false, 'master-only: a Backup does not program');
    assert.equal(probe!.snapshot().summary, 'backup');

    mark = probe!.lines.length;
    lab.setPriority('b', 100);
    const up = await probe!.waitTransition('backup → master', WAIT, (t) => t.to === 'master', mark);
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
    let mark = probe!.lines.length;
    lab.setPriority('b', 250);
    await probe!.waitTransition('backup first', WAIT, (t) => t.to === 'backup', mark);
    mark = probe!.lines.length;
    await lab.stopVrrpd('b');
    const up = await probe!.waitTransition('master after the peer left', WAIT, (t) => t.to === 'master', mark);
    console.log('peer vrrpd stopped:', JSON.stringify(up.transition));
    assert.equal(up.transition.source, 'event');
    assert.equal(lab.show('a').v4.status, 'Master');
    // B comes back with priority 250 and takes over again (preemption).
    mark = probe!.lines.length;
    await lab.startVrrpd('b');
    const back = await probe!.waitTransition('backup after the peer came back', WAIT, (t) => t.to === 'backup', mark);
    assert.equal(back.transition.source, 'event');
  });

  it('silent loss of the peer (its parent link down, no advert) makes us Master after Master_Down_Interval', async () => {
    assert.equal(inst().state, 'backup');
    let mark = probe!.lines.length;
    lab.net.setParent('b', false);
    const up = await probe!.waitTransition('master after silence', WAIT, (t) => t.to === 'master', mark);
    console.log('peer link down:', JSON.stringify(up.transition));
    assert.equal(up.transition.source, 'event');
    assert.ok(!inst().splitBrain, 'our own parent is up: a real Master');
    assert.equal(probe!.snapshot().summary, 'master');
    mark = probe!.lines.length;
    lab.net.setParent('b', true);
    // B (250) was Master all along on its side; with the link back, we hear it and yield.
    await probe!.waitTransition('backup once the peer is heard again', WAIT, (t) => t.to === 'backup', mark);
    mark = probe!.lines.length;
    lab.setPriority('b', 100);
    await probe!.waitTransition('master again', WAIT, (t) => t.to === 'master', mark);
  });

  it('our parent link down: vrrpd still says Master, the peer becomes Master too; reported as split brain', async () => {
    let mark = probe!.lines.length;
    lab.net.setParent('a', false);
    const sb = await probe!.waitTransition('split brain', WAIT, (t) => t.splitBrain === true, mark);
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

    mark = probe!.lines.length;
    lab.net.setParent('a', true);
    const over = await probe!.waitTransition('split brain over', WAIT, (t) => t.splitBrain === false, mark);
    assert.equal(over.transition.to, 'master');
    assert.equal(probe!.snapshot().summary, 'master');
    await lab.waitStatus('b', 'Backup');
  });

  it('vrrpd killed: unknown, with vtysh\'s reason (never Backup)', async () => {
    const mark = probe!.lines.length;
    await lab.killVrrpd('a');
    const u = await probe!.waitTransition('unknown', WAIT, (t) => t.to === 'unknown', mark);
    console.log('own vrrpd killed:', JSON.stringify(u.transition));
    assert.equal(u.transition.source, 'poll', 'a SIGKILLed vrrpd leaves protodown off: only the poll can tell');
    assert.match(u.transition.reason ?? '', /vrrpd is not running/);
    // The last event (protodown off) said Master; the poll overrules it and says so.
    assert.equal(u.transition.disagreement, true);
    assert.ok(probe!.logs().some((l) => /the last event said master, the poll says unknown; the poll wins/.test(l)), probe!.logs().join('\n'));
    assert.equal(probe!.snapshot().summary, 'unknown');
    assert.equal(inst().programs, false);
    // Trap 2: the macvlan still says Master (protodown off) although nobody runs VRRP here.
    const mv = JSON.parse(lab.net.ip(lab.net.ns.a, '-j', '-d', 'link', 'show', lab.macvlan)) as { proto_down?: boolean }[];
    assert.ok(!mv[0].proto_down, 'protodown stayed off');
  });
});
