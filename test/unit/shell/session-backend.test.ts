// createSession as `lbctl shell` calls it (OpenSessionOptions): the running configuration comes from the
// configuration directory through the revision store, the lab's dataplane is the persisted in-memory table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
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
      'IP Virtual Server version 1.2.1 (size=4096) [lab: in-memory]\n' +
        '0 services, 0 destinations; NOT in sync with the running configuration (1 missing)\n' +
        'Service -> Backend  Name  State    Sched/Fwd  Weight  ActiveConn  InActConn\n' +
        '------------------  ----  -------  ---------  ------  ----------  ---------\n' +
        'tcp 192.0.2.1:80    web   missing\n' +
        '  -> 10.0.0.1:80          missing\n',
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

test('rollback ? lists the revisions back with number, time, user and comment (configure: from 0; exec: from 1)', async (t) => {
  const d = labDirs();
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const s = await createSession({ context: { configPath: d.configPath, stateDir: d.stateDir, lab: true, labDefaults: false }, interactive: false, env: {} });
  try {
    for (const l of ['configure', 'service web', 'description one', 'top', 'commit comment "first change"', 'service web', 'description two', 'top', 'commit'])
      assert.equal((await s.execute(l)).error, undefined, l);
    const me = userInfo().username;
    const when = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/;
    const listed = (line: string) => {
      const h = s.help(line);
      assert.ok(h.ok);
      return h.entries.filter((e) => /^\d+$/.test(e.token)).map((e) => {
        const [rev, time, ...rest] = e.help.split('  ');
        assert.match(time, when);
        return `${e.token}: ${[rev, ...rest].join('  ')}`;
      });
    };
    assert.deepEqual(listed('rollback '), [
      `0: Revision 3  ${me}`,
      `1: Revision 2  ${me}  first change`,
      `2: Revision 1  ${me}  configuration files found at first use`,
    ]);
    await s.execute('end');
    assert.deepEqual(listed('rollback '), [`1: Revision 2  ${me}  first change`, '2: Revision 1  root  configuration files found at first use']);
  } finally {
    await s.close();
  }
});

test('the candidate shares the running revision\'s unchanged services; an edit copies only its own service', async (t) => {
  const d = labDirs();
  writeFileSync(join(d.configPath, 'config.d', 'api.yaml'), 'services:\n  - name: api\n    ports: [81]\n    backends:\n      - address: 10.0.0.2\n');
  t.after(() => rmSync(d.root, { recursive: true, force: true }));
  const s = await createSession({ context: { configPath: d.configPath, stateDir: d.stateDir, lab: true, labDefaults: false }, interactive: false, env: {} });
  try {
    for (const line of ['configure private', 'service web', 'backend 10.0.0.1 weight 5']) {
      const r = await s.execute(line);
      assert.equal(r.error, undefined, `${line}: ${r.output}`);
    }
    // What the session works on and what the store says runs (the Session is the ModeContext its modes see).
    const session = s as unknown as { candidate(): import('../../../config/model.js').Config; backend: { running(): import('../../../config/model.js').Config } };
    const cand = session.candidate();
    const running = session.backend.running();
    const byName = (c: typeof cand, name: string) => c.services.find((x) => x.name === name)!;
    assert.equal(byName(cand, 'api'), byName(running, 'api'), 'the unchanged service is the running revision\'s own object');
    assert.notEqual(byName(cand, 'web'), byName(running, 'web'));
    assert.equal(byName(cand, 'web').backends[0].weight, 5);
    assert.equal(byName(running, 'web').backends[0].weight, 1, 'the running revision was not changed by the edit');
    assert.ok(Object.isFrozen(byName(running, 'api')), 'the shared service is frozen: an edit in place would throw');
    const c = await s.execute('commit');
    assert.equal(c.error, undefined, c.output);
    assert.match(c.output, /committed successfully \(revision 2\)/);
  } finally {
    await s.close();
  }
});
