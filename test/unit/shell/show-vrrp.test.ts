// `show vrrp` / `show ha` (issue 10): the exact text for each situation (a pair in order, split brain, unknown,
// no source, no watcher), `do show vrrp` from configuration mode, `?` help, and the `{…}` role line: asked of
// the watcher by pollRole and redrawn by the controller without a key pressed, the typed line kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults } from '../../../config/defaults.js';
import { createSession } from '../../../shell/session.js';
import { createStaticBackend } from '../../../shell/session-backend.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { ShellController } from '../../../shell/tui/controller.js';
import { decodeKeys } from '../../../shell/keys.js';
import type { HaSnapshot } from '../../../engine/ha/types.js';
import { vrrpOutput } from '../../../modes/show-vrrp.js';
import { renderTable } from '../../../shell/format.js';

const NOW = Date.parse('2026-11-30T14:05:00Z');

function pair(over: Partial<HaSnapshot> = {}): HaSnapshot {
  return {
    source: 'frr',
    program: 'master-only',
    summary: 'master',
    instances: [
      { name: 'web4', vrid: 10, interface: 'eth0', family: 'inet', state: 'master', since: '2026-11-30T14:00:00Z', source: 'event', vips: ['192.0.2.10', '192.0.2.11'], priority: 200, programs: true },
      { name: 'web6', vrid: 10, interface: 'eth0', family: 'inet6', state: 'backup', since: '2026-11-30T13:04:30Z', source: 'poll', vips: ['2001:db8::10'], programs: false },
    ],
    ...over,
  };
}

const CONFIG = { ha: { source: 'frr', program: 'master-only', instances: [{ name: 'web4', vrid: 10, interface: 'eth0', vips: ['192.0.2.10'] }] } };

function session(ha: () => Promise<HaSnapshot | null>, config: unknown = CONFIG) {
  const backend = createStaticBackend({ config: applyDefaults(config as never), dataplane: new MemoryDataplane(), hostname: 'lb1', ha });
  return createSession({ backend, terminal: { width: 120, length: 0 } });
}

/** What the session prints for `show vrrp` (its text, then its table laid out as the session does), the clock fixed. */
function render(snapshot: HaSnapshot | null, source = 'frr'): string {
  const out = vrrpOutput(snapshot, source, NOW);
  return [out.text, out.table ? renderTable(out.table, 120).replace(/\n$/, '') : ''].filter(Boolean).join('\n');
}

test('show vrrp: a master-only pair, exact text', () => {
  assert.equal(
    render(pair()),
    [
      'VRRP: source frr, program master-only; this node: master',
      'Instance  VRID  Interface  Family  State   Since      Source  Priority  VIPs                   Programs',
      '--------  ----  ---------  ------  ------  ---------  ------  --------  ---------------------  --------',
      'web4        10  eth0       inet    master  5m 0s ago  event        200  192.0.2.10 192.0.2.11  yes',
      'web6        10  eth0       inet6   backup  1h 0m ago  poll           -  2001:db8::10           no',
    ].join('\n'),
  );
});

test('show vrrp: split brain and unknown are said above the table', () => {
  const split = pair({ summary: 'master,split-brain' });
  split.instances[1] = { ...split.instances[1], state: 'unknown', reason: 'vrrpd is not running', source: 'poll' };
  assert.equal(
    render(split),
    [
      'VRRP: source frr, program master-only; this node: master,split-brain',
      '% SPLIT BRAIN: this node and its peer both claim Master; check the link between the balancers (lbctl doctor)',
      '% State unknown for web6: their services are kept as they are in the kernel; lbctl doctor says why',
      'Instance  VRID  Interface  Family  State                           Since      Source  Priority  VIPs                   Programs',
      '--------  ----  ---------  ------  ------------------------------  ---------  ------  --------  ---------------------  ----------',
      'web4        10  eth0       inet    master                          5m 0s ago  event        200  192.0.2.10 192.0.2.11  yes',
      'web6        10  eth0       inet6   unknown (vrrpd is not running)  1h 0m ago  poll           -  2001:db8::10           kept as is',
    ].join('\n'),
  );
  const always = pair({ program: 'always', summary: 'backup' });
  always.instances[0] = { ...always.instances[0], state: 'backup' };
  assert.match(render(always), /^web4 .* yes \(always\)$/m);
});

test('show vrrp: no source configured, and no watcher to ask, each have their line', () => {
  assert.equal(render(null, 'none'), 'VRRP: no HA source is configured (ha.source: none): this node programs every service');
  assert.equal(render({ source: 'none', program: 'always', summary: 'none', instances: [] }), 'VRRP: no HA source is configured (ha.source: none): this node programs every service');
  assert.equal(render(null, 'keepalived'), 'VRRP: no HA watcher is running here: start the daemon (lbctl daemon, or systemctl start lbctl)');
});

test('show vrrp, show ha and do show vrrp answer alike through the session; ? lists vrrp and ha', async () => {
  const s = session(async () => pair());
  const a = await s.execute('show vrrp');
  const b = await s.execute('show ha');
  assert.equal(a.error, undefined);
  assert.match(a.output, /^VRRP: source frr, program master-only; this node: master\nInstance +VRID/);
  assert.equal(b.output, a.output);
  await s.execute('configure');
  const c = await s.execute('do show vrrp');
  assert.equal(c.output, a.output);
  await s.execute('end');
  const help = s.help('show ');
  assert.ok(help.ok);
  const entries = help.ok ? help.entries : [];
  assert.match(entries.find((e) => e.token === 'vrrp')?.help ?? '', /VRRP instances on this node/);
  assert.match(entries.find((e) => e.token === 'ha')?.help ?? '', /same as "show vrrp"/);
  const none = session(async () => null, {});
  assert.equal((await none.execute('show vrrp')).output, 'VRRP: no HA source is configured (ha.source: none): this node programs every service\n');
});

test('the role line: {master}, {backup}, {master,split-brain}, {unknown}; nothing for source none; {unknown} when the ask fails', async () => {
  let snap: HaSnapshot | null = pair();
  let fail = false;
  const s = session(async () => {
    if (fail) throw new Error('daemon gone');
    return snap;
  });
  assert.equal(s.roleLine(), null, 'not asked yet');
  assert.equal(await s.pollRole!(), true);
  assert.equal(s.roleLine(), '{master}');
  assert.equal(await s.pollRole!(), false, 'unchanged');
  snap = pair({ summary: 'backup' });
  await s.pollRole!();
  assert.equal(s.roleLine(), '{backup}');
  snap = pair({ summary: 'master,split-brain' });
  await s.pollRole!();
  assert.equal(s.roleLine(), '{master,split-brain}');
  fail = true;
  await s.pollRole!();
  assert.equal(s.roleLine(), '{unknown}');
  fail = false;
  snap = { source: 'none', program: 'always', summary: 'none', instances: [] };
  await s.pollRole!();
  assert.equal(s.roleLine(), null);
});

test('the controller redraws the role line on its own, keeping what is being typed', async () => {
  let snap = pair();
  const s = session(async () => snap);
  const controller = new ShellController(s, { width: 120, height: 40, rolePollMs: 3_600_000 });
  let redraws = 0;
  controller.subscribe(() => void redraws++);
  controller.start(); // asks once at once
  for (let i = 0; i < 100 && controller.getSnapshot().live.roleLine === null; i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(controller.getSnapshot().live.roleLine, '{master}');
  controller.feed(decodeKeys('show vr'));
  await controller.settled();
  snap = pair({ summary: 'backup' });
  const before = redraws;
  await controller.pollRole();
  const live = controller.getSnapshot().live;
  assert.equal(live.roleLine, '{backup}', 'no key was pressed');
  assert.equal(live.line, 'show vr');
  assert.equal(live.cursor, 7);
  assert.equal(redraws, before + 1, 'one redraw');
  await controller.pollRole();
  assert.equal(redraws, before + 1, 'no redraw when nothing changed');
  controller.feed(decodeKeys('\x04'));
  await controller.settled();
});
