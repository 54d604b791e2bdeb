// What the views of the running system add about the dataplane: whether the kernel runs the running configuration,
// per service (`show services`), per backend (`show service`), and the verdict of `show system status` and of
// configuration mode's `status` (what `lbctl status` prints). One kernel read per command (ShellBackend.sync).
import type { Config, Service } from '../config/model.js';
import { backendRef, type StatusReport, type SyncView, type SyncViewOptions } from '../engine/host.js';
import { formatStatus, statusSummary, type FixWords } from '../present/status.js';
import { backendKernelText, kernelByService, serviceKernelLines, serviceKernelText } from '../present/sync.js';
import { CommandError, type CommandOutput, type ModeContext, type Table } from './types.js';

/** The shell's fix for a kernel that differs: re-apply the running configuration. */
export const SHELL_FIX: FixWords = { apply: 'commit full', adopt: 'lbctl apply --adopt' };

export interface KernelRead {
  /** Null when this host cannot tell, or the read failed (`error` says why). */
  view: (SyncView & { warnings: string[] }) | null;
  error?: string;
}

/** One read of the dataplane against the running configuration; a failure is kept as words, not thrown. */
export async function readKernel(ctx: ModeContext, opts: SyncViewOptions = {}): Promise<KernelRead> {
  if (!ctx.backend.sync) return { view: null };
  try {
    return { view: await ctx.backend.sync(opts) };
  } catch (e) {
    return { view: null, error: (e as Error).message.split('\n')[0] };
  }
}

/** `show services`: a Kernel column (in sync, missing, differs (1 of 2), not programmed); `unknown` when unread. */
export function withKernelColumn(table: Table, config: Config, read: KernelRead): CommandOutput {
  if (!read.view && read.error === undefined) return { table };
  const kernel = read.view ? kernelByService(read.view.report) : null;
  const cells = config.services.map((s) => (kernel ? serviceKernelText(kernel.get(s.name)) : 'unknown'));
  return {
    ...(read.error !== undefined ? { text: `% Kernel state unknown: ${read.error}` } : {}),
    table: { ...table, columns: [...table.columns, { title: 'Kernel' }], rows: table.rows.map((r, i) => [...r, cells[i]]) },
  };
}

/** `show service`: the Kernel line (with the fix under it) and a Kernel column per backend. */
export function withServiceKernel(out: CommandOutput, s: Service, read: KernelRead): CommandOutput {
  if (!read.view) {
    const line = read.error !== undefined ? `  Kernel: unknown (${read.error})` : null;
    return line ? { ...out, text: `${out.text ?? ''}\n${line}` } : out;
  }
  const k = kernelByService(read.view.report).get(s.name);
  const text = [out.text ?? '', ...serviceKernelLines(k)].join('\n');
  const table = out.table && {
    ...out.table,
    columns: [...out.table.columns, { title: 'Kernel' }],
    rows: out.table.rows.map((r, i) => [...r, backendKernelText(k, backendRef(s.name, s.backends[i].address, s.backends[i].port))]),
  };
  return { ...out, text, ...(table ? { table } : {}) };
}

/** The view, or the command's refusal when the kernel cannot be judged. */
function requireView(read: KernelRead): SyncView & { warnings: string[] } {
  if (read.view) return read.view;
  throw new CommandError(`% The kernel cannot be compared with the running configuration: ${read.error ?? 'this session has no dataplane'}.`);
}

/** Configuration mode's `status`: exactly what `lbctl status` prints, with the shell's fix. */
export async function statusOutput(ctx: ModeContext): Promise<CommandOutput> {
  const view = requireView(await readKernel(ctx));
  const text = formatStatus(view.report, SHELL_FIX) + view.warnings.map((w) => w + '\n').join('');
  return { text: text.trimEnd(), data: { ...view.report, inSync: inSync(view), warnings: view.warnings } };
}

const inSync = (view: { report: StatusReport; warnings: string[] }) => view.report.inSync && view.warnings.length === 0;

/** The lines `show system status` adds: the verdict and the summary of `lbctl status`. */
export function systemStatusLines(read: KernelRead): string[] {
  if (!read.view) return [`Kernel:           ${read.error !== undefined ? `unknown (${read.error})` : 'not checked'}`];
  const view = read.view;
  return [
    `Kernel:           ${inSync(view) ? 'in sync with the running configuration' : "NOT in sync with the running configuration ('status' in configuration mode lists it)"}`,
    `Services:         ${statusSummary(view.report, SHELL_FIX)}`,
    ...view.warnings,
  ];
}
