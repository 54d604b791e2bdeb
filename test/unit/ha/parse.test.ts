// `show vrrp json` as FRR 8.4 printed it in the lab (test/fixtures/ha), the vtysh reader's reasons, and what
// FRR's and keepalived's signals say about an instance.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrrJsonError, parseShowVrrpJson } from '../../../engine/ha/frr-json.js';
import { frrLinkObservation, frrPollObservation } from '../../../engine/ha/frr-observe.js';
import { presentVips, vipObservation } from '../../../engine/ha/keepalived-observe.js';
import { LinkTable } from '../../../engine/ha/links.js';
import { summarize } from '../../../engine/ha/state.js';
import { familiesOf, vrrpMac } from '../../../engine/ha/vmac.js';
import { readFrrVrrp } from '../../../engine/ha/vtysh.js';
import { addr, ETH0, fixture, frrHa, link, MACVLAN, NOT_RUNNING, ok } from './fakes.js';

describe('show vrrp json', () => {
  it('reads the captured Master and Backup answers', () => {
    const [m] = parseShowVrrpJson(fixture('show-vrrp-master.json'));
    assert.deepEqual(m, {
      vrid: 10, interface: 'vweth0', shutdown: false,
      v4: { status: 'Master', macvlan: 'vwv4-10', effectivePriority: 200 },
      v6: { status: 'Initialize', macvlan: '', effectivePriority: 200 },
    });
    const [b] = parseShowVrrpJson(fixture('show-vrrp-backup.json'));
    assert.deepEqual([b.v4.status, b.v4.effectivePriority], ['Backup', 100]);
    assert.deepEqual(parseShowVrrpJson('[\n]\n'), []);
  });

  it('refuses what is not that shape, saying what is wrong', () => {
    assert.throws(() => parseShowVrrpJson(''), FrrJsonError);
    // What vtysh printed (exit 0) in the lab when vrrpd was SIGKILLed while it answered:
    assert.throws(
      () => parseShowVrrpJson('Warning: closing connection to vrrpd because of an I/O error!\n'),
      { message: 'not JSON: "Warning: closing connection to vrrpd because of an I/O error!"' },
    );
    assert.throws(() => parseShowVrrpJson('{}'), /not a JSON array/);
    assert.throws(() => parseShowVrrpJson('[{"vrid":10}]'), /no numeric vrid and interface/);
    const doc = JSON.parse(fixture('show-vrrp-master.json'));
    doc[0].v4.status = 'Fault';
    assert.throws(() => parseShowVrrpJson(JSON.stringify(doc)), /router 0\.v4\.status is "Fault", not one of Initialize\/Backup\/Master/);
    delete doc[0].v6;
    doc[0].v4.status = 'Master';
    assert.throws(() => parseShowVrrpJson(JSON.stringify(doc)), /router 0\.v6 is not an object/);
  });

  it('readFrrVrrp: routers, or the reason (vtysh.conf warning dropped)', async () => {
    const r = await readFrrVrrp(async () => ok(fixture('show-vrrp-master.json')), { vtysh: 'vtysh', timeoutMs: 100 });
    assert.equal(r.ok && r.routers[0].v4.status, 'Master');
    assert.deepEqual(await readFrrVrrp(async () => NOT_RUNNING, { vtysh: 'vtysh', timeoutMs: 100 }), { ok: false, reason: 'vtysh exited 1: vrrpd is not running' });
  });
});

describe('what the signals say', () => {
  const inst = frrHa().instances[0];
  const table = (...links: ReturnType<typeof link>[]) => {
    const t = new LinkTable();
    t.replace(links);
    return t;
  };

  it('VRRP MACs and families', () => {
    assert.equal(vrrpMac('inet', 10), '00:00:5e:00:01:0a');
    assert.equal(vrrpMac('inet6', 255), '00:00:5e:00:02:ff');
    assert.deepEqual(familiesOf([]), ['inet']);
    assert.deepEqual(familiesOf(['2001:db8::1']), ['inet6']);
    assert.deepEqual(familiesOf(['2001:db8::1', '192.0.2.1']), ['inet', 'inet6']);
  });

  it('the poll: per family, checked against the parent', () => {
    const routers = parseShowVrrpJson(fixture('show-vrrp-master.json').replace('"vweth0"', '"eth0"'));
    assert.deepEqual(frrPollObservation(inst, routers, table(ETH0)), { state: 'master', priority: 200 });
    const down = frrPollObservation(inst, routers, table());
    assert.equal(down.splitBrain, true);
    assert.match(down.reason ?? '', /^parent eth0 does not exist/);
  });

  it('the macvlan: protodown off is Master, on is Backup; no macvlan, nothing to say', () => {
    assert.deepEqual(frrLinkObservation(inst, table(ETH0, MACVLAN(false))), { state: 'master' });
    assert.deepEqual(frrLinkObservation(inst, table(ETH0, MACVLAN(true))), { state: 'backup', reason: 'macvlan: v4 protodown on' });
    assert.equal(frrLinkObservation(inst, table(ETH0)), null);
  });

  it('keepalived: the VIPs on the interface, any spelling', () => {
    const ka = { name: 'web', vrid: 10, interface: 'eth0', vips: ['2001:DB8:0:0::10'] };
    const present = presentVips(ka, [addr(2, 'eth0', '2001:db8::10'), addr(3, 'eth1', '2001:db8::10')]);
    assert.deepEqual([...present], ['2001:db8::10']);
    assert.deepEqual(vipObservation(ka, present), { state: 'master' });
    assert.deepEqual(vipObservation(ka, new Set()), { state: 'backup' });
  });

  it('the summary: unknown, then split brain, then master, else backup; none without instances', () => {
    const s = (state: 'master' | 'backup' | 'unknown', splitBrain?: boolean) => ({
      name: 'x', vrid: 1, interface: 'eth0', family: 'inet' as const, state, since: '', source: 'poll' as const, vips: [], programs: false, ...(splitBrain ? { splitBrain } : {}),
    });
    const ha = frrHa();
    assert.equal(summarize(ha, []), 'none');
    assert.equal(summarize({ ...ha, source: 'none' }, [s('master')]), 'none');
    assert.equal(summarize(ha, [s('master'), s('unknown'), s('master', true)]), 'unknown');
    assert.equal(summarize(ha, [s('backup'), s('master', true)]), 'master,split-brain');
    assert.equal(summarize(ha, [s('backup'), s('master')]), 'master');
    assert.equal(summarize(ha, [s('backup'), s('backup')]), 'backup');
  });
});
