// A hand-driven HaWatcherLike for tests of what consumes the watcher (the daemon's wiring, the engine's role
// input, `show vrrp`): the test sets states and the fake calls onChange as the real watcher would. Importing
// this file has no side effects.
import type { Ha } from '../../config/model.js';
import type { HaChange, HaSnapshot, HaWatcherLike, VrrpState, VrrpStateSource, VrrpTransition } from '../../engine/ha/types.js';

export class FakeHaWatcher implements HaWatcherLike {
  private states = new Map<string, { state: VrrpState; since: string; source: VrrpStateSource; reason?: string }>();
  splitBrain = false;
  started = false;
  stopped = false;
  updates: Ha[] = [];

  constructor(
    private ha: Ha,
    private readonly onChange: HaChange,
    initial: Record<string, VrrpState> = {},
    private readonly now: () => Date = () => new Date('2026-11-30T14:00:00Z'),
  ) {
    for (const i of ha.instances) this.states.set(i.name, { state: initial[i.name] ?? 'unknown', since: this.now().toISOString(), source: 'start' });
  }

  async start(): Promise<void> {
    this.started = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
  }

  async update(ha: Ha): Promise<void> {
    this.updates.push(ha);
    this.ha = ha;
    for (const i of ha.instances) if (!this.states.has(i.name)) this.states.set(i.name, { state: 'unknown', since: this.now().toISOString(), source: 'start' });
  }

  /** Move instances to new states; one onChange with every transition, as the watcher does. */
  set(changes: Record<string, VrrpState>, source: VrrpStateSource = 'event', reason?: string): VrrpTransition[] {
    const at = this.now().toISOString();
    const transitions: VrrpTransition[] = [];
    for (const [name, to] of Object.entries(changes)) {
      const from = this.states.get(name)?.state ?? 'unknown';
      if (from === to) continue;
      this.states.set(name, { state: to, since: at, source, ...(reason ? { reason } : {}) });
      transitions.push({ instance: name, from, to, at, source, ...(reason ? { reason } : {}) });
    }
    if (transitions.length) this.onChange(this.snapshot(), transitions);
    return transitions;
  }

  snapshot(): HaSnapshot {
    const instances = this.ha.instances.map((i) => {
      const s = this.states.get(i.name)!;
      return {
        name: i.name,
        vrid: i.vrid,
        interface: i.interface,
        family: (i.vips.some((v) => v.includes(':')) ? 'inet6' : 'inet') as 'inet' | 'inet6',
        state: s.state,
        since: s.since,
        source: s.source,
        vips: i.vips,
        ...(s.reason ? { reason: s.reason } : {}),
        programs: this.ha.program === 'always' || s.state === 'master',
      };
    });
    const states = instances.map((i) => i.state);
    const summary: HaSnapshot['summary'] =
      this.ha.source === 'none'
        ? 'none'
        : states.includes('unknown')
          ? 'unknown'
          : states.includes('master')
            ? this.splitBrain
              ? 'master,split-brain'
              : 'master'
            : 'backup';
    return { source: this.ha.source, program: this.ha.program, instances, summary };
  }
}
