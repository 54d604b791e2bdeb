// The daemon's side of the probe worker (probe-worker.ts): the same update/verdict/stop and events as a
// HealthScheduler, with the probing on another thread. Verdicts are mirrored here from the worker's batches, so
// verdict(key) answers at once (show health, the engine's inputs) and is never staler than one batch (≤ 20 ms;
// a state change comes at once). A worker that dies is started again with the current targets: they start
// unknown there, and their next results replace the verdicts kept here.
//
// The worker is started at the first update that has a target: a configuration without health checks has no
// second V8 isolate (its heap, its copy of node's environment: ~10 MiB of the daemon's memory).
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { HealthEvents, ScheduledTarget } from './scheduler.js';
import type { ProbeResult } from './types.js';
import { notProbedReason, throwLater } from './scheduler.js';
import { keptVerdict, verdictSnapshot, type Transition, type Verdict } from './verdict.js';
import { anyAddress, loopbackOnly } from './lab.js';
import { readResultInto, resultTarget, type FromWorker, type ToWorker, type WorkerSetup } from './worker-protocol.js';

interface Mirrored {
  /** Kept for the target's life and changed in place (verdict.ts copyVerdictInto): handed out as snapshots. */
  verdict: Verdict;
  /** The update that added the target: results of older generations are of a target removed since. */
  generation: number;
}

export interface WorkerSchedulerOptions extends WorkerSetup {
  /** Told when the worker failed and was started again (the daemon logs it). */
  onRestart?: (error: string) => void;
}

const RESTART_MS = 1000;
/** Updates whose key lists are kept for batches still in flight (see sentKeys). */
const KEPT_GENERATIONS = 16;
const NO_RESULT: ProbeResult = Object.freeze({ ok: false, latencyMs: 0, error: 'no result' });

const WORKER_URL = new URL('./probe-worker.js', import.meta.url);

/** The probe worker's young generation (V8's resourceLimits), MB. */
export const WORKER_YOUNG_GENERATION_MB = 8;

export class WorkerScheduler extends EventEmitter<HealthEvents> {
  private readonly mirror = new Map<string, Mirrored>();
  private targets: ScheduledTarget[] = [];
  private generation = 0;
  /**
   * The keys of each update sent, by generation, in the order sent: a result names its target by index into its
   * update's list (worker-protocol.ts). Kept until a batch of a later generation arrives (the worker sends every
   * result of an update before it applies the next one).
   */
  private readonly sentKeys = new Map<number, string[]>();
  /** Null until there is something to probe (see the top of this file). */
  private worker: Worker | null = null;
  private stopping?: Promise<void>;
  private restarting = false;

  constructor(private readonly options: WorkerSchedulerOptions) {
    super();
  }

  /** Whether the probe worker runs (the tests read it). */
  get started(): boolean {
    return this.worker !== null;
  }

  /** Makes the probed set `targets` (HealthScheduler.update); new targets read unknown at once. */
  update(targets: readonly ScheduledTarget[]): void {
    if (this.stopping) throw new Error('the health scheduler is stopped');
    const generation = ++this.generation;
    const allowed = this.options.lab ? loopbackOnly : anyAddress;
    const wanted = new Set<string>();
    const now = Date.now();
    for (const t of targets) {
      wanted.add(t.key);
      if (!this.mirror.has(t.key)) this.mirror.set(t.key, { verdict: keptVerdict(now, notProbedReason(t, allowed)), generation });
    }
    for (const key of this.mirror.keys()) if (!wanted.has(key)) this.mirror.delete(key);
    // The caller's targets, not copies (40,000 objects the caller holds anyway): what the worker needs of them is
    // taken at each post (workerTargets), since a caller's target also carries its users.
    this.targets = [...targets];
    this.sentKeys.set(generation, this.targets.map((t) => t.key));
    // Pruned when a later batch arrives; a worker with nothing to report (every target refused by the lab's
    // guard) sends none, so the oldest go here too. A batch of an update this far behind cannot still be in flight:
    // the worker sends an update's results before it applies the next one.
    for (const g of this.sentKeys.keys()) if (this.sentKeys.size > KEPT_GENERATIONS) this.sentKeys.delete(g);
    if (!this.worker) {
      // (A worker being restarted is still set: only a scheduler that never started has none.)
      if (this.targets.length === 0) return; // nothing to probe: no worker yet
      this.worker = this.start();
    }
    this.post({ type: 'update', generation, targets: workerTargets(this.targets) });
  }

  verdict(key: string): Verdict | undefined {
    const kept = this.mirror.get(key);
    return kept && verdictSnapshot(kept.verdict);
  }

  /** Stops the worker's probes (their sockets closed), then the worker. */
  stop(): Promise<void> {
    this.stopping ??= new Promise<void>((resolve) => {
      const worker = this.worker;
      // Never started, or the old worker is gone and the new one not started yet.
      if (!worker || this.restarting) return resolve();
      const done = () => void worker.terminate().then(() => resolve(), () => resolve());
      worker.removeAllListeners('exit');
      worker.once('exit', () => resolve());
      worker.on('message', (m: FromWorker) => m.type === 'stopped' && done());
      this.post({ type: 'stop' });
    });
    return this.stopping;
  }

  private start(): Worker {
    const setup: WorkerSetup = { lab: this.options.lab };
    // A young generation of 8 MB instead of V8's up to 48: the probes' garbage dies young, so more scavenges cost
    // nothing measurable, and the worker's committed heap shrinks. At 10,000 services x 4 with tcp checks every
    // second the daemon's RSS went 265-274 -> 245-251 MiB median, CPU per probe the same (docs/scale.md).
    const worker = new Worker(WORKER_URL, { workerData: setup, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    worker.on('message', (m: FromWorker) => this.receive(m));
    worker.on('error', (err) => this.restart(err.message));
    worker.on('exit', (code) => this.restart(`exited with code ${code}`));
    // The worker must not keep a stopping daemon alive; the main thread's own handles do that.
    worker.unref();
    return worker;
  }

  /** After RESTART_MS: a worker that cannot start at all must not be restarted in a tight loop. */
  private restart(error: string): void {
    if (this.stopping || this.restarting) return;
    this.restarting = true;
    const old = this.worker;
    old?.removeAllListeners();
    void old?.terminate().catch(() => undefined);
    this.options.onRestart?.(error);
    setTimeout(() => {
      this.restarting = false;
      if (this.stopping) return;
      this.worker = this.start();
      if (this.generation > 0) this.post({ type: 'update', generation: this.generation, targets: workerTargets(this.targets) });
    }, RESTART_MS).unref();
  }

  private post(message: ToWorker): void {
    // While a failed worker waits to be started again, the update reaches the new one when it starts.
    this.worker?.postMessage(message);
  }

  private receive(message: FromWorker): void {
    if (message.type !== 'results') return;
    const generation = message.generation;
    const keys = this.sentKeys.get(generation);
    if (keys === undefined) return;
    for (const g of this.sentKeys.keys()) if (g < generation) this.sentKeys.delete(g);
    // The listeners are called directly, not through emit(): emit() allocates an array of its arguments per call,
    // and this runs 10,000 times a second. Taken once per batch, as emit() takes them once per call.
    const onResult = this.listeners('result') as Array<(...args: HealthEvents['result']) => void>;
    const onVerdict = this.listeners('verdict') as Array<(...args: HealthEvents['verdict']) => void>;
    let next = 0; // the batch's next transition
    for (let r = 0; r < message.count; r++) {
      const key = keys[resultTarget(message, r)];
      let transition: Transition | undefined;
      if (next < message.transitions.length && message.transitions[next][0] === r) transition = message.transitions[next++][1];
      const kept = key === undefined ? undefined : this.mirror.get(key);
      if (kept === undefined || kept.generation > generation) continue; // removed (or re-added) since
      const verdict = kept.verdict;
      readResultInto(verdict, message, r);
      // The listeners get the kept verdict itself, changed in place: the result and verdict listeners read it at
      // once and keep nothing (verdict() hands out snapshots to whoever may).
      const last = verdict.last ?? NO_RESULT;
      for (const listener of onResult) {
        try {
          listener(key!, last, verdict);
        } catch (err) {
          throwLater(err);
        }
      }
      if (transition === undefined) continue;
      for (const listener of onVerdict) {
        try {
          listener(key!, verdict, transition);
        } catch (err) {
          throwLater(err);
        }
      }
    }
  }
}

/** Only what the worker needs of each target: a caller's target may carry more (its users), which must not be cloned. */
function workerTargets(targets: readonly ScheduledTarget[]): ScheduledTarget[] {
  return targets.map((t) => ({ key: t.key, address: t.address, port: t.port, check: t.check }));
}
