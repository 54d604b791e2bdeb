// The daemon's health checking: the HealthScheduler (engine/health/) fed with the running configuration's
// targets, its verdicts turned into the engine's per-backend inputs at once (Engine.setVerdicts: only the
// services concerned are replanned, one netlink message per changed destination, no dump), a log line for every
// transition and an audit record for every one that changes what the kernel is told.
//
//   verdict of a target ──► each backend that uses it (service/address:port) ──► up | down | recovering (slow start)
//   unknown counts as up; a service with no check has no target: its backends are always up.
//   slow_start_s: down → up ramps the weight in a few steps (recovering fraction k/N), then up.
//   lab: only loopback is probed; a hand-set verdict (setManual) overrides the checks until `auto`.
//
// Only the daemon runs this: a shell or a CLI command never probes.
import type { Config, Service } from '../../config/model.js';
import { canonicalAddress } from '../../config/derive.js';
import { changedIndexesInPlace } from '../../config/delta.js';
import { HealthScheduler, anyAddress, serviceTargets, loopbackOnly, type HealthTarget, type ScheduledTarget, type SchedulerOptions, type Transition, type Verdict } from '../health/index.js';
import { flat } from '../identity.js';
import { WorkerScheduler } from '../health/worker-scheduler.js';
import { healthyCount } from '../compile.js';
import type { ApplyResult } from '../engine.js';
import { backendRef, NO_INPUTS, type EngineInputs, type HealthVerdict } from '../inputs.js';
import type { HealthReport, HealthRow, HealthServiceSummary, ManualHealthRequest, ManualHealthResult } from '../health/report.js';
import type { ProbeResult } from '../health/types.js';
import type { Log } from './log.js';

export type { HealthReport, HealthRow, HealthServiceSummary, ManualHealthRequest, ManualHealthResult } from '../health/report.js';

/** One transition, as the daemon audits it. */
export interface HealthEvent {
  /** The target key, or `hand: web/10.0.0.1:80` for a hand-set verdict. */
  target: string;
  from: string;
  to: string;
  /** backendRef()s the transition concerns. */
  backends: string[];
  reason?: string;
  /** The line the daemon logs. */
  message: string;
  /** What the engine did with it (null: nothing to send, or nothing running). */
  result: ApplyResult | null;
}

/** One backend as the metrics see it (HealthRunner.states). */
export interface BackendState {
  service: string;
  /** As configured; port 0 = the service's ports. */
  address: string;
  port: number;
  state: 'up' | 'down' | 'unknown';
  transitions: number;
}

export interface RampTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface HealthRunnerOptions {
  /** --lab: probe loopback only, and allow hand-set verdicts. */
  lab: boolean;
  /** The engine's event path (Engine.setVerdicts). */
  setVerdicts: (verdicts: ReadonlyMap<string, HealthVerdict>) => Promise<ApplyResult | null>;
  log: Log;
  /** Called once per transition that changes what the engine is told (after the engine answered). */
  onTransition?: (event: HealthEvent) => void;
  /** Tests inject the scheduler's prober, timers and randomness. */
  scheduler?: SchedulerOptions;
  /** Told every probe result with its check type (the daemon's latency histogram). */
  onProbe?: (type: string, result: ProbeResult) => void;
  /** Slow-start timers (default: the real ones). */
  rampTimers?: RampTimers;
  now?: () => number;
}

interface Use {
  ref: string;
  service: Service;
  address: string;
  port: number;
  /** The target key (the runner's target's own string once filed), or undefined when the service has no check. */
  key: string | undefined;
  /**
   * The target this backend uses, as serviceTargets made it: only until update() has filed it under its key
   * (then undefined; the runner's target holds it once for all its users).
   */
  target: Omit<HealthTarget, 'users'> | undefined;
}

/**
 * A probed target and the backends that use it. Built as one literal (never by spreading a target): V8 gave each
 * object spread at this site a map of its own, ~250 bytes a target of maps and descriptors at 40,000 targets.
 */
interface RunnerTarget extends ScheduledTarget {
  users: Use[];
}

/** Every enabled backend of an enabled service, with its target when it is checked. */
function serviceUses(service: Service): Use[] {
  if (!service.enabled) return [];
  const targetOf = new Map(serviceTargets(service).map((t) => [`${t.user.address} ${t.user.port}`, t.target]));
  const uses: Use[] = [];
  for (const b of service.backends) {
    if (!b.enabled) continue;
    const target = targetOf.get(`${b.address} ${b.port}`);
    // Every field in the literal: a use built with a conditional spread kept its fields out of line.
    uses.push({ ref: backendRef(service.name, b.address, b.port), service, address: b.address, port: b.port, key: target?.key, target });
  }
  return uses;
}

interface Ramp {
  step: number;
  steps: number;
  timer?: unknown;
}

interface Manual {
  state: 'up' | 'down';
  since: number;
  transitions: number;
}

const realRampTimers: RampTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** How many steps a slow start takes: at least 4 (25 % each), at most 10, about one a second in between. */
export function slowStartSteps(seconds: number): number {
  return Math.min(10, Math.max(4, Math.ceil(seconds)));
}

export class HealthRunner {
  /** In-process when the tests inject its parts; else on a worker thread (worker-scheduler.ts). */
  private readonly scheduler: HealthScheduler | WorkerScheduler;
  private readonly now: () => number;
  private readonly timers: RampTimers;
  private config: Config | null = null;
  private targets = new Map<string, RunnerTarget>();
  /** Every enabled backend of every enabled service, by backendRef. */
  private uses = new Map<string, Use>();
  /** What the last update made of each service, by name (its object: unchanged while the same). */
  private readonly byService = new Map<string, { service: Service; uses: Use[] }>();
  private readonly manual = new Map<string, Manual>();
  private readonly ramps = new Map<string, Ramp>();
  /** What the engine has been told, by backendRef (absent = nothing = up). */
  private readonly sent = new Map<string, HealthVerdict>();
  private stopped = false;

  constructor(private readonly opts: HealthRunnerOptions) {
    this.now = opts.now ?? (() => Date.now());
    this.timers = opts.rampTimers ?? realRampTimers;
    // A worker keeps 10,000 probes a second off this event loop (the engine, the control socket); injected
    // probers and timers are functions, which cannot cross to a worker: with them the scheduler runs here.
    this.scheduler = opts.scheduler
      ? new HealthScheduler({ probeAllowed: opts.lab ? loopbackOnly : anyAddress, ...opts.scheduler })
      : new WorkerScheduler({ lab: opts.lab, onRestart: (error) => opts.log('error', `health: the probe worker failed (${error}); started again`) });
    this.scheduler.on('verdict', (key, verdict, transition) => this.onVerdict(key, verdict, transition));
    const onProbe = opts.onProbe;
    if (onProbe) this.scheduler.on('result', (key, result) => onProbe(this.targets.get(key)?.check.type ?? 'unknown', result));
  }

  /**
   * Make the probed set the targets of `config`. Unchanged targets keep their verdict, streaks and rhythm (a
   * reload does not flap them); a changed check is a new target and starts unknown (= up). Backends whose state
   * the engine was told and that now count as up (gone, check removed, new target) are told so.
   *
   * Only the services that are not the very objects of the last update are looked at: the store shares a frozen
   * service between revisions until it changes, so a one-weight commit among 10,000 services recomputes one
   * service's backends and targets, not 40,000 (a reload from the files makes new objects: everything is new).
   */
  update(config: Config): Promise<void> {
    if (this.stopped) return Promise.resolve();
    const previous = this.config;
    this.config = config;
    const gone: Use[] = [];
    const added: Use[] = [];
    // Services changed in place (the usual commit): found by identity against the previous configuration
    // (config/delta.ts), so a one-weight commit among 10,000 services looks at one, not at every name.
    // (The same list again may have been changed in place by its holder: then every service is looked at.)
    const inPlace = previous && previous.services !== config.services ? changedIndexesInPlace(previous.services, config.services) : null;
    const seen = new Set<string>();
    for (const service of inPlace ? inPlace.map((i) => config.services[i]) : config.services) {
      seen.add(service.name);
      const had = this.byService.get(service.name);
      if (had?.service === service) continue;
      if (had) gone.push(...had.uses);
      const uses = serviceUses(service);
      this.byService.set(service.name, { service, uses });
      added.push(...uses);
    }
    if (!inPlace && this.byService.size > seen.size) {
      for (const [name, had] of this.byService) {
        if (seen.has(name)) continue;
        gone.push(...had.uses);
        this.byService.delete(name);
      }
    }
    if (gone.length === 0 && added.length === 0) return Promise.resolve();

    let targetsChanged = false;
    const keyBefore = new Map<string, string | undefined>();
    for (const u of gone) {
      keyBefore.set(u.ref, u.key);
      if (this.uses.get(u.ref) === u) this.uses.delete(u.ref);
      if (u.key === undefined) continue;
      const t = this.targets.get(u.key);
      if (!t) continue;
      t.users = t.users.filter((x) => x !== u);
      if (t.users.length === 0) {
        this.targets.delete(u.key);
        targetsChanged = true;
      }
    }
    for (const u of added) {
      this.uses.set(u.ref, u);
      const made = u.target;
      if (made === undefined) continue;
      u.target = undefined;
      let t = this.targets.get(made.key);
      if (t === undefined) {
        // The key flat (targetKey builds it as a rope of its parts), and shared by the target's uses, the
        // scheduler's mirror and the worker's copy.
        t = { key: flat(made.key), address: made.address, port: made.port, check: made.check, users: [u] };
        this.targets.set(t.key, t);
        targetsChanged = true;
      } else t.users.push(u);
      u.key = t.key;
    }
    if (targetsChanged) this.scheduler.update([...this.targets.values()]);

    // A ramp or a hand-set verdict outlives a reload only where the backend still has the same check.
    const affected = [...new Set([...gone, ...added].map((u) => u.ref))];
    for (const ref of affected) {
      const now = this.uses.get(ref);
      if (this.ramps.has(ref) && (!now || now.key === undefined || now.key !== keyBefore.get(ref) || !(now.service.slow_start_s! > 0))) this.endRamp(ref);
      if (this.manual.has(ref) && now?.key === undefined) this.manual.delete(ref);
    }
    return this.push(affected).then(() => undefined);
  }

  /** Stops every probe and ramp; resolves when the probes in flight have settled. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const ref of [...this.ramps.keys()]) this.endRamp(ref);
    await this.scheduler.stop();
  }

  /** `show health [service NAME]`. */
  report(service?: string): HealthReport {
    const rows: HealthRow[] = [];
    const services: HealthServiceSummary[] = [];
    const config = this.config;
    if (config && service !== undefined && !config.services.some((s) => s.name === service))
      throw new Error(`service "${service}" does not exist in the running configuration`);
    const inputs: EngineInputs = { ...NO_INPUTS, verdicts: this.sent };
    for (const s of config?.services ?? []) {
      if (service !== undefined && s.name !== service) continue;
      if (!s.enabled) continue;
      const live = s.backends.filter((b) => b.enabled);
      for (const b of live) rows.push(this.row(s, backendRef(s.name, b.address, b.port)));
      const healthy = healthyCount(s, live, inputs);
      const quorum = s.quorum ?? 1;
      services.push({
        service: s.name,
        backends: live.length,
        healthy,
        quorum,
        ...(s.sorry !== undefined ? { sorry: s.sorry, sorryActive: healthy < quorum } : {}),
      });
    }
    return { lab: this.opts.lab, generatedAt: new Date(this.now()).toISOString(), rows, services };
  }

  /**
   * Per enabled backend its state and transitions, per service its healthy count and quorum: what the metrics
   * need, without the words and times of report() (which costs seconds a scrape at 40,000 backends).
   */
  states(): { backends: BackendState[]; services: HealthServiceSummary[] } {
    const backends: BackendState[] = [];
    const services: HealthServiceSummary[] = [];
    const inputs: EngineInputs = { ...NO_INPUTS, verdicts: this.sent };
    for (const s of this.config?.services ?? []) {
      if (!s.enabled) continue;
      const live = s.backends.filter((b) => b.enabled);
      for (const b of live) {
        const u = this.uses.get(backendRef(s.name, b.address, b.port));
        const checked = u?.key !== undefined && this.targets.has(u.key);
        const v = checked ? this.scheduler.verdict(u.key!) : undefined;
        const m = u ? this.manual.get(u.ref) : undefined;
        backends.push({ service: s.name, address: b.address, port: b.port, state: u && checked ? this.stateOf(u) : 'up', transitions: (v?.transitions ?? 0) + (m?.transitions ?? 0) });
      }
      const healthy = healthyCount(s, live, inputs);
      services.push({ service: s.name, backends: live.length, healthy, quorum: s.quorum ?? 1 });
    }
    return { backends, services };
  }

  /** Lab only: set (or with `auto`, clear) the verdict of the backends at `address` by hand. */
  async setManual(req: ManualHealthRequest): Promise<ManualHealthResult> {
    if (!this.opts.lab)
      throw new Error('a backend\'s health is set by hand only in the lab (lbctl daemon --lab): in production the checks decide');
    if (req.state !== 'up' && req.state !== 'down' && req.state !== 'auto') throw new Error(`health state must be up, down or auto, not ${JSON.stringify(req.state)}`);
    const matches = [...this.uses.values()].filter(
      (u) => sameAddress(u.address, req.address) && (req.service === undefined || u.service.name === req.service) && (req.port === undefined || u.port === req.port),
    );
    if (matches.length === 0)
      throw new Error(`no enabled backend ${req.address}${req.port !== undefined ? ` port ${req.port}` : ''}${req.service !== undefined ? ` in service ${req.service}` : ''} in the running configuration`);
    const checked = matches.filter((u) => u.key !== undefined);
    if (checked.length === 0)
      throw new Error(`${req.address}: ${matches.map((u) => u.service.name).join(', ')} has no health check, so its backends are always up (set health type first)`);
    const changed: HealthEvent[] = [];
    for (const u of checked) {
      const before = this.stateOf(u);
      const had = this.manual.get(u.ref);
      if (req.state === 'auto') this.manual.delete(u.ref);
      else if (had?.state !== req.state) this.manual.set(u.ref, { state: req.state, since: this.now(), transitions: (had?.transitions ?? 0) + 1 });
      const after = this.stateOf(u);
      if (before === after) continue;
      if (after === 'down') this.endRamp(u.ref);
      if (before === 'down' && after !== 'down') this.startRamp(u);
      changed.push({
        target: `hand: ${u.ref}`,
        from: before,
        to: after,
        backends: [u.ref],
        reason: req.state === 'auto' ? 'hand-set verdict cleared (the checks decide again)' : 'set by hand',
        message: '',
        result: null,
      });
    }
    const result = await this.push(checked.map((u) => u.ref));
    for (const e of changed) {
      e.result = result;
      e.message = `health: ${e.backends[0]}: ${e.from} → ${e.to} (${e.reason})${this.effect(e.backends)}`;
      this.tell(e);
    }
    return {
      backends: checked.map((u) => u.ref),
      changed: changed.length,
      state: req.state,
      ...(matches.length > checked.length ? { unchecked: matches.filter((u) => u.key === undefined).map((u) => u.ref) } : {}),
    };
  }

  // ---- internals ----

  private onVerdict(key: string, verdict: Verdict, transition: Transition): void {
    const target = this.targets.get(key);
    if (!target || this.stopped) return;
    const refs = target.users.map((u) => u.ref).filter((ref) => this.uses.has(ref));
    for (const ref of refs) {
      if (this.manual.has(ref)) continue;
      if (transition.to === 'down') this.endRamp(ref);
      else if (transition.from === 'down') this.startRamp(this.uses.get(ref)!);
    }
    const why =
      transition.to === 'down'
        ? `after ${transition.streak} failed probe${transition.streak === 1 ? '' : 's'}${transition.error ? ` (${transition.error})` : ''}`
        : transition.from === 'unknown'
          ? 'on its first good probe'
          : `after ${transition.streak} good probe${transition.streak === 1 ? '' : 's'}`;
    const event: HealthEvent = { target: key, from: transition.from, to: transition.to, backends: refs, reason: transition.error ?? why, message: '', result: null };
    const done = (result: ApplyResult | null) => {
      event.result = result;
      event.message = `health: ${key}: ${transition.from} → ${transition.to} ${why}${this.effect(refs)}`;
      // unknown → up changes nothing the kernel was told (unknown already counts as up): logged, not audited.
      if (transition.from === 'unknown' && transition.to === 'up') this.opts.log('info', event.message);
      else this.tell(event);
    };
    void this.push(refs).then(done, (e: Error) => {
      this.opts.log('error', `health: ${key}: the engine refused the verdict ${transition.to}: ${e.message}`);
      done(null);
    });
  }

  /** ` ; web/127.0.0.1:8080 weight 0 (inhibit)`: what the backends became. */
  private effect(refs: string[]): string {
    const parts = refs.map((ref) => {
      const u = this.uses.get(ref);
      if (!u) return ref;
      const v = this.sent.get(ref) ?? { state: 'up' as const };
      const weight = this.configuredWeight(u);
      if (v.state === 'down') return `${ref} ${u.service.on_down === 'remove' ? 'removed' : 'weight 0 (inhibit)'}`;
      if (v.state === 'recovering') return `${ref} weight ${Math.max(1, Math.floor(weight * v.fraction))} of ${weight} (slow start)`;
      return `${ref} weight ${weight}`;
    });
    return parts.length ? `; ${parts.join(', ')}` : '';
  }

  private configuredWeight(u: Use): number {
    return u.service.backends.find((b) => b.address === u.address && b.port === u.port)?.weight ?? 0;
  }

  private tell(event: HealthEvent): void {
    this.opts.log(event.to === 'down' ? 'warning' : 'info', event.message);
    try {
      this.opts.onTransition?.(event);
    } catch (e) {
      this.opts.log('error', `health: the transition could not be audited: ${(e as Error).message}`);
    }
  }

  /** The state a backend is in, for the engine and for `show health`: hand-set, else its target's. */
  private stateOf(u: Use): 'up' | 'down' | 'unknown' {
    const m = this.manual.get(u.ref);
    if (m) return m.state;
    if (u.key === undefined) return 'up';
    return this.scheduler.verdict(u.key)?.state ?? 'unknown';
  }

  private desired(ref: string): HealthVerdict {
    const u = this.uses.get(ref);
    if (!u) return { state: 'up' };
    if (this.stateOf(u) === 'down') return { state: 'down' };
    const ramp = this.ramps.get(ref);
    if (ramp) return { state: 'recovering', fraction: ramp.step / ramp.steps };
    return { state: 'up' };
  }

  /** Tell the engine what changed among `refs` (one call; only the services concerned are replanned). */
  private push(refs: string[]): Promise<ApplyResult | null> {
    const changes = new Map<string, HealthVerdict>();
    for (const ref of refs) {
      const want = this.desired(ref);
      const had = this.sent.get(ref) ?? { state: 'up' };
      if (sameVerdict(want, had)) continue;
      changes.set(ref, want);
      if (want.state === 'up') this.sent.delete(ref);
      else this.sent.set(ref, want);
    }
    if (changes.size === 0) return Promise.resolve(null);
    return this.opts.setVerdicts(changes).then((result) => {
      if (result && !result.ok)
        this.opts.log('error', `health: the kernel refused a verdict change: ${result.failed?.message ?? result.dataplaneError ?? result.refused ?? 'unknown error'} (the next drift check retries)`);
      return result;
    });
  }

  private startRamp(u: Use): void {
    const seconds = u.service.slow_start_s ?? 0;
    this.endRamp(u.ref);
    if (!(seconds > 0) || this.stopped) return;
    const steps = slowStartSteps(seconds);
    const ramp: Ramp = { step: 1, steps };
    this.ramps.set(u.ref, ramp);
    const every = (seconds * 1000) / steps;
    const tick = () => {
      ramp.timer = undefined;
      if (this.ramps.get(u.ref) !== ramp) return;
      ramp.step++;
      if (ramp.step >= ramp.steps) this.ramps.delete(u.ref);
      else ramp.timer = this.timers.setTimeout(tick, every);
      void this.push([u.ref]).then((result) => {
        if (result) this.opts.log('info', `health: ${u.ref}: slow start ${this.ramps.has(u.ref) ? `${Math.round((100 * ramp.step) / ramp.steps)} %` : 'done'}${this.effect([u.ref])}`);
      });
    };
    ramp.timer = this.timers.setTimeout(tick, every);
  }

  private endRamp(ref: string): void {
    const ramp = this.ramps.get(ref);
    if (!ramp) return;
    if (ramp.timer !== undefined) this.timers.clearTimeout(ramp.timer);
    this.ramps.delete(ref);
  }

  private row(s: Service, ref: string): HealthRow {
    const u = this.uses.get(ref);
    const b = s.backends.find((x) => backendRef(s.name, x.address, x.port) === ref)!;
    const base = { service: s.name, backend: b.port ? hostPortText(b.address, b.port) : b.address, address: canonicalAddress(b.address), port: b.port, weight: b.weight };
    const target = u?.key !== undefined ? this.targets.get(u.key) : undefined;
    if (!u || !target) return { ...base, check: 'none', state: 'up', detail: 'no check: always up', since: null, last: null, latencyMs: null, transitions: 0, probes: 0 };
    const v = this.scheduler.verdict(target.key);
    const m = this.manual.get(ref);
    const ramp = this.ramps.get(ref);
    const state = this.stateOf(u);
    const details: string[] = [];
    if (m) details.push('set by hand');
    else if (v?.reason) details.push(v.reason);
    if (ramp && state !== 'down') details.push(`slow start ${Math.round((100 * ramp.step) / ramp.steps)} %`);
    if (state === 'down') details.push(s.on_down === 'remove' ? 'removed' : 'inhibited');
    const last = v?.last;
    return {
      ...base,
      check: checkText(target),
      state,
      ...(details.length ? { detail: details.join(', ') } : {}),
      since: new Date(m?.since ?? v?.since ?? this.now()).toISOString(),
      last: last ? (last.ok ? 'ok' : (last.error ?? 'failed')) : null,
      latencyMs: last ? Math.round(last.latencyMs * 10) / 10 : null,
      transitions: (v?.transitions ?? 0) + (m?.transitions ?? 0),
      probes: v?.probes ?? 0,
    };
  }
}

function sameVerdict(a: HealthVerdict, b: HealthVerdict): boolean {
  return a.state === b.state && (a.state !== 'recovering' || (b.state === 'recovering' && a.fraction === b.fraction));
}

function sameAddress(a: string, b: string): boolean {
  return a === b || backendRef('', a, 0) === backendRef('', b, 0);
}

function hostPortText(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** `tcp :8080`, `http GET / :80`, `dns A example.org :53`. */
function checkText(t: ScheduledTarget): string {
  const c = t.check;
  const port = t.port ? ` :${t.port}` : '';
  if ((c.type === 'http' || c.type === 'https') && c.http) return `${c.type} ${c.http.method} ${c.http.path}${port}`;
  if (c.type === 'dns' && c.dns) return `dns ${c.dns.record_type} ${c.dns.query}${port}`;
  return `${c.type.replace(/_/g, '-')}${port}`;
}
