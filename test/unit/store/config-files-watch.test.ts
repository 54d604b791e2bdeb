// A long-lived store tells which configuration files changed by file events (store/config-files-watch.ts) instead
// of stating every file at every commit. Whatever happens to the files, its fingerprints must be the ones a fresh
// look at every file gives; a file without an event must not be stated; what events cannot report (a symbolic
// link's target, a directory behind a repointed link, a watch that failed) must be stated every time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { FSWatcher } from 'node:fs';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFilesWatch, type WatchFn } from '../../../store/config-files-watch.js';
import { FileFingerprints } from '../../../store/file-fingerprints.js';
import { fingerprintFiles, locateConfig } from '../../../store/store-files.js';
import { openStore } from '../../../store/store.js';
import { tempDirs } from './fixtures.js';

/** Counts the files it is asked to state. A clock well past every change: each hash is trusted at once, so only
 * the watch decides whether a file is looked at again (the one-second rule would otherwise hide a missed event). */
class CountingFingerprints extends FileFingerprints {
  looked: string[] = [];
  constructor() {
    super(() => Date.now() + 60_000);
  }
  override of(path: string): string | null {
    this.looked.push(path);
    return super.of(path);
  }
}

function configDir(t: { after: (fn: () => void) => void }): string {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-watch-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'etc');
  mkdirSync(join(dir, 'config.d'), { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), 'node: {name: lb1}\n');
  for (let i = 0; i < 5; i++) writeFileSync(join(dir, 'config.d', `s${i}.yaml`), `services: [] # ${i}\n`);
  return dir;
}

const settle = () => new Promise<void>((r) => setTimeout(r, 20));

test('the fingerprints through edits, new files, removals, renames and config.d replaced are what a look at every file gives', async (t) => {
  const dir = configDir(t);
  const loc = locateConfig(dir);
  const hashes = new CountingFingerprints();
  const watch = new ConfigFilesWatch(loc, hashes);
  t.after(() => watch.close());
  const d = (name: string) => join(dir, 'config.d', name);
  const steps: Array<[string, () => void]> = [
    ['an edit in place, same size', () => writeFileSync(d('s1.yaml'), 'services: [] # x\n')],
    ['an append', () => writeFileSync(d('s2.yaml'), 'services: [] # 2 and more\n', { flag: 'w' })],
    ['a new file', () => writeFileSync(d('s9.yaml'), 'services: [] # new\n')],
    ['a file removed', () => unlinkSync(d('s0.yaml'))],
    ['a file renamed', () => renameSync(d('s3.yaml'), d('s3b.yaml'))],
    ['a file renamed over another', () => renameSync(d('s4.yaml'), d('s1.yaml'))],
    ['a temporary written and renamed over (an editor)', () => {
      writeFileSync(d('.s2.yaml.swp'), 'services: [] # saved\n');
      renameSync(d('.s2.yaml.swp'), d('s2.yaml'));
    }],
    ['a file that is no configuration file renamed to one', () => {
      writeFileSync(d('notes.txt'), 'services: [] # notes\n');
      renameSync(d('notes.txt'), d('notes.yaml'));
    }],
    ['config.yaml edited', () => writeFileSync(join(dir, 'config.yaml'), 'node: {name: lb2}\n')],
    ['config.yaml removed, config.yml written', () => {
      unlinkSync(join(dir, 'config.yaml'));
      writeFileSync(join(dir, 'config.yml'), 'node: {name: lb3}\n');
    }],
    ['config.d replaced by another directory', () => {
      renameSync(join(dir, 'config.d'), join(dir, 'old.d'));
      mkdirSync(join(dir, 'config.d'));
      writeFileSync(d('t1.yaml'), 'services: [] # t1\n');
    }],
    ['a file edited in the new config.d', () => writeFileSync(d('t1.yaml'), 'services: [] # t1 edited\n')],
    ['a file of the old config.d edited (not configuration any more)', () => writeFileSync(join(dir, 'old.d', 's1.yaml'), 'services: [] # gone\n')],
    ['config.d removed', () => rmSync(join(dir, 'config.d'), { recursive: true })],
    ['config.d made again', () => {
      mkdirSync(join(dir, 'config.d'));
      writeFileSync(d('u1.yaml'), 'services: [] # u1\n');
    }],
    ['and edited', () => writeFileSync(d('u1.yaml'), 'services: [] # u1 again\n')],
  ];
  assert.deepEqual(watch.fingerprints(), fingerprintFiles(loc));
  for (const [what, change] of steps) {
    change();
    await settle();
    assert.deepEqual(watch.fingerprints(), fingerprintFiles(loc), what);
    assert.deepEqual(watch.fingerprints(), fingerprintFiles(loc), `${what}, looked at again`);
  }
});

test('a file without an event is not stated again; one with an event is, alone', async (t) => {
  const dir = configDir(t);
  const hashes = new CountingFingerprints();
  const watch = new ConfigFilesWatch(locateConfig(dir), hashes);
  t.after(() => watch.close());
  watch.fingerprints();
  assert.equal(hashes.looked.length, 6, 'the first look states every file');
  hashes.looked = [];
  await settle();
  watch.fingerprints();
  assert.deepEqual(hashes.looked, [], 'nothing changed: nothing stated');
  writeFileSync(join(dir, 'config.d', 's3.yaml'), 'services: [] # edited\n');
  await watch.settle();
  const after = watch.fingerprints();
  assert.deepEqual(hashes.looked, [join(dir, 'config.d', 's3.yaml')]);
  assert.deepEqual(after, fingerprintFiles(locateConfig(dir)));
  assert.equal(watch.starts, 1);

  // The store's own write: stated at the next look without waiting for its event.
  hashes.looked = [];
  writeFileSync(join(dir, 'config.d', 's4.yaml'), 'services: [] # by the store\n');
  watch.wrote('config.d/s4.yaml');
  assert.equal(watch.fingerprints()['config.d/s4.yaml'], fingerprintFiles(locateConfig(dir))['config.d/s4.yaml']);
  assert.ok(hashes.looked.includes(join(dir, 'config.d', 's4.yaml')));
});

test("symbolic links are stated at every look: their target's edits make no event in the configuration directory", async (t) => {
  const dir = configDir(t);
  const elsewhere = join(dir, '..', 'shared.yaml');
  writeFileSync(elsewhere, 'services: [] # shared\n');
  symlinkSync(elsewhere, join(dir, 'config.d', 'shared.yaml'));
  const watch = new ConfigFilesWatch(locateConfig(dir), new CountingFingerprints());
  t.after(() => watch.close());
  assert.deepEqual(watch.fingerprints(), fingerprintFiles(locateConfig(dir)));
  await settle();
  writeFileSync(elsewhere, 'services: [] # shared, edited\n');
  await settle();
  assert.deepEqual(watch.fingerprints(), fingerprintFiles(locateConfig(dir)));
  assert.match(readFileSync(join(dir, 'config.d', 'shared.yaml'), 'utf8'), /edited/);
});

test('a configuration directory behind a symbolic link that is repointed: the new directory is watched', async (t) => {
  const a = configDir(t);
  const b = configDir(t);
  writeFileSync(join(b, 'config.d', 's1.yaml'), 'services: [] # b\n');
  const link = join(a, '..', 'current');
  symlinkSync(a, link);
  const loc = locateConfig(link);
  const watch = new ConfigFilesWatch(loc, new CountingFingerprints());
  t.after(() => watch.close());
  assert.deepEqual(watch.fingerprints(), fingerprintFiles(loc));
  // Repointed atomically, as a deployment does: no event reaches the watches of a.
  symlinkSync(b, `${link}.new`);
  renameSync(`${link}.new`, link);
  await settle();
  assert.deepEqual(watch.fingerprints(), fingerprintFiles(loc));
  assert.equal(watch.starts, 2);
  writeFileSync(join(b, 'config.d', 's2.yaml'), 'services: [] # b edited\n');
  await settle();
  assert.deepEqual(watch.fingerprints(), fingerprintFiles(loc));
});

test('a watch that cannot start states every file at every look; one that reports an error starts again', async (t) => {
  const dir = configDir(t);
  const loc = locateConfig(dir);
  const refusing: WatchFn = () => {
    throw Object.assign(new Error('inotify watch limit reached'), { code: 'ENOSPC' });
  };
  const hashes = new CountingFingerprints();
  const none = new ConfigFilesWatch(loc, hashes, refusing);
  none.fingerprints();
  hashes.looked = [];
  writeFileSync(join(dir, 'config.d', 's1.yaml'), 'services: [] # no events\n');
  assert.deepEqual(none.fingerprints(), fingerprintFiles(loc));
  assert.equal(hashes.looked.length, 6, 'every file stated');
  assert.equal(none.starts, 0);

  // A watch that hears nothing but may fail: until it fails nothing is stated, after it everything is.
  const made: EventEmitter[] = [];
  const deaf: WatchFn = () => {
    const w = Object.assign(new EventEmitter(), { close() {} });
    made.push(w);
    return w as unknown as FSWatcher;
  };
  const quiet = new ConfigFilesWatch(loc, hashes, deaf);
  t.after(() => quiet.close());
  quiet.fingerprints();
  hashes.looked = [];
  quiet.fingerprints();
  assert.deepEqual(hashes.looked, []);
  made[0].emit('error', new Error('the watched directory went away'));
  writeFileSync(join(dir, 'config.d', 's2.yaml'), 'services: [] # after the error\n');
  assert.deepEqual(quiet.fingerprints(), fingerprintFiles(loc));
  assert.equal(hashes.looked.length, 6);
  assert.equal(quiet.starts, 2);
});

test('a store that watches its files: a hand edit made just before a commit is refused as a hand edit; its own commits are not', async (t) => {
  const dirs = tempDirs();
  const services = (n: number) => `services:\n  - name: s${n}\n    vip: 192.0.2.${n}\n    ports: [80]\n    backends: [{address: 198.51.100.${n}, weight: 1}]\n`;
  mkdirSync(join(dirs.configDir, 'config.d'), { recursive: true });
  writeFileSync(join(dirs.configDir, 'config.yaml'), 'node: {name: lb1}\n');
  for (let i = 1; i <= 3; i++) writeFileSync(join(dirs.configDir, 'config.d', `s${i}.yaml`), services(i));
  // A clock a minute ahead: every hash is trusted at once, so only the watch can send a file to be looked at again.
  const now = () => new Date(Date.now() + 60_000);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, keepRunning: true, watchConfigFiles: true, now });
  t.after(() => store.close());
  const weight = (base: number, w: number) => {
    const cand = structuredClone(store.running().config);
    cand.services.find((s) => s.name === 's1')!.backends[0].weight = w;
    return store.commit(cand, base, { origin: 'shell' });
  };
  // Commits back to back: each one's own write is known at once (no refusal as a hand edit of its own file).
  let base = store.running().number;
  for (const w of [2, 3, 4]) {
    const out = await weight(base, w);
    assert.equal(out.kind, 'committed');
    base = store.running().number;
  }
  assert.match(readFileSync(join(dirs.configDir, 'config.d', 's1.yaml'), 'utf8'), /weight: 4/);
  // A hand edit of another file, written synchronously just before the commit is called: the store hears it.
  writeFileSync(join(dirs.configDir, 'config.d', 's3.yaml'), services(3).replace('ports: [80]', 'ports: [8080]'));
  await assert.rejects(weight(base, 5), { name: 'HandEditsPendingError' });
  assert.match(readFileSync(join(dirs.configDir, 'config.d', 's3.yaml'), 'utf8'), /8080/, 'the hand edit is untouched');
});
