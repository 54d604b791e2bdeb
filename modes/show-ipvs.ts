// `show ipvs`: the IPVS table the engine programmed (kernel or in-memory), as ipvsadm -Ln shows it, with the
// configuration service each entry belongs to; `stats` and `rate` add the kernel's counters.
import type { Config } from '../config/model.js';
import { declaredServiceNames, destId, serviceId, type IpvsStats, type IpvsTableEntry } from '../engine/host.js';
import { forwardCell, serviceFlagsText } from '../present/ipvs.js';
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

/**
 * `mark(name, addr, port)`: what to say of a destination in the Name column (the daemon's health marks:
 * `down, inhibited`, `sorry (below quorum)`, `up, slow start 50 %`); absent = nothing.
 */
export function ipvsTable(
  entries: IpvsTableEntry[],
  config: Config,
  view: IpvsView,
  onlyService?: string,
  mark?: (name: string | undefined, addr: string, port: number) => string,
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
    ],
    rows: [],
  };
  const stat = (s: IpvsStats | undefined) => statCols.map(([, k]) => String(s?.[k] ?? 0n));
  for (const e of chosen) {
    const id = serviceId(e.service.key);
    const svc = e.service;
    const flags = serviceFlagsText(svc);
    table.rows.push([
      id,
      owners.get(id) ?? '(not ours)',
      svc.scheduler,
      flags,
      ...(view === 'basic' ? ['', ''] : stat(svc.stats)),
    ]);
    const name = owners.get(id);
    for (const d of e.dests) {
      table.rows.push([
        `  -> ${destId(e.service.key.af, d)}`,
        mark?.(name, d.addr, d.port) ?? '',
        forwardCell(d),
        String(d.weight),
        ...(view === 'basic' ? [String(d.activeConns ?? 0), String(d.inactConns ?? 0)] : stat(d.stats)),
      ]);
    }
  }
  const data = chosen.map((e) => ({
    id: serviceId(e.service.key),
    name: owners.get(serviceId(e.service.key)) ?? null,
    service: e.service,
    dests: e.dests,
  }));
  const header = `IP Virtual Server: ${chosen.length} service${chosen.length === 1 ? '' : 's'}`;
  return { text: header, table: chosen.length ? table : undefined, data };
}
