// `| display set`: a configuration as the configure-mode commands that build it. Feeding these lines into a
// fresh session (in configure mode) rebuilds an equal configuration (a unit test proves the round trip), so the
// output doubles as a script. Only what differs from the defaults is written, as IOS and Junos do.
// Each setting of a service writes its own lines (modes/service-settings.ts), next to the commands that read them.
import type { Config, Service } from '../config/model.js';
import { isDeepEqual } from './edit.js';
import type { ServiceUnit } from './schema-fields.js';
import { serviceUnits } from './service-settings.js';
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

export { checkBytesWord } from './service-health.js';
