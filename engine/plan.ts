// Plan: the minimal ordered list of IPVS operations that turns the actual table into the desired one.
// Pure. Rules:
//  - never an operation on a service lbctl does not own: owned = the ownership record says lbctl created (or
//    adopted) it. Being declared by the configuration is NOT enough: a declared identity already held by someone
//    else's service is a clash, left alone and reported (unless the caller asks to adopt it). Anything not
//    owned is "foreign": left alone and reported;
//  - owned services that must go are removed first (their destinations go with them, in one op);
//  - within a kept service: destinations removed, then the service's SET, then destination SETs, then new ones;
//  - a new service is created before its destinations;
//  - SET only when an attribute really differs (compare.ts masks HASHED and normalises kernel defaults).
import type { Config } from '../config/model.js';
import { FWD_TUNNEL, SVC_F_PERSISTENT, sameKeySpelling, type IpvsDest, type IpvsOp } from '../netlink/dataplane.js';
import type { ActualService, ActualState } from './actual.js';
import { defaultNetmask, destChanges, fwdName, flagNames, netmaskText, sameDest, sameService, serviceChanges, tunName } from './compare.js';
import type { DesiredService, DesiredState } from './compile.js';

export type StepKind = 'add' | 'change' | 'remove';

export interface PlanStep {
  kind: StepKind;
  what: 'service' | 'dest';
  serviceId: string;
  /** Configuration service name, when the service is declared. */
  name?: string;
  destId?: string;
  /** For `change`: `weight 100→0`, …; for `add`: the new object's settings. */
  details: string[];
  op: IpvsOp;
}

/** A service the configuration declares whose identity a service lbctl does not own already holds. */
export interface Clash {
  id: string;
  /** The configuration service that declares it. */
  name: string;
  /** True when the configuration wants it programmed (then a commit is refused unless adopting). */
  programmed: boolean;
  /** Why it is not programmed, for `programmed: false` ("disabled in the configuration", "ha backup …"). */
  reason?: string;
}

export interface PlanOptions {
  /** Take over the foreign services whose identity a programmed configuration service declares. */
  adopt?: boolean;
  /** The configuration that ran before: the engine names the services a plan removes from it (nameRemovals). */
  former?: Config | null;
}

export interface Plan {
  steps: PlanStep[];
  /** Services in the kernel that lbctl does not own, by id (left alone). Clashing ids are listed here too. */
  foreign: string[];
  /** Declared identities held by a foreign service (left alone), in configuration order. */
  clashes?: Clash[];
  /** Foreign services this plan takes over (only with `adopt`): recorded as lbctl's once applied. */
  adopted?: string[];
  /** What the plan converges to. */
  desired: DesiredState;
}

const NO_CHANGES: string[] = [];
const SIGN: Record<StepKind, string> = { add: '+', change: '~', remove: '-' };

export function isEmpty(plan: Plan): boolean {
  return plan.steps.length === 0;
}

/**
 * `recorded`: the ownership record (what lbctl created or adopted). A service in the kernel is touched only if
 * recorded, or (with `adopt`) if a programmed configuration service declares it.
 */
export function plan(desired: DesiredState, actual: ActualState, recorded: ReadonlySet<string>, opts: PlanOptions = {}): Plan {
  const steps: PlanStep[] = [];
  const foreign: string[] = [];
  const clashing = new Set<string>();
  const adopted: string[] = [];
  for (const [id, entry] of actual.services) {
    if (recorded.has(id)) {
      if (!desired.services.has(id)) steps.push(removeServiceStep(entry, desired.declared.get(id)?.name));
      continue;
    }
    if (desired.services.has(id) && opts.adopt) {
      adopted.push(id);
      continue;
    }
    foreign.push(id);
    if (desired.declared.has(id)) clashing.add(id);
  }
  const clashes: Clash[] = [];
  if (clashing.size)
    for (const [id, d] of desired.declared)
      if (clashing.has(id)) {
        const programmed = desired.services.has(id);
        clashes.push({ id, name: d.name, programmed, ...(programmed ? {} : { reason: desired.notProgrammed.get(d.name) }) });
      }
  for (const [id, want] of desired.services) if (!clashing.has(id)) planService(want, actual.get(id), steps);
  return { steps, foreign: foreign.sort(), clashes, adopted, desired };
}

/** One line per clash: `! service tcp 10.9.9.9:80 exists and is not lbctl's: left alone (…)`. */
export function clashLines(p: Pick<Plan, 'clashes'>): string[] {
  return (p.clashes ?? []).map((c) => `! service ${c.id} ${clashText(c)}`);
}

/** `exists and is not lbctl's: left alone (declared by service web; adopt with …)`. */
export function clashText(c: Clash): string {
  return c.programmed
    ? `exists and is not lbctl's: left alone (declared by service ${c.name}; adopt with \`lbctl apply --adopt\` to let lbctl manage it)`
    : `exists and is not lbctl's: left alone (declared by service ${c.name}, which is not programmed: ${c.reason ?? 'suppressed'})`;
}

/** The refusal a commit gives when a programmed service clashes (null when none does). */
export function clashRefusal(p: Pick<Plan, 'clashes'>): string | null {
  const hard = (p.clashes ?? []).filter((c) => c.programmed);
  if (!hard.length) return null;
  const list = hard.map((c) => `${c.id} (declared by service ${c.name})`).join(', ');
  return hard.length === 1
    ? `service ${list.replace(' (', " exists and is not lbctl's (")}: refusing to take it over; remove it from the configuration, delete it from the kernel, or adopt it with \`lbctl apply --adopt\``
    : `${hard.length} services exist and are not lbctl's: ${list}; refusing to take them over; remove them from the configuration, delete them from the kernel, or adopt them with \`lbctl apply --adopt\``;
}

/** One step, always built with the same fields in the same order (one object shape: the planner makes 50,000). */
function step(kind: StepKind, what: 'service' | 'dest', serviceId: string, name: string | undefined, destId: string | undefined, details: string[], op: IpvsOp): PlanStep {
  return { kind, what, serviceId, name, destId, details, op };
}

/** Steps for one desired service against its actual entry (absent = not in the kernel). Appends to `steps`. */
export function planService(want: DesiredService, have: ActualService | undefined, steps: PlanStep[]): void {
  const { id, name } = want;
  const af = want.service.key.af;
  if (!have) {
    steps.push(step('add', 'service', id, name, undefined, serviceSummary(want), { op: 'newService', service: want.service }));
    for (const d of want.dests.values())
      steps.push(step('add', 'dest', id, name, d.id, destSummary(d.dest), { op: 'newDest', key: want.service.key, dest: d.dest }));
    return;
  }
  const key = have.service.key;
  for (const [did, dest] of have.dests)
    if (!want.dests.has(did))
      steps.push(step('remove', 'dest', id, name, did, NO_CHANGES, { op: 'delDest', key, dest: { addr: dest.addr, port: dest.port, af: dest.af } }));
  if (!sameService(want.service, have.service))
    steps.push(step('change', 'service', id, name, undefined, serviceChanges(want.service, have.service), { op: 'setService', service: sameKeySpelling(want.service.key, key) ? want.service : { ...want.service, key } }));
  let adds: PlanStep[] | undefined;
  for (const [did, d] of want.dests) {
    const cur = have.dests.get(did);
    if (!cur) {
      (adds ??= []).push(step('add', 'dest', id, name, did, destSummary(d.dest), { op: 'newDest', key, dest: d.dest }));
      continue;
    }
    // Address spelled as the kernel has it, so the SET names exactly the object the kernel holds. Spelled alike
    // (the usual case), the op carries the desired object itself, which the cache then keeps (engine/actual.ts).
    if (!sameDest(af, d.dest, cur))
      steps.push(
        step('change', 'dest', id, name, did, destChanges(af, d.dest, cur), { op: 'setDest', key, dest: cur.addr === d.dest.addr ? d.dest : { ...d.dest, addr: cur.addr } }),
      );
  }
  if (adds) for (const s of adds) steps.push(s);
}

/**
 * Removal steps of services the new configuration no longer declares carry no name; `formerName` (the running
 * configuration's declarations) gives them the one they had, so the plan says which service goes
 * (`- service tcp 192.0.2.10:80  (web)`) and a removed port range folds like an added one. In place.
 */
export function nameRemovals(p: Plan, formerName: (id: string) => string | undefined): Plan {
  for (const s of p.steps)
    if (s.kind === 'remove' && s.what === 'service' && s.name === undefined) {
      const name = formerName(s.serviceId);
      if (name !== undefined) {
        s.name = name;
        s.details = NO_CHANGES;
      }
    }
  return p;
}

/** True when the plan removes a service it cannot name yet (see nameRemovals). */
export function hasUnnamedRemovals(p: Plan): boolean {
  return p.steps.some((s) => s.kind === 'remove' && s.what === 'service' && s.name === undefined);
}

export function removeServiceStep(entry: ActualService, name: string | undefined): PlanStep {
  return step('remove', 'service', entry.id, name, undefined, name ? NO_CHANGES : ['no longer configured'], { op: 'delService', key: entry.service.key });
}

function serviceSummary(s: DesiredService): string[] {
  const svc = s.service;
  const out = [svc.scheduler];
  const shown = svc.flags & ~SVC_F_PERSISTENT;
  if (shown) out.push(`flags ${flagNames(shown, svc.scheduler)}`);
  if (svc.flags & SVC_F_PERSISTENT)
    out.push(`persistence ${svc.timeout}s` + (svc.netmask !== defaultNetmask(svc.key.af) ? ` netmask ${netmaskText(svc.key.af, svc.netmask)}` : ''));
  return out;
}

function destSummary(d: IpvsDest): string[] {
  const out = [fwdName(d.fwdMethod)];
  if (d.tunType !== undefined && (d.fwdMethod & 7) === FWD_TUNNEL) out.push(tunName(d.tunType) + (d.tunPort ? ` port ${d.tunPort}` : ''));
  out.push(`weight ${d.weight}`);
  if (d.uThresh) out.push(`u_threshold ${d.uThresh}`);
  if (d.lThresh) out.push(`l_threshold ${d.lThresh}`);
  return out;
}

/**
 * The plan as text, one line per operation, destinations indented under their service:
 *   + service tcp 10.0.0.10:80 wrr  (web)
 *     + dest 10.0.1.2:8080 nat weight 100
 *     service tcp 10.0.0.11:80  (api)
 *     ~ dest 10.0.1.2:8080 weight 100→0
 * A service whose own attributes do not change gets an unsigned header line.
 */
export function planLines(p: Plan): string[] {
  const out: string[] = [];
  let current: string | undefined;
  // A service SET comes after its destination removals (op order); its header line goes first all the same, so a
  // changed service prints one header, not an unsigned one and then a `~` one.
  const changes = new Map<string, PlanStep>();
  for (const s of p.steps) if (s.what === 'service' && s.kind === 'change') changes.set(s.serviceId, s);
  const printed = new Set<PlanStep>();
  const header = (s: PlanStep, label: string) =>
    `${SIGN[s.kind]} service ${s.serviceId}${s.details.length ? ' ' + s.details.join(' ') : ''}${label}`;
  for (const s of p.steps) {
    const label = s.name ? `  (${s.name})` : '';
    if (s.what === 'service') {
      current = s.serviceId;
      if (!printed.has(s)) out.push(header(s, label));
      continue;
    }
    if (current !== s.serviceId) {
      current = s.serviceId;
      const change = changes.get(s.serviceId);
      if (change && !printed.has(change)) {
        printed.add(change);
        out.push(header(change, label));
      } else out.push(`  service ${s.serviceId}${label}`);
    }
    out.push(`    ${SIGN[s.kind]} dest ${s.destId}${s.details.length ? ' ' + s.details.join(' ') : ''}`);
  }
  return out;
}

export interface PlanCounts {
  services: Record<StepKind, number>;
  dests: Record<StepKind, number>;
}

export function planCounts(p: Plan): PlanCounts {
  const counts: PlanCounts = { services: { add: 0, change: 0, remove: 0 }, dests: { add: 0, change: 0, remove: 0 } };
  for (const s of p.steps) (s.what === 'service' ? counts.services : counts.dests)[s.kind]++;
  return counts;
}

/** `3 operations: services +1 ~0 -0, destinations +2 ~0 -0` or `no changes`. */
export function planSummary(p: Plan): string {
  if (p.steps.length === 0) return 'no changes';
  const c = planCounts(p);
  const n = p.steps.length;
  return `${n} operation${n === 1 ? '' : 's'}: services +${c.services.add} ~${c.services.change} -${c.services.remove}, destinations +${c.dests.add} ~${c.dests.change} -${c.dests.remove}`;
}
