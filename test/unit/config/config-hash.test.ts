// The revision hash (config/equal.ts configHash) is a tree of digests, with the digests of frozen services and of
// unchanged runs of services remembered between calls. Whatever is remembered, the hash must be the one its
// definition gives, computed here from scratch for every step of a walk of edits, additions and removals.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { canonicalJson, configHash } from '../../../config/equal.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';
import type { Config, Service } from '../../../config/model.js';
import { deepFreeze, seededRandom } from './helpers.js';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** The definition: sections' canonical JSON, then per run of 256 services the sha256 of their sha256s. */
function defined(config: Config): string {
  const { services, ...sections } = config;
  const runs: string[] = [];
  for (let at = 0; at < services.length; at += 256) runs.push(sha(services.slice(at, at + 256).map((s) => sha(canonicalJson(s))).join('\n')));
  return sha(`${canonicalJson(sections)}\nservices${runs.map((r) => `\n${r}`).join('')}`);
}

test('the hash is its definition at every step of a walk over 700 services: changed in place, added, removed (runs shift), unfrozen, reordered', () => {
  const rnd = seededRandom(3);
  const svc = (k: number, weight = 1): Service => ({ ...defaultService(`s${k}`), ports: [1000 + k], backends: [{ ...defaultBackend('198.51.100.1'), port: 8080, weight }] });
  let config: Config = deepFreeze({ ...defaultConfig(), vip: '192.0.2.1', services: Array.from({ length: 700 }, (_, k) => svc(k)) });
  let next = 700;
  const seen = new Set<string>();
  for (let step = 0; step < 120; step++) {
    // An unfrozen service may still change in place (its holder's business: nothing of it may be remembered);
    // then the store freezes what it keeps, the same object.
    for (const s of config.services) {
      if (!Object.isFrozen(s) && rnd(2) === 0) s.backends[0].weight += 1;
      deepFreeze(s);
    }
    const services = config.services.slice();
    switch (rnd(6)) {
      case 0: services[rnd(services.length)] = deepFreeze(svc(next++, rnd(100))); break;
      case 1: services.push(deepFreeze(svc(next++))); break;
      case 2: services.splice(rnd(services.length), 1); break;
      case 3: services.pop(); break;
      case 4: services[rnd(services.length)] = svc(next++, 7); break; // not frozen: never remembered
      default: services.reverse();
    }
    const top = rnd(10) === 0 ? { vip: `192.0.2.${1 + rnd(9)}` } : {};
    config = { ...config, ...top, services };
    const got = configHash(config);
    assert.equal(got, defined(config), `step ${step}`);
    assert.equal(configHash(config), got, `step ${step}, again`);
    seen.add(got);
  }
  assert.ok(seen.size > 100, 'the walk changed the configuration');
  // The same content as other objects hashes the same.
  assert.equal(configHash(structuredClone(config)), configHash(config));
});

test('frozen lists built by deltas (a daemon\'s commits): the hash is its definition, whatever the remembered changes say', async () => {
  const { applyConfigDelta } = await import('../../../config/delta.js');
  const rnd = seededRandom(11);
  const svc = (k: number, weight = 1): Service => ({ ...defaultService(`s${k}`), ports: [1000 + k], backends: [{ ...defaultBackend('198.51.100.1'), port: 8080, weight }] });
  let config: Config = deepFreeze({ ...defaultConfig(), vip: '192.0.2.1', services: Array.from({ length: 900 }, (_, k) => svc(k)) });
  const history: Config[] = [config];
  for (let step = 0; step < 150; step++) {
    const changed = Array.from({ length: 1 + rnd(3) }, () => structuredClone(config.services[rnd(900)]));
    for (const s of changed) s.backends[0].weight = 2 + rnd(50);
    // Sometimes a service sent unchanged (it keeps the base's object), sometimes a section changes.
    if (rnd(4) === 0) changed.push(structuredClone(config.services[rnd(900)]));
    const next = applyConfigDelta(config, { set: rnd(8) === 0 ? { vip: `192.0.2.${1 + rnd(9)}` } : {}, unset: [], services: changed, removed: [] });
    assert.ok(Object.isFrozen(next.services));
    assert.equal(configHash(next), defined(next), `step ${step}`);
    // The new services are not frozen yet: their holder may still change one in place before the store freezes it.
    const mine = next.services.find((s) => !Object.isFrozen(s));
    if (mine && rnd(2) === 0) mine.backends[0].weight += 100;
    next.services.forEach((s) => deepFreeze(s));
    assert.equal(configHash(next), defined(next), `step ${step}, after its holder changed it`);
    // Now and then an older revision is hashed in between (the last list hashed is then not the base).
    if (rnd(5) === 0) {
      const old = history[rnd(history.length)];
      assert.equal(configHash(old), defined(old), `step ${step}, an older revision`);
    }
    history.push(next);
    config = next;
  }
});
