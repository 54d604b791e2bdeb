// VRRP virtual MACs (RFC 5798 §7.3) and which address family an instance watches. Pure.
import { isIPv6 } from 'node:net';

export type HaFamily = 'inet' | 'inet6';

/** 00:00:5e:00:01:VRID for IPv4, 00:00:5e:00:02:VRID for IPv6: the MAC FRR puts on its VRRP macvlans. */
export function vrrpMac(family: HaFamily, vrid: number): string {
  return `00:00:5e:00:0${family === 'inet' ? 1 : 2}:${vrid.toString(16).padStart(2, '0')}`;
}

/**
 * The families an instance's VIPs use, IPv4 first; IPv4 alone when it has no VIPs (FRR's default, and the
 * parent must carry an IPv4 address anyway). FRR runs one state machine per family, so each is read.
 */
export function familiesOf(vips: readonly string[]): HaFamily[] {
  const v6 = vips.some((v) => isIPv6(v));
  const v4 = vips.some((v) => !isIPv6(v));
  if (v4 && v6) return ['inet', 'inet6'];
  return v6 ? ['inet6'] : ['inet'];
}
