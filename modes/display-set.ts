// `| display set`: a configuration as the configure-mode commands that build it. Feeding these lines into a
// fresh session (in configure mode) rebuilds an equal configuration (a unit test proves the round trip), so the
// output doubles as a script. Only what differs from the defaults is written, as IOS and Junos do.
import { parseSorry } from '../config/validate.js';
import { DEFAULT_HTTP_CHECK, defaultHealth, defaultService } from '../config/defaults.js';
import type { Backend, Config, Health, PortSpec, Service } from '../config/model.js';
import { quoteWord } from '../completion/words.js';
import { isDeepEqual, portText } from './edit.js';
import { simpleFieldLines } from './schema-fields.js';
import { derivedSetLines, derivedSetStatements, type SetStatement } from './schema-commands.js';

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
  return serviceUnits(s).flatMap((u) => u.lines);
}

/**
 * One thing a service sets, as `display set` writes it: its lines, what identifies it (a line and the line that
 * replaces its value share the key), the commands that take it out, and those that turn an `old` unit of the
 * same key into this one when printing the new lines alone would leave something of the old behind.
 */
interface ServiceUnit {
  key: string;
  lines: string[];
  negation: string[];
  replacing?: (old: ServiceUnit) => string[];
}

function serviceUnits(s: Service): ServiceUnit[] {
  const d = defaultService(s.name, s.protocol);
  const out: ServiceUnit[] = [];
  const unit = (key: string, line: string, negation = `no ${key}`) => out.push({ key, lines: [line], negation: [negation] });
  if (s.description !== undefined) unit('description', `description ${descriptionText(s.description)}`);
  if (s.protocol !== 'tcp') unit('protocol', `protocol ${s.protocol}`);
  if (s.vip !== undefined) unit('vip', `vip ${s.vip}`);
  if (s.fwmark !== undefined) unit('fwmark', `fwmark ${s.fwmark}`);
  for (const p of s.ports) unit(`port ${portText(p)}`, `port ${portText(p)}`);
  for (const p of s.port_ranges) unit(`port-range ${portText(p as PortSpec)}`, `port-range ${portText(p as PortSpec)}`);
  if (s.scheduler !== d.scheduler || s.scheduler_flags.length) unit('scheduler', ['scheduler', s.scheduler, ...s.scheduler_flags].join(' '));
  if (s.persistence) {
    const n = s.persistence.netmask;
    unit('persistence', `persistence ${s.persistence.timeout}${n === undefined ? '' : ` netmask ${n}`}`);
  }
  const f = s.forwarding;
  if (f.method !== 'nat' || f.tunnel) {
    if (f.method !== 'tunnel') unit('forwarding', `forwarding ${f.method}`);
    else {
      const t = f.tunnel;
      const parts = ['forwarding tunnel'];
      if (t) {
        parts.push(t.type);
        if (t.port !== undefined) parts.push(`port ${t.port}`);
        if (t.csum !== undefined) parts.push(`csum ${t.csum}`);
      }
      unit('forwarding', parts.join(' '));
    }
  }
  const simple = simpleFieldLines(s);
  const threshold = (w: string) => w.endsWith('-threshold');
  for (const { word, line } of simple) if (!threshold(word)) unit(word, line);
  if (s.sorry !== undefined) {
    const sorry = parseSorry(s.sorry);
    unit('sorry', sorry ? `sorry ${sorry.address}${sorry.port ? ` port ${sorry.port}` : ''}` : `sorry ${s.sorry}`);
  }
  for (const { word, line } of simple) if (threshold(word)) unit(word, line);
  s.backends.forEach((b, i) => out.push(backendUnit(b, s.backends.slice(0, i))));
  const health = healthLines(s.health, defaultHealth(s.protocol));
  if (health.length) out.push({ key: 'health', lines: health, negation: ['no health'], replacing: () => ['no health', ...health] });
  if (!s.enabled) unit('shutdown', 'shutdown', 'no shutdown');
  return out;
}

/**
 * A backend's lines. `port 0` (the service's port) is left out, as the operator types it, unless a backend at the
 * same address comes earlier: then `backend A weight W` would edit that one, so the port is spelled.
 */
function backendUnit(b: Backend, earlier: Backend[]): ServiceUnit {
  const id = b.port === 0 && !earlier.some((x) => x.address === b.address) ? `backend ${b.address}` : `backend ${b.address} port ${b.port}`;
  let line = `${id} weight ${b.weight}`;
  if (b.u_threshold !== undefined) line += ` u-threshold ${b.u_threshold}`;
  if (b.l_threshold !== undefined) line += ` l-threshold ${b.l_threshold}`;
  const lines = [line];
  if (!b.enabled) lines.push(`${id} disable`);
  if (b.inactive) lines.push(`deactivate ${id}`);
  const key = `backend ${b.address} port ${b.port}`;
  return {
    key,
    lines,
    negation: [`no ${id}`],
    replacing: (old) => {
      const was = (word: string) => old.lines[0].includes(` ${word} `);
      const out = [line];
      if (was('u-threshold') && b.u_threshold === undefined) out.push(`no ${id} u-threshold`);
      if (was('l-threshold') && b.l_threshold === undefined) out.push(`no ${id} l-threshold`);
      if (old.lines.includes(`${id} disable`) && b.enabled) out.push(`${id} enable`);
      if (!b.enabled) out.push(`${id} disable`);
      if (old.lines.includes(`deactivate ${id}`) && !b.inactive) out.push(`activate ${id}`);
      if (b.inactive) out.push(`deactivate ${id}`);
      return out;
    },
  };
}

/**
 * `show | compare | display set`: only the statements that turn `running` into `candidate` (Junos), as
 * configure-mode commands: new or changed lines, `no …` for what goes. Replayed in configuration mode on top of
 * `running` they give `candidate` (a unit test proves it). Empty when nothing differs.
 */
export function compareSet(running: Config, candidate: Config, onlyService?: string): string {
  const lines: string[] = [];
  if (onlyService === undefined) lines.push(...changedStatements(topStatements(running), topStatements(candidate)));
  const before = new Map(running.services.map((s) => [s.name, s]));
  const after = new Set(candidate.services.map((s) => s.name));
  for (const s of running.services) if (!after.has(s.name) && (onlyService === undefined || s.name === onlyService)) lines.push(`no service ${s.name}`);
  for (const s of candidate.services) {
    if (onlyService !== undefined && s.name !== onlyService) continue;
    const old = before.get(s.name);
    const body = old ? changedUnits(serviceUnits(old), serviceUnits(s)) : serviceLines(s);
    if (!old || body.length > 0) lines.push(`service ${s.name}`, ...body.map((l) => ' ' + l), ' exit');
    if (s.inactive && !old?.inactive) lines.push(`deactivate service ${s.name}`);
    if (!s.inactive && old?.inactive) lines.push(`activate service ${s.name}`);
  }
  return lines.length ? lines.join('\n') + '\n' : '';
}

function topStatements(c: Config): SetStatement[] {
  const out: SetStatement[] = [];
  if (c.node?.name) out.push({ line: `hostname ${c.node.name}`, key: 'hostname', negation: 'no hostname' });
  if (c.vip) out.push({ line: `vip ${c.vip}`, key: 'vip', negation: 'no vip' });
  return [...out, ...derivedSetStatements(c)];
}

function changedStatements(old: SetStatement[], now: SetStatement[]): string[] {
  return changedUnits(
    old.map((s) => ({ key: s.key, lines: [s.line], negation: [s.negation] })),
    now.map((s) => ({ key: s.key, lines: [s.line], negation: [s.negation] })),
  );
}

/** What goes first (its negations), then what is new or replaced, each in the candidate's order. */
function changedUnits(old: ServiceUnit[], now: ServiceUnit[]): string[] {
  const before = new Map(old.map((u) => [u.key, u]));
  const keys = new Set(now.map((u) => u.key));
  const out = old.filter((u) => !keys.has(u.key)).flatMap((u) => u.negation);
  for (const u of now) {
    const was = before.get(u.key);
    if (!was) out.push(...u.lines);
    else if (!isDeepEqual(was.lines, u.lines)) out.push(...(u.replacing ? u.replacing(was) : u.lines));
  }
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
    if (h.expect !== undefined) p.push(`expect ${checkBytesWord(h.expect)}`);
    if (h.payload !== undefined) p.push(`payload ${checkBytesWord(h.payload)}`);
    if (h.http) {
      const httpish = h.type === 'http' || h.type === 'https';
      if (h.http.path !== DEFAULT_HTTP_CHECK.path || !httpish) p.push(`path ${quoteWord(h.http.path)}`);
      if (h.http.method !== DEFAULT_HTTP_CHECK.method) p.push(`method ${h.http.method.toLowerCase()}`);
      if (h.http.host !== undefined) p.push(`host ${quoteWord(h.http.host)}`);
      if (!isDeepEqual(h.http.expect_status, DEFAULT_HTTP_CHECK.expect_status)) p.push(`expect-status ${h.http.expect_status.join(',')}`);
      if (h.http.insecure) p.push('insecure');
      if (h.http.body !== undefined) p.push(`body ${quoteWord(h.http.body)}`);
      if (h.http.sni !== undefined) p.push(`sni ${quoteWord(h.http.sni)}`);
    }
    if (h.dns) {
      p.push(`query ${quoteWord(h.dns.query)}`);
      if (h.dns.record_type !== 'A') p.push(`record-type ${h.dns.record_type.toLowerCase()}`);
      if (h.dns.rcode !== undefined) p.push(`rcode ${h.dns.rcode.toLowerCase()}`);
      if (h.dns.answer !== undefined) p.push(`answer ${quoteWord(h.dns.answer)}`);
    }
    out.push(p.join(' '));
  }
  if (!h.enabled) out.push('health disable');
  return out;
}

/**
 * A check's bytes as one word. Text with a line break or tab (which the configuration file allows) cannot be typed
 * on a command line, so it is written as the same bytes in hex (`hex:50494e470a`), which the check sends alike.
 */
export function checkBytesWord(text: string): string {
  return /[\t\n\r]/.test(text) ? `hex:${Buffer.from(text, 'utf8').toString('hex')}` : quoteWord(text);
}

/** A description as LINE reads it back: raw unless blanks at its ends, a leading quote or a `;` need quoting. */
function descriptionText(d: string): string {
  return d === '' || /^\s|\s$|^"|;/.test(d) ? quoteWord(d) : d;
}
