// The whole IPVS table, read so that the event loop keeps turning: one service dump, then one destination dump per
// service, with a macrotask turn every `every` services. A netlink answer is usually queued before recv asks for
// it (the kernel answers during send), so a loop of awaits on the dataplane never leaves the microtask queue: at
// 10,000 services Dataplane.readAll() held the daemon's event loop for the whole dump (69 s under emulation, seen
// by bench/metrics-scrape.ts as a `hello` that waited that long).
import type { Dataplane, IpvsTableEntry } from '../netlink/dataplane.js';

export interface TableReadOptions {
  /** Services between two turns of the event loop (default 200). */
  every?: number;
  pause?: () => Promise<void>;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

export async function readTableYielding(dp: Dataplane, opts: TableReadOptions = {}): Promise<IpvsTableEntry[]> {
  const every = opts.every ?? 200;
  const pause = opts.pause ?? turn;
  const services = await dp.listServices();
  const out: IpvsTableEntry[] = [];
  for (const [i, service] of services.entries()) {
    if (i > 0 && i % every === 0) await pause();
    out.push({ service, dests: await dp.listDests(service.key) });
  }
  return out;
}
