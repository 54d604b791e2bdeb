// The ids the daemon keeps for its life (map keys and values of the cache, the compiled state, ownership, the
// health runner) are flat strings, one copy shared by every holder (engine/identity.ts IdMemo): a rope built by a
// template costs its parts besides. Whether a string is a rope only V8 can say: a child node with natives syntax
// prints each id's representation (%DebugPrint marks a rope, a cons string, `c"…"`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const build = (rel: string) => new URL(`../../../${rel}`, import.meta.url).href;

const SCRIPT = `
import { serviceId, destId } from '${build('engine/identity.js')}';
import { backendRef } from '${build('engine/inputs.js')}';
import { ActualState } from '${build('engine/actual.js')}';
import { compile } from '${build('engine/compile.js')}';
import { applyDefaults } from '${build('config/defaults.js')}';
const key = { af: 2, protocol: 6, addr: '192.0.2.' + (200 + Number(process.argv[1] ?? 0)), port: 10080 };
const dest = { addr: '198.51.100.' + (20 + Number(process.argv[1] ?? 0)), port: 8080, fwdMethod: 0, weight: 1, uThresh: 0, lThresh: 0 };
const actual = ActualState.fromTable([{ service: { key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff }, dests: [dest] }]);
const desired = compile(applyDefaults({ services: [{ name: 'web-frontend', vip: key.addr, protocol: 'tcp', ports: [10080], backends: [{ address: dest.addr, port: 8080, weight: 1 }] }] }), undefined);
const [cached] = actual.services.values();
const [want] = desired.services.values();
const [wantDest] = want.dests.values();
const ids = {
  serviceId: serviceId(key),
  serviceIdAgain: serviceId({ ...key }),
  destId: destId(2, dest),
  backendRef: backendRef('web-frontend', dest.addr, 8080),
  cacheServiceKey: [...actual.services.keys()][0],
  cacheDestKey: [...cached.dests.keys()][0],
  compiledServiceKey: [...desired.services.keys()][0],
  compiledDestId: wantDest.id,
  compiledRef: wantDest.ref,
};
// Only %DebugPrint writes (through C's stdout): a label written from JS could come out of order.
for (const [name, id] of Object.entries(ids)) {
  %DebugPrint(name + ' ' + id.length);
  %DebugPrint(id);
}
`;

test('the ids kept long-term are flat strings, not ropes', () => {
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--input-type=module', '-e', SCRIPT, '1'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const firsts = r.stdout
    .split('DebugPrint: ')
    .slice(1)
    .map((b) => b.split('\n')[0]);
  assert.equal(firsts.length, 18, r.stdout);
  for (let i = 0; i < firsts.length; i += 2) {
    const head = /"(.*)"/.exec(firsts[i])?.[1] ?? firsts[i];
    const first = firsts[i + 1];
    assert.ok(Number(head.split(' ')[1]) >= 13, `${head}: long enough that V8 would build a rope`);
    assert.match(first, /\[String\]/, `${head}: ${first}`);
    assert.doesNotMatch(first, /\]: c"/, `${head} is a rope: ${first}`);
  }
});

test('memoised ids: any spelling of an address gives the canonical id; a malformed key is not memoised with another', async () => {
  const { serviceId, destId } = await import('../../../engine/identity.js');
  const { AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP } = await import('../../../netlink/dataplane.js');
  assert.equal(serviceId({ af: AF_INET6, protocol: IPPROTO_TCP, addr: '2001:db8::1', port: 443 }), 'tcp [2001:db8::1]:443');
  assert.equal(serviceId({ af: AF_INET6, protocol: IPPROTO_TCP, addr: '2001:0db8:0:0::1', port: 443 }), 'tcp [2001:db8::1]:443');
  assert.equal(serviceId({ af: AF_INET6, protocol: IPPROTO_UDP, addr: '2001:db8::1', port: 443 }), 'udp [2001:db8::1]:443');
  assert.equal(serviceId({ af: AF_INET6, fwmark: 7 }), 'fwmark 7 inet6');
  assert.equal(serviceId({ af: AF_INET, fwmark: 7 }), 'fwmark 7');
  assert.equal(destId(AF_INET, { addr: '10.0.1.2', port: 8080 }), '10.0.1.2:8080');
  assert.equal(destId(AF_INET, { addr: '2001:db8::2', port: 8080, af: AF_INET6 }), '[2001:db8::2]:8080');
  // NaN parts would all share one memo slot: each malformed key keeps its own text.
  const bad = (protocol: number) => serviceId({ af: AF_INET, protocol, addr: '10.0.0.9', port: undefined as unknown as number });
  assert.equal(bad(IPPROTO_TCP), 'tcp 10.0.0.9:undefined');
  assert.equal(bad(IPPROTO_UDP), 'udp 10.0.0.9:undefined');
});

test('the id memo answers for every pair it kept, inline or past the inline pairs, and a pair set again takes the new id', async () => {
  const { IdMemo } = await import('../../../engine/identity.js');
  const memo = new IdMemo<string, number>();
  // One part with a single second part, one with a few (inline), one with many (a Map of its own).
  const counts: Record<string, number> = { one: 1, few: 5, many: 40 };
  for (const [a, n] of Object.entries(counts)) for (let b = 0; b < n; b++) assert.equal(memo.set(a, b, `${a}:${b}`), `${a}:${b}`);
  for (const [a, n] of Object.entries(counts)) {
    for (let b = 0; b < n; b++) assert.equal(memo.get(a, b), `${a}:${b}`, `${a} ${b}`);
    assert.equal(memo.get(a, n), undefined, `${a}: nothing past what was set`);
  }
  assert.equal(memo.get('none', 0), undefined);
  memo.set('few', 3, 'few:3 again');
  memo.set('many', 30, 'many:30 again');
  assert.equal(memo.get('few', 3), 'few:3 again');
  assert.equal(memo.get('many', 30), 'many:30 again');
  assert.equal(memo.get('few', 4), 'few:4', 'its neighbour kept');
  // Second parts that equal an id's text are told apart from the ids (the pairs are read two by two).
  const byText = new IdMemo<string, string>();
  byText.set('s', 'x', 'y');
  byText.set('s', 'y', 'z');
  assert.equal(byText.get('s', 'y'), 'z');
  assert.equal(byText.get('s', 'x'), 'y');
});
