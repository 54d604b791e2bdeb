// The lab table on file: a snapshot and a journal of the changes since. Each change is one appended line, every
// process sees it, a crash at any point leaves a table the next open reads, and a hand edit of the snapshot wins.
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { AF_INET6, FWD_TUNNEL, IPPROTO_UDP, type IpvsOp } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { journalPathOf, PersistedTable } from '../../../netlink/persisted-table.js';
import { writeFileAtomic } from '../../../netlink/write-atomic.js';
import { dest, svc, tcpKey } from './dataplane-contract.js';

const k1 = tcpKey('192.0.2.10', 80);
const k2 = tcpKey('192.0.2.11', 443);
const k6 = { af: AF_INET6, protocol: IPPROTO_UDP, addr: '2001:db8::1', port: 53 } as const;
const fw = { af: 2 as const, fwmark: 7 };

/** Changes of every kind, including the forms that canonicalisation touches (IPv6, fwmark, a mixed-family tunnel). */
const ops: IpvsOp[] = [
  { op: 'newService', service: svc(k1) },
  { op: 'newDest', key: k1, dest: dest('10.0.0.1', 80) },
  { op: 'newDest', key: k1, dest: dest('10.0.0.2', 80, { weight: 5 }) },
  { op: 'newService', service: svc(k6, { scheduler: 'rr' }) },
  { op: 'newDest', key: k6, dest: dest('2001:db8::10', 53) },
  { op: 'newService', service: svc(fw) },
  { op: 'newDest', key: fw, dest: dest('2001:db8::20', 0, { af: AF_INET6, fwdMethod: FWD_TUNNEL }) },
];

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lbctl-persisted-'));
  path = join(dir, 'lab-ipvs.json');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const journalLines = () => readFileSync(journalPathOf(path), 'utf8').split('\n').filter(Boolean);
const table = async (dp: MemoryDataplane) => ({ entries: await dp.readAll(), timeouts: await dp.getTimeouts() });

/** A table with every kind of change made through a persisted table that never compacts. */
async function journalled(): Promise<PersistedTable> {
  const t = PersistedTable.open(path, { compactAt: () => Infinity });
  await t.table.apply(ops.slice(0, 2)); // the first change: no journal bound to a snapshot yet, so a snapshot
  await t.table.apply(ops.slice(2));
  await t.table.apply([{ op: 'setDest', key: k1, dest: dest('10.0.0.1', 80, { weight: 9 }) }]);
  await t.table.setTimeouts({ tcp: 77 });
  await t.table.zero(k1);
  await t.table.apply([{ op: 'delDest', key: k1, dest: { addr: '10.0.0.2', port: 80 } }]);
  // A service as a read gives it (bigint counters) changed and sent back: journalled in canonical form.
  const read = await t.table.getService(k6);
  await t.table.apply([{ op: 'setService', service: { ...read!, scheduler: 'wlc' } }]);
  return t;
}

describe('persisted lab table', () => {
  it('appends one line per change, leaves the snapshot alone, and a new open reads snapshot + journal', async () => {
    const t = PersistedTable.open(path, { compactAt: () => Infinity });
    await t.table.apply(ops.slice(0, 2));
    const snapshot = readFileSync(path, 'utf8');
    assert.equal(journalLines().length, 1, 'a header only: the first change wrote the snapshot');
    await t.table.apply(ops.slice(2));
    await t.table.setTimeouts({ tcp: 77 });
    await t.table.zero();
    await t.table.apply([{ op: 'newDest', key: k1, dest: dest('10.0.0.1', 80) }]); // EEXIST: nothing changed
    assert.equal(journalLines().length, 4, 'header, apply, setTimeouts, zero; a batch whose ops all failed adds nothing');
    assert.equal(readFileSync(path, 'utf8'), snapshot);
    const again = PersistedTable.open(path);
    assert.deepEqual(await table(again.table), await table(t.table));
    await t.table.flush();
    assert.deepEqual(await PersistedTable.open(path).table.listServices(), []);
  });

  it('a follower replays only the new lines when only the journal grew, and reloads when the snapshot changed', async () => {
    const writer = await journalled();
    const follower = PersistedTable.open(path);
    const loaded = follower.table;
    assert.equal(follower.catchUp(), false, 'nothing changed');
    await writer.table.apply([{ op: 'newService', service: svc(k2) }]);
    assert.equal(follower.catchUp(), false, 'the new line replayed onto the same table');
    assert.equal(follower.table, loaded);
    assert.deepEqual(await table(follower.table), await table(writer.table));
    // The follower writes next: its line goes after the writer's, and the writer catches up with it.
    await follower.table.apply([{ op: 'newDest', key: k2, dest: dest('10.0.0.3', 443) }]);
    assert.equal(writer.catchUp(), false);
    assert.deepEqual(await table(writer.table), await table(follower.table));
    // A compaction (here by a writer that compacts at once) is a new snapshot: a whole reload.
    const compacting = PersistedTable.open(path, { compactAt: () => 0 });
    await compacting.table.apply([{ op: 'delService', key: k2 }]);
    assert.equal(journalLines().length, 1, 'compacted: the journal is its header again');
    assert.equal(follower.catchUp(), true);
    assert.deepEqual(await table(follower.table), await table(compacting.table));
  });

  it('compacts once the journal would pass the size it is given, and reads the same table after', async () => {
    const t = PersistedTable.open(path, { compactAt: () => 1000 });
    for (let w = 1; w <= 20; w++) {
      if (w === 1) await t.table.apply(ops);
      await t.table.apply([{ op: 'setDest', key: k1, dest: dest('10.0.0.1', 80, { weight: w }) }]);
      assert.ok(statSync(journalPathOf(path)).size <= 1000);
      assert.deepEqual(await table(PersistedTable.open(path).table), await table(t.table));
    }
    assert.ok(journalLines().length < 20, 'compacted at least once');
    assert.deepEqual(readdirSync(dir).sort(), ['lab-ipvs.journal', 'lab-ipvs.json'], 'no temp file left behind');
  });

  it('a crash between the new snapshot and the new journal: the old journal is not replayed onto the new snapshot', async () => {
    const t = await journalled();
    const before = await table(t.table);
    // Compaction's first step alone, as a kill -9 right after it leaves the files: the new snapshot renamed into
    // place, the journal still the old one. Replaying it would fail (its newService lines exist already) or
    // apply its changes twice.
    const parts: Buffer[] = [];
    t.table.toJSONChunks((text) => parts.push(Buffer.from(text)));
    await writeFileAtomic(path, parts);
    assert.ok(journalLines().length > 1, 'the old journal is still there, with its lines');
    const next = PersistedTable.open(path);
    assert.deepEqual(await table(next.table), before);
    // And the next change writes a new snapshot and a journal bound to it, which a later open reads.
    await next.table.apply([{ op: 'delService', key: k6 }]);
    assert.equal(journalLines().length, 1);
    assert.deepEqual(await table(PersistedTable.open(path).table), await table(next.table));
  });

  it('a crash before the new snapshot is in place: the old snapshot and journal, the temp file ignored', async () => {
    const t = await journalled();
    const before = await table(t.table);
    writeFileSync(join(dir, '.lab-ipvs.json.1.2.x.tmp'), '{"format":"lbctl-memory-ipvs"'); // cut short
    assert.deepEqual(await table(PersistedTable.open(path).table), before);
  });

  it('ignores a torn last line, and the next change writes over it', async () => {
    const t = await journalled();
    const before = await table(t.table);
    const torn = '{"apply":[{"op":"delService","key":{"af":2,"protocol":6,"addr":"192.0.2.10","po';
    appendFileSync(journalPathOf(path), torn);
    const next = PersistedTable.open(path);
    assert.deepEqual(await table(next.table), before);
    assert.equal(t.catchUp(), false, 'a follower sees no new line either');
    await next.table.apply([{ op: 'setDest', key: k1, dest: dest('10.0.0.1', 80, { weight: 3 }) }]);
    const text = readFileSync(journalPathOf(path), 'utf8');
    assert.ok(!text.includes(torn), 'written over, not continued');
    assert.ok(text.endsWith('\n'));
    assert.deepEqual(await table(PersistedTable.open(path).table), await table(next.table));
    t.catchUp();
    assert.deepEqual(await table(t.table), await table(next.table));
  });

  it('a hand edit of the snapshot wins over the journal written before it', async () => {
    const t = await journalled();
    const follower = PersistedTable.open(path);
    // The lab's ipvsadm: the operator writes the table they want into the snapshot, in place.
    const hand = new MemoryDataplane();
    await hand.apply([{ op: 'newService', service: svc(k2) }, { op: 'newDest', key: k2, dest: dest('10.0.0.9', 443) }]);
    writeFileSync(path, JSON.stringify(hand.toJSON()));
    assert.ok(journalLines().length > 1, 'the journal from before the edit is still there');
    assert.deepEqual(await table(PersistedTable.open(path).table), await table(hand));
    assert.equal(follower.catchUp(), true);
    assert.deepEqual(await table(follower.table), await table(hand));
    // The writer from before the edit catches up first, as every host does before it writes; its change then
    // starts a snapshot and journal of its own.
    t.catchUp();
    await t.table.apply([{ op: 'setDest', key: k2, dest: dest('10.0.0.9', 443, { weight: 4 }) }]);
    const after = await table(PersistedTable.open(path).table);
    assert.equal(after.entries.length, 1);
    assert.equal(after.entries[0].dests[0].weight, 4);
  });

  it('a missing snapshot is an empty table, whatever journal is left beside it', async () => {
    await journalled();
    rmSync(path);
    assert.deepEqual(await PersistedTable.open(path).table.listServices(), []);
  });

  it('names the journal line a change does not fit, to a new open and to a follower', async () => {
    const follower = await journalled();
    appendFileSync(journalPathOf(path), `${JSON.stringify({ apply: [{ op: 'delService', key: k2 }] })}\n`);
    assert.throws(() => PersistedTable.open(path), /lab-ipvs\.journal at byte \d+: the change does not fit/);
    assert.throws(() => follower.catchUp(), /lab-ipvs\.journal at byte \d+: the change does not fit/);
  });

  it('a snapshot that is not a table is an error at every look until it is one again, never the old table', async () => {
    const follower = await journalled();
    writeFileSync(path, '{"format":"lbctl-memory-ipvs","version":1,"services":[');
    assert.throws(() => follower.catchUp(), /lab-ipvs\.json: not valid JSON/);
    assert.throws(() => follower.catchUp(), /lab-ipvs\.json: not valid JSON/);
    writeFileSync(path, JSON.stringify(new MemoryDataplane().toJSON()));
    assert.equal(follower.catchUp(), true);
    assert.deepEqual(await follower.table.listServices(), []);
  });
});
