// HaWatcher with an injected kernel, vtysh and clock: the rules (events are fast, the poll wins, unknown is
// never Backup, split brain is reported) without FRR or root. The real thing: test/integration/ha/.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { HaWatcher, type HaWatcherOptions } from '../../../engine/ha/watcher.js';
import type { HaSnapshot, VrrpTransition } from '../../../engine/ha/types.js';
import { RTNLGRP_IPV4_IFADDR, RTNLGRP_LINK } from '../../../netlink/rtnetlink.js';
import { addr, ETH0, FakeClock, FakeKernel, FakeVtysh, frrHa, frrJson, link, linkEv, MACVLAN, NOT_RUNNING, ok, settle } from './fakes.js';

interface Rig {
  w: HaWatcher;
  kernel: FakeKernel;
  vtysh: FakeVtysh;
  clock: FakeClock;
  changes: { snapshot: HaSnapshot; transitions: VrrpTransition[] }[];
  logs: string[];
}

let rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs) await r.w.stop();
  rigs = [];
});

function rig(ha = frrHa(), opts: Partial<HaWatcherOptions> = {}): Rig {
  const kernel = new FakeKernel();
  kernel.links = [ETH0, MACVLAN(false)];
  const vtysh = new FakeVtysh();
  const clock = new FakeClock();
  const changes: Rig['changes'] = [];
  const logs: string[] = [];
  const w = new HaWatcher(ha, {
    kernel,
    run: vtysh.run,
    clock: clock.now,
    onChange: (snapshot, transitions) => changes.push({ snapshot, transitions }),
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...opts,
  });
  const r = { w, kernel, vtysh, clock, changes, logs };
  rigs.push(r);
  return r;
}

const web = (r: Rig) => r.w.snapshot().instances[0];

describe('HaWatcher, ha.source frr', () => {
  it('starts from vtysh: Master, its priority, programs; one onChange (unknown → master, start)', async () => {
    const r = rig();
    await r.w.start();
    assert.deepEqual(r.vtysh.calls[0], { file: 'vtysh', args: ['-c', 'show vrrp json'], timeoutMs: 5000 });
    assert.equal(web(r).state, 'master');
    assert.equal(web(r).source, 'start');
    assert.equal(web(r).priority, 200);
    assert.equal(web(r).programs, true);
    assert.equal(web(r).since, '2026-01-01T00:00:00.000Z');
    assert.equal(r.w.snapshot().summary, 'master');
    assert.deepEqual(r.changes.map((c) => c.transitions), [[{ instance: 'web', from: 'unknown', to: 'master', at: '2026-01-01T00:00:00.000Z', source: 'start' }]]);
    assert.deepEqual(r.kernel.groups, [RTNLGRP_LINK]);
  });

  it('passes the pathspace with -N', async () => {
    const r = rig(frrHa({ frr_pathspace: 'lbA' }));
    await r.w.start();
    assert.deepEqual(r.vtysh.calls[0].args, ['-N', 'lbA', '-c', 'show vrrp json']);
  });

  it('protodown on the VRRP macvlan → Backup at once (event); off → Master; since follows the clock', async () => {
    const r = rig();
    await r.w.start();
    r.clock.t += 60_000;
    r.kernel.sub!.deliver(linkEv(MACVLAN(true)));
    await settle();
    assert.equal(web(r).state, 'backup');
    assert.equal(web(r).source, 'event');
    assert.equal(web(r).programs, false);
    assert.equal(web(r).since, '2026-01-01T00:01:00.000Z');
    assert.equal(r.w.snapshot().summary, 'backup');
    r.kernel.sub!.deliver(linkEv(MACVLAN(false)));
    await settle();
    assert.equal(web(r).state, 'master');
    assert.deepEqual(r.changes.slice(1).map((c) => c.transitions.map((t) => `${t.from}>${t.to} ${t.source}`)), [['master>backup event'], ['backup>master event']]);
  });

  it('ignores macvlans that are not the instance\'s: other VRID, other parent, no VRRP MAC', async () => {
    const r = rig();
    r.kernel.links.push(link(4, 'eth1', {}));
    await r.w.start();
    r.kernel.sub!.deliver(linkEv(link(5, 'mv-other-vrid', { mac: '00:00:5e:00:01:0b', parent: 2, protoDown: true })));
    r.kernel.sub!.deliver(linkEv(link(6, 'mv-other-parent', { mac: '00:00:5e:00:01:0a', parent: 4, protoDown: true })));
    r.kernel.sub!.deliver(linkEv(link(7, 'plain', { mac: '52:54:00:00:00:09', parent: 2, protoDown: true })));
    await settle();
    assert.equal(web(r).state, 'master');
    assert.equal(r.changes.length, 1);
  });

  it('an event that does not flip protodown (MTU, carrier) claims nothing: vrrpd dead stays unknown', async () => {
    const r = rig();
    await r.w.start();
    r.vtysh.answer = NOT_RUNNING;
    await r.w.poll();
    assert.equal(web(r).state, 'unknown');
    r.kernel.sub!.deliver(linkEv({ ...MACVLAN(false), mtu: 1400 }));
    await settle();
    assert.equal(web(r).state, 'unknown');
  });

  it('vrrpd not running → unknown with vtysh\'s reason (its vtysh.conf warning left out), never Backup', async () => {
    const r = rig(frrHa({ program: 'always' }));
    r.vtysh.answer = NOT_RUNNING;
    await r.w.start();
    assert.equal(web(r).state, 'unknown');
    assert.equal(web(r).reason, 'vtysh exited 1: vrrpd is not running');
    assert.equal(r.w.snapshot().summary, 'unknown');
    assert.equal(web(r).programs, true, 'program: always programs whatever the state');
  });

  it('a vtysh timeout, a missing vtysh and unreadable output are unknown with the reason', async () => {
    const r = rig(frrHa({ poll_interval_ms: 500 }), { commandTimeoutMs: 300 });
    r.vtysh.answer = { code: null, stdout: '', stderr: '', timedOut: true };
    await r.w.start();
    assert.equal(r.vtysh.calls[0].timeoutMs, 300);
    assert.deepEqual([web(r).state, web(r).reason], ['unknown', 'vtysh did not answer within 300 ms']);
    r.vtysh.answer = { code: null, stdout: '', stderr: '', timedOut: false, spawnError: 'vtysh: ENOENT' };
    await r.w.poll();
    assert.equal(web(r).reason, 'cannot run vtysh (vtysh: ENOENT)');
    r.vtysh.answer = ok('% Unknown command: show vrrp json');
    await r.w.poll();
    assert.match(web(r).reason ?? '', /^vtysh 'show vrrp json' unreadable: not JSON/);
    assert.equal(web(r).state, 'unknown');
  });

  it('vrrpd without this VRID on this interface → unknown', async () => {
    const r = rig(frrHa({ instances: [{ name: 'web', vrid: 11, interface: 'eth0', vips: ['192.0.2.100'] }] }));
    await r.w.start();
    assert.deepEqual([web(r).state, web(r).reason], ['unknown', 'vrrpd has no vrrp 11 on eth0']);
  });

  it('the poll overrules an event it disagrees with: logged, disagreement: true', async () => {
    const r = rig();
    await r.w.start();
    r.kernel.sub!.deliver(linkEv(MACVLAN(true)));
    await settle();
    assert.equal(web(r).state, 'backup');
    await r.w.poll(); // vtysh still says Master
    assert.equal(web(r).state, 'master');
    assert.equal(web(r).source, 'poll');
    const t = r.changes.at(-1)!.transitions[0];
    assert.deepEqual([t.from, t.to, t.source, t.disagreement], ['backup', 'master', 'poll', true]);
    assert.ok(r.logs.includes('warn: VRRP web: the last event said backup, the poll says master; the poll wins'), r.logs.join('\n'));
  });

  it('an event that arrived while vtysh was answering wins over that (older) answer: no false disagreement', async () => {
    const r = rig();
    await r.w.start();
    // vtysh read "Master" just before vrrpd went Backup; the protodown event lands while vtysh is answering.
    r.vtysh.during = () => r.kernel.sub!.deliver(linkEv(MACVLAN(true)));
    await r.w.poll();
    assert.equal(web(r).state, 'backup');
    assert.equal(web(r).source, 'event');
    assert.ok(!r.changes.some((c) => c.transitions.some((t) => t.disagreement)));
    // The next poll (vtysh now agrees) changes nothing.
    r.vtysh.answer = ok(frrJson('Backup', 100));
    const n = r.changes.length;
    await r.w.poll();
    assert.equal(r.changes.length, n);
    assert.equal(web(r).priority, 100);
  });

  it('Initialize is Backup with the reason (vrrpd is not Master and says why)', async () => {
    const r = rig();
    r.vtysh.answer = ok(frrJson('Initialize'));
    await r.w.start();
    assert.deepEqual([web(r).state, web(r).reason], ['backup', 'vrrpd says: v4 Initialize']);
  });

  it('parent down while Master: state master, split brain marked (event and poll), cleared when it is back', async () => {
    const r = rig();
    await r.w.start();
    r.kernel.sub!.deliver(linkEv(link(2, 'eth0', { mac: '52:54:00:00:00:01', up: false })));
    await settle();
    assert.equal(web(r).state, 'master');
    assert.equal(web(r).splitBrain, true);
    assert.match(web(r).reason ?? '', /^parent eth0 is administratively down: this node claims Master/);
    assert.equal(r.w.snapshot().summary, 'master,split-brain');
    assert.equal(web(r).programs, true);
    let t = r.changes.at(-1)!.transitions[0];
    assert.deepEqual([t.from, t.to, t.splitBrain], ['master', 'master', true]);
    // The poll (vtysh: Master) keeps the mark: no flip-flop.
    const n = r.changes.length;
    await r.w.poll();
    assert.equal(r.changes.length, n);
    assert.equal(r.w.snapshot().summary, 'master,split-brain');
    r.kernel.sub!.deliver(linkEv(ETH0));
    await settle();
    t = r.changes.at(-1)!.transitions[0];
    assert.deepEqual([t.from, t.to, t.splitBrain], ['master', 'master', false]);
    assert.equal(r.w.snapshot().summary, 'master');
    assert.equal(web(r).splitBrain, undefined);
  });

  it('parent without carrier (oper down) at start counts too; a Backup with its parent down is just Backup', async () => {
    const r = rig();
    r.kernel.links = [{ ...ETH0, flags: 1, operState: 'lowerlayerdown' }, MACVLAN(false)];
    await r.w.start();
    assert.equal(r.w.snapshot().summary, 'master,split-brain');
    assert.match(web(r).reason ?? '', /parent eth0 is down \(lowerlayerdown\)/);
    const b = rig();
    b.kernel.links = [{ ...ETH0, flags: 1, operState: 'down' }, MACVLAN(true)];
    b.vtysh.answer = ok(frrJson('Backup'));
    await b.w.start();
    assert.equal(b.w.snapshot().summary, 'backup');
  });

  it('without an event socket it still follows vrrpd by polling, and says so', async () => {
    const r = rig();
    r.kernel.failSubscribe = new Error('needs CAP_NET_ADMIN');
    await r.w.start();
    assert.equal(web(r).state, 'master');
    assert.ok(r.logs.some((l) => l.startsWith('warn: no rtnetlink events (needs CAP_NET_ADMIN)')), r.logs.join('\n'));
    r.vtysh.answer = ok(frrJson('Backup'));
    await r.w.poll();
    assert.equal(web(r).state, 'backup');
    assert.equal(web(r).source, 'poll');
  });

  it('polls on its own every poll_interval_ms, and stops polling on stop()', async () => {
    const r = rig(frrHa({ poll_interval_ms: 100 }));
    await r.w.start();
    await new Promise((res) => setTimeout(res, 350));
    const n = r.vtysh.calls.length;
    assert.ok(n >= 3, `polled ${n} times`);
    await r.w.stop();
    await new Promise((res) => setTimeout(res, 250));
    assert.equal(r.vtysh.calls.length, n);
    assert.equal(r.kernel.sub!.closed, true);
  });

  it('an IPv6 instance reads v6 and the 00:00:5e:00:02:VRID macvlan; a dual-stack one needs both families', async () => {
    const v6 = frrHa({ instances: [{ name: 'web', vrid: 10, interface: 'eth0', vips: ['2001:db8::10'] }] });
    const r = rig(v6);
    r.kernel.links = [ETH0, link(8, 'vrrp6-2-10', { mac: '00:00:5e:00:02:0a', parent: 2, protoDown: false })];
    await r.w.start();
    assert.equal(web(r).family, 'inet6');
    assert.equal(web(r).state, 'backup', 'the fixture has v6 Initialize');
    r.kernel.sub!.deliver(linkEv(link(8, 'vrrp6-2-10', { mac: '00:00:5e:00:02:0a', parent: 2, protoDown: true })));
    r.kernel.sub!.deliver(linkEv(link(8, 'vrrp6-2-10', { mac: '00:00:5e:00:02:0a', parent: 2, protoDown: false })));
    await settle();
    assert.equal(web(r).state, 'master');

    const dual = rig(frrHa({ instances: [{ name: 'web', vrid: 10, interface: 'eth0', vips: ['192.0.2.100', '2001:db8::10'] }] }));
    await dual.w.start();
    assert.deepEqual([web(dual).state, web(dual).reason], ['unknown', 'vrrpd says: v4 Master, v6 Initialize']);
  });

  it('update(): an unchanged instance keeps its state (no transition); a new one is read', async () => {
    const r = rig();
    await r.w.start();
    const since = web(r).since;
    const n = r.changes.length;
    r.clock.t += 1000;
    await r.w.update(frrHa({ instances: [...frrHa().instances, { name: 'api', vrid: 11, interface: 'eth0', vips: [] }] }));
    const s = r.w.snapshot();
    assert.equal(s.instances[0].since, since);
    assert.equal(s.instances[0].state, 'master');
    assert.deepEqual([s.instances[1].name, s.instances[1].state, s.instances[1].reason], ['api', 'unknown', 'vrrpd has no vrrp 11 on eth0']);
    assert.deepEqual(r.changes.slice(n).flatMap((c) => c.transitions.map((t) => t.instance)), [], 'api: unknown → unknown is no transition');
  });

  it('a throwing onChange is logged, not fatal', async () => {
    const r = rig(frrHa(), { onChange: () => { throw new Error('boom'); } });
    await r.w.start();
    assert.ok(r.logs.includes('warn: HA onChange failed: boom'));
    assert.equal(web(r).state, 'master');
  });
});

describe('HaWatcher, ha.source keepalived', () => {
  const kaHa = () => frrHa({ source: 'keepalived', instances: [{ name: 'web', vrid: 10, interface: 'eth0', instance: 'VI_1', vips: ['192.0.2.100', '2001:db8::10'] }] });

  it('VIPs present at start → Master; address events move it; partial is Master with a reason', async () => {
    const r = rig(kaHa());
    r.kernel.addrs = [addr(2, 'eth0', '192.0.2.1'), addr(2, 'eth0', '192.0.2.100'), addr(2, 'eth0', '2001:db8::10')];
    await r.w.start();
    assert.ok(r.kernel.groups.includes(RTNLGRP_IPV4_IFADDR));
    assert.deepEqual([web(r).state, web(r).source], ['master', 'start']);
    r.kernel.sub!.deliver({ kind: 'addr', action: 'del', addr: addr(2, 'eth0', '2001:db8::10') });
    await settle();
    assert.deepEqual([web(r).state, web(r).reason], ['master', 'only 1 of 2 VIPs on eth0']);
    r.kernel.sub!.deliver({ kind: 'addr', action: 'del', addr: addr(2, 'eth0', '192.0.2.100') });
    await settle();
    assert.deepEqual([web(r).state, web(r).source], ['backup', 'event']);
    // Another interface's copy of the VIP, or another address on eth0, says nothing.
    r.kernel.sub!.deliver({ kind: 'addr', action: 'add', addr: addr(4, 'eth1', '192.0.2.100') });
    r.kernel.sub!.deliver({ kind: 'addr', action: 'add', addr: addr(2, 'eth0', '192.0.2.7') });
    await settle();
    assert.equal(web(r).state, 'backup');
  });

  it('the address dump of the poll overrules a missed event (disagreement)', async () => {
    const r = rig(kaHa());
    r.kernel.addrs = [addr(2, 'eth0', '192.0.2.100')];
    await r.w.start();
    r.kernel.sub!.deliver({ kind: 'addr', action: 'del', addr: addr(2, 'eth0', '192.0.2.100') });
    await settle();
    assert.equal(web(r).state, 'backup');
    await r.w.poll(); // the re-add event was lost; the dump still has the VIP
    const t = r.changes.at(-1)!.transitions[0];
    assert.deepEqual([t.to, t.source, t.disagreement], ['master', 'poll', true]);
  });

  it('no VIPs configured: unknown (the VIPs are what keepalived state is read from)', async () => {
    const r = rig(frrHa({ source: 'keepalived', instances: [{ name: 'web', vrid: 10, interface: 'eth0', vips: [] }] }));
    await r.w.start();
    assert.equal(web(r).state, 'unknown');
  });
});

describe('HaWatcher, ha.source none', () => {
  it('every instance is master/static, summary none, no socket, no vtysh', async () => {
    const r = rig(frrHa({ source: 'none' }));
    await r.w.start();
    assert.deepEqual([web(r).state, web(r).source, web(r).programs], ['master', 'static', true]);
    assert.equal(r.w.snapshot().summary, 'none');
    assert.equal(r.kernel.sub, null);
    assert.equal(r.vtysh.calls.length, 0);
    const empty = rig(frrHa({ source: 'none', instances: [] }));
    await empty.w.start();
    assert.deepEqual(empty.w.snapshot().instances, []);
  });
});

describe('HaWatcher lifecycle', () => {
  it('stop() while start() is still subscribing: the late subscription is closed, nothing is read or armed', async () => {
    const r = rig();
    let release!: () => void;
    const gate = new Promise<void>((res) => (release = res));
    const subscribe = r.kernel.subscribe.bind(r.kernel);
    r.kernel.subscribe = async (groups) => {
      await gate;
      return subscribe(groups);
    };
    const started = r.w.start();
    await r.w.stop();
    release();
    await started;
    assert.equal(r.kernel.sub!.closed, true, 'the subscription that arrived after stop() is closed');
    assert.equal(r.changes.length, 0, 'no onChange after stop()');
    assert.equal(web(r).state, 'unknown');
  });
});
