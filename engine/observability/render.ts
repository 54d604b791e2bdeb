// The text exposition format (version 0.0.4) of the scrape-time families. prom-client's own formatter rebuilds
// every label set for every line: at 10,000 services x 4 backends (about 390,000 lines, 46 MB) that was 4-6 s
// holding the event loop in one block per family (measured with bench/metrics-scrape.ts). Here a row's label
// text is built once and shared by the eight families that carry the same labels object (series.ts reuses it), and
// the loop yields every `yieldEvery` lines (5,000). The text is written into one growing buffer: building
// 390,000 line strings and joining them spent most of its time in the garbage collector.
import type { Labels, SeriesSet } from './series.js';

export interface FamilyMeta {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
}

export interface RenderOptions {
  yieldEvery?: number;
  pause?: () => Promise<void>;
}

const immediate = () => new Promise<void>((r) => setImmediate(r));

/** Label values escape backslash, double quote and newline (exposition format). */
export function escapeLabel(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : v;
}

/** HELP text escapes backslash and newline. */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

export function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function labelText(labels: Labels): string {
  const parts: string[] = [];
  for (const k in labels) parts.push(`${k}="${escapeLabel(labels[k])}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

/** A growing byte buffer the lines are written into in place. */
class Writer {
  private buf = Buffer.allocUnsafe(1 << 20);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  text(s: string): void {
    this.room(s.length * 3);
    this.length += this.buf.write(s, this.length, 'utf8');
  }

  result(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Every family in `metas` order, HELP and TYPE always (an empty family keeps its description). */
export async function renderFamilies(metas: readonly FamilyMeta[], series: SeriesSet, opts: RenderOptions = {}): Promise<Buffer> {
  const every = opts.yieldEvery ?? 5_000;
  const pause = opts.pause ?? immediate;
  // A row's labels object is shared by its families: its text is built once (with the space before the value).
  const texts = new WeakMap<Labels, string>();
  const w = new Writer();
  let n = 0;
  for (const m of metas) {
    w.text(`# HELP ${m.name} ${escapeHelp(m.help)}\n# TYPE ${m.name} ${m.type}\n`);
    for (const s of series.get(m.name) ?? []) {
      let lt = texts.get(s.labels);
      if (lt === undefined) {
        lt = `${labelText(s.labels)} `;
        texts.set(s.labels, lt);
      }
      // One short-lived string and one write per line (four writes per line cost more than the string).
      w.text(`${m.name}${lt}${formatValue(s.value)}\n`);
      if (++n % every === 0) await pause();
    }
  }
  return w.result();
}
