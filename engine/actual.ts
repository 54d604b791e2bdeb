// The engine's view of the kernel's IPVS table: filled by one full read at start, then kept current from
// the operations the engine itself applied (so a one-backend change needs no dump), and replaced by the
// periodic full read that catches changes nobody announced.
//
// It holds the settable fields only (stripService/stripDest): at 10,000 services x 4 backends the counters and
// connection counts were 50,000 objects nobody planned from, and they went stale between reads. Whoever shows
// counters reads the kernel (EngineHost.table(), or the table a refresh returns).
import { copyKey, sameKeySpelling, type AddressFamily, type IpvsDest, type IpvsOp, type IpvsService, type IpvsTableEntry } from '../netlink/dataplane.js';
import { destId, serviceId } from './identity.js';

/**
 * Objects a read may keep instead of copies, by service id: the engine's converged desired state, whose services
 * and destinations are never changed in place (a change replaces them). Where the kernel holds exactly what
 * lbctl asked for, the cache and the desired state then share one object per backend (at 10,000 services x 4,
 * ~6 MiB of copies less).
 */
export type SharedObjects = (serviceId: string) => SharedService | undefined;

/** One service of the state a read may share from (a DesiredService has this shape). */
export interface SharedService {
  service: IpvsService;
  dests: ReadonlyMap<string, { dest: IpvsDest }>;
}

export interface ActualService {
  id: string;
  service: IpvsService;
  /** By destId. */
  dests: Map<string, IpvsDest>;
}

export class ActualState {
  readonly services = new Map<string, ActualService>();
  /** Counts changes of which ids are in the table (not of their settings): foreignIds is remembered per count. */
  private membership = 0;
  private foreign: { membership: number; owned: ReadonlySet<string>; ids: readonly string[] } | null = null;

  static fromTable(entries: IpvsTableEntry[]): ActualState {
    return new ActualState().reset(entries);
  }

  /** Replace everything with a full read (in place: holders of this object see the new table). */
  reset(entries: IpvsTableEntry[], shared?: SharedObjects): this {
    const read = this.startRead(shared);
    for (const e of entries) read.put(e.service, e.dests);
    read.finish();
    return this;
  }

  /**
   * A full read fed service by service (engine.ts reads the kernel one service's destinations at a time and drops
   * each answer after this): when finished, the cache says exactly what was put, as `reset` of those entries
   * would. An entry or destination whose settable fields did not change keeps its object, so a drift check that
   * finds no drift at 10,000 services x 4 allocates nothing to keep (it built 50,000 copies, ~25 MB every
   * interval, which lived long enough to be promoted and made the old generation grow between collections).
   */
  startRead(shared?: SharedObjects): { put(service: IpvsService, dests: IpvsDest[]): void; finish(): void } {
    const seen = new Set<string>();
    return {
      put: (service, dests) => {
        const id = serviceId(service.key);
        seen.add(id);
        const want = shared?.(id);
        const entry = this.services.get(id);
        if (!entry) {
          this.putService(service, dests, id, want);
          return;
        }
        // What the kernel holds as lbctl asked: the desired object (kept if already), else the cached one if
        // unchanged, else a copy.
        const wantedService = sharedService(want, service);
        if (wantedService !== undefined) entry.service = wantedService;
        else if (!sameService(entry.service, service)) entry.service = stripService(service);
        for (const d of dests) {
          const did = destId(service.key.af, d);
          const wanted = sharedDest(want, did, d);
          if (wanted !== undefined) {
            if (entry.dests.get(did) !== wanted) entry.dests.set(did, wanted);
            continue;
          }
          const old = entry.dests.get(did);
          if (old === undefined || !sameDest(old, d)) entry.dests.set(did, stripDest(d));
        }
        // Every destination read is in the map now; one more there is gone from the kernel (a dump names each
        // destination once). Looked for only then: the usual read finds the same ones.
        if (entry.dests.size !== dests.length) {
          const read = new Set(dests.map((d) => destId(service.key.af, d)));
          for (const did of entry.dests.keys()) if (!read.has(did)) entry.dests.delete(did);
        }
      },
      finish: () => {
        for (const id of this.services.keys()) {
          if (seen.has(id)) continue;
          this.services.delete(id);
          this.membership++;
        }
      },
    };
  }

  get(id: string): ActualService | undefined {
    return this.services.get(id);
  }

  /**
   * The ids in the table that `owned` (an ownership record's snapshot, OwnershipRecord.ids(): a new set at each
   * change of the record) does not hold, sorted. Remembered until the table gains or loses a service or another
   * snapshot is given: a one-weight commit at 10,000 services does not walk every id to find the few foreign ones.
   */
  /**
   * Whether every id of `owned` is in the table: the table's ids less the foreign ones are the owned ones present
   * (foreignIds is remembered, so a commit that moved no service answers without a pass over 10,000 ids).
   */
  holdsAll(owned: ReadonlySet<string>): boolean {
    return this.services.size - this.foreignIds(owned).length === owned.size;
  }

  foreignIds(owned: ReadonlySet<string>): readonly string[] {
    const known = this.foreign;
    if (known && known.membership === this.membership && known.owned === owned) return known.ids;
    const ids: string[] = [];
    for (const id of this.services.keys()) if (!owned.has(id)) ids.push(id);
    ids.sort();
    this.foreign = { membership: this.membership, owned, ids };
    return ids;
  }

  /** Replace one service (and its destinations) with what a re-read found; null = it is not in the kernel. */
  putService(service: IpvsService | null, dests: IpvsDest[], id = service ? serviceId(service.key) : undefined, want?: SharedService): void {
    if (id === undefined) return;
    if (!service) {
      if (this.services.delete(id)) this.membership++;
      return;
    }
    const map = new Map<string, IpvsDest>();
    for (const d of dests) {
      const did = destId(service.key.af, d);
      map.set(did, sharedDest(want, did, d) ?? stripDest(d));
    }
    if (!this.services.has(id)) this.membership++;
    this.services.set(id, { id, service: sharedService(want, service) ?? stripService(service), dests: map });
  }

  /** Record an operation the kernel accepted. */
  applyOp(op: IpvsOp): void {
    switch (op.op) {
      case 'newService': {
        const id = serviceId(op.service.key);
        if (!this.services.has(id)) this.membership++;
        this.services.set(id, { id, service: settableService(op.service), dests: new Map() });
        return;
      }
      case 'setService': {
        const entry = this.services.get(serviceId(op.service.key));
        if (entry) entry.service = settableService(op.service);
        else this.putService(op.service, []);
        return;
      }
      case 'delService':
        if (this.services.delete(serviceId(op.key))) this.membership++;
        return;
      case 'newDest':
      case 'setDest': {
        const entry = this.services.get(serviceId(op.key));
        if (!entry) return;
        entry.dests.set(destId(op.key.af, op.dest), settableDest(op.dest));
        return;
      }
      case 'delDest': {
        const entry = this.services.get(serviceId(op.key));
        entry?.dests.delete(destId(op.key.af as AddressFamily, op.dest));
        return;
      }
    }
  }

  /** The cached table in the Dataplane's shape: settable fields only, no counters (read the kernel for those). */
  toTable(): IpvsTableEntry[] {
    return [...this.services.values()].map((s) => ({ service: s.service, dests: [...s.dests.values()] }));
  }

  get size(): number {
    return this.services.size;
  }
}

/** Whether two services' settable fields (what stripService keeps) are the same; their keys are one id's. */
function sameService(a: IpvsService, b: IpvsService): boolean {
  return (
    a.scheduler === b.scheduler &&
    a.flags === b.flags &&
    a.timeout === b.timeout &&
    a.netmask === b.netmask &&
    a.peName === b.peName
  );
}

/**
 * Whether two destinations' settable fields (what stripDest keeps) are the same. An absent tunnel field is 0, as
 * the kernel reports it: a desired destination names them only for tunnel forwarding.
 */
function sameDest(a: IpvsDest, b: IpvsDest): boolean {
  return (
    a.addr === b.addr &&
    a.port === b.port &&
    a.af === b.af &&
    a.fwdMethod === b.fwdMethod &&
    a.weight === b.weight &&
    a.uThresh === b.uThresh &&
    a.lThresh === b.lThresh &&
    (a.tunType ?? 0) === (b.tunType ?? 0) &&
    (a.tunPort ?? 0) === (b.tunPort ?? 0) &&
    (a.tunFlags ?? 0) === (b.tunFlags ?? 0)
  );
}

/** The desired service object when the kernel holds exactly it (its key spelled alike), else undefined. */
function sharedService(want: SharedService | undefined, read: IpvsService): IpvsService | undefined {
  return want !== undefined && sameKeySpelling(want.service.key, read.key) && sameService(want.service, read) ? want.service : undefined;
}

/** The desired destination object `did` when the kernel holds exactly it, else undefined. */
function sharedDest(want: SharedService | undefined, did: string, read: IpvsDest): IpvsDest | undefined {
  const wanted = want?.dests.get(did)?.dest;
  return wanted !== undefined && sameDest(wanted, read) ? wanted : undefined;
}

/**
 * An operation's object itself when it carries settable fields only (a plan's: the desired state's, never changed
 * in place), else its settable fields.
 */
function settableDest(d: IpvsDest): IpvsDest {
  return d.stats === undefined && d.activeConns === undefined && d.inactConns === undefined && d.persistConns === undefined ? d : stripDest(d);
}

function settableService(s: IpvsService): IpvsService {
  return s.stats === undefined ? s : stripService(s);
}

/** The settable fields of a service (no counters): what a NEW/SET carries, and all the cache keeps. */
export function stripService(s: IpvsService): IpvsService {
  // Literals with every field (an absent optional one is `undefined`, which planning reads as absent): an object
  // built by `{ stats, ...rest }` kept its fields out of line, one more array per cached object.
  return { key: copyKey(s.key), scheduler: s.scheduler, flags: s.flags, timeout: s.timeout, netmask: s.netmask, peName: s.peName };
}

/** The settable fields of a destination (no counters, no connection counts). */
export function stripDest(d: IpvsDest): IpvsDest {
  return {
    addr: d.addr,
    port: d.port,
    af: d.af,
    fwdMethod: d.fwdMethod,
    weight: d.weight,
    uThresh: d.uThresh,
    lThresh: d.lThresh,
    tunType: d.tunType,
    tunPort: d.tunPort,
    tunFlags: d.tunFlags,
  };
}
