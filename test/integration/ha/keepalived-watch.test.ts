// The HA watcher against two real keepalived on the host kernel (test/support/vrrp-lab.ts builds the lab): the
// watcher runs inside balancer A's namespace and follows the VIP that keepalived adds (Master) and removes
// (Backup) on vweth0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { HaProbe } from '../../support/ha-probe-client.js';
import { KeepalivedLab, labUnavailable, VIP, waitFor } from '../../support/vrrp-lab.js';

const skip = labUnavailable('keepalived');
const POLL_MS = 500;
const WAIT = 15_000;

describe('HA watcher, ha.source keepalived (two real keepalived in namespaces)', { skip: skip ? `skipped: ${skip}` : false, timeout: 120_000 }, () => {
  const lab = new KeepalivedLab();
  let probe: HaProbe | null = null;
  const inst = () => probe!.snapshot().instances[0];

  before(async () => {
    await lab.start();
    // keepalived starts as BACKUP and takes over after Master_Down_Interval (~3.2 s with advert_int 1).
    await waitFor('the VIP on A', WAIT, () => lab.net.hasAddress('a', VIP));
  });
  after(async () => {
    await probe?.stop();
    await lab.teardown();
  });

  it('starts from the addresses present: the VIP is on A, so A is Master', async () => {
    probe = await HaProbe.start(lab.net.ns.a, lab.ha(POLL_MS));
    console.log('start snapshot:', JSON.stringify(probe.snapshot()));
    assert.equal(probe.snapshot().summary, 'master');
    assert.equal(inst().state, 'master');
    assert.equal(inst().source, 'start');
    assert.equal(inst().programs, true);
    assert.ok(!lab.net.hasAddress('b', VIP), 'B is Backup: no VIP there');
  });

  it('stopping our keepalived (SIGTERM) removes the VIP: Backup, from the address event; B takes the VIP', async () => {
    const down = await probe!.after(() => lab.stopNode('a'), 'master → backup', (t) => t.to === 'backup');
    console.log('own keepalived stopped:', JSON.stringify(down.transition));
    assert.equal(down.transition.from, 'master');
    assert.equal(down.transition.source, 'event', 'RTM_DELADDR, not the poll');
    assert.equal(probe!.snapshot().summary, 'backup');
    assert.equal(inst().programs, false);
    await waitFor('the VIP on B', WAIT, () => lab.net.hasAddress('b', VIP));
  });

  it('our keepalived back (priority 200 > 100) takes the VIP again: Master, from the address event', async () => {
    const up = await probe!.after(() => lab.startNode('a'), 'backup → master', (t) => t.to === 'master');
    console.log('own keepalived restarted:', JSON.stringify(up.transition));
    assert.equal(up.transition.source, 'event', 'RTM_NEWADDR');
    assert.ok(lab.net.hasAddress('a', VIP));
    await waitFor('the VIP gone from B', WAIT, () => !lab.net.hasAddress('b', VIP));
  });

  it('the peer (Backup) stopping changes nothing here, and the polls agree with the events', async () => {
    const mark = probe!.lines.length;
    await lab.stopNode('b');
    await new Promise((r) => setTimeout(r, POLL_MS * 4));
    assert.ok(!probe!.lines.slice(mark).some((l) => l.t === 'change'), 'no transition');
    assert.equal(inst().state, 'master');
    assert.ok(!probe!.logs().some((l) => l.includes('poll wins')), probe!.logs().join('\n'));
  });

  it('the VIP removed behind keepalived\'s back: Backup at once, then Master again when keepalived restores it', async () => {
    const mark = probe!.lines.length;
    const down = await probe!.after(() => lab.net.ip(lab.net.ns.a, 'addr', 'del', `${VIP}/24`, 'dev', 'vweth0'), 'backup', (t) => t.to === 'backup');
    assert.equal(down.transition.source, 'event', 'RTM_DELADDR');
    // keepalived watches its VIPs and adds a deleted one back while it is Master.
    const up = await probe!.waitTransition('master again', WAIT, (t) => t.to === 'master', mark);
    console.log('VIP deleted by hand, then restored:', JSON.stringify([down.transition, up.transition]));
    assert.equal(up.transition.source, 'event', 'RTM_NEWADDR');
    assert.ok(lab.net.hasAddress('a', VIP));
  });
});
