// The text exposition format (version 0.0.4) of the scrape-time families. prom-client's own formatter rebuilds
// every label set for every line: at 10,000 services x 4 backends (about 390,000 lines, 46 MB) that was 4-6 s
// holding the event loop in one block per family (measured with bench/metrics-scrape.ts). Here a row's label
// text is built once and shared by the eight families that carry the same labels object (series.ts reuses it), and
// the loop yields every `yieldEvery` lines (5,000).
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

/** Every family in `metas` order, HELP and TYPE always (an empty family keeps its description). */
export async function renderFamilies(metas: readonly FamilyMeta[], series: SeriesSet, opts: RenderOptions = {}): Promise<Buffer[]> {
  const every = opts.yieldEvery ?? 5_000;
  const pause = opts.pause ?? immediate;
  // A row's labels object is shared by its families: its text is built once (with the space before the value).
  const texts = new WeakMap<Labels, string>();
  // Lines are gathered in a string of about 64 KiB, then encoded at once: one Buffer per chunk, never one for the
  // whole body (at 10,000 services that is 50 MB; copying it again cost seconds), nor one string per line joined
  // at the end (the garbage collector's time dominated).
  const chunks: Buffer[] = [];
  let cur = '';
  let n = 0;
  for (const m of metas) {
    cur += `# HELP ${m.name} ${escapeHelp(m.help)}\n# TYPE ${m.name} ${m.type}\n`;
    for (const s of series.get(m.name) ?? []) {
      let lt = texts.get(s.labels);
      if (lt === undefined) {
        lt = `${labelText(s.labels)} `;
        texts.set(s.labels, lt);
      }
      cur += `${m.name}${lt}${formatValue(s.value)}\n`;
      if (cur.length >= 65_536) {
        chunks.push(Buffer.from(cur));
        cur = '';
      }
      if (++n % every === 0) await pause();
    }
  }
  if (cur) chunks.push(Buffer.from(cur));
  return chunks;
}
