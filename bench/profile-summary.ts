// Where a process spent its CPU during chosen windows of time: a V8 CPU profile (node --cpu-prof) reduced to its
// top functions by self and by inclusive samples, counting only the samples taken inside the windows (e.g. the
// commits a benchmark timed). Used by benchmarks that run under emulation, where the profile cannot be carried
// out of the guest whole and the host's profile of the same code weighs its parts differently.
//
// Windows are in microseconds of the monotonic clock: what `process.hrtime.bigint() / 1000n` reads in any
// process of the same machine, and what V8 stamps its samples with. Figures are sample counts (one sample is about
// one millisecond of the sampled thread), which, unlike the gaps between samples, are not stretched by a thread
// that blocks in a system call.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Samples inside the windows, idle ones left out. */
  samples: number;
  self: Array<[string, number]>;
  inclusive: Array<[string, number]>;
}

/** `functionName file:line`, the file relative to the build or to node_modules. */
function frameName(n: ProfileNode): string {
  const f = n.callFrame;
  const url = f.url.replace(/^.*\/build\//, '').replace(/^.*\/node_modules\//, '');
  return `${f.functionName || '(anonymous)'} ${url}:${f.lineNumber + 1}`;
}

export function summarizeProfile(profile: CpuProfile, windows: Array<[number, number]>, top = 30): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let samples = 0;
  let t = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0;
    if (!windows.some(([a, b]) => t >= a && t <= b)) continue;
    const leaf = byId.get(profile.samples[i])!;
    if (leaf.callFrame.functionName === '(idle)') continue;
    samples++;
    const leafName = frameName(leaf);
    self.set(leafName, (self.get(leafName) ?? 0) + 1);
    const seen = new Set<string>();
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id)) {
      const name = frameName(byId.get(id)!);
      if (seen.has(name)) continue; // recursion counts once
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + 1);
    }
  }
  const sorted = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, top);
  return { samples, self: sorted(self), inclusive: sorted(inclusive) };
}

/** The summary of a profile file as lines of text, per window (`per`: how many windows there were). */
export function profileSummaryText(path: string, windows: Array<[number, number]>, top = 30): string {
  const s = summarizeProfile(JSON.parse(readFileSync(path, 'utf8')) as CpuProfile, windows, top);
  const per = (n: number) => (n / Math.max(1, windows.length)).toFixed(1).padStart(7);
  return [
    `  ${s.samples} samples in ${windows.length} windows (${per(s.samples).trim()} a window); per window, by self samples:`,
    ...s.self.map(([name, n]) => `  ${per(n)}  ${name}`),
    '  by inclusive samples:',
    ...s.inclusive.map(([name, n]) => `  ${per(n)}  ${name}`),
  ].join('\n');
}
