// The watcher's memory: each instance's state, since when, what said so. Pure (the clock is passed in).
// Every source (kernel event, poll, start-up read, ha.source none) ends here as an Observation; `apply` decides
// whether it is a transition, and marks the poll overruling an event (docs/ha.md, "Events and the poll").
import type { Ha, VrrpInstance } from '../../config/model.js';
import type { HaSnapshot, VrrpInstanceState, VrrpState, VrrpStateSource, VrrpTransition } from './types.js';
import { familiesOf } from './vmac.js';

export interface Observation {
  state: VrrpState;
  reason?: string;
  /** This node says Master but cannot really be (its parent link is down): the peer is Master too. */
  splitBrain?: boolean;
  priority?: number;
}

const sameInstance = (a: VrrpInstance, b: VrrpInstanceState) =>
  a.vrid === b.vrid && a.interface === b.interface && a.vips.join() === b.vips.join();

export class HaStateTable {
  private readonly states = new Map<string, VrrpInstanceState>();

  constructor(
    private readonly ha: Ha,
    private readonly now: () => number,
    previous?: HaStateTable,
  ) {
    const at = new Date(now()).toISOString();
    for (const i of ha.instances) {
      const old = previous?.states.get(i.name);
      // An instance the update did not change keeps what is known of it (no false transition on a commit).
      if (old && sameInstance(i, old)) {
        this.states.set(i.name, { ...old, programs: this.programs(old.state) });
        continue;
      }
      this.states.set(i.name, {
        name: i.name,
        vrid: i.vrid,
        interface: i.interface,
        family: familiesOf(i.vips)[0],
        state: 'unknown',
        since: at,
        source: 'start',
        vips: [...i.vips],
        reason: 'not read yet',
        programs: this.programs('unknown'),
      });
    }
  }

  get(name: string): VrrpInstanceState | undefined {
    return this.states.get(name);
  }

  names(): string[] {
    return [...this.states.keys()];
  }

  /**
   * Record what `source` observed. Returns the transition when the state (or the split-brain mark) changed,
   * else null; a changed reason or priority is kept without a transition.
   */
  apply(name: string, obs: Observation, source: VrrpStateSource): VrrpTransition | null {
    const cur = this.states.get(name);
    if (!cur) return null;
    const splitBrain = obs.state === 'master' && obs.splitBrain === true;
    const stateChanged = cur.state !== obs.state;
    const splitChanged = (cur.splitBrain === true) !== splitBrain;
    const at = new Date(this.now()).toISOString();
    const next: VrrpInstanceState = { ...cur, state: obs.state, programs: this.programs(obs.state) };
    if (stateChanged) {
      next.since = at;
      next.source = source;
    }
    if (obs.reason) next.reason = obs.reason;
    else delete next.reason;
    if (splitBrain) next.splitBrain = true;
    else delete next.splitBrain;
    if (obs.priority !== undefined) next.priority = obs.priority;
    this.states.set(name, next);
    if (!stateChanged && !splitChanged) return null;
    const t: VrrpTransition = { instance: name, from: cur.state, to: obs.state, at, source };
    if (obs.reason) t.reason = obs.reason;
    // The poll overrules what an event said: the poll asked vrrpd (or read every address) itself.
    if (stateChanged && source === 'poll' && cur.source === 'event') t.disagreement = true;
    if (splitChanged) t.splitBrain = splitBrain;
    return t;
  }

  snapshot(): HaSnapshot {
    const instances = [...this.states.values()].map((s) => ({ ...s, vips: [...s.vips] }));
    return { source: this.ha.source, program: this.ha.program, instances, summary: summarize(this.ha, instances) };
  }

  private programs(state: VrrpState): boolean {
    return this.ha.program === 'always' || state === 'master';
  }
}

/**
 * One word for the prompt line. The worst news wins: unknown (we cannot tell), then split-brain (we claim Master
 * but should not), then master (this node serves at least one instance), else backup.
 */
export function summarize(ha: Ha, instances: readonly VrrpInstanceState[]): HaSnapshot['summary'] {
  if (ha.source === 'none' || instances.length === 0) return 'none';
  if (instances.some((i) => i.state === 'unknown')) return 'unknown';
  if (instances.some((i) => i.splitBrain)) return 'master,split-brain';
  if (instances.some((i) => i.state === 'master')) return 'master';
  return 'backup';
}
