// HA watcher figures (issue 10): the time from the kernel's link event (vrrpd flipping protodown on its VRRP
// macvlan) to the watcher's state change, p50/p99 over at least 50 real transitions. Prints numbers, never passes
// or fails on time.
//
// How: the FRR lab of test/support/vrrp-lab.ts (two real zebra + vrrpd in namespaces, 100 ms adverts). The
// transitions are real VRRP ones made by vrrpd itself: A's priority toggles between 50 and 150 against B's 100
// (vtysh `vrrp 10 priority N`), so vrrpd sets and clears protodown as it goes Backup and Master. Nothing here
// touches protodown by hand. The watcher runs inside A's namespace (test/support/ha-probe.ts, its onChange
// timestamped with performance.timeOrigin + performance.now()); the reference for "the kernel's event" is
// `ip -ts -d monitor link` in the same namespace, an independent subscriber to the same multicast group, which
// stamps each event (µs, wall clock) when it receives it; it runs at real-time priority (chrt -f 50) so that its
// stamps stay near the kernel's even on a loaded machine. Both clocks are this machine's CLOCK_REALTIME.
// A second figure, vtysh command → watcher change, is VRRP's own protocol time (Master_Down_Interval), shown
// for scale: it is not the watcher's.
//
//   node build/bench/vrrp.js [TRANSITIONS]      (or: node build/bench/run.js --host vrrp)   needs root and FRR
import { spawn, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { HaProbe } from '../test/support/ha-probe-client.js';
import { FrrLab, labUnavailable, sleep } from '../test/support/vrrp-lab.js';

/** Needs FRR and namespaces on the host, not IPVS: run here, not in the VM. */
export const needsKernel = false;

interface Flip {
  ms: number;
  protoDown: boolean;
}

/** `[2026-11-30T13:35:32.170126] 4: NAME@parent: …` then a `link/ether …` line that says `protodown on` or not. */
export function parseMonitor(text: string, link: string): Flip[] {
  const lines = text.split('\n');
  const out: Flip[] = [];
  let last: boolean | null = null;
  for (let i = 0; i < lines.length; i++) {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] \d+: ([^@:]+)[@:]/.exec(lines[i]);
    if (!m || m[3] !== link) continue;
    const protoDown = / protodown on /.test(lines[i + 1] ?? '');
    const ms = Date.parse(`${m[1]}Z`) + Number(m[2]) / 1000;
    // The carrier change that follows a flip repeats the flag: only a change of the flag is vrrpd's event.
    if (protoDown !== last) out.push({ ms, protoDown });
    last = protoDown;
  }
  return out;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

const f = (x: number) => x.toFixed(2);

export async function main(): Promise<string> {
  const transitions = Math.max(50, Number(process.argv[2] ?? 100) || 100);
  const why = labUnavailable('frr');
  if (why) return `bench/vrrp: skipped (${why})`;
  const lab = new FrrLab({ advertMs: 100, priority: { a: 150, b: 100 } });
  let probe: HaProbe | null = null;
  let monitor: ReturnType<typeof spawn> | null = null;
  let monText = '';
  let reference = '';
  try {
    await lab.start();
    await lab.waitStatus('a', 'Master', 30_000);
    await lab.waitStatus('b', 'Backup', 30_000);
    // Real-time priority for the reference: on a loaded machine a normal `ip monitor` was itself scheduled up to
    // 600 ms late, stamping flips after the watcher had acted on them. The watcher keeps normal priority.
    const rt = spawnSync('chrt', ['-f', '50', 'true']).status === 0;
    const ipMonitor = ['ip', '-n', lab.net.ns.a, '-ts', '-d', 'monitor', 'link'];
    reference = rt ? 'ip monitor at SCHED_FIFO 50' : 'ip monitor (no chrt: normal priority)';
    monitor = spawn(rt ? 'chrt' : 'ip', rt ? ['-f', '50', ...ipMonitor] : ipMonitor.slice(1), { env: { ...process.env, TZ: 'UTC' }, stdio: ['ignore', 'pipe', 'ignore'] });
    monitor.stdout!.setEncoding('utf8').on('data', (d: string) => (monText += d));
    // A 1 s poll as a daemon would run it; the figures count only transitions the events made.
    probe = await HaProbe.start(lab.net.ns.a, lab.ha(1000));
    await sleep(300);
    const command: number[] = [];
    let next: 'backup' | 'master' = 'backup';
    const load: number[] = [loadavg()[0]];
    for (let i = 0; i < transitions; i++) {
      const mark = probe.lines.length;
      const t0 = performance.timeOrigin + performance.now();
      lab.setPriority('a', next === 'backup' ? 50 : 150);
      const { line } = await probe.waitTransition(`transition ${i + 1} to ${next}`, 10_000, (t) => t.to === next, mark);
      command.push(line.ms - t0);
      next = next === 'backup' ? 'master' : 'backup';
      if (i % 10 === 9) load.push(loadavg()[0]);
    }
    await sleep(300);
    const changes = probe.changes().filter((c) => c.transitions.some((t) => t.from !== 'unknown'));
    const byEvent = changes.filter((c) => c.transitions[0].source === 'event');
    const flips = parseMonitor(monText, lab.macvlan);
    // Pair the k-th flip with the k-th watcher change: every transition is one flip and one change, in order, so
    // pairing by order needs no time window (under load `ip monitor` itself may stamp a flip after the watcher
    // acted on it; such a pair shows as a negative latency, and is counted).
    const latency: number[] = [];
    let unmatched = 0;
    changes.forEach((c, k) => {
      const flip = flips[k];
      if (!flip || flip.protoDown !== (c.transitions[0].to === 'backup')) unmatched++;
      // A change the poll made first (vtysh answered before zebra set the flag) is not an event's latency.
      else if (c.transitions[0].source === 'event') latency.push(c.ms - flip.ms);
    });
    const negative = latency.filter((x) => x < 0).length;
    latency.sort((a, b) => a - b);
    command.sort((a, b) => a - b);
    const out = [
      `bench/vrrp: ${transitions} real VRRP transitions of vrrpd (A's priority 50 ↔ 150 against B's 100, adverts every 100 ms)`,
      `  watcher changes: ${changes.length} (by event ${byEvent.length}, by poll ${changes.length - byEvent.length}); kernel flips seen by ip monitor: ${flips.length}; unmatched: ${unmatched}`,
      `  kernel link event → watcher state change (ms): p50 ${f(pct(latency, 50))}  p99 ${f(pct(latency, 99))}  max ${f(latency.at(-1)!)}  min ${f(latency[0])}  (n=${latency.length}; ${negative} where the reference stamped later than the watcher acted)`,
      `  reference for the kernel's event: ${reference}`,
      `  vtysh priority command → watcher state change (ms, VRRP's own time): p50 ${f(pct(command, 50))}  p99 ${f(pct(command, 99))}`,
      `  machine: ${cpus().length} cores, 1-minute load average ${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)} during the run`,
    ];
    return out.join('\n');
  } finally {
    monitor?.kill();
    await probe?.stop();
    await lab.teardown();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main().then(
    (s) => console.log(s),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
