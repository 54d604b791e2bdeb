// The lab's table as each host of a state directory sees it (engine/host-dataplane.ts): another process's change
// (a journal line) is seen from the next turn of the event loop on, a hand edit of the snapshot wins.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, it } from 'node:test';
import { labTablePath, openHostDataplane } from '../../../engine/host-dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { journalPathOf } from '../../../netlink/persisted-table.js';
import { changeLine } from '../../../netlink/table-journal.js';
import { dest, svc, tcpKey } from '../netlink/dataplane-contract.js';

const k1 = tcpKey('192.0.2.10', 80);
const k2 = tcpKey('192.0.2.11', 80);
const nextTurn = () => new Promise((r) => setImmediate(r));

let stateDir: string;
beforeEach(() => {
  stateDir = mkdtempSync(join(tmpdir(), 'lbctl-labtable-'));
});
afterEach(() => rmSync(stateDir, { recursive: true, force: true }));

it('sees another process change the table from the next turn on, not within a read of this one', async () => {
  const a = await openHostDataplane({ stateDir, lab: true });
  const b = await openHostDataplane({ stateDir, lab: true });
  await a.apply([{ op: 'newService', service: svc(k1) }, { op: 'newDest', key: k1, dest: dest('10.0.0.1', 80) }]);
  await nextTurn();
  assert.equal((await b.listServices()).length, 1);
  // Another process appends a change while b is in the middle of a read: b's read still sees one table.
  appendFileSync(journalPathOf(labTablePath(stateDir)), changeLine({ apply: [{ op: 'newService', service: svc(k2) }] }));
  assert.equal((await b.listServices()).length, 1, 'the same turn: not looked at again');
  await nextTurn();
  assert.equal((await b.listServices()).length, 2);
  // b writes after it: a catches up with both lines before it answers.
  await b.apply([{ op: 'delDest', key: k1, dest: { addr: '10.0.0.1', port: 80 } }]);
  await nextTurn();
  assert.deepEqual(await a.readAll(), await b.readAll());
  assert.deepEqual(await a.listDests(k1), []);
  assert.equal(a.messagesSent(), 6, 'the two ops a sent and its four reads (a service list, three destination lists); replayed lines are not messages');
});

it('a hand edit of the snapshot is the table every host sees, whatever the journal held before it', async () => {
  const a = await openHostDataplane({ stateDir, lab: true });
  await a.apply([{ op: 'newService', service: svc(k1) }]);
  await a.apply([{ op: 'newDest', key: k1, dest: dest('10.0.0.1', 80) }]); // a journal line
  const hand = new MemoryDataplane();
  await hand.apply([{ op: 'newService', service: svc(k2) }]);
  writeFileSync(labTablePath(stateDir), JSON.stringify(hand.toJSON()));
  await nextTurn();
  assert.deepEqual(await a.readAll(), await hand.readAll());
  const b = await openHostDataplane({ stateDir, lab: true });
  assert.deepEqual(await b.readAll(), await hand.readAll());
});
