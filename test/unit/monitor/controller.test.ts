import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MonitorController } from '../../../shell/monitor/controller.js';
import { ShellController } from '../../../shell/tui/controller.js';
import { decodeKeys } from '../../../shell/keys.js';
import type { ExecResult } from '../../../shell/session-api.js';
import type { MonitorFeed, MonitorSample } from '../../../present/monitor/rows.js';
import { FakeSession } from '../shell/fixtures/fake-session.js';
import { sample, stats, table } from './fixture.js';

/** A source that hands out the given samples in turn, and timers the test fires by hand. */
function rig(samples: MonitorSample[], width = 120, height = 14) {
  let next = 0;
  const timers: (() => void)[] = [];
  let quits = 0;
  const feed: MonitorFeed = { node: 'lb1', first: samples[0], source: { sample: async () => samples[Math.min(++next, samples.length - 1)] } };
  const monitor = new MonitorController(feed, {
    width,
    height,
    now: () => new Date(2026, 0, 1, 12, 0, 0),
    setTimer: (fn) => timers.push(fn),
    clearTimer: () => undefined,
    onQuit: () => void quits++,
  });
  const tick = async () => {
    const fn = timers.shift();
    assert.ok(fn, 'a refresh is scheduled');
    fn();
    await new Promise((r) => setImmediate(r));
  };
  const screen = () => monitor.getFrame().lines.join('\n');
  const press = (input: string) => decodeKeys(input).map((k) => monitor.key(k)).some(Boolean);
  return { monitor, tick, screen, press, quits: () => quits, timers };
}

const row = (screen: string, label: string) => screen.split('\n').find((l) => l.trim().startsWith(label)) ?? '';

test('every interval the view reads again and shows rates from the difference, without a key', async () => {
  const r = rig([sample(0, table(stats(0n))), sample(1000, table(stats(250n, 4000n))), sample(2000, table(stats(1250n, 4000n)))]);
  r.monitor.start();
  assert.match(row(r.screen(), '-> 198.51.100.11:80'), /100\/100 +7 +0 +- +- +- +- +-$/, 'one read: no rates yet');
  await r.tick();
  assert.match(row(r.screen(), '-> 198.51.100.11:80'), /100\/100 +7 +0 +250 +4000 +0 +0 +0$/);
  await r.tick();
  assert.match(row(r.screen(), '-> 198.51.100.11:80'), /100\/100 +7 +0 +1000 +0 +0 +0 +0$/);
  assert.equal(r.timers.length, 1, 'the next read is scheduled after this one ended');
});

test('keys: s cycles the sort, t shows totals, / filters (Enter applies, Esc clears), q quits', async () => {
  const r = rig([sample(0, table(stats(0n))), sample(1000, table(stats(1n), stats(0n), stats(9n)))]);
  r.monitor.start();
  await r.tick();
  const order = () => r.screen().split('\n').filter((l) => /^(tcp|udp) /.test(l)).map((l) => l.split(' ')[0]);
  assert.deepEqual(order(), ['udp', 'tcp'], 'by name: dns before web');
  r.press('r');
  assert.deepEqual(order(), ['tcp', 'udp'], 'reversed');
  r.press('r');
  r.press('s');
  assert.match(r.screen(), /sort: conn\/s ▼/);
  assert.deepEqual(order(), ['udp', 'tcp'], 'dns has more connections per second');
  r.press('t');
  assert.match(r.screen().split('\n')[2], /Conns +InPkts +OutPkts +InBytes +OutBytes$/);
  r.press('/web');
  assert.match(r.screen(), /filter: web_ {3}Enter apply {2}Esc clear$/);
  assert.deepEqual(order(), ['udp', 'tcp'], 'not applied while typed');
  r.press('\r');
  assert.deepEqual(order(), ['tcp']);
  assert.match(r.screen(), /filter: web \(1 services\)/);
  r.press('\u001b');
  assert.deepEqual(order(), ['udp', 'tcp']);
  assert.equal(r.press('q'), true);
  assert.equal(r.quits(), 1);
});

test('Ctrl-C quits as q does; a failed read keeps the last figures and says why', async () => {
  let fail = false;
  const r = rig([sample(0, table(stats(0n)))]);
  const monitor = new MonitorController(
    { node: 'lb1', first: sample(0, table(stats(0n))), source: { sample: async () => { if (fail) throw new Error('daemon gone\nstack'); return sample(1000, table(stats(1n))); } } },
    { width: 120, height: 14, setTimer: () => undefined },
  );
  monitor.start();
  fail = true;
  await monitor.refresh();
  const after = monitor.getFrame().lines.join('\n');
  assert.match(after, /^% reading failed, figures are from the last good read: daemon gone$/m);
  assert.match(after, /^ {2}-> 198\.51\.100\.11:80 /m, 'the rows stay on screen');
  assert.equal(r.press('\u0003'), true);
  assert.equal(r.quits(), 1);
});

class MonitorSession extends FakeSession {
  feed: MonitorFeed | null = null;
  override async execute(line: string): Promise<ExecResult> {
    if (line.trim() !== 'monitor') return super.execute(line);
    const first = sample(0, table(stats(0n)));
    this.feed = { node: 'lb1', first, source: { sample: async () => first } };
    return { output: 'THE SNAPSHOT\n', monitor: this.feed };
  }
}

test('the shell hands the keys to the live view while it shows, and the prompt comes back after q', async () => {
  const session = new MonitorSession();
  const shell = new ShellController(session, { width: 100, height: 20 });
  shell.start();
  const type = async (s: string) => {
    shell.feed(decodeKeys(s));
    await shell.settled();
  };
  await type('monitor\r');
  const live = shell.getSnapshot().live;
  assert.equal(live.mode, 'monitor');
  assert.ok(live.monitor, 'the face gets the live view to show');
  assert.doesNotMatch(shell.scrollback(), /THE SNAPSHOT/, 'the one-snapshot text is for line mode only');
  await type('s');
  assert.match(live.monitor!.getFrame().lines[0], /sort: conn\/s/);
  assert.equal(shell.getSnapshot().live.mode, 'monitor', 'keys other than q stay with the view');
  await type('q');
  assert.equal(shell.getSnapshot().live.mode, 'edit');
  assert.equal(shell.getSnapshot().live.monitor, null);
  await type('show long\r');
  assert.deepEqual(session.executed.slice(-1), ['show long'], 'the next command runs');
});
