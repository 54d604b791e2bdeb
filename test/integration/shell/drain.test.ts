// Maintenance without commits, as an operator meets it: the real bin/lbctl in a temporary HOME with --lab.
// Connections are written into the lab table the way drift is (the lab's `ipvsadm`): no traffic flows in the lab.
//  - without a daemon: drain → draining with the active connections, weight 0 in IPVS and the configured weight
//    kept in `show service`; the connections fall → drained and removed; a commit from a new shell keeps it; resume;
//    `show health` shows it; every step is in the audit trail with the kernel operations;
//  - with a daemon: the request reaches it; a drain survives the daemon's restart; the daemon ends a drain by itself
//    when the connections reach 0 and when the timeout expires.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, shell, startDaemon, stopDaemon, type Lab } from '../../support/lab-daemon.js';
import { labWith, shellLines, WEB_TWO_BACKENDS } from '../../support/lab-shell.js';
import { labTableJSON } from '../../support/lab-table.js';


const lab = (t: { after(fn: () => void): void }): Lab => labWith(t, WEB_TWO_BACKENDS);

interface LabJson {
  services: Array<{ dests: Array<{ dest: { addr: string; port: number; weight: number }; activeConns?: number }> }>;
}
const tablePath = (l: Lab) => join(l.state, 'lab-ipvs.json');
const readTable = (l: Lab) => labTableJSON<LabJson>(tablePath(l));
/** `198.51.100.11:80 w0`, … : what the lab's IPVS holds. */
const dests = (l: Lab) => readTable(l).services.flatMap((s) => s.dests.map((d) => `${d.dest.addr}:${d.dest.port} w${d.dest.weight}`));
/** The lab's ipvsadm: set the active connections of a destination. */
function setConnections(l: Lab, addr: string, active: number): void {
  const table = readTable(l);
  for (const s of table.services) for (const d of s.dests) if (d.dest.addr === addr) d.activeConns = active;
  writeFileSync(tablePath(l), JSON.stringify(table));
}
const drainAudit = (l: Lab) =>
  readFileSync(join(l.state, 'audit.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { action: string; user: string; comment: string; kernel?: { applied: string[] } })
    .filter((r) => r.action === 'drain')
    .map((r) => `${r.comment} | ${(r.kernel?.applied ?? []).join('; ')}`);
const drainsFile = (l: Lab) => JSON.parse(readFileSync(join(l.state, 'drains.json'), 'utf8')) as { drains: Array<{ state: string; why?: string }> };

const ok = shellLines;

test('drain without a daemon: draining, connections falling, drained and removed, kept by a commit, resumed, audited', (t) => {
  const l = lab(t);
  // No connections: drained at once, held at weight 0.
  assert.deepEqual(ok(l, 'request backend 198.51.100.12 drain'), ['web 198.51.100.12:80: drained (no active connections), held at weight 0; configured weight 50']);
  assert.deepEqual(dests(l), ['198.51.100.11:80 w100', '198.51.100.12:80 w0']);
  assert.deepEqual(ok(l, 'request backend 198.51.100.12 resume'), ['web 198.51.100.12:80: resumed, weight 50']);
  assert.deepEqual(dests(l), ['198.51.100.11:80 w100', '198.51.100.12:80 w50']);

  setConnections(l, '198.51.100.11', 3);
  assert.deepEqual(ok(l, 'request backend 198.51.100.11 service web drain timeout 600 then remove'), [
    'web 198.51.100.11:80: draining, 3 active connections, timeout 600 s; configured weight 100',
  ]);
  assert.deepEqual(dests(l), ['198.51.100.11:80 w0', '198.51.100.12:80 w50']);
  const service = ok(l, 'show service web');
  assert.deepEqual(service.slice(-4), [
    'Address        Port  Weight  State                Kernel',
    '-------------  ----  ------  -------------------  -------',
    '198.51.100.11    80     100  draining (3 active)  in sync',
    '198.51.100.12    80      50  enabled              in sync',
  ]);
  assert.deepEqual(ok(l, 'show health'), [
    'no health checks are running: start the daemon (lbctl daemon, or systemctl start lbctl)',
    'Drains:',
    '  web 198.51.100.11:80: draining, 3 active connections, timeout 600 s; configured weight 100',
  ]);
  // The connections fall: still draining at 1, drained and removed from IPVS at 0.
  setConnections(l, '198.51.100.11', 1);
  assert.deepEqual(ok(l, 'show drains'), ['web 198.51.100.11:80: draining, 1 active connection, timeout 600 s; configured weight 100']);
  setConnections(l, '198.51.100.11', 0);
  assert.deepEqual(ok(l, 'show drains'), ['web 198.51.100.11:80: drained (no active connections), removed; configured weight 100']);
  assert.deepEqual(dests(l), ['198.51.100.12:80 w50']);
  assert.deepEqual(ok(l, 'show service web').slice(-2), ['198.51.100.11    80     100  drained, removed  not programmed', '198.51.100.12    80      50  enabled           in sync']);

  // A commit in another shell process programs the configuration with the drain still in force.
  ok(l, 'configure; service web; backend 198.51.100.12 weight 60; commit');
  assert.deepEqual(dests(l), ['198.51.100.12:80 w60']);
  assert.deepEqual(ok(l, 'request backend 198.51.100.11 resume'), ['web 198.51.100.11:80: resumed, weight 100']);
  assert.deepEqual(dests(l), ['198.51.100.12:80 w60', '198.51.100.11:80 w100']);
  assert.deepEqual(ok(l, 'show drains'), ['No backends are drained.']);

  assert.deepEqual(drainAudit(l), [
    'drain web/198.51.100.12:80: draining | newService tcp 192.0.2.10:80; newDest tcp 192.0.2.10:80 -> 198.51.100.11:80; newDest tcp 192.0.2.10:80 -> 198.51.100.12:80',
    'drained web/198.51.100.12:80: drained (no active connections), held at weight 0 | ',
    'resume web/198.51.100.12:80: resumed | setDest tcp 192.0.2.10:80 -> 198.51.100.12:80',
    'drain web/198.51.100.11:80: draining | setDest tcp 192.0.2.10:80 -> 198.51.100.11:80',
    'drained web/198.51.100.11:80: drained (no active connections), removed | delDest tcp 192.0.2.10:80 -> 198.51.100.11:80',
    'resume web/198.51.100.11:80: resumed | newDest tcp 192.0.2.10:80 -> 198.51.100.11:80',
  ]);
});

test('drain refusals name the word and why', (t) => {
  const l = lab(t);
  const none = shell(l, 'request backend 198.51.100.99 drain');
  assert.equal(none.code, 1);
  assert.match(none.out, /^% No enabled backend 198\.51\.100\.99 in the running configuration\.$/m);
  const narrowed = shell(l, 'request backend 198.51.100.11 port 8080 service web resume');
  assert.match(narrowed.out, /^% No enabled backend 198\.51\.100\.11 port 8080 in service web in the running configuration\.$/m);
  const notDrained = ok(l, 'request backend 198.51.100.11 resume');
  assert.deepEqual(notDrained, ['web 198.51.100.11:80: was not drained, weight 100']);
});

test('with a daemon: the drain reaches it, survives its restart, and ends by itself at 0 connections and at its timeout', async (t) => {
  const l = lab(t);
  let daemon = await startDaemon(l);
  try {
    await drainThroughDaemon(l, async () => {
      await stopDaemon(daemon);
      // Its cold start must not give the weight back.
      writeFileSync(tablePath(l), JSON.stringify({ ...readTable(l), services: [] }));
      daemon = await startDaemon(l);
    });
    assert.equal(await stopDaemon(daemon), 0);
  } finally {
    // Before the lab's removal (its after hook): a daemon still writing there would make the removal fail.
    await stopDaemon(daemon, 'SIGKILL');
  }
});

async function drainThroughDaemon(l: Lab, restart: () => Promise<void>): Promise<void> {
  setConnections(l, '198.51.100.11', 4);
  setConnections(l, '198.51.100.12', 2);
  assert.deepEqual(ok(l, 'request backend 198.51.100.11 drain'), ['web 198.51.100.11:80: draining, 4 active connections; configured weight 100']);
  assert.deepEqual(dests(l), ['198.51.100.11:80 w0', '198.51.100.12:80 w50']);

  await restart();
  assert.deepEqual(dests(l), ['198.51.100.11:80 w0', '198.51.100.12:80 w50']);
  setConnections(l, '198.51.100.11', 4);
  setConnections(l, '198.51.100.12', 2);
  assert.deepEqual(ok(l, 'show drains'), ['web 198.51.100.11:80: draining, 4 active connections; configured weight 100']);

  // The connections end: the daemon sees it on its own (no command asks).
  setConnections(l, '198.51.100.11', 0);
  assert.ok(await eventually(() => drainsFile(l).drains[0]?.state === 'drained', 15_000), 'the daemon did not end the drain');
  assert.deepEqual(ok(l, 'show drains'), ['web 198.51.100.11:80: drained (no active connections), held at weight 0; configured weight 100']);

  // A timeout ends a drain whose connections stay.
  assert.deepEqual(ok(l, 'request backend 198.51.100.12 drain timeout 1 then remove'), [
    'web 198.51.100.12:80: draining, 2 active connections, timeout 1 s; configured weight 50',
  ]);
  // The file is written before the kernel is told (a crash in between is finished by the next start).
  assert.ok(await eventually(() => dests(l).length === 1, 15_000), 'the timeout did not end the drain');
  assert.deepEqual(dests(l), ['198.51.100.11:80 w0']);
  assert.equal(drainsFile(l).drains[1]?.why, 'timeout');
  const health = ok(l, 'show health');
  assert.deepEqual(health.slice(0, 4), [
    'Health: 2 backends: 0 up, 0 down, 2 unknown (lab: only loopback is probed)',
    'Drains:',
    '  web 198.51.100.11:80: drained (no active connections), held at weight 0; configured weight 100',
    '  web 198.51.100.12:80: drained (timeout), removed; configured weight 50',
  ]);
  // The checks' State says it too (the Since column is a time: not compared).
  assert.match(health[6], /^web +198\.51\.100\.11:80 +tcp :80 +unknown \(lab: not probed\), drained, held at 0 +\S+ ago/);
  assert.match(health[7], /^web +198\.51\.100\.12:80 +tcp :80 +unknown \(lab: not probed\), drained, removed +\S+ ago/);
  const audit = drainAudit(l);
  assert.deepEqual(audit.slice(-3), [
    'drained web/198.51.100.11:80: drained (no active connections), held at weight 0 | ',
    'drain web/198.51.100.12:80: draining | setDest tcp 192.0.2.10:80 -> 198.51.100.12:80',
    'drained web/198.51.100.12:80: drained (timeout), removed | delDest tcp 192.0.2.10:80 -> 198.51.100.12:80',
  ]);
}
