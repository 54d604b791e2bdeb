// `show ipvs`: the IPVS table the engine programmed (kernel or in-memory), as ipvsadm -Ln shows it, with the
// configuration service each entry belongs to; `stats` and `rate` add the kernel's counters.
import type { Config } from '../config/model.js';
import { declaredServiceNames, destId, serviceId, type IpvsStats, type IpvsTableEntry, type ServiceStatus, type StatusReport } from '../engine/host.js';
import { forwardCell, serviceFlagsText } from '../present/ipvs.js';
import { STATE_WORDS, syncHeadline } from '../present/sync.js';
import type { CommandOutput, Table } from './types.js';

export type IpvsView = 'basic' | 'stats' | 'rate';

const ownersCache = new WeakMap<Config, Map<string, string>>();

/**
 * service id → configuration service name, for the services this configuration declares. Compiling 10,000
 * services takes a while, and configurations are never changed in place, so the answer is kept per object.
 */
export function ownerNames(config: Config): Map<string, string> {
  let owners = ownersCache.get(config);
  if (!owners) {
    owners = declaredServiceNames(config);
    ownersCache.set(config, owners);
  }
  return owners;
}

const STAT_COLUMNS: Record<Exclude<IpvsView, 'basic'>, [string, keyof IpvsStats][]> = {
  stats: [
    ['Conns', 'conns'],
    ['InPkts', 'inPkts'],
    ['OutPkts', 'outPkts'],
    ['InBytes', 'inBytes'],
    ['OutBytes', 'outBytes'],
  ],
  rate: [
    ['CPS', 'cps'],
    ['InPPS', 'inPps'],
    ['OutPPS', 'outPps'],
    ['InBPS', 'inBps'],
    ['OutBPS', 'outBps'],
  ],
};

/** `differs (scheduler wlc→lc)`: a service's own difference, taken from its fix line (`~ service ID what  (name)`). */
function serviceStateCell(s: ServiceStatus): string {
  const prefix = `~ service ${s.id} `;
  const own = s.differences.map((l) => l.trim()).find((l) => l.startsWith(prefix));
  const what = own?.slice(prefix.length).replace(/ {2}\(.*\)$/, '');
  return STATE_WORDS[s.state] + (what ? ` (${what})` : '');
}

/**
 * `mark(name, addr, port)`: what to say of a destination in the Name column (the daemon's health marks:
 * `down, inhibited`, `sorry (below quorum)`, `up, slow start 50 %`); absent = nothing.
 * `sync`: the same read judged against the running configuration: a State column per service and destination,
 * and rows for what the configuration wants but the kernel lacks (`missing`).
 */
export function ipvsTable(
  entries: IpvsTableEntry[],
  config: Config,
  view: IpvsView,
  onlyService?: string,
  mark?: (name: string | undefined, addr: string, port: number) => string,
  sync?: StatusReport,
): CommandOutput {
  const owners = ownerNames(config);
  const chosen = entries.filter((e) => onlyService === undefined || owners.get(serviceId(e.service.key)) === onlyService);
  const statCols = view === 'basic' ? [] : STAT_COLUMNS[view];
  const table: Table = {
    columns: [
      // Never cut: operators copy these addresses. Name gives way; past that the table overflows the width
      // (a cut `persistent 6…` would mislead as much as a cut address).
      { title: 'Virtual service -> Backend' },
      { title: 'Name', shrink: true },
      { title: 'Sched/Fwd' },
      { title: 'Flags/Weight', align: 'right' },
      ...(view === 'basic'
        ? [
            { title: 'ActiveConn', align: 'right' as const },
            { title: 'InActConn', align: 'right' as const },
          ]
        : statCols.map(([t]) => ({ title: t, align: 'right' as const }))),
      ...(sync ? [{ title: 'State' }] : []),
    ],
    rows: [],
  };
  const judged = new Map((sync?.services ?? []).map((s) => [s.id, s]));
  const blankStats = view === 'basic' ? ['', ''] : statCols.map(() => '');
  const stat = (s: IpvsStats | undefined) => statCols.map(([, k]) => String(s?.[k] ?? 0n));
  for (const e of chosen) {
    const id = serviceId(e.service.key);
    const svc = e.service;
    const flags = serviceFlagsText(svc);
    const judgement = judged.get(id);
    // Not judged: a service lbctl neither owns nor declares.
    const state = (cell: string | undefined) => (sync ? [cell ?? 'foreign'] : []);
    table.rows.push([
      id,
      owners.get(id) ?? '(not ours)',
      svc.scheduler,
      flags,
      ...(view === 'basic' ? ['', ''] : stat(svc.stats)),
      ...state(judgement && serviceStateCell(judgement)),
    ]);
    const name = owners.get(id);
    const destJudgement = new Map((judgement?.dests ?? []).map((d) => [d.id, d]));
    for (const d of e.dests) {
      const did = destId(e.service.key.af, d);
      const dj = destJudgement.get(did);
      table.rows.push([
        `  -> ${did}`,
        mark?.(name, d.addr, d.port) ?? '',
        forwardCell(d),
        String(d.weight),
        ...(view === 'basic' ? [String(d.activeConns ?? 0), String(d.inactConns ?? 0)] : stat(d.stats)),
        ...state(dj ? STATE_WORDS[dj.state] + (dj.changes?.length ? ` (${dj.changes.join(', ')})` : '') : judgement ? '' : undefined),
      ]);
    }
    for (const dj of judgement?.dests ?? []) if (dj.state === 'missing') table.rows.push([`  -> ${dj.id}`, '', '', '', ...blankStats, 'missing']);
  }
  // What the running configuration wants that the kernel does not have at all.
  const missing = (sync?.services ?? []).filter((s) => s.state === 'missing' && (onlyService === undefined || s.name === onlyService));
  for (const s of missing) {
    table.rows.push([s.id, s.name ?? '', '', '', ...blankStats, 'missing']);
    for (const dj of s.dests ?? []) table.rows.push([`  -> ${dj.id}`, '', '', '', ...blankStats, 'missing']);
  }
  const data = chosen.map((e) => ({
    id: serviceId(e.service.key),
    name: owners.get(serviceId(e.service.key)) ?? null,
    service: e.service,
    dests: e.dests,
  }));
  const header = `IP Virtual Server: ${chosen.length} service${chosen.length === 1 ? '' : 's'}` + (sync ? `; ${syncHeadline(sync)}` : '');
  const judgedData = sync ? data.map((d) => ({ ...d, state: judged.get(d.id)?.state ?? 'foreign', destStates: judged.get(d.id)?.dests ?? [] })) : data;
  const missingData = missing.map((s) => ({ id: s.id, name: s.name ?? null, state: 'missing', destStates: s.dests ?? [] }));
  return { text: header, table: table.rows.length ? table : undefined, data: [...judgedData, ...missingData] };
}
