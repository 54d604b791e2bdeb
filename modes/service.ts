// Service mode, `HOST(config-svc-NAME)#`: the fields of one service. Every command has a `no` form that removes
// the setting or puts its default back. The commands are those of the settings in modes/service-settings.ts,
// which also render a service as exactly these commands (`display set`, modes/display-set.ts).
import { SCHEDULERS, type Service } from '../config/model.js';
import { portText } from './edit.js';
import { HEALTH_VALUE_HELP } from './service-health.js';
import { SETTING_COMMANDS } from './service-settings.js';
import type { CommandDef } from './types.js';

export { serviceName } from './service-edit.js';

/** One line per IPVS scheduler (ipvsadm(8)). */
const SCHEDULER_HELP: Record<(typeof SCHEDULERS)[number], string> = {
  rr: 'Round robin',
  wrr: 'Weighted round robin',
  lc: 'Least connections',
  wlc: 'Weighted least connections (default)',
  lblc: 'Locality-based least connections',
  lblcr: 'Locality-based least connections with replication',
  dh: 'Destination hashing',
  sh: 'Source hashing',
  sed: 'Shortest expected delay',
  nq: 'Never queue',
  fo: 'Weighted failover',
  ovf: 'Weighted overflow',
  mh: 'Maglev hashing',
  twos: 'Weighted random twos choice',
};

/**
 * Help of the words of service mode that are no field of the schema: the values of a choice (a protocol, a
 * scheduler, a forwarding method …) and the keywords of the hand-written commands. A word that sets a field takes
 * its help from the schema, in its command (modes/schema-fields.ts).
 */
export const SERVICE_HELP: Record<string, string> = {
  no: 'Remove a setting or restore its default',
  tcp: 'TCP',
  udp: 'UDP',
  sctp: 'SCTP',
  'sh-port': 'sh: hash the source port too',
  'sh-fallback': 'sh: fall back to another backend when the chosen one is unavailable',
  'mh-port': 'mh: hash the source port too',
  'mh-fallback': 'mh: fall back to another backend when the chosen one is unavailable',
  nat: 'Masquerading (NAT)',
  dr: 'Direct routing',
  tunnel: 'IP tunnelling',
  ipip: 'IP-in-IP encapsulation',
  gre: 'GRE encapsulation',
  gue: 'GUE (UDP) encapsulation',
  nocsum: 'No checksum',
  remcsum: 'Remote checksum offload',
  backend: 'A real server: ADDRESS port P edits the backend with that address and port, or adds it when there is none',
  disable: 'Keep it configured but not in use',
  enable: 'Put it back in use',
  inhibit: 'Weight 0: no new connections',
  remove: 'Removed from IPVS until it recovers',
  ...SCHEDULER_HELP,
  ...HEALTH_VALUE_HELP,
};

export const SERVICE_COMMANDS: CommandDef[] = SETTING_COMMANDS;

/** Text of a port list for tables. */
export function portsText(s: Service): string {
  const all = [...s.ports, ...s.port_ranges];
  return all.length ? all.map(portText).join(',') : '-';
}
