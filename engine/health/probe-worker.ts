// The probe worker: a HealthScheduler on its own thread, so that 10,000 probes a second never make the daemon's
// event loop (commits, verdicts to the kernel, the control socket) lag, and a lagging loop never makes probes
// time out. It sends every recorded result to the main thread in batches, at most every FLUSH_MS; a state change
// goes at the next turn of this thread's loop. Started by worker-scheduler.ts only.
import { parentPort, workerData } from 'node:worker_threads';
import { HealthScheduler } from './scheduler.js';
import { anyAddress, loopbackOnly } from './lab.js';
import type { FromWorker, Recorded, ToWorker, WorkerSetup } from './worker-protocol.js';

/** Results wait at most this long for their batch (a state change does not wait). */
export const FLUSH_MS = 20;

const port = parentPort;
if (port === null) throw new Error('probe-worker.js runs as a worker thread (engine/health/worker-scheduler.ts)');
const setup = workerData as WorkerSetup;
const scheduler = new HealthScheduler({ probeAllowed: setup.lab ? loopbackOnly : anyAddress });
let generation = 0;
let batch: Recorded[] = [];
let timer: NodeJS.Timeout | undefined;
let immediate: NodeJS.Immediate | undefined;

function flush(): void {
  if (timer !== undefined) clearTimeout(timer);
  if (immediate !== undefined) clearImmediate(immediate);
  timer = immediate = undefined;
  if (batch.length === 0) return;
  const message: FromWorker = { type: 'results', generation, results: batch };
  batch = [];
  port!.postMessage(message);
}

scheduler.on('result', (key, _result, verdict) => {
  batch.push([key, verdict, undefined]);
  timer ??= setTimeout(flush, FLUSH_MS);
});
scheduler.on('verdict', (key, _verdict, transition) => {
  // Emitted right after the result of the same probe: it is the batch's last entry.
  const last = batch[batch.length - 1];
  if (last !== undefined && last[0] === key) last[2] = transition;
  immediate ??= setImmediate(flush);
});

port.on('message', (message: ToWorker) => {
  if (message.type === 'update') {
    flush(); // results recorded under the previous generation go out under it
    generation = message.generation;
    scheduler.update(message.targets);
    return;
  }
  void scheduler.stop().then(() => {
    flush();
    port.postMessage({ type: 'stopped' } satisfies FromWorker);
  });
});
