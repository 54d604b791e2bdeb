// The HA watcher: keeps each configured VRRP instance's state on this node (master / backup / unknown) from
// FRR or keepalived, and calls onChange after every transition. Kernel events give the change within
// milliseconds; a poll every ha.poll_interval_ms is the truth they are checked against (the poll wins).
// Everything it touches is injected (command runner, clock, kernel): unit tests need neither FRR nor root.
import type { Ha } from '../../config/model.js';
import { dumpAddrs, dumpLinks, subscribe, type RtEvent, type Subscription } from '../../netlink/rtnetlink.js';
import type { Change, DriverContext, HaKernel, HaLog, SourceDriver } from './driver.js';
import { FrrDriver } from './frr-driver.js';
import { KeepalivedDriver } from './keepalived-driver.js';
import { HaStateTable } from './state.js';
import type { HaChange, HaSnapshot, HaWatcherLike, VrrpTransition } from './types.js';
import { execFileRunner, type CommandRunner } from './vtysh.js';

export interface HaWatcherOptions {
  /** Called after every batch of transitions with the new snapshot. */
  onChange?: HaChange;
  /** Runs vtysh (default: execFile). */
  run?: CommandRunner;
  /** Milliseconds since the epoch (default Date.now): the `since` and `at` times. */
  clock?: () => number;
  /** rtnetlink in this namespace (default: netlink/rtnetlink.ts). */
  kernel?: HaKernel;
  log?: HaLog;
  /** The vtysh program (default `vtysh`, found on PATH). */
  vtysh?: string;
  /** Longest wait for one vtysh answer (default 5 s, at most the poll interval). */
  commandTimeoutMs?: number;
}

export const rtnetlinkKernel: HaKernel = {
  subscribe: (groups) => subscribe({ groups }),
  dumpLinks: () => dumpLinks(),
  dumpAddrs: () => dumpAddrs(),
};

/** ha.source none: nothing to watch, every instance is Master for good (a single balancer). */
class StaticDriver implements SourceDriver {
  readonly groups: number[] = [];
  constructor(private readonly ctx: DriverContext) {}
  async read(): Promise<void> {
    this.ctx.commit(this.ctx.ha.instances.map((i) => ({ name: i.name, obs: { state: 'master' as const }, source: 'static' as const })));
  }
  onEvent(): void {}
  resync(): void {}
}

export class HaWatcher implements HaWatcherLike {
  private ha: Ha;
  private table: HaStateTable;
  private driver: SourceDriver | null = null;
  private sub: Subscription | null = null;
  private pump: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<void> | null = null;
  private running = false;
  /** Bumped by stop(): a poll timer of an earlier start must not re-arm itself after a restart (update()). */
  private generation = 0;
  private readonly clock: () => number;
  private readonly log: HaLog;

  constructor(
    ha: Ha,
    private readonly opts: HaWatcherOptions = {},
  ) {
    this.ha = ha;
    this.clock = opts.clock ?? Date.now;
    this.log = opts.log ?? (() => {});
    this.table = new HaStateTable(ha, this.clock);
  }

  snapshot(): HaSnapshot {
    return this.table.snapshot();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    const ctx = this.context();
    const driver = this.ha.source === 'frr' ? new FrrDriver(ctx) : this.ha.source === 'keepalived' ? new KeepalivedDriver(ctx) : new StaticDriver(ctx);
    this.driver = driver;
    // Subscribe before the first read, so a transition between the read and the subscription is not lost.
    await this.subscribe();
    // A stop() during these awaits wins: its read is dropped (commit checks `running`), no timer is armed.
    await driver.read('start');
    this.schedule();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sub?.close();
    this.sub = null;
    await Promise.all([this.pump, this.polling]);
    this.pump = null;
    this.driver = null;
  }

  /** A commit changed `ha`: instances that did not change keep their state; the sources restart. */
  async update(ha: Ha): Promise<void> {
    const wasRunning = this.running;
    await this.stop();
    this.ha = ha;
    this.table = new HaStateTable(ha, this.clock, this.table);
    if (wasRunning) await this.start();
  }

  /** Read the truth now (what the timer does; also for an operator's refresh). Concurrent calls share one read. */
  poll(): Promise<void> {
    if (!this.running || !this.driver) return Promise.resolve();
    if (this.polling) return this.polling;
    const driver = this.driver;
    this.polling = (async () => {
      try {
        // The event socket failed earlier: try again, so events come back without a restart.
        if (!this.sub && driver.groups.length) {
          await this.subscribe();
          driver.resync();
        }
        await driver.read('poll');
      } catch (e) {
        this.log('warn', `VRRP poll failed: ${(e as Error).message}`);
      } finally {
        this.polling = null;
      }
    })();
    return this.polling;
  }

  private schedule(): void {
    if (!this.running || this.ha.source === 'none') return;
    const generation = this.generation;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.poll().then(() => {
        if (generation === this.generation) this.schedule();
      });
    }, this.ha.poll_interval_ms);
  }

  private async subscribe(): Promise<void> {
    const driver = this.driver;
    if (!driver || driver.groups.length === 0) return;
    const kernel = this.opts.kernel ?? rtnetlinkKernel;
    const generation = this.generation;
    let sub: Subscription;
    try {
      sub = await kernel.subscribe(driver.groups);
    } catch (e) {
      // Events only make reactions fast; the poll still tells the truth.
      this.log('warn', `no rtnetlink events (${(e as Error).message}): following VRRP by polling only`);
      return;
    }
    if (generation !== this.generation) {
      sub.close(); // stopped while subscribing
      return;
    }
    this.sub = sub;
    this.pump = (async () => {
      try {
        for await (const ev of sub) {
          if (!this.running) break;
          this.handle(driver, ev);
        }
      } catch (e) {
        if (this.running) this.log('warn', `rtnetlink events stopped (${(e as Error).message}): polling only until the next poll re-subscribes`);
      } finally {
        if (this.sub === sub) this.sub = null;
      }
    })();
  }

  private handle(driver: SourceDriver, ev: RtEvent): void {
    if (ev.kind === 'overrun') {
      this.log('warn', 'the kernel dropped rtnetlink events: reading the state now');
      driver.resync();
      void this.poll();
      return;
    }
    driver.onEvent(ev);
  }

  private context(): DriverContext {
    return {
      ha: this.ha,
      kernel: this.opts.kernel ?? rtnetlinkKernel,
      run: this.opts.run ?? execFileRunner,
      vtysh: this.opts.vtysh ?? 'vtysh',
      commandTimeoutMs: Math.min(this.opts.commandTimeoutMs ?? 5000, Math.max(this.ha.poll_interval_ms, 1000)),
      log: this.log,
      current: (name) => this.table.get(name),
      commit: (changes) => this.commit(changes),
      subscribed: () => this.sub !== null,
      drainEvents: () => {
        const sub = this.sub;
        const driver = this.driver;
        if (!sub || !driver) return;
        try {
          for (const ev of sub.drain()) this.handle(driver, ev);
        } catch (e) {
          this.log('warn', `rtnetlink events: ${(e as Error).message}`);
        }
      },
    };
  }

  private commit(changes: Change[]): void {
    if (!this.running) return;
    const transitions: VrrpTransition[] = [];
    for (const c of changes) {
      const before = this.table.get(c.name);
      const t = this.table.apply(c.name, c.obs, c.source);
      if (!t) continue;
      transitions.push(t);
      if (t.disagreement)
        this.log('warn', `VRRP ${c.name}: the last event said ${before?.state}, the poll says ${t.to}; the poll wins`, { ...t });
      const split = t.splitBrain === true ? ' (split brain)' : t.splitBrain === false ? ' (split brain over)' : '';
      this.log('info', `VRRP ${c.name}: ${t.from} → ${t.to}${split} (${t.source}${t.reason ? `: ${t.reason}` : ''})`, { ...t });
    }
    if (!transitions.length) return;
    try {
      this.opts.onChange?.(this.table.snapshot(), transitions);
    } catch (e) {
      this.log('warn', `HA onChange failed: ${(e as Error).message}`);
    }
  }
}
