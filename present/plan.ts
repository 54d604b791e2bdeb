// The plan in the operator's words: `lbctl apply`'s and `disable`'s printed plan (operations, summary, the
// foreign services left alone) and the shell's commit lines, with the services of one port range folded into one
// block. The per-operation lines themselves (planLines) are the engine's: its status report carries them as data.
import { clashLines, planLines, planSummary, type Plan, type PlanStep } from '../engine/plan.js';

/** The plan as printable text: operations, summary, and the foreign services left alone. */
export function formatPlan(p: Plan, opts: { compact?: boolean } = {}): string {
  const lines = opts.compact === false ? planLines(p) : compactLines(p);
  lines.push(...clashLines(p));
  lines.push(planSummary(p));
  if (p.foreign.length) lines.push(`foreign services left alone: ${p.foreign.join(', ')}`);
  return lines.join('\n') + '\n';
}

/**
 * planLines, with the services of one port range that change alike folded into one block:
 *   + service udp 203.0.113.10:7543-7814 wlc  (switchboard-udp, 272 services)
 *       + dest 192.168.94.22:7543-7814 nat weight 1
 * A range of 272 ports is one thing to the operator; 544 nearly identical lines hide the rest of the plan.
 */
export function compactLines(p: Plan): string[] {
  const groups: PlanStep[][] = [];
  for (const s of p.steps) {
    const last = groups[groups.length - 1];
    if (last && last[0].serviceId === s.serviceId) last.push(s);
    else groups.push([s]);
  }
  const blocks: Block[] = groups.map((g) => {
    const key = stepKey(g[0]);
    return { port: 'port' in key ? key.port : null, name: g[0].name, lines: planLines({ ...p, steps: g }) };
  });
  const out: string[] = [];
  for (let i = 0; i < blocks.length; ) {
    const run = foldableRun(blocks, i);
    if (run.length >= 3) {
      const b = blocks[i];
      const range = `${b.port}-${blocks[i + run.length - 1].port}`;
      out.push(...run.shape.split(':<port>').join(`:${range}`).replace(`(${b.name})`, `(${b.name}, ${run.length} services)`).split('\n'));
      i += run.length;
    } else out.push(...blocks[i++].lines);
  }
  return out;
}

type Block = { port: number | null; name?: string; lines: string[] };

/**
 * The longest run of blocks from `i` (one service, consecutive ports) that one shape with `:<port>` describes.
 * The shape is taken from each of the run's first three blocks in turn: a destination with a fixed port equal
 * to its service's port (dest :80 of service :80) reads as `:<port>` in that block only, so the block whose port
 * is no fixed destination port gives the shape that fits them all.
 */
function foldableRun(blocks: Block[], i: number): { length: number; shape: string } {
  const first = blocks[i];
  const single = { length: 1, shape: '' };
  if (first.port === null || !first.name) return single;
  let best = single;
  for (let t = i; t < Math.min(i + 3, blocks.length); t++) {
    const b = blocks[t];
    if (b.port === null || b.name !== first.name || b.port !== first.port + (t - i)) break;
    const shape = portless(b.lines.join('\n'), b.port);
    let j = i;
    while (j < blocks.length && blocks[j].name === first.name && blocks[j].port === first.port + (j - i) && shape.split(':<port>').join(`:${blocks[j].port}`) === blocks[j].lines.join('\n')) j++;
    if (j - i > best.length && j > t) best = { length: j - i, shape };
  }
  return best;
}

/** The text with `:PORT` (a whole port number) replaced by `:<port>`. */
export function portless(text: string, port: number): string {
  return text.replace(new RegExp(`:${port}(?!\\d)`, 'g'), ':<port>');
}

function stepKey(s: PlanStep) {
  return s.op.op === 'newService' || s.op.op === 'setService' ? s.op.service.key : s.op.key;
}
