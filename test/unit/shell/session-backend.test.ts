// createSession as `lbctl shell` calls it (OpenSessionOptions): the running configuration comes from the
// configuration directory through the revision store, the lab's dataplane is the persisted in-memory table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSession } from '../../../shell/session.js';
import { openStore } from '../../../store/store.js';

function labDirs(): { root: string; configPath: string; stateDir: string } {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-session-'));
  const configPath = join(root, 'config');
  const stateDir = join(root, 'state');
  mkdirSync(join(configPath, 'config.d'), { recursive: true });
  writeFileSync(join(configPath, 'config.yaml'), 'node:\n  name: labnode\nvip: 192.0.2.1\n');
  writeFileSync(join(configPath, 'config.d', 'web.yaml'), 'services:\n  - name: web\n    ports: [80]\n    backends:\n      - address: 10.0.0.1\n');
  return { root, configPath, stateDir };
}

test('a lab session reads the configuration directory and says it is a lab', async (t) => {
  const d = labDirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const s = await createSession({ context: { configPath: d.configPath, stateDir: d.stateDir, lab: true, labDefaults: false }, interactive: false, env: {} });
  try {
    assert.equal(s.prompt(), 'labnode[lab]#');
    assert.match(s.banner(), /^lbctl .* on labnode$/m);
    assert.match(s.banner(), /Running configuration: revision 1$/m);
    assert.match(s.banner(), /Lab mode/);
    assert.equal(s.terminal().length, 0, 'line mode: no pager');
    const r = await s.execute('show services');
    assert.equal(r.error, undefined);
    assert.match(r.output, /^web +192\.0\.2\.1 +tcp +80 /m);
    const ipvs = await s.execute('show ipvs');
    // Nothing applied yet: the kernel is empty, and the view says what the running configuration misses (issue 12).
    assert.equal(
      ipvs.output,
      'IP Virtual Server: 0 services; NOT in sync with the running configuration (1 missing)\n' +
        'Virtual service -> Backend  Name  Sched/Fwd  Flags/Weight  ActiveConn  InActConn  State\n' +
        '--------------------------  ----  ---------  ------------  ----------  ---------  -------\n' +
        'tcp 192.0.2.1:80            web                                                   missing\n' +
        '  -> 10.0.0.1:80                                                                  missing\n',
    );
    assert.match((await s.execute('show version')).output, /in-memory/);
  } finally {
    await s.close();
  }
});

test('a commit by another process becomes the running configuration at the next command', async (t) => {
  const d = labDirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const s = await createSession({ context: { configPath: d.configPath, stateDir: d.stateDir, lab: true, labDefaults: false }, interactive: false, env: {} });
  try {
    assert.equal(s.prompt(), 'labnode[lab]#');
    const store = await openStore({ stateDir: d.stateDir, configPath: d.configPath, identity: () => ({ user: 'other' }) });
    const running = store.running();
    const next = structuredClone(running.config);
    next.node = { name: 'renamed' };
    const outcome = await store.commit(next, running.number, { comment: 'rename', origin: 'shell' });
    assert.equal(outcome.kind, 'committed');
    // Nothing re-read until a command runs.
    assert.equal(s.prompt(), 'labnode[lab]#');
    assert.match((await s.execute('show version')).output, /^Running revision: 2$/m);
    assert.equal(s.prompt(), 'renamed[lab]#');
  } finally {
    await s.close();
  }
});
