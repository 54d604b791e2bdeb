// One prober per check type, and `probe`, which picks it.
import type { Prober } from '../types.js';
import { probeDns } from './dns.js';
import { probeHttp } from './http.js';
import { probeTcp } from './tcp.js';
import { probeUdpEcho } from './udp-echo.js';

export { probeDns, probeHttp, probeTcp, probeUdpEcho };

export const PROBERS: Record<string, Prober> = { tcp: probeTcp, udp_echo: probeUdpEcho, http: probeHttp, https: probeHttp, dns: probeDns };

/** Runs the prober of `check.type`. */
export const probe: Prober = (endpoint, check, options) => {
  const prober = PROBERS[check.type];
  if (prober === undefined) return Promise.resolve({ ok: false, latencyMs: 0, error: `no prober for check type ${String(check.type)}` });
  return prober(endpoint, check, options);
};
