// Benchmark (figures only, never pass/fail): what the revision store writes for a one-weight commit at N services
// × 4 backends (LBCTL_BENCH_SERVICES, default 10,000; the bench/big-config.ts configuration), and how long its
// write step takes. A long-lived store (keepRunning, as the daemon holds it) makes LBCTL_BENCH_COMMITS one-weight
// commits (default 34: two whole checkpoints among them); for each, the bytes handed to the disk are counted by
// destination (the revision file, the intent record, configuration files) through the store's step hook
// (store/atomic.ts: the temp file's size right after its write), and two durations are taken: the whole
// `store.commit` and its write step (first to last disk-changing system call). Then a fresh read-only store (a
// one-shot command) reads the running revision and `rollback 5`. No kernel: runs on the host.
// Run: node build/bench/run.js store-commit
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../store/store.js';
import { setAtomicStepHook } from '../store/atomic.js';
import { writeBigConfig } from './big-config.js';

export const needsKernel = false;

const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const COMMITS = Number(process.env.LBCTL_BENCH_COMMITS ?? 34);

interface CommitFigure {
  revision: number;
  revisionBytes: number;
  intentBytes: number;
  configBytes: number;
  commitMs: number;
  writeMs: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const kb = (b: number) => `${(b / 1024).toFixed(1)} KiB`;

export async function main(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-bench-store-'));
  const stateDir = join(root, 'state');
  const configDir = join(root, 'etc');
  try {
    writeBigConfig(configDir, stateDir, SERVICES, 3_600_000);
    let t0 = performance.now();
    const store = await openStore({ stateDir, configPath: configDir, keepRunning: true });
    const openMs = performance.now() - t0;
    // A revision file at least half this size is whole (revision 1, recorded from the files, is whole).
    const wholeSize = statSync(join(stateDir, 'revisions', '0000000001.json')).size;
    const figures: CommitFigure[] = [];
    let current: CommitFigure | null = null;
    let firstStep = 0;
    let lastStep = 0;
    setAtomicStepHook((_n, label) => {
      const now = performance.now();
      if (!current) return;
      if (firstStep === 0) firstStep = now;
      lastStep = now;
      const m = /^write (.*)$/.exec(label);
      if (!m) return;
      const bytes = statSync(m[1]).size;
      if (m[1].startsWith(join(stateDir, 'revisions'))) current.revisionBytes += bytes;
      else if (m[1].startsWith(stateDir)) current.intentBytes += bytes;
      else current.configBytes += bytes;
    });
    for (let k = 0; k < COMMITS; k++) {
      const running = store.running();
      const cand = { ...running.config, services: running.config.services.slice() };
      const i = (k * 37) % cand.services.length;
      const s = cand.services[i];
      cand.services[i] = { ...s, backends: s.backends.map((b, j) => (j === 0 ? { ...b, weight: 100 + k } : b)) };
      current = { revision: running.number + 1, revisionBytes: 0, intentBytes: 0, configBytes: 0, commitMs: 0, writeMs: 0 };
      firstStep = 0;
      t0 = performance.now();
      const out = await store.commit(cand, running.number, { origin: 'api', comment: `bench ${k}` }, { handOver: true });
      current.commitMs = performance.now() - t0;
      current.writeMs = lastStep - firstStep;
      if (out.kind !== 'committed') throw new Error(`commit ${k}: ${out.kind}`);
      figures.push(current);
      current = null;
    }
    setAtomicStepHook(null);
    const newest = store.running().number;
    t0 = performance.now();
    const reader = await openStore({ stateDir, configPath: configDir, readOnly: true });
    const running = reader.running();
    const readRunningMs = performance.now() - t0;
    t0 = performance.now();
    const back5 = reader.getRelative(5);
    const readBack5Ms = performance.now() - t0;
    t0 = performance.now();
    const listed = reader.list().length;
    const listMs = performance.now() - t0;
    if (running.number !== newest || !back5) throw new Error('the reader does not see the commits');

    const small = figures.filter((f) => f.revisionBytes * 2 < wholeSize);
    const whole = figures.filter((f) => f.revisionBytes * 2 >= wholeSize);
    const total = figures.reduce((a, f) => a + f.revisionBytes + f.intentBytes, 0);
    const lines = [
      `store-commit: ${SERVICES} services × 4 backends, ${COMMITS} one-weight commits on a long-lived store (keepRunning), node ${process.version}`,
      `first open (records revision 1 from the files): ${openMs.toFixed(0)} ms; a whole revision file: ${kb(wholeSize)}`,
      '',
      'per commit (median)                 revision file   intent     config files   store.commit   write step',
    ];
    const row = (name: string, fs: CommitFigure[]) => {
      if (fs.length === 0) return;
      lines.push(
        `${name.padEnd(36)}${kb(median(fs.map((f) => f.revisionBytes))).padStart(13)}${kb(median(fs.map((f) => f.intentBytes))).padStart(11)}` +
          `${kb(median(fs.map((f) => f.configBytes))).padStart(15)}${`${median(fs.map((f) => f.commitMs)).toFixed(1)} ms`.padStart(15)}${`${median(fs.map((f) => f.writeMs)).toFixed(1)} ms`.padStart(13)}`,
      );
    };
    row(`difference revisions (${small.length})`, small);
    row(`whole revisions (${whole.length}: ${whole.map((f) => f.revision).join(', ')})`, whole);
    lines.push(
      `amortised over all ${COMMITS}: ${kb(total / COMMITS)} written to the state directory per commit (revision files + intent records)`,
      '',
      `a fresh read-only store: running revision ${readRunningMs.toFixed(0)} ms, rollback 5 ${readBack5Ms.toFixed(0)} ms, list of ${listed} ${listMs.toFixed(0)} ms`,
    );
    return lines.join('\n');
  } finally {
    setAtomicStepHook(null);
    rmSync(root, { recursive: true, force: true });
  }
}
