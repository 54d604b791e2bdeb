// `show ipvs`: the IPVS table the engine programmed (kernel or in-memory), as ipvsadm -Ln shows it, with the
// configuration service each entry belongs to; `stats` and `rate` add the kernel's counters. The layout is
// present/ipvs.ts's, the same as `lbctl show ipvs`.
import type { Config } from '../config/model.js';
import { declaredServiceNames, serviceId, type IpvsTableEntry, type StatusReport } from '../engine/host.js';
import { ipvsListing, ipvsServiceJson, type IpvsInfo, type IpvsView } from '../present/ipvs.js';
import { ipvsStateCells, judgedById, judgedServiceJson, missingServicesJson } from '../present/sync.js';
import type { CommandOutput } from './types.js';

export type { IpvsView } from '../present/ipvs.js';

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

/**
 * `mark(name, addr, port)`: what to say of a destination in the Name column (the daemon's health marks:
 * `down, inhibited`, `sorry (below quorum)`, `up, slow start 50 %`); absent = nothing.
 * `sync`: the same read judged against the running configuration: a State column per service and destination,
 * and rows for what the configuration wants but the kernel lacks (`missing`).
 */
export function ipvsTable(
  entries: IpvsTableEntry[],
  config: Config,
  info: IpvsInfo,
  view: IpvsView,
  onlyService?: string,
  mark?: (name: string | undefined, addr: string, port: number) => string,
  sync?: StatusReport,
): CommandOutput {
  const owners = ownerNames(config);
  const chosen = entries.filter((e) => onlyService === undefined || owners.get(serviceId(e.service.key)) === onlyService);
  const state = sync ? ipvsStateCells(sync, onlyService) : undefined;
  const judged = sync ? judgedById(sync) : undefined;
  const listing = ipvsListing(
    chosen,
    info,
    view,
    {
      service: (id) => owners.get(id) ?? '(not ours)',
      ...(mark ? { dest: (id: string, d: { addr: string; port: number }) => mark(owners.get(id), d.addr, d.port) } : {}),
    },
    state,
  );
  // Built only for `| json`: at 10,000 × 4 the data is 50,000 objects more, as large as the table's rows.
  const json = () => {
    const data: unknown[] = listing.sorted.map((e) => {
      const one = ipvsServiceJson(e, owners.get(serviceId(e.service.key)) ?? null);
      if (!sync) return one;
      return judgedServiceJson(one, judged!.get(one.id));
    });
    if (state) data.push(...missingServicesJson(state));
    return data;
  };
  return { text: listing.text, table: listing.table, json };
}
