// readTableYielding: the same table as readAll(), with a turn of the event loop every `every` services even when
// every dataplane call answers at once (as netlink's usually do: the answer is queued before recv asks).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTableYielding } from '../../../engine/table-read.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { AF_INET, IPPROTO_TCP, type IpvsOp } from '../../../netlink/dataplane.js';

test('the same table as readAll, with a pause every `every` services', async () => {
  const dp = new MemoryDataplane();
  const ops: IpvsOp[] = [];
  for (let i = 0; i < 25; i++) {
    const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: `192.0.2.${i + 1}`, port: 80 } as const;
    ops.push({ op: 'newService', service: { key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff } });
    for (let j = 0; j < 3; j++) ops.push({ op: 'newDest', key, dest: { addr: `198.51.100.${j + 1}`, port: 8080, fwdMethod: 0, weight: j + 1, uThresh: 0, lThresh: 0 } });
  }
  assert.ok((await dp.apply(ops)).every((r) => r.ok));
  let pauses = 0;
  const table = await readTableYielding(dp, { every: 10, pause: async () => void pauses++ });
  assert.deepEqual(table, await dp.readAll());
  assert.equal(table.length, 25);
  assert.equal(pauses, 2);
});

test('other callbacks run while a table of immediate answers is read', async () => {
  const dp = new MemoryDataplane();
  const ops: IpvsOp[] = [];
  for (let i = 0; i < 1000; i++)
    ops.push({ op: 'newService', service: { key: { af: AF_INET, protocol: IPPROTO_TCP, addr: '192.0.2.1', port: 1000 + i }, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } });
  assert.ok((await dp.apply(ops)).every((r) => r.ok));
  let ticks = 0;
  const timer = setInterval(() => ticks++, 0);
  await readTableYielding(dp, { every: 50 });
  clearInterval(timer);
  assert.ok(ticks >= 1, 'a timer fired during the read');
});
