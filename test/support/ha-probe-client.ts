// TEST-ONLY: starts test/support/ha-probe.js inside a balancer namespace and reads its JSON lines, with bounded
// waits for a snapshot or transition the test expects.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Ha } from '../../config/model.js';
import type { HaSnapshot, VrrpTransition } from '../../engine/ha/types.js';
import { sleep } from './vrrp-lab.js';

const PROBE = fileURLToPath(new URL('./ha-probe.js', import.meta.url));

export type ProbeLine =
  | { t: 'ready'; snapshot: HaSnapshot }
  | { t: 'change'; ms: number; snapshot: HaSnapshot; transitions: VrrpTransition[] }
  | { t: 'log'; level: string; message: string }
  | { t: 'snapshot'; snapshot: HaSnapshot };

export class HaProbe {
  readonly lines: ProbeLine[] = [];
  private stderr = '';
  private exited = false;
  private exit = '';

  private constructor(private readonly child: ChildProcessWithoutNullStreams) {
    let buf = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) this.lines.push(JSON.parse(line) as ProbeLine);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    child.on('exit', (code, signal) => {
      this.exited = true;
      this.exit = signal ? `signal ${signal}` : `code ${code}`;
    });
  }

  /** Start the watcher in namespace `ns` and wait for its start-up snapshot. */
  static async start(ns: string, ha: Ha, timeoutMs = 15_000): Promise<HaProbe> {
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, PROBE, JSON.stringify(ha)], { stdio: 'pipe' });
    const p = new HaProbe(child);
    await p.waitLine('the ready line', timeoutMs, (l) => l.t === 'ready');
    return p;
  }

  /** Ask the watcher for its snapshot now (it may have changed without a transition: a reason, a priority). */
  async fresh(timeoutMs = 5000): Promise<HaSnapshot> {
    const mark = this.lines.length;
    this.child.stdin.write('snapshot\n');
    const l = await this.waitLine('a snapshot', timeoutMs, (x) => x.t === 'snapshot', mark);
    return (l as Extract<ProbeLine, { t: 'snapshot' }>).snapshot;
  }

  /** The latest snapshot (ready, change, or asked for). */
  snapshot(): HaSnapshot {
    for (let i = this.lines.length - 1; i >= 0; i--) {
      const l = this.lines[i];
      if (l.t !== 'log') return l.snapshot;
    }
    throw new Error('no snapshot yet');
  }

  changes(): Extract<ProbeLine, { t: 'change' }>[] {
    return this.lines.filter((l): l is Extract<ProbeLine, { t: 'change' }> => l.t === 'change');
  }

  logs(): string[] {
    return this.lines.filter((l): l is Extract<ProbeLine, { t: 'log' }> => l.t === 'log').map((l) => `${l.level}: ${l.message}`);
  }

  /** Wait for a line from index `from` on that satisfies `pred`; returns it. */
  async waitLine(what: string, timeoutMs: number, pred: (l: ProbeLine) => boolean, from = 0): Promise<ProbeLine> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.lines.slice(from).find(pred);
      if (hit) return hit;
      if (this.exited) throw new Error(`the probe exited (${this.exit}) while waiting for ${what}: ${this.stderr}`);
      if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; lines:\n${this.lines.slice(from).map((l) => JSON.stringify(l)).join('\n')}\n${this.stderr}`);
      await sleep(20);
    }
  }

  /** Wait for a change (from index `from`) whose transitions include one matching `pred`. */
  async waitTransition(what: string, timeoutMs: number, pred: (t: VrrpTransition) => boolean, from = this.lines.length) {
    const l = await this.waitLine(what, timeoutMs, (x) => x.t === 'change' && x.transitions.some(pred), from);
    const c = l as Extract<ProbeLine, { t: 'change' }>;
    return { line: c, transition: c.transitions.find(pred)! };
  }

  /**
   * Do `action`, then wait for the transition it should cause. Lines from before the action do not count, and
   * neither is a transition that lands while the action is still running missed (the mark is taken first).
   */
  async after(action: () => unknown, what: string, pred: (t: VrrpTransition) => boolean, timeoutMs = 15_000) {
    const mark = this.lines.length;
    await action();
    return this.waitTransition(what, timeoutMs, pred, mark);
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise((r) => this.child.once('exit', r));
    this.child.stdin.end();
    await Promise.race([gone, sleep(3000)]);
    if (!this.exited) this.child.kill('SIGKILL');
  }
}
