// The in-sync judgement (engine/status.ts, engine/sync-state.ts) as the shell's views say it: per configuration
// service (`show services`), per backend (`show service`), per IPVS service and destination (`show ipvs`). Pure:
// a report in, words out; one report per view, from one kernel read.
import type { DestStatus, ServiceStatus, StatusReport } from '../engine/status.js';
import type { IpvsStateCells } from './ipvs.js';

/** The words of every state, the same in every view and in `lbctl status`. */
export const STATE_WORDS: Record<ServiceStatus['state'] | DestStatus['state'], string> = {
  'in-sync': 'in sync',
  missing: 'missing',
  differs: 'differs',
  'not-programmed': 'not programmed',
  stale: 'stale',
};

export interface ServiceKernel {
  /** One word for the configuration service as a whole. */
  state: ServiceStatus['state'];
  /** Its IPVS services (one per port), and how many of them are in sync. */
  total: number;
  inSync: number;
  /** The plan lines that would bring it in line (what `lbctl status` prints under a row). */
  differences: string[];
  /** Its IPVS services, each with its destinations. */
  services: ServiceStatus[];
}

const settled = (s: ServiceStatus['state']) => s === 'in-sync' || s === 'not-programmed';

/**
 * Per configuration service: all its IPVS services in one state → that state; some in sync and some not →
 * `differs` (a service half programmed is not missing, and not in sync either).
 */
export function kernelByService(report: StatusReport): Map<string, ServiceKernel> {
  const out = new Map<string, ServiceKernel>();
  for (const s of report.services) {
    if (s.name === undefined) continue;
    const k = out.get(s.name);
    if (!k) {
      out.set(s.name, { state: s.state, total: 1, inSync: settled(s.state) ? 1 : 0, differences: s.state === 'missing' ? [] : [...s.differences], services: [s] });
      continue;
    }
    k.total++;
    if (settled(s.state)) k.inSync++;
    if (s.state !== 'missing') k.differences.push(...s.differences);
    k.services.push(s);
    if (k.state !== s.state) k.state = settled(k.state) && settled(s.state) ? 'in-sync' : 'differs';
  }
  return out;
}

/** `in sync`, `missing`, `differs`: the Kernel cell of `show services` (one word: the names keep their width). */
export function serviceKernelText(k: ServiceKernel | undefined): string {
  return k ? STATE_WORDS[k.state] : 'not programmed';
}

/**
 * The Kernel cell of one backend (`ref`: backendRef, `web/10.0.1.2:0`) across the service's IPVS services: every
 * destination in sync → `in sync`; none there → `missing`; else `differs`, with what differs (`weight 5→100`,
 * `missing from 1 of 2`). A backend with no destination wanted (disabled, down and removed) is `not programmed`.
 */
export function backendKernelText(k: ServiceKernel | undefined, ref: string): string {
  const dests = (k?.services ?? []).flatMap((s) => (s.dests ?? []).filter((d) => d.ref === ref));
  if (dests.length === 0) return 'not programmed';
  const missing = dests.filter((d) => d.state === 'missing').length;
  if (dests.every((d) => d.state === 'in-sync')) return 'in sync';
  if (missing === dests.length) return 'missing';
  const changes = [...new Set(dests.flatMap((d) => d.changes ?? []))];
  if (missing) changes.push(`missing from ${missing} of ${dests.length}`);
  return `differs (${changes.join(', ')})`;
}

/** `Kernel: in sync` and the fix lines under it: the kernel line of `show service`. */
export function serviceKernelLines(k: ServiceKernel | undefined): string[] {
  if (!k) return ['  Kernel: not programmed (the running configuration declares no IPVS service for it)'];
  const of = `${k.inSync} of ${k.total} IPVS service${k.total === 1 ? '' : 's'} in sync`;
  const reasons = [...new Set(k.services.map((s) => s.reason).filter((r): r is string => !!r))];
  return [
    `  Kernel: ${STATE_WORDS[k.state]} (${of})${reasons.length ? `; ${reasons.join('; ')}` : ''}`,
    ...k.differences.map((d) => `    ${d.trim()}`),
  ];
}

/** `in sync with the running configuration`, or what is not: the end of the `show ipvs` header. */
export function syncHeadline(report: StatusReport): string {
  if (report.inSync) return 'in sync with the running configuration';
  const counts = new Map<string, number>();
  for (const s of report.services) if (!settled(s.state)) counts.set(s.state, (counts.get(s.state) ?? 0) + 1);
  const parts = [...counts].map(([state, n]) => `${n} ${STATE_WORDS[state as ServiceStatus['state']]}`);
  return `NOT in sync with the running configuration (${parts.join(', ') || 'a declared service clashes'})`;
}

/** `differs (scheduler wlc→lc)`: a service's own difference, taken from its fix line (`~ service ID what  (name)`). */
function serviceStateCell(s: ServiceStatus): string {
  const prefix = `~ service ${s.id} `;
  const own = s.differences.map((l) => l.trim()).find((l) => l.startsWith(prefix));
  const what = own?.slice(prefix.length).replace(/ {2}\(.*\)$/, '');
  return STATE_WORDS[s.state] + (what ? ` (${what})` : '');
}

/**
 * `show ipvs`'s State column from one judged read: per kernel service and destination, and the rows of what
 * the running configuration wants that the kernel lacks (only `onlyService`'s when given). A service lbctl
 * neither owns nor declares is `foreign`.
 */
export function ipvsStateCells(report: StatusReport, onlyService?: string): IpvsStateCells {
  const judged = judgedById(report);
  const destWords = (d: DestStatus) => STATE_WORDS[d.state] + (d.changes?.length ? ` (${d.changes.join(', ')})` : '');
  return {
    headline: syncHeadline(report),
    service: (id) => {
      const s = judged.get(id);
      return s ? serviceStateCell(s) : 'foreign';
    },
    dest: (id, did) => {
      const s = judged.get(id);
      if (!s) return 'foreign';
      const d = s.dests?.find((x) => x.id === did);
      return d ? destWords(d) : '';
    },
    missingDests: (id) => (judged.get(id)?.dests ?? []).filter((d) => d.state === 'missing').map((d) => d.id),
    missingServices: report.services
      .filter((s) => s.state === 'missing' && (onlyService === undefined || s.name === onlyService))
      .map((s) => ({ id: s.id, name: s.name ?? '', dests: (s.dests ?? []).map((d) => d.id) })),
  };
}

/**
 * A service of `show ipvs | json` with the judgement beside the kernel's data: `state` on the service and on each
 * destination (`in-sync`, `differs`, `stale` …; `foreign` for a service lbctl neither owns nor declares), and the
 * destinations the kernel lacks appended as `{ id, state: "missing" }`.
 */
export function judgedServiceJson<T extends { id: string; dests: { id: string }[] }>(json: T, judged: ServiceStatus | undefined) {
  const byId = new Map((judged?.dests ?? []).map((d) => [d.id, d]));
  const dests: object[] = json.dests.map((d) => ({ ...d, state: judged ? (byId.get(d.id)?.state ?? 'in-sync') : 'foreign' }));
  for (const d of judged?.dests ?? []) if (d.state === 'missing') dests.push({ id: d.id, state: 'missing' });
  return { ...json, state: judged?.state ?? 'foreign', dests };
}

/** What the running configuration wants and the kernel lacks, as `show ipvs`'s JSON lists it. */
export function missingServicesJson(state: IpvsStateCells) {
  return state.missingServices.map((m) => ({ id: m.id, name: m.name || null, state: 'missing', dests: m.dests.map((id) => ({ id, state: 'missing' })) }));
}

/** The report's services by IPVS id (one map per view: 10,000 services must not mean 10,000 searches each). */
export function judgedById(report: StatusReport): Map<string, ServiceStatus> {
  return new Map(report.services.map((s) => [s.id, s]));
}
