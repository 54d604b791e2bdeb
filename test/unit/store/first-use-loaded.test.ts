// The store's first use records the configuration a caller has just loaded (`lbctl apply`: StoreOptions.loadedFiles)
// instead of loading the files a second time, but only when the files still have the fingerprints of the bytes it
// was loaded from; otherwise it reads them itself, as without the option.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../store/store.js';
import { loadConfig } from '../../../config/load.js';
import { fingerprintFiles, locateConfig } from '../../../store/store-files.js';
import { tempDirs } from './fixtures.js';

function writeConfig(dir: string, weight: number): void {
  mkdirSync(join(dir, 'config.d'), { recursive: true });
  writeFileSync(join(dir, 'config.yaml'), 'node:\n  name: lb1\n');
  writeFileSync(join(dir, 'config.d/web.yaml'), `services:\n  - name: web\n    vip: 192.0.2.1\n    ports: [80]\n    backends: [{address: 198.51.100.1, weight: ${weight}}]\n`);
}

function loadedNow(configDir: string) {
  const r = loadConfig(configDir);
  assert.ok(r.config, JSON.stringify(r.errors));
  return { config: r.config, fingerprints: fingerprintFiles(locateConfig(configDir)), files: r.files };
}

test('first use records the configuration given with the fingerprints the files still have (no second load)', async () => {
  const dirs = tempDirs();
  writeConfig(dirs.configDir, 3);
  const loaded = loadedNow(dirs.configDir);
  // A mark the files do not hold: only a store that took the given configuration records it.
  loaded.config.services[0].description = 'as given';
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, loadedFiles: loaded });
  const rev = store.running();
  assert.equal(rev.number, 1);
  assert.equal(rev.config.services[0].description, 'as given');
  assert.deepEqual(rev.files, loaded.fingerprints);
  assert.deepEqual(rev.layout, { 'config.yaml': { services: [], sections: ['node'] }, 'config.d/web.yaml': { services: ['web'], sections: [] } });
  assert.notEqual(rev.config, loaded.config, 'recorded as a copy: the caller keeps its own');
});

test('first use reads the files itself when they changed since they were loaded', async () => {
  const dirs = tempDirs();
  writeConfig(dirs.configDir, 3);
  const loaded = loadedNow(dirs.configDir);
  loaded.config.services[0].description = 'as given';
  writeConfig(dirs.configDir, 4);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, loadedFiles: loaded });
  const rev = store.running();
  assert.equal(rev.config.services[0].description, undefined);
  assert.equal(rev.config.services[0].backends[0].weight, 4);
  assert.deepEqual(rev.files, fingerprintFiles(locateConfig(dirs.configDir)));
});

test('first use gives the next read the revision it wrote, exactly as a read of its file gives it, and only once', async () => {
  const dirs = tempDirs();
  writeConfig(dirs.configDir, 3);
  const loaded = loadedNow(dirs.configDir);
  const store = await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir, loadedFiles: loaded });
  const first = store.running();
  assert.notEqual(first.config, loaded.config, 'a copy: the caller keeps its own');
  assert.notEqual(first.config.services[0], loaded.config.services[0]);
  // What another process reads from the file.
  const fresh = (await openStore({ stateDir: dirs.stateDir, configPath: dirs.configDir })).running();
  assert.deepStrictEqual(first, fresh);
  // A store that keeps nothing hands every reader its own copy: the kept one went to the first.
  first.config.services[0].backends[0].weight = 99;
  const second = store.running();
  assert.notEqual(second, first);
  assert.equal(second.config.services[0].backends[0].weight, 3);
});
