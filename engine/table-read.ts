// The whole IPVS table, read so that the event loop keeps turning: one service dump, then one destination dump per
// service, with a macrotask turn every `every` services. A netlink answer is usually queued before recv asks for
// it (the kernel answers during send), so a loop of awaits on the dataplane never leaves the microtask queue: at
// 10,000 services Dataplane.readAll() held the daemon's event loop for the whole dump (69 s under emulation, seen
// by bench/metrics-scrape.ts as a `hello` that waited that long).
import type { Dataplane, IpvsDest, IpvsService, IpvsTableEntry, ReadOptions } from '../netlink/dataplane.js';

export interface TableReadOptions {
  /** Services between two turns of the event loop (default 200; 0: none). */
  every?: number;
  pause?: () => Promise<void>;
  /** How each answer is decoded (counters or not); default: counters read. */
  read?: ReadOptions;
}

const turn = () => new Promise<void>((r) => setImmediate(r));

export async function readTableYielding(dp: Dataplane, opts: TableReadOptions = {}): Promise<IpvsTableEntry[]> {
  const out: IpvsTableEntry[] = [];
  await forEachTableEntry(dp, (service, dests) => void out.push({ service, dests }), opts);
  return out;
}

/**
 * The same read, each service handed to `take` with its destinations as soon as they are read and not kept here
 * (the engine's drift check puts them into its cache: engine/actual.ts startRead). `opts.every` 0: no pauses.
 */
export async function forEachTableEntry(dp: Dataplane, take: (service: IpvsService, dests: IpvsDest[]) => void, opts: TableReadOptions = {}): Promise<void> {
  const every = opts.every ?? 200;
  const pause = opts.pause ?? turn;
  const services = await dp.listServices(opts.read);
  for (let i = 0; i < services.length; i++) {
    if (every > 0 && i > 0 && i % every === 0) await pause();
    take(services[i], await dp.listDests(services[i].key, opts.read));
  }
}
