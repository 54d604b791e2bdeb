// A revision written by an older lbctl lacks what a newer one defaults (a section added later, such as
// `system`, or a new per-service default). Read as it is, it would differ from the same configuration loaded
// from its files today (which fills the defaults), and a commit based on it would look like it removes them.
// So every revision's configuration is completed with the defaults when read. A complete one (every revision
// this version writes) is recognised by a cheap look at its keys and returned as it is: completing 10,000
// services costs about half a second.
import type { Config } from '../config/model.js';
import { applyDefaults, defaultBackend, defaultConfig, defaultService } from '../config/defaults.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const TOP_KEYS = Object.keys(defaultConfig());
const SERVICE_KEYS = Object.keys(defaultService('x', 'tcp')).filter((k) => k !== 'name');
const HEALTH_KEYS = Object.keys(defaultService('x', 'tcp').health);
const BACKEND_KEYS = Object.keys(defaultBackend('x')).filter((k) => k !== 'address');

/**
 * Frozen services already found complete: a revision read after a commit (its checkpoint's services and the few the
 * difference changed) is looked at by what changed, not 10,000 services again (a shell re-reads the running
 * revision after each commit the daemon makes).
 */
const completeServices = new WeakSet<object>();

function complete(config: Obj): boolean {
  for (const k of TOP_KEYS) if (!(k in config)) return false;
  if (!Array.isArray(config.services)) return false;
  for (const s of config.services) {
    if (!isObj(s)) return false;
    if (completeServices.has(s)) continue;
    if (!serviceComplete(s)) return false;
    if (Object.isFrozen(s) && Object.isFrozen(s.health) && Object.isFrozen(s.backends) && (s.backends as unknown[]).every(Object.isFrozen)) completeServices.add(s);
  }
  return true;
}

function serviceComplete(s: Obj): boolean {
  for (const k of SERVICE_KEYS) if (!(k in s)) return false;
  if (!isObj(s.health)) return false;
  for (const k of HEALTH_KEYS) if (!(k in s.health)) return false;
  if (!Array.isArray(s.backends)) return false;
  for (const b of s.backends) {
    if (!isObj(b)) return false;
    for (const k of BACKEND_KEYS) if (!(k in b)) return false;
  }
  return true;
}

/** `config` with every default this version knows filled in (itself when nothing is missing). */
export function completeConfig(config: Config): Config {
  return isObj(config) && complete(config as unknown as Obj) ? config : applyDefaults(config);
}
