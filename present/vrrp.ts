// The words for VRRP: `show vrrp` (= `show ha`), the `{master}` line above the shell's prompt. Data in (the HA
// watcher's HaSnapshot, engine/ha/types.ts), text out; the shell and the CLI share it.
import type { HaSnapshot, VrrpInstanceState } from '../engine/ha/types.js';
import { sinceText } from './health.js';

/** No watcher to ask: no daemon runs (and this shell runs none). */
export const NO_HA_WATCHER = 'VRRP: no HA watcher is running here: start the daemon (lbctl daemon, or systemctl start lbctl)';

/** `ha.source: none`: nothing is watched, every service is programmed. */
export const NO_HA_SOURCE = 'VRRP: no HA source is configured (ha.source: none): this node programs every service';

export const VRRP_COLUMNS = ['Instance', 'VRID', 'Interface', 'Family', 'State', 'Since', 'Source', 'Priority', 'VIPs', 'Programs'] as const;

/** `{master}`, `{backup}`, `{master,split-brain}`, `{unknown}`; null when there is nothing to show (source none, no watcher). */
export function roleLine(snapshot: HaSnapshot | null): string | null {
  if (!snapshot || snapshot.summary === 'none') return null;
  return `{${snapshot.summary}}`;
}

/** `unknown (vrrpd is not running)`, `master`. */
export function vrrpStateText(i: Pick<VrrpInstanceState, 'state' | 'reason'>): string {
  return i.reason ? `${i.state} (${i.reason})` : i.state;
}

/**
 * Whether this node programs the instance's services: `yes`, `no`, or `kept` (master-only and unknown: what is in
 * the kernel stays as it is, engine/ha/programming.ts).
 */
export function programsText(s: Pick<HaSnapshot, 'program'>, i: Pick<VrrpInstanceState, 'state' | 'programs'>): string {
  if (s.program === 'always') return 'yes (always)';
  if (i.state === 'unknown') return 'kept as is';
  return i.programs || i.state === 'master' ? 'yes' : 'no';
}

/** One row per instance, in VRRP_COLUMNS order. */
export function vrrpRows(s: HaSnapshot, now = Date.now()): string[][] {
  return s.instances.map((i) => [
    i.name,
    String(i.vrid),
    i.interface,
    i.family,
    vrrpStateText(i),
    sinceText(i.since, now),
    i.source,
    i.priority === undefined ? '-' : String(i.priority),
    i.vips.length ? i.vips.join(' ') : '-',
    programsText(s, i),
  ]);
}

/**
 * The lines above the table: the source, the program mode, what this node is; then a warning line for split
 * brain and for unknown, which an operator must not miss.
 */
export function vrrpHeader(s: HaSnapshot): string {
  const lines = [`VRRP: source ${s.source}, program ${s.program}; this node: ${s.summary}`];
  if (s.summary === 'master,split-brain')
    lines.push('% SPLIT BRAIN: this node and its peer both claim Master; check the link between the balancers (lbctl doctor)');
  const unknown = s.instances.filter((i) => i.state === 'unknown').map((i) => i.name);
  if (unknown.length)
    lines.push(
      `% State unknown for ${unknown.join(', ')}: ${s.program === 'master-only' ? 'their services are kept as they are in the kernel' : 'every service stays programmed (program: always)'}; lbctl doctor says why`,
    );
  return lines.join('\n');
}
