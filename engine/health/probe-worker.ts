// The probe worker: a HealthScheduler on its own thread, so that 10,000 probes a second never make the daemon's
// event loop (commits, verdicts to the kernel, the control socket) lag, and a lagging loop never makes probes
// time out. It sends every recorded result to the main thread in batches (columns of numbers: worker-protocol.ts),
// at most every FLUSH_MS; a state change goes at the next turn of this thread's loop. Started by
// worker-scheduler.ts only.
import { parentPort, workerData } from 'node:worker_threads';
import { HealthScheduler } from './scheduler.js';
import { anyAddress, loopbackOnly } from './lab.js';
import { ResultPacker, type FromWorker, type ToWorker, type WorkerSetup } from './worker-protocol.js';

/** Results wait at most this long for their batch (a state change does not wait). */
export const FLUSH_MS = 20;

const port = parentPort;
if (port === null) throw new Error('probe-worker.js runs as a worker thread (engine/health/worker-scheduler.ts)');
const setup = workerData as WorkerSetup;
const scheduler = new HealthScheduler({ probeAllowed: setup.lab ? loopbackOnly : anyAddress });
let generation = 0;
/** Each target's index in the last update: how a result names its target (worker-protocol.ts). */
let indexOf = new Map<string, number>();
const batch = new ResultPacker();
/** The key of the batch's last result: a verdict event belongs to it. */
let lastKey: string | undefined;
let timer: NodeJS.Timeout | undefined;
let immediate: NodeJS.Immediate | undefined;

function flush(): void {
  if (timer !== undefined) clearTimeout(timer);
  if (immediate !== undefined) clearImmediate(immediate);
  timer = immediate = undefined;
  lastKey = undefined;
  if (batch.size === 0) return;
  const message = batch.take(generation);
  port!.postMessage(message, [message.numbers.buffer as ArrayBuffer]);
}

scheduler.on('result', (key, _result, verdict) => {
  const index = indexOf.get(key);
  if (index === undefined) return; // not a target of this update (cannot happen: results are flushed before one)
  batch.add(index, verdict);
  lastKey = key;
  timer ??= setTimeout(flush, FLUSH_MS);
});
scheduler.on('verdict', (key, _verdict, transition) => {
  // Emitted right after the result of the same probe: it is the batch's last entry.
  if (lastKey === key) batch.transitionOfLast(transition);
  immediate ??= setImmediate(flush);
});

port.on('message', (message: ToWorker) => {
  if (message.type === 'update') {
    flush(); // results recorded under the previous generation go out under it
    generation = message.generation;
    indexOf = new Map(message.targets.map((t, i) => [t.key, i]));
    scheduler.update(message.targets);
    return;
  }
  void scheduler.stop().then(() => {
    flush();
    port.postMessage({ type: 'stopped' } satisfies FromWorker);
  });
});
