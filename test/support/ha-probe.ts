// TEST-ONLY fixture: runs the real HaWatcher in whatever network namespace it is started in (the labs start it
// with `ip netns exec <balancer A> node ha-probe.js '<ha as JSON>'`) and prints one JSON line per happening:
//   {"t":"ready","snapshot":…}                      after start() (the start-up read is done)
//   {"t":"change","ms":…,"snapshot":…,"transitions":[…]}   every onChange (ms: wall clock, sub-millisecond)
//   {"t":"log","level":…,"message":…}              the watcher's log
//   {"t":"snapshot","snapshot":…}                   when a line `snapshot` arrives on stdin (a reason or
//                                                  priority changes without a transition, so without onChange)
// It stops the watcher and exits when its stdin closes or on SIGTERM. Without an argument it does nothing, so a
// test runner that loads every file under test/ is unaffected.
import { performance } from 'node:perf_hooks';
import type { Ha } from '../../config/model.js';
import { HaWatcher } from '../../engine/ha/watcher.js';

const wallMs = () => performance.timeOrigin + performance.now();
const emit = (o: unknown) => process.stdout.write(`${JSON.stringify(o)}\n`);

async function main(ha: Ha): Promise<void> {
  const w = new HaWatcher(ha, {
    onChange: (snapshot, transitions) => emit({ t: 'change', ms: wallMs(), snapshot, transitions }),
    log: (level, message) => emit({ t: 'log', level, message }),
  });
  await w.start();
  emit({ t: 'ready', snapshot: w.snapshot() });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await w.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.stdin.on('end', () => void stop());
  process.stdin.setEncoding('utf8').on('data', (d: string) => {
    for (const line of d.split('\n')) if (line.trim() === 'snapshot') emit({ t: 'snapshot', snapshot: w.snapshot() });
  });
}

const arg = process.argv[2];
if (arg) {
  main(JSON.parse(arg) as Ha).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
