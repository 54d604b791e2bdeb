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
import { applyConfigDelta, exactConfigDelta, type ConfigDelta } from '../config/delta.js';
import type { FilePlan } from './store-files.js';
import type { FileLayout } from './file-layout.js';
import { applyRecordDelta, recordDelta, type RecordDelta } from './revision-format.js';
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
 * The record's text. `base`: the configuration of revision `intent.revision.number - 1` (the running one), and
 * `baseLayout` its layout; `revisionText`: the whole revision's JSON, or how to make it (format 1 embeds it;
 * format 2 never needs the 10 MB). Format 2 holds the layout as its entries that differ from the base's
 * (`layoutDelta`) when the base has one: the whole layout names every service (~90 KB at 10,000 services).
 */
export function encodeIntent(intent: Intent, base: Config, revisionText: string | (() => string), baseLayout?: FileLayout): string {
  const tail = `"plan":${JSON.stringify(intent.plan)},"confirm":${JSON.stringify(intent.confirm)}}`;
  const head = (format: number) => `{"format":${format},"configDir":${JSON.stringify(intent.configDir)},`;
  const delta = exactConfigDelta(base, intent.revision.config);
  if (delta) {
    const { config: _config, layout, ...rest } = intent.revision;
    const layoutDelta = layout && baseLayout ? recordDelta(baseLayout, layout) : null;
    const revision = layoutDelta ? rest : { ...rest, ...(layout ? { layout } : {}) };
    return `${head(2)}"revision":${JSON.stringify(revision)},"delta":${JSON.stringify(delta)},${layoutDelta ? `"layoutDelta":${JSON.stringify(layoutDelta)},` : ''}${tail}`;
  }
  return `${head(1)}"revision":${typeof revisionText === 'string' ? revisionText : revisionText()},${tail}`;
}

/**
 * The record read back. `baseConfig(n)`: revision n's configuration (null when it is missing), `baseLayout(n)` its
 * layout. Throws on an unknown format or a missing base: the caller reports the record as damaged.
 */
export function decodeIntent(text: string, baseConfig: (n: number) => Config | null, baseLayout?: (n: number) => FileLayout | undefined): Intent {
  const record = JSON.parse(text) as Intent & { delta?: ConfigDelta; layoutDelta?: RecordDelta<FileLayout[string]> };
  if (record.format === 2) {
    const n = record.revision.number - 1;
    const base = baseConfig(n);
    if (!base) throw new Error(`revision ${n}, which its delta applies to, is missing`);
    record.revision.config = applyConfigDelta(base, record.delta!);
    delete record.delta;
    if (record.layoutDelta) {
      const layout = baseLayout?.(n);
      if (!layout) throw new Error(`revision ${n}, which its layout delta applies to, has no layout`);
      record.revision.layout = applyRecordDelta(layout, record.layoutDelta);
      delete record.layoutDelta;
    }
  } else if (record.format !== 1) throw new Error(`unknown format ${record.format}`);
  return record;
}
