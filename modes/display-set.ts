// `| display set`: a configuration as the configure-mode commands that build it. Feeding these lines into a
// fresh session (in configure mode) rebuilds an equal configuration (a unit test proves the round trip), so the
// output doubles as a script. Only what differs from the defaults is written, as IOS and Junos do.
import { parseSorry } from '../config/validate.js';
import { DEFAULT_HTTP_CHECK, defaultHealth, defaultService } from '../config/defaults.js';
import type { Config, Health, PortSpec, Service } from '../config/model.js';
import { quoteWord } from '../completion/words.js';
import { isDeepEqual, portText } from './edit.js';
import { derivedSetLines } from './schema-commands.js';

export function displaySet(config: Config, onlyService?: string): string {
  const lines: string[] = [];
  if (onlyService === undefined) {
    if (config.node?.name) lines.push(`hostname ${config.node.name}`);
    if (config.vip) lines.push(`vip ${config.vip}`);
    lines.push(...derivedSetLines(config));
  }
  for (const s of config.services) {
    if (onlyService !== undefined && s.name !== onlyService) continue;
    lines.push(`service ${s.name}`);
    for (const l of serviceLines(s)) lines.push(' ' + l);
    lines.push(' exit');
    if (s.inactive) lines.push(`deactivate service ${s.name}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** The service-mode commands that turn a new service into `s`. */
export function serviceLines(s: Service): string[] {
  const d = defaultService(s.name, s.protocol);
  const out: string[] = [];
  if (s.description !== undefined) out.push(`description ${descriptionText(s.description)}`);
  if (s.protocol !== 'tcp') out.push(`protocol ${s.protocol}`);
  if (s.vip !== undefined) out.push(`vip ${s.vip}`);
  if (s.fwmark !== undefined) out.push(`fwmark ${s.fwmark}`);
  for (const p of s.ports) out.push(`port ${portText(p)}`);
  for (const p of s.port_ranges) out.push(`port-range ${portText(p as PortSpec)}`);
  if (s.scheduler !== d.scheduler || s.scheduler_flags.length) out.push(['scheduler', s.scheduler, ...s.scheduler_flags].join(' '));
  if (s.persistence) {
    const n = s.persistence.netmask;
    out.push(`persistence ${s.persistence.timeout}${n === undefined ? '' : ` netmask ${n}`}`);
  }
  const f = s.forwarding;
  if (f.method !== 'nat' || f.tunnel) {
    if (f.method !== 'tunnel') out.push(`forwarding ${f.method}`);
    else {
      const t = f.tunnel;
      const parts = ['forwarding tunnel'];
      if (t) {
        parts.push(t.type);
        if (t.port !== undefined) parts.push(`port ${t.port}`);
        if (t.csum !== undefined) parts.push(`csum ${t.csum}`);
      }
      out.push(parts.join(' '));
    }
  }
  if (s.on_down !== d.on_down) out.push(`on-down ${s.on_down}`);
  if (s.slow_start_s !== undefined) out.push(`slow-start ${s.slow_start_s}`);
  if (s.quorum !== undefined) out.push(`quorum ${s.quorum}`);
  if (s.sorry !== undefined) {
    const sorry = parseSorry(s.sorry);
    out.push(sorry ? `sorry ${sorry.address}${sorry.port ? ` port ${sorry.port}` : ''}` : `sorry ${s.sorry}`);
  }
  if (s.u_threshold !== undefined) out.push(`u-threshold ${s.u_threshold}`);
  if (s.l_threshold !== undefined) out.push(`l-threshold ${s.l_threshold}`);
  for (const b of s.backends) {
    let l = `backend ${b.address} port ${b.port} weight ${b.weight}`;
    if (b.u_threshold !== undefined) l += ` u-threshold ${b.u_threshold}`;
    if (b.l_threshold !== undefined) l += ` l-threshold ${b.l_threshold}`;
    out.push(l);
    if (!b.enabled) out.push(`backend ${b.address} port ${b.port} disable`);
    if (b.inactive) out.push(`deactivate backend ${b.address} port ${b.port}`);
  }
  out.push(...healthLines(s.health, defaultHealth(s.protocol)));
  if (!s.enabled) out.push('shutdown');
  return out;
}

function healthLines(h: Health, d: Health): string[] {
  if (isDeepEqual(h, d)) return [];
  const same = isDeepEqual({ ...h, enabled: true }, d);
  const out: string[] = [];
  if (!same) {
    const p: string[] = ['health', h.type.replace(/_/g, '-')];
    if (h.port !== undefined) p.push(`port ${h.port}`);
    if (h.interval_ms !== d.interval_ms) p.push(`interval ${h.interval_ms}`);
    if (h.timeout_ms !== d.timeout_ms) p.push(`timeout ${h.timeout_ms}`);
    if (h.fail_after !== d.fail_after) p.push(`fail-after ${h.fail_after}`);
    if (h.recover_after !== d.recover_after) p.push(`recover-after ${h.recover_after}`);
    if (h.expect !== undefined) p.push(`expect ${quoteWord(h.expect)}`);
    if (h.payload !== undefined) p.push(`payload ${quoteWord(h.payload)}`);
    if (h.http) {
      const httpish = h.type === 'http' || h.type === 'https';
      if (h.http.path !== DEFAULT_HTTP_CHECK.path || !httpish) p.push(`path ${quoteWord(h.http.path)}`);
      if (h.http.method !== DEFAULT_HTTP_CHECK.method) p.push(`method ${h.http.method.toLowerCase()}`);
      if (h.http.host !== undefined) p.push(`host ${quoteWord(h.http.host)}`);
      if (!isDeepEqual(h.http.expect_status, DEFAULT_HTTP_CHECK.expect_status)) p.push(`expect-status ${h.http.expect_status.join(',')}`);
      if (h.http.insecure) p.push('insecure');
    }
    if (h.dns) {
      p.push(`query ${quoteWord(h.dns.query)}`);
      if (h.dns.record_type !== 'A') p.push(`record-type ${h.dns.record_type.toLowerCase()}`);
    }
    out.push(p.join(' '));
  }
  if (!h.enabled) out.push('health disable');
  return out;
}

/** A description as LINE reads it back: raw unless blanks at its ends, a leading quote or a `;` need quoting. */
function descriptionText(d: string): string {
  return d === '' || /^\s|\s$|^"|;/.test(d) ? quoteWord(d) : d;
}
