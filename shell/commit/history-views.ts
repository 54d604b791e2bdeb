// Looking back: `show system commit` (the revisions kept), `show system commit changes N` (what revision N changed)
// and `show audit [last N] [detail]` (the audit trail).
import type { Config } from '../../config/model.js';
import { defaultConfig } from '../../config/defaults.js';
import { renderCompare } from '../../config/diff.js';
import { auditPath, readAudit } from '../../engine/audit.js';
import { CommandError, type CommandOutput } from '../../modes/types.js';
import { formatAudit } from '../../present/audit.js';
import type { WorkflowContext } from './context.js';
import { StoreCorruptError } from '../../store/store-types.js';

export function commitList(wf: WorkflowContext): CommandOutput {
  const list = wf.requireStore().list();
  return {
    table: {
      columns: [
        { title: 'Rel', align: 'right' },
        { title: 'Rev', align: 'right' },
        { title: 'Id' },
        { title: 'Time' },
        { title: 'User' },
        { title: 'Origin' },
        { title: 'Comment', shrink: true },
        { title: 'Confirm' },
      ],
      rows: list.map((r) =>
        r.unreadable !== undefined
          ? [String(r.relative), String(r.number), r.id, '', '', '', `(unreadable: ${r.unreadable.replace(/^.*?: cannot read revision \d+: /, '')})`, '']
          : [
              String(r.relative),
              String(r.number),
              r.id,
              r.time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
              r.sudoUser ? `${r.sudoUser}(${r.user})` : r.user,
              r.origin,
              r.comment ?? '',
              r.pendingConfirm ? 'pending' : '',
            ],
      ),
    },
    data: list,
  };
}

export function commitChanges(wf: WorkflowContext, n: number): CommandOutput {
  const store = wf.requireStore();
  const rev = readable(() => store.get(n));
  if (!rev) throw new CommandError(`% Revision ${n} does not exist (or was pruned).`);
  const prevEntry = store.list().find((r) => r.number < n);
  const prev = prevEntry ? readable(() => store.get(prevEntry.number))?.config : defaultConfig();
  const head = `Revision ${rev.number} (id ${rev.id}) by ${rev.user} at ${rev.time}, origin ${rev.origin}${rev.comment ? `, comment '${rev.comment}'` : ''}:`;
  const diff = renderCompare(prev ?? defaultConfig(), rev.config).trimEnd();
  return { text: `${head}\n${diff || '(no changes)'}`, data: { revision: rev.number, diff } };
}

/** A damaged revision file is said as such (% …), not as an internal error. */
function readable<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof StoreCorruptError) throw new CommandError(`% ${e.message}.`);
    throw e;
  }
}

export function auditView(wf: WorkflowContext, last?: number, detail?: boolean): CommandOutput {
  const { stateDir, store, lab } = wf.opts;
  let running: Config | null = null;
  try {
    running = store?.running().config ?? null;
  } catch {
    /* default path */
  }
  const path = auditPath({ stateDir, config: running, lab });
  let r: ReturnType<typeof readAudit>;
  try {
    r = readAudit(path, last ? { last } : {});
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM')
      throw new CommandError(`% The audit trail ${path} is not readable by you (permission denied): root and its group may read it.`);
    throw e;
  }
  return { text: formatAudit(r.records, { skipped: r.skipped, detail }).trimEnd(), data: r.records };
}
