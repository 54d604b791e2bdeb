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
  type Block = { port: number | null; name?: string; lines: string[]; shape: string };
  const groups: PlanStep[][] = [];
  for (const s of p.steps) {
    const last = groups[groups.length - 1];
    if (last && last[0].serviceId === s.serviceId) last.push(s);
    else groups.push([s]);
  }
  const blocks: Block[] = groups.map((g) => {
    const key = stepKey(g[0]);
    return { port: 'port' in key ? key.port : null, name: g[0].name, lines: planLines({ ...p, steps: g }), shape: '' };
  });
  for (const b of blocks) b.shape = b.port === null ? b.lines.join('\n') : portless(b.lines.join('\n'), b.port);
  const out: string[] = [];
  for (let i = 0; i < blocks.length; ) {
    let j = i + 1;
    const b = blocks[i];
    while (j < blocks.length && b.port !== null && b.name && blocks[j].name === b.name && blocks[j].shape === b.shape && blocks[j].port === b.port + (j - i)) j++;
    if (j - i >= 3) {
      const range = `${b.port}-${blocks[j - 1].port}`;
      out.push(...b.shape.split(':<port>').join(`:${range}`).replace(`(${b.name})`, `(${b.name}, ${j - i} services)`).split('\n'));
    } else for (let k = i; k < j; k++) out.push(...blocks[k].lines);
    i = j;
  }
  return out;
}

/** The text with `:PORT` (a whole port number) replaced by `:<port>`. */
export function portless(text: string, port: number): string {
  return text.replace(new RegExp(`:${port}(?!\\d)`, 'g'), ':<port>');
}

function stepKey(s: PlanStep) {
  return s.op.op === 'newService' || s.op.op === 'setService' ? s.op.service.key : s.op.key;
}
