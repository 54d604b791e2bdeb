// The write-ahead record of a commit (`STATE/intent.json`, docs/store.md "Crash safety"): its bytes and back.
// Once its rename is durable the commit has happened; open completes it if the writer died.
//
// Format 2 holds the new revision without its configuration, and instead the difference from the running one
// (config/delta.ts: the services added or changed, the names removed, the changed sections): a few kilobytes for a
// one-weight commit at 10,000 services, where format 1 held the whole 10 MB configuration, written a second time
// in the revision file. The revision it differs from is always on disk while the intent is: it is the running
// revision when the commit starts (recovery runs first), and pruning runs only after the intent is removed.
// Format 1 is still written when no delta describes the change (services whose names repeat) and still read.
import type { Config } from '../config/model.js';
import { applyConfigDelta, configDelta, type ConfigDelta } from '../config/delta.js';
import { sameData } from '../config/same-data.js';
import type { FilePlan } from './store-files.js';
import type { PendingConfirm, Revision } from './store-types.js';

export interface Intent {
  format: number;
  /** The configuration directory the plan is relative to (as it was when committing). */
  configDir: string;
  /** The new revision, its configuration included (rebuilt from the delta when read). */
  revision: Revision;
  plan: FilePlan;
  /** The pending confirmation after this commit (null = none). */
  confirm: PendingConfirm | null;
}

/**
 * The record's text. `base`: the configuration of revision `intent.revision.number - 1` (the running one);
 * `revisionText`: the revision's own JSON (format 1 embeds it: it was serialised once for both files).
 */
export function encodeIntent(intent: Intent, base: Config, revisionText: string): string {
  const tail = `"plan":${JSON.stringify(intent.plan)},"confirm":${JSON.stringify(intent.confirm)}}`;
  const head = (format: number) => `{"format":${format},"configDir":${JSON.stringify(intent.configDir)},`;
  const delta = configDelta(base, intent.revision.config);
  if (delta && rebuildsExactly(base, delta, intent.revision.config)) {
    const { config: _config, ...rest } = intent.revision;
    return `${head(2)}"revision":${JSON.stringify(rest)},"delta":${JSON.stringify(delta)},${tail}`;
  }
  return `${head(1)}"revision":${revisionText},${tail}`;
}

/**
 * The record read back. `baseConfig(n)`: revision n's configuration (null when it is missing). Throws on an
 * unknown format or a missing base: the caller reports the record as damaged.
 */
export function decodeIntent(text: string, baseConfig: (n: number) => Config | null): Intent {
  const record = JSON.parse(text) as Intent & { delta?: ConfigDelta };
  if (record.format === 2) {
    const n = record.revision.number - 1;
    const base = baseConfig(n);
    if (!base) throw new Error(`revision ${n}, which its delta applies to, is missing`);
    record.revision.config = applyConfigDelta(base, record.delta!);
    delete record.delta;
  } else if (record.format !== 1) throw new Error(`unknown format ${record.format}`);
  return record;
}

/**
 * A guard against a delta that would not give back exactly what is committed (the revision's services must come
 * back in the same order, each section the same): then the whole configuration is written instead. Cheap: the
 * unchanged services are the base's own by construction, so only names and sections are compared.
 */
function rebuildsExactly(base: Config, delta: ConfigDelta, committed: Config): boolean {
  let rebuilt: Config;
  try {
    rebuilt = applyConfigDelta(base, delta);
  } catch {
    return false;
  }
  if (rebuilt.services.length !== committed.services.length) return false;
  for (let i = 0; i < rebuilt.services.length; i++) if (rebuilt.services[i].name !== committed.services[i].name) return false;
  const a = rebuilt as unknown as Record<string, unknown>;
  const b = committed as unknown as Record<string, unknown>;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) if (k !== 'services' && !sameData(a[k], b[k])) return false;
  return true;
}
