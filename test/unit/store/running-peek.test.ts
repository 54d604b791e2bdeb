// store/running-peek.ts answers only when the disk leaves no doubt: the newest revision file, read plainly; null
// with a commit in flight (intent.json), a pending confirmation (confirm.json), no revisions, or a file that
// does not say what its name says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseHead, peekRunning } from '../../../store/running-peek.js';
import { openStore } from '../../../store/store.js';
import { FakeClock, configOf, tempDirs } from './fixtures.js';

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-peek-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'revisions'));
  return dir;
}
const revision = (dir: string, n: number, name: string, body?: string) =>
  writeFileSync(join(dir, 'revisions', String(n).padStart(10, '0') + '.json'), body ?? JSON.stringify({ number: n, config: { node: { name } } }));

test('the newest revision: its number and configuration', (t) => {
  const dir = stateDir(t);
  revision(dir, 2, 'old');
  revision(dir, 10, 'new');
  writeFileSync(join(dir, 'revisions', 'notes.txt'), 'x');
  assert.deepEqual(peekRunning(dir), { number: 10, nodeName: 'new' });
});

test('a revision stored as a difference: the node from its change, else from its checkpoint (listed or hidden)', (t) => {
  const dir = stateDir(t);
  revision(dir, 16, 'cp');
  const delta = (n: number, base: number, set: Record<string, unknown>, unset: string[] = []) =>
    revision(dir, n, '', JSON.stringify({ format: 2, base, number: n, delta: { set, unset, services: [], removed: [] } }));
  delta(17, 16, {});
  assert.deepEqual(peekRunning(dir), { number: 17, nodeName: 'cp' });
  delta(18, 16, { node: { name: 'renamed' } });
  assert.deepEqual(peekRunning(dir), { number: 18, nodeName: 'renamed' });
  delta(19, 16, {}, ['node']);
  assert.deepEqual(peekRunning(dir), { number: 19, nodeName: undefined });
  // The checkpoint pruned from the list but kept for the differences: NNNNNNNNNN.base.json.
  renameSync(join(dir, 'revisions', '0000000016.json'), join(dir, 'revisions', '0000000016.base.json'));
  delta(20, 16, {});
  assert.deepEqual(peekRunning(dir), { number: 20, nodeName: 'cp' });
  // A checkpoint that is gone: no answer.
  rmSync(join(dir, 'revisions', '0000000016.base.json'));
  assert.equal(peekRunning(dir), null);
});

test('no answer when in doubt: intent, pending confirmation, nothing, a mislabelled or broken file', (t) => {
  const none = stateDir(t);
  assert.equal(peekRunning(none), null);
  assert.equal(peekRunning(join(none, 'missing')), null);

  const intent = stateDir(t);
  revision(intent, 3, 'a');
  writeFileSync(join(intent, 'intent.json'), '{}');
  assert.equal(peekRunning(intent), null);

  const confirm = stateDir(t);
  revision(confirm, 3, 'a');
  writeFileSync(join(confirm, 'confirm.json'), '{}');
  assert.equal(peekRunning(confirm), null);

  const mislabelled = stateDir(t);
  revision(mislabelled, 3, 'a', JSON.stringify({ number: 2, config: {} }));
  assert.equal(peekRunning(mislabelled), null);

  const broken = stateDir(t);
  revision(broken, 3, 'a', '{"number": 3, "config": {');
  assert.equal(peekRunning(broken), null);
});

test('against the real store: the peek names what store.running() names, whole or difference, renamed or not', async () => {
  const dirs = tempDirs();
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, now: new FakeClock().now, identity: () => ({ user: 'alice' }) });
  const agree = () => {
    const running = store.running();
    assert.deepEqual(peekRunning(dirs.stateDir), { number: running.number, nodeName: running.config.node?.name || undefined });
  };
  let config = configOf(40);
  for (let k = 0; k < 20; k++) {
    config = structuredClone(config);
    config.services[k].backends[0].weight = 100 + k;
    if (k === 7) config.node = { ...config.node, name: 'renamed' };
    const out = await store.commit(config, store.running().number, { origin: 'shell' });
    assert.equal(out.kind, 'committed');
    agree();
  }
  // Both kinds were met on the way.
  const kinds = new Set(readdirSync(join(dirs.stateDir, 'revisions')).map((f) => (readFileSync(join(dirs.stateDir, 'revisions', f), 'utf8').startsWith('{"format":2') ? 'difference' : 'whole')));
  assert.deepEqual([...kinds].sort(), ['difference', 'whole']);
});

test('the head of a revision is read without its service list, and the whole text when the cut does not fit', () => {
  const services = Array.from({ length: 3 }, (_, i) => ({ name: `s${i}`, backends: [] }));
  // The store's layout: the sections, then the services.
  const usual = JSON.stringify({ number: 5, files: { 'config.yaml': 'x' }, config: { node: { name: 'lb9' }, services } });
  assert.deepEqual(parseHead(usual), { number: 5, files: { 'config.yaml': 'x' }, config: { node: { name: 'lb9' }, services: [] } });
  // A service list met first elsewhere (an HA section listing services, before the node): the whole text.
  const other = JSON.stringify({ number: 6, config: { ha: { instances: [{ services: ['s0'] }] }, node: { name: 'lb9' }, services } });
  assert.deepEqual(parseHead(other), JSON.parse(other));
  // A layout entry whose value is a list, under a service named "services": the cut parses but has no
  // configuration, so the whole text is read.
  const layout = JSON.stringify({ number: 7, layout: { services: ['config.d/a.yaml'] }, config: { node: { name: 'lb9' }, services } });
  assert.deepEqual(parseHead(layout), JSON.parse(layout));
  // A difference: its delta's services are cut, the node it sets is kept.
  const diff = JSON.stringify({ format: 2, base: 4, number: 8, delta: { set: { node: { name: 'lb10' } }, unset: [], services, removed: [] } });
  assert.deepEqual(parseHead(diff), { format: 2, base: 4, number: 8, delta: { set: { node: { name: 'lb10' } }, unset: [], services: [] } });
});

test('a revision larger than the part read first: the head from its first part, or the whole file when needed', (t) => {
  const services = Array.from({ length: 12000 }, (_, i) => ({ name: `service-with-a-long-name-${i}`, backends: [{ address: '198.51.100.1', port: 80 }] }));
  const dir = stateDir(t);
  revision(dir, 1, '', JSON.stringify({ number: 1, config: { node: { name: 'big' }, services } }));
  assert.ok(statSync(join(dir, 'revisions', '0000000001.json')).size > 512 * 1024);
  assert.deepEqual(peekRunning(dir), { number: 1, nodeName: 'big' });
  // A layout of more than the first part before the configuration: the whole file is read.
  const layout = Object.fromEntries(services.map((s) => [s.name, 'config.d/0000.yaml']));
  revision(dir, 2, '', JSON.stringify({ number: 2, layout, config: { node: { name: 'bigger' }, services } }));
  assert.deepEqual(peekRunning(dir), { number: 2, nodeName: 'bigger' });
});
