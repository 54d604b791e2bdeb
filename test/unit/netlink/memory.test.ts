import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, test } from 'node:test';
import { AF_INET, IPPROTO_TCP, type IpvsOp } from '../../../netlink/dataplane.js';
import { MemoryDataplane } from '../../../netlink/memory.js';
import { openDataplane, DataplaneUnavailableError } from '../../../netlink/open.js';
import { dataplaneContract, dest, svc, tcpKey } from './dataplane-contract.js';

dataplaneContract('memory', async () => new MemoryDataplane());

describe('memory dataplane specifics', () => {
  it('round-trips the table, counters and timeouts through JSON', async () => {
    const dp = new MemoryDataplane();
    const k = tcpKey('192.0.2.10', 80);
    await dp.apply([
      { op: 'newService', service: svc(k, { scheduler: 'rr', flags: 1, timeout: 300, netmask: 0xffffff00 }) },
      { op: 'newDest', key: k, dest: dest('10.0.0.1', 80, { weight: 2147483647 }) },
    ]);
    await dp.setTimeouts({ tcp: 77 });
    dp.addTraffic(k, { addr: '10.0.0.1', port: 80 }, { conns: 3n, inBytes: 2n ** 40n });
    const copy = MemoryDataplane.fromJSON(JSON.parse(JSON.stringify(dp.toJSON())));
    assert.deepEqual(await copy.readAll(), await dp.readAll());
    assert.deepEqual(await copy.getTimeouts(), { tcp: 77, tcpFin: 120, udp: 300 });
    const [entry] = await copy.readAll();
    assert.equal(entry.service.stats?.inBytes, 2n ** 40n);
    assert.equal(entry.dests[0].stats?.conns, 3n);
    // What the lab's snapshot holds is the same JSON, written without copying the table first.
    assert.deepEqual(JSON.parse(dp.toJSONText()), JSON.parse(JSON.stringify(dp.toJSON())));
    assert.deepEqual(JSON.parse(new MemoryDataplane().toJSONText()).services, []);
    // Connection counts set by hand in a lab table (what a drain waits for) survive the compact writing too.
    const json = JSON.parse(JSON.stringify(dp.toJSON()));
    json.services[0].dests[0].activeConns = 3;
    const counted = MemoryDataplane.fromJSON(json);
    assert.deepEqual(JSON.parse(counted.toJSONText()), JSON.parse(JSON.stringify(counted.toJSON())));
    assert.equal(JSON.parse(counted.toJSONText()).services[0].dests[0].activeConns, 3);
  });

  it('zero() clears service and destination counters', async () => {
    const dp = new MemoryDataplane();
    const k = tcpKey('192.0.2.10', 80);
    await dp.apply([{ op: 'newService', service: svc(k) }, { op: 'newDest', key: k, dest: dest('10.0.0.1', 80) }]);
    dp.addTraffic(k, { addr: '10.0.0.1', port: 80 }, { conns: 5n, inPkts: 9n });
    assert.equal((await dp.getService(k))?.stats?.conns, 5n);
    await dp.zero(k);
    const [e] = await dp.readAll();
    assert.equal(e.service.stats?.conns, 0n);
    assert.equal(e.dests[0].stats?.inPkts, 0n);
  });

  it('refuses a JSON document that is not a table', () => {
    assert.throws(() => MemoryDataplane.fromJSON({ hello: 1 }), /lbctl-memory-ipvs/);
  });

  it('persists to a file so the next open sees the same table, written atomically', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lbctl-mem-'));
    try {
      const path = join(dir, 'sub', 'ipvs.json');
      const a = await openDataplane({ kind: 'memory', persistPath: path });
      const k = tcpKey('192.0.2.10', 80);
      await a.apply([{ op: 'newService', service: svc(k) }, { op: 'newDest', key: k, dest: dest('10.0.0.1', 80) }]);
      const b = await openDataplane({ kind: 'memory', persistPath: path });
      assert.deepEqual(await b.readAll(), await a.readAll());
      await b.flush();
      const c = await openDataplane({ kind: 'memory', persistPath: path });
      assert.deepEqual(await c.listServices(), []);
      const files = (await import('node:fs')).readdirSync(join(dir, 'sub'));
      assert.deepEqual(files.sort(), ['ipvs.journal', 'ipvs.json'], 'the snapshot and its journal, no temp file left behind');
      assert.match(await readFile(path, 'utf8'), /lbctl-memory-ipvs/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('says which file is broken when the persisted table is not JSON', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lbctl-mem-'));
    try {
      const path = join(dir, 'ipvs.json');
      await writeFile(path, '{nope');
      await assert.rejects(openDataplane({ kind: 'memory', persistPath: path }), (e: Error) => e.message.startsWith(path));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('exports the operator-facing error class', () => {
    const e = new DataplaneUnavailableError('no-ipvs', 'x');
    assert.equal(e.reason, 'no-ipvs');
  });
});

test('toJSONChunks: pieces of about the size asked whose text is toJSONText, counters and connection counts kept, zero counters left out', async () => {
  const dp = new MemoryDataplane();
  const ops: IpvsOp[] = [];
  for (let i = 0; i < 300; i++) {
    const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: `192.0.2.${1 + (i % 250)}`, port: 1000 + i } as const;
    ops.push({ op: 'newService', service: { key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff } });
    for (let j = 0; j < 3; j++) ops.push({ op: 'newDest', key, dest: { addr: `198.51.100.${1 + j}`, port: 80, fwdMethod: 0, weight: j, uThresh: 0, lThresh: 0 } });
  }
  assert.ok((await dp.apply(ops)).every((r) => r.ok));
  const first = ops[0];
  assert.ok(first.op === 'newService');
  dp.addTraffic(first.service.key, { addr: '198.51.100.2', port: 80 }, { conns: 7n, inBytes: 1234n });
  const pieces: string[] = [];
  dp.toJSONChunks((t) => pieces.push(t), 4096);
  assert.ok(pieces.length > 10, `${pieces.length} pieces`);
  assert.ok(pieces.slice(0, -1).every((p) => p.length >= 4096 && p.length < 4096 + 2048), 'each piece but the last reaches the size, by less than a service');
  assert.equal(pieces.join(''), dp.toJSONText());
  // The same table as toJSON's once read back; only the service and the destination with traffic carry "stats".
  const back = MemoryDataplane.fromJSON(JSON.parse(pieces.join('')));
  assert.deepEqual(JSON.parse(JSON.stringify(back.toJSON())), JSON.parse(JSON.stringify(dp.toJSON())));
  assert.equal(pieces.join('').match(/"stats"/g)?.length, 2);
  const empty: string[] = [];
  new MemoryDataplane().toJSONChunks((t) => empty.push(t));
  assert.deepEqual(JSON.parse(empty.join('')), JSON.parse(JSON.stringify(new MemoryDataplane().toJSON())));
});
