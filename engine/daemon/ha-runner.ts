// The daemon's VRRP following: the HA watcher (engine/ha/) built from the running configuration's `ha` section,
// its picture turned into the engine's per-instance input at once (Engine.setVrrp: only the services whose VIP
// a changed instance holds are re-planned, from the cache), and every transition logged and handed to the audit.
//
//   ha section ──► watcher (frr | keepalived | none) ──onChange──► states by instance ──► Engine.setVrrp
//                                                             └──► one log line + one audit record per transition
//
// Both-Master (split brain) and unknown are the states an operator must hear about: they are logged as warnings
// (errors for split brain) every time they are entered, besides the `{…}` line of the shell and `doctor`.
import { isDeepStrictEqual } from 'node:util';
import type { Config, Ha } from '../../config/model.js';
import type { ApplyResult } from '../engine.js';
import type { VrrpStates } from '../ha/programming.js';
import type { HaChange, HaSnapshot, HaWatcherLike, VrrpState, VrrpTransition } from '../ha/types.js';
import type { Log } from './log.js';

/** Builds the watcher for an `ha` section (the real one: engine/ha/watcher.ts; tests inject fakes). */
export type HaWatcherFactory = (ha: Ha, onChange: HaChange, log: Log) => HaWatcherLike;

/** One transition as the daemon audits it, with what the engine did about it. */
export interface HaEvent {
  transition: VrrpTransition;
  /** The node's summary after it (`master,split-brain`, …). */
  summary: HaSnapshot['summary'];
  /** The line the daemon logged. */
  message: string;
  /** What the engine did (null: no service depends on the instance, or nothing is running). */
  result: ApplyResult | null;
}

export interface HaRunnerOptions {
  create: HaWatcherFactory;
  /** The engine's event path (Engine.setVrrp). */
  setVrrp: (states: VrrpStates) => Promise<ApplyResult | null>;
  log: Log;
  /** Called once per transition, after the engine answered. */
  onTransition?: (event: HaEvent) => void;
}

/** Instance name → state, as the engine takes it. */
export function statesOf(snapshot: HaSnapshot | null): Map<string, VrrpState> {
  return new Map((snapshot?.instances ?? []).map((i) => [i.name, i.state]));
}

export class HaRunner {
  private watcher: HaWatcherLike | null = null;
  private ha: Ha | null = null;
  private lastSummary: HaSnapshot['summary'] | null = null;
  /** Transitions reach the engine one after another, in the order the watcher saw them. */
  private chain: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(private readonly opts: HaRunnerOptions) {}

  /** Start watching `ha` and give the engine the first picture (before the daemon's cold start programs anything). */
  async start(ha: Ha): Promise<void> {
    this.ha = structuredClone(ha);
    const watcher = this.opts.create(this.ha, (s, t) => this.onChange(s, t), this.opts.log);
    this.watcher = watcher;
    await watcher.start();
    const first = watcher.snapshot();
    this.noteSummary(first);
    await this.opts.setVrrp(statesOf(first));
  }

  /** The watcher's picture now (null before start). */
  snapshot(): HaSnapshot | null {
    return this.watcher?.snapshot() ?? null;
  }

  /** The running configuration changed (commit, reload, rollback): pass a changed `ha` section on. */
  follow(config: Config | null): void {
    const ha = config?.ha;
    if (!ha || !this.watcher || this.stopped || isDeepStrictEqual(ha, this.ha)) return;
    this.ha = structuredClone(ha);
    const watcher = this.watcher;
    this.enqueue(async () => {
      await watcher.update(ha);
      // Instances renamed, added or removed change the engine's picture even without a transition.
      await this.opts.setVrrp(statesOf(watcher.snapshot()));
      this.opts.log('info', `vrrp: following the new ha section (source ${ha.source}, program ${ha.program}, ${ha.instances.length} instance(s))`);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => {});
    await this.watcher?.stop().catch(() => {});
    this.watcher = null;
  }

  private onChange(snapshot: HaSnapshot, transitions: VrrpTransition[]): void {
    if (this.stopped) return;
    this.enqueue(async () => {
      let result: ApplyResult | null = null;
      let failure: string | null = null;
      try {
        result = await this.opts.setVrrp(statesOf(snapshot));
      } catch (e) {
        failure = (e as Error).message;
      }
      if (result && !result.ok) failure = result.failed?.message ?? result.dataplaneError ?? 'the kernel refused';
      const ops = result?.applied.length ?? 0;
      for (const t of transitions) {
        const message = transitionLine(t, snapshot, ops, failure);
        const loud = failure !== null || snapshot.summary === 'master,split-brain';
        this.opts.log(loud ? 'error' : t.to === 'unknown' ? 'warning' : 'info', message);
        this.opts.onTransition?.({ transition: t, summary: snapshot.summary, message, result });
      }
      this.noteSummary(snapshot);
    });
  }

  /** Split brain entered or left: said once, on its own line, whatever transition caused it. */
  private noteSummary(snapshot: HaSnapshot): void {
    const was = this.lastSummary;
    this.lastSummary = snapshot.summary;
    if (snapshot.summary === 'master,split-brain' && was !== 'master,split-brain')
      this.opts.log('error', `vrrp: SPLIT BRAIN: this node and its peer both claim Master (${describeInstances(snapshot)}); check the link between the balancers`);
    else if (was === 'master,split-brain' && snapshot.summary !== 'master,split-brain') this.opts.log('warning', `vrrp: split brain over: ${snapshot.summary}`);
    if (snapshot.summary === 'unknown' && was !== 'unknown')
      this.opts.log('warning', `vrrp: state unknown (${describeInstances(snapshot)}); services of unknown instances are kept as they are`);
  }

  private enqueue(fn: () => Promise<void>): void {
    this.chain = this.chain.then(fn).catch((e: Error) => this.opts.log('error', `vrrp: ${e.message}`));
  }
}

function describeInstances(s: HaSnapshot): string {
  return s.instances.map((i) => `${i.name} ${i.state}${i.reason ? ` (${i.reason})` : ''}`).join(', ') || 'no instances';
}

/** `vrrp: instance vi1 backup → master (event); 3 kernel operation(s)`. */
export function transitionLine(t: VrrpTransition, s: HaSnapshot, ops: number, failure: string | null): string {
  const extra = [
    t.reason ? t.reason : '',
    t.disagreement ? 'the event and the poll disagreed; the poll won' : '',
  ].filter(Boolean);
  const kernel = failure ? `; the kernel could not follow: ${failure}` : ops ? `; ${ops} kernel operation(s)` : '';
  const mark = s.summary === 'master,split-brain' ? ' [SPLIT BRAIN]' : t.to === 'unknown' ? ' [services kept as they are]' : '';
  // A split-brain mark set or cleared is a transition of its own, from master to master.
  const split = t.splitBrain === true ? ' (split brain)' : t.splitBrain === false ? ' (split brain over)' : '';
  return `vrrp: instance ${t.instance} ${t.from} → ${t.to}${split} (${t.source}${extra.length ? `: ${extra.join('; ')}` : ''})${mark}${kernel}`;
}
