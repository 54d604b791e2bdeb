// The steps of a commit that write, rehearsed after a daemon's start where they cannot touch anything real: a
// scratch state directory (`<state>/.warm-up/`, removed at the end and at the next start), a configuration of a
// few services written there, a store and an engine host of their own over an in-memory table. A few one-weight
// commits go through the same transaction a client's commit takes (locks, kernel-pending record, the file splice,
// intent, revision and audit writes, the engine's execute), so that V8 has run and optimised that code before the
// first commits that matter. engine/warm-up.ts rehearses the steps that write nothing against the running
// configuration itself; these are the rest: in the kernel VM the daemon's second and third commits still took
// 460–620 ms against ~300 for the later ones (docs/scale.md).
//
// Nothing here reaches the daemon's own store, locks, audit trail, log, metrics or kernel: every path is under the
// scratch directory, the dataplane is memory, the host has no hooks, and its audit records are not told to the
// process's audit observers (the daemon repeats those in its log). A failure only ends the rehearsal.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from '../../store/store.js';
import { MemoryDataplane } from '../../netlink/memory.js';
import { EngineHost } from '../host.js';
import { rehearsalCandidate } from '../warm-up.js';

/** The scratch directory under a state directory (a leftover of a killed daemon is removed at the next start). */
export const WARM_UP_DIR = '.warm-up';

/** Commits rehearsed: enough for V8 to optimise the functions a commit calls once or twice. */
const COMMITS = 4;

/** A few services as operators write them (a block per service, a flow mapping per backend); documentation addresses. */
function scratchFiles(configDir: string): void {
  mkdirSync(join(configDir, 'config.d'), { recursive: true });
  writeFileSync(join(configDir, 'config.yaml'), 'node:\n  name: warm-up\nobservability:\n  prometheus: {enabled: false}\n');
  const lines = ['services:'];
  for (let i = 0; i < 4; i++) {
    lines.push(`  - name: warm${i}`, `    vip: 192.0.2.${i + 1}`, '    ports: [80]', '    scheduler: wrr', '    health: {enabled: false}', '    backends:');
    for (let j = 0; j < 2; j++) lines.push(`      - {address: 198.51.100.${2 * i + j + 1}, port: 8080, weight: ${j + 1}}`);
  }
  writeFileSync(join(configDir, 'config.d', 'warm-up.yaml'), lines.join('\n') + '\n');
}

/**
 * Runs the rehearsal in `<stateDir>/.warm-up` and removes it. Resolves to the number of commits recorded there
 * (for tests); never throws.
 */
export async function rehearseWritingCommits(stateDir: string, commits = COMMITS): Promise<number> {
  const root = join(stateDir, WARM_UP_DIR);
  const scratchState = join(root, 'state');
  const configDir = join(root, 'config');
  let store: Store | null = null;
  let host: EngineHost | null = null;
  let recorded = 0;
  try {
    rmSync(root, { recursive: true, force: true });
    mkdirSync(scratchState, { recursive: true, mode: 0o700 });
    scratchFiles(configDir);
    // The daemon's own store options, so that the same code runs (the files' watch included).
    store = await openStore({ stateDir: scratchState, configPath: configDir, keepRunning: true, watchConfigFiles: true });
    const opened = store;
    host = new EngineHost({
      mode: 'daemon',
      stateDir: scratchState,
      lab: true,
      store: opened,
      describe: (_voice, r) => `warm-up refused: ${r.kind}`,
      openDataplane: async () => new MemoryDataplane(),
      readBeforeCommit: false,
      // Its audit records stay in the scratch trail: the daemon logs (stderr, GELF) every record it hears.
      auditUnheard: true,
    });
    for (let k = 0; k < commits; k++) {
      const running = opened.running();
      const candidate = rehearsalCandidate(running.config);
      if (!candidate) break;
      const out = await host.commit(
        { candidate, base: running.number, action: 'commit', record: { how: 'commit', meta: { origin: 'shell', comment: 'warm-up' } }, voice: 'shell', handOver: true },
        { user: 'lbctl-warm-up' },
      );
      if (out.kind !== 'committed') break;
      recorded++;
    }
  } catch {
    /* a rehearsal only warms: the real commit meets and reports whatever failed here */
  } finally {
    await host?.close().catch(() => {});
    try {
      store?.close();
      rmSync(root, { recursive: true, force: true });
    } catch {
      /* what cannot be removed now is removed at the next start */
    }
  }
  return recorded;
}
