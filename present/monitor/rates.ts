// Rates per second from two reads of the kernel's 64-bit IPVS counters. The subtraction stays in bigint: the
// counters pass 2^53 on a busy balancer (bytes first) and a Number would lose the low digits of both reads,
// while the difference over one second is small enough to become a Number exactly. A counter that went down
// was zeroed (`ipvsadm -Z`) or its service was deleted and added again: there is no rate for that interval,
// rather than a negative one or a 2^64 wrap (the kernel's u64 counters do not wrap in practice).
import type { IpvsStats } from '../../engine/host.js';

/** Per second over `elapsedMs`; null when there is no earlier read, no time passed, or the counter went down. */
export function perSecond(prev: bigint | undefined, cur: bigint, elapsedMs: number): number | null {
  if (prev === undefined || !(elapsedMs > 0) || cur < prev) return null;
  return (Number(cur - prev) * 1000) / elapsedMs;
}

export interface Totals {
  conns: bigint;
  inPkts: bigint;
  outPkts: bigint;
  inBytes: bigint;
  outBytes: bigint;
}

export interface Rates {
  cps: number | null;
  inPps: number | null;
  outPps: number | null;
  inBps: number | null;
  outBps: number | null;
}

export const NO_RATES: Rates = { cps: null, inPps: null, outPps: null, inBps: null, outBps: null };

export const ZERO_TOTALS: Totals = { conns: 0n, inPkts: 0n, outPkts: 0n, inBytes: 0n, outBytes: 0n };

export function totalsOf(s: IpvsStats | undefined): Totals {
  if (!s) return ZERO_TOTALS;
  return { conns: s.conns, inPkts: s.inPkts, outPkts: s.outPkts, inBytes: s.inBytes, outBytes: s.outBytes };
}

/** The rates between two reads of one object's counters (prev undefined: the object is new, no rates yet). */
export function ratesBetween(prev: Totals | undefined, cur: Totals, elapsedMs: number): Rates {
  if (!prev) return NO_RATES;
  return {
    cps: perSecond(prev.conns, cur.conns, elapsedMs),
    inPps: perSecond(prev.inPkts, cur.inPkts, elapsedMs),
    outPps: perSecond(prev.outPkts, cur.outPkts, elapsedMs),
    inBps: perSecond(prev.inBytes, cur.inBytes, elapsedMs),
    outBps: perSecond(prev.outBytes, cur.outBytes, elapsedMs),
  };
}
