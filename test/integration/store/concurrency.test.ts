// Many processes committing at once through the store's compare-and-swap: one winner per base revision, every
// loser told who won; and sessions that re-base and retry lose nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../../store/store.js';
import { loadConfig } from '../../../config/load.js';
import { HAND_WRITTEN_FILES } from './fixtures/scenario.js';

const WORKER = fileURLToPath(new URL('./fixtures/commit-worker.js', import.meta.url));

interface Reply {
  ok: boolean;
  revision?: number;
  error?: string;
  message?: string;
  running?: number | null;
  refusals?: string[];
}

class Worker {
  private readonly lines: AsyncIterableIterator<string>;
  readonly proc: ChildProcessWithoutNullStreams;
  constructor(stateDir: string, configDir: string, readonly user: string) {
    this.proc = spawn(process.execPath, [WORKER, stateDir, configDir, user], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.proc.stderr.on('data', (d: Buffer) => process.stderr.write(`[${user}] ${d}`));
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }
  async read(): Promise<Reply & { ready?: boolean }> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`worker ${this.user} ended`);
    return JSON.parse(value);
  }
  async ask(cmd: object): Promise<Reply> {
    this.proc.stdin.write(JSON.stringify(cmd) + '\n');
    return this.read();
  }
  close(): void {
    this.proc.stdin.end(JSON.stringify({ op: 'exit' }) + '\n');
  }
}

async function setup(prefix: string) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const stateDir = join(root, 'state');
  const configDir = join(root, 'etc');
  for (const [rel, text] of Object.entries(HAND_WRITTEN_FILES)) {
    mkdirSync(dirname(join(configDir, rel)), { recursive: true });
    writeFileSync(join(configDir, rel), text);
  }
  const store = await openStore({ stateDir, configPath: configDir });
  return { root, stateDir, configDir, store };
}

async function startWorkers(n: number, stateDir: string, configDir: string): Promise<Worker[]> {
  const workers = Array.from({ length: n }, (_, i) => new Worker(stateDir, configDir, `user${i}`));
  for (const w of workers) assert.equal((await w.read()).ready, true);
  return workers;
}

test('10 processes commit against the same base: exactly one winner per base, every loser names the winner', { timeout: 120_000 }, async () => {
  const { root, stateDir, configDir, store } = await setup('lbctl-cas-');
  const workers = await startWorkers(10, stateDir, configDir);
  try {
    const winners: string[] = [];
    for (let round = 0; round < 3; round++) {
      const base = store.running().number;
      const replies = await Promise.all(workers.map((w, i) => w.ask({ op: 'commit', base, name: `r${round}-w${i}`, port: 9000 + round * 100 + i })));
      const won = replies.flatMap((r, i) => (r.ok ? [i] : []));
      assert.equal(won.length, 1, `round ${round}: exactly one winner (${JSON.stringify(replies)})`);
      const w = won[0];
      assert.equal(replies[w].revision, base + 1);
      const winner = store.get(base + 1)!;
      assert.equal(winner.user, `user${w}`, 'the revision records the committing process identity');
      assert.equal(winner.comment, `add r${round}-w${w}`);
      winners.push(`r${round}-w${w}`);
      for (const [i, r] of replies.entries()) {
        if (i === w) continue;
        assert.equal(r.error, 'StaleBaseError', `loser ${i}: ${r.message}`);
        assert.equal(r.running, base + 1);
        assert.match(r.message!, new RegExp(`^running is revision ${base + 1} \\(user${w}, \\d\\d:\\d\\d:\\d\\d, 'add r${round}-w${w}'\\), your candidate is based on ${base}; revisions in between: ${base + 1} \\(user${w}, `));
      }
    }
    // Nothing but the winners landed, and the files say so.
    const running = store.running();
    const names = running.config.services.map((s) => s.name).filter((n) => n.startsWith('r'));
    assert.deepEqual(names.sort(), [...winners].sort());
    const loaded = loadConfig(configDir);
    assert.deepEqual(loaded.config!.services.map((s) => s.name).filter((n) => n.startsWith('r')).sort(), [...winners].sort());
  } finally {
    for (const w of workers) w.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('20 sessions commit at once, re-basing on every refusal: no revision lost, every refusal explained', { timeout: 180_000 }, async () => {
  const { root, stateDir, configDir, store } = await setup('lbctl-retry-');
  const base = store.running().number;
  const workers = await startWorkers(20, stateDir, configDir);
  try {
    const replies = await Promise.all(workers.map((w, i) => w.ask({ op: 'add-retry', name: `s${i}`, port: 9100 + i })));
    for (const [i, r] of replies.entries()) assert.equal(r.ok, true, `session ${i}: ${r.message}`);
    const revisions = replies.map((r) => r.revision!).sort((a, b) => a - b);
    assert.deepEqual(revisions, Array.from({ length: 20 }, (_, i) => base + 1 + i), 'each session got its own revision');
    const running = store.running();
    assert.equal(running.number, base + 20);
    const added = running.config.services.map((s) => s.name).filter((n) => /^s\d+$/.test(n));
    assert.deepEqual(added.sort(), Array.from({ length: 20 }, (_, i) => `s${i}`).sort(), 'no session lost its service');
    // Each revision added exactly one service to its predecessor: nobody overwrote anybody.
    for (let n = base + 1; n <= base + 20; n++) {
      const before = new Set(store.get(n - 1)!.config.services.map((s) => s.name));
      const after = store.get(n)!.config.services.map((s) => s.name);
      assert.equal(after.length, before.size + 1, `revision ${n} adds one service`);
      assert.ok([...before].every((s) => after.includes(s)), `revision ${n} keeps every earlier service`);
    }
    const refusals = replies.flatMap((r) => r.refusals ?? []);
    for (const m of refusals) assert.match(m, /^running is revision \d+ \(user\d+, [\d:]+, 'add s\d+'\), your candidate is based on \d+; revisions in between: /);
    console.log(`# 20 sessions: ${refusals.length} stale-base refusals, all re-based and committed`);
  } finally {
    for (const w of workers) w.close();
    rmSync(root, { recursive: true, force: true });
  }
});
