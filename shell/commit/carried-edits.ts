// A commit of the shared candidate carries every session's changes in it. Before committing, say whose other
// than ours it would carry (user, session, still there or not); a script (line mode) refuses unless it asked for
// them with `commit and-others`, since nobody reads an informational line in a script's output. When validation
// refuses the commit, name whose change each refused item is, and how to take it out: a half-built service left
// by an abandoned session must not block everyone without a name and a way out.
import type { Config } from '../../config/model.js';
import { validateConfig } from '../../config/validate.js';
import { describeEditor, discardHint, itemLines, sessionsOf } from '../../present/shared-edits.js';
import { editorsOf, itemOfPath, type EditRecord, type ItemEdits } from './shared-edits.js';

/** Lines for a commit that carries other sessions' changes; `refuse` when a script did not ask for them. */
export function carriedEdits(
  others: [string, ItemEdits][],
  live: ReadonlySet<string>,
  opts: { interactive: boolean; andOthers: boolean; check: boolean },
): { refuse?: string; lines: string[] } {
  if (!others.length) return { lines: [] };
  const list = itemLines(others, live);
  if (!opts.interactive && !opts.andOthers && !opts.check) {
    const hints = sessionsOf(others).map((s) => `"${discardHint(s)}"`);
    return {
      refuse: [
        '% Commit refused: the shared candidate holds uncommitted changes of other sessions:',
        ...list,
        `% Commit them too with "commit and-others", or take them out first (${hints.join(', ')}).`,
      ].join('\n'),
      lines: [],
    };
  }
  const verb = opts.check ? 'would also carry' : 'also carries';
  return { lines: [`% This commit ${verb} uncommitted changes of other sessions:`, ...list] };
}

/**
 * After validation refused the candidate: for each refused item that another session changed, whose change it
 * is and how to take it out (`% service "broken" was changed by alice (session …, gone): "rollback session …"`).
 */
export function blameLines(candidate: Config, record: EditRecord, self: string, live: ReadonlySet<string>): string[] {
  const items = new Set<string>();
  for (const e of validateConfig(candidate)) {
    const item = itemOfPath(candidate, e.path);
    if (item && record[item]) items.add(item);
  }
  const out: string[] = [];
  for (const item of items) {
    const others = editorsOf(record[item]).filter((e) => e.session !== self);
    if (!others.length) continue;
    const who = others.map((e) => describeEditor(e, live)).join(', ');
    const hints = others.map((e) => `"${discardHint(e.session)}"`).join(' or ');
    out.push(`% ${quoteItem(item)} is an uncommitted change of ${who}; ${hints} takes it out.`);
  }
  return out;
}

/** `service "web"`, `vip`. */
function quoteItem(item: string): string {
  const m = /^service (.+)$/.exec(item);
  return m ? `service ${JSON.stringify(m[1])}` : item;
}
