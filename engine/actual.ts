// The engine's view of the kernel's IPVS table: filled by one full read at start, then kept current from
// the operations the engine itself applied (so a one-backend change needs no dump), and replaced by the
// periodic full read that catches changes nobody announced.
import type { AddressFamily, IpvsDest, IpvsOp, IpvsService, IpvsTableEntry } from '../netlink/dataplane.js';
import { destId, serviceId } from './identity.js';

export interface ActualService {
  id: string;
  service: IpvsService;
  /** By destId. */
  dests: Map<string, IpvsDest>;
}

export class ActualState {
  readonly services = new Map<string, ActualService>();

  static fromTable(entries: IpvsTableEntry[]): ActualState {
    return new ActualState().reset(entries);
  }

  /** Replace everything with a full read (in place: holders of this object see the new table). */
  reset(entries: IpvsTableEntry[]): this {
    this.services.clear();
    for (const e of entries) this.putService(e.service, e.dests);
    return this;
  }

  get(id: string): ActualService | undefined {
    return this.services.get(id);
  }

  /** Replace one service (and its destinations) with what a re-read found; null = it is not in the kernel. */
  putService(service: IpvsService | null, dests: IpvsDest[], id = service ? serviceId(service.key) : undefined): void {
    if (id === undefined) return;
    if (!service) {
      this.services.delete(id);
      return;
    }
    const map = new Map<string, IpvsDest>();
    for (const d of dests) map.set(destId(service.key.af, d), d);
    this.services.set(id, { id, service, dests: map });
  }

  /** Record an operation the kernel accepted. */
  applyOp(op: IpvsOp): void {
    switch (op.op) {
      case 'newService': {
        const id = serviceId(op.service.key);
        this.services.set(id, { id, service: { ...op.service }, dests: new Map() });
        return;
      }
      case 'setService': {
        const entry = this.services.get(serviceId(op.service.key));
        if (entry) entry.service = { ...op.service, stats: entry.service.stats };
        else this.putService({ ...op.service }, []);
        return;
      }
      case 'delService':
        this.services.delete(serviceId(op.key));
        return;
      case 'newDest':
      case 'setDest': {
        const entry = this.services.get(serviceId(op.key));
        if (!entry) return;
        const id = destId(op.key.af, op.dest);
        const old = entry.dests.get(id);
        const dest: IpvsDest = { ...op.dest };
        if (old && op.op === 'setDest') {
          // Counters and connection counts survive a SET in the kernel; keep showing them.
          dest.stats = old.stats;
          dest.activeConns = old.activeConns;
          dest.inactConns = old.inactConns;
          dest.persistConns = old.persistConns;
        }
        entry.dests.set(id, dest);
        return;
      }
      case 'delDest': {
        const entry = this.services.get(serviceId(op.key));
        entry?.dests.delete(destId(op.key.af as AddressFamily, op.dest));
        return;
      }
    }
  }

  /** The cached table in the Dataplane's shape (for status and show commands). */
  toTable(): IpvsTableEntry[] {
    return [...this.services.values()].map((s) => ({ service: s.service, dests: [...s.dests.values()] }));
  }

  get size(): number {
    return this.services.size;
  }
}
