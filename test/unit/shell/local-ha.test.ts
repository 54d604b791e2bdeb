// A shell with no daemon runs an HA watcher of its own for display (shell/session-backend.ts): started on the
// first ask, following the running `ha` section, none for `source: none`, stopped with the shell.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createContextBackend } from '../../../shell/session-backend.js';
import { openStore } from '../../../store/store.js';
import { FakeHaWatcher } from '../../support/fake-ha-watcher.js';

const HA = 'ha:\n  source: keepalived\n  program: master-only\n  instances:\n    - {name: vi1, vrid: 10, interface: eth0, vips: [192.0.2.10]}\n';

test('no daemon: show vrrp and the role line come from a watcher of the shell\'s own, which follows the running ha section', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-local-ha-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const configPath = join(root, 'config');
  const stateDir = join(root, 'state');
  mkdirSync(configPath);
  writeFileSync(join(configPath, 'config.yaml'), HA);
  const made: FakeHaWatcher[] = [];
  const backend = await createContextBackend({ configPath, stateDir, lab: true, labDefaults: false } as never, {}, {
    daemon: false,
    haWatcher: (ha) => {
      const w = new FakeHaWatcher(ha, () => {}, { vi1: 'backup' });
      made.push(w);
      return w;
    },
  });
  try {
    const first = await backend.ha!();
    assert.equal(made.length, 1);
    assert.equal(made[0].started, true);
    assert.equal(first?.summary, 'backup');
    await Promise.all([backend.ha!(), backend.ha!()]);
    assert.equal(made.length, 1, 'one watcher, however many asks');
    // Another process commits a changed ha section: the watcher is told at the next ask.
    const store = await openStore({ stateDir, configPath, identity: () => ({ user: 'other' }) });
    const running = store.running();
    const next = structuredClone(running.config);
    next.ha.poll_interval_ms = 250;
    assert.equal((await store.commit(next, running.number, { comment: 'poll faster', origin: 'shell' })).kind, 'committed');
    backend.refresh!();
    await backend.ha!();
    assert.equal(made[0].updates.at(-1)?.poll_interval_ms, 250);
    // source none: no watcher, the none picture.
    const none = structuredClone(next);
    none.ha.source = 'none';
    none.ha.instances = [];
    assert.equal((await store.commit(none, running.number + 1, { comment: 'no ha', origin: 'shell' })).kind, 'committed');
    backend.refresh!();
    assert.equal((await backend.ha!())?.summary, 'none');
    assert.equal(made[0].stopped, true, 'the watcher stopped when the source went away');
  } finally {
    await backend.close();
  }
});
