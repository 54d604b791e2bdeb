// The commit workflow wired into the shell (issue 6), driven through ShellSession.execute exactly as the faces
// drive it, on a temporary lab: real revision store, real locks, the lab's persisted in-memory IPVS table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { openStore } from '../../../store/store.js';
import { readAudit } from '../../../engine/audit.js';
import { openContextDataplane } from '../../../cli/lab.js';
import type { Dataplane, IpvsOp, OpResult } from '../../../netlink/dataplane.js';
import { describeOp } from '../../../netlink/describe.js';
import { makeLab, openLabSession, out, run } from './helpers.js';
import { setPretendIdentity } from '../../../config/identity.js';
import { setStoreClock } from '../../../store/store.js';
import { labTableText } from '../../support/lab-table.js';

/** Opens a session whose store clock runs `offsetMs` from the real one (the clock is captured at open). */
async function openSkewedSession(lab: Parameters<typeof openLabSession>[0], extras: Parameters<typeof openLabSession>[1], offsetMs: number) {
  setStoreClock(() => new Date(Date.now() + offsetMs));
  try {
    return await openLabSession(lab, extras);
  } finally {
    setStoreClock(null);
  }
}

const WEB = ['service web', 'port 80', 'backend 10.0.0.1 port 80', 'top'];

function labTable(dir: string): string {
  return labTableText(join(dir, 'state', 'lab-ipvs.json'));
}

function auditActions(stateDir: string): string[] {
  return readAudit(join(stateDir, 'audit.jsonl')).records.map((r) => `${r.action}:${r.result}`);
}

test('commit: validates, applies to the lab kernel, stores a revision, audits; no changes says so', async () => {
  const lab = makeLab();
  try {
    const s = await openLabSession(lab);
    await run(s, 'configure private', ...WEB);
    const r = await run(s, 'commit comment "add web"');
    // The plan as `lbctl apply` prints it (review L1): a service line with its destinations under it.
    assert.match(r.output, /^Kernel operations applied \(2\):$/m);
    assert.match(r.output, /^  \+ service tcp 192\.0\.2\.10:80 wlc  \(web\)$/m);
    assert.match(r.output, /^      \+ dest 10\.0\.0\.1:80 nat weight 1$/m);
    assert.match(r.output, /% Configuration committed successfully \(revision 2\)\./);
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().number, 2);
    assert.equal(store.running().comment, 'add web');
    assert.equal(store.running().config.services[0].name, 'web');
    assert.match(labTable(lab.dir), /10\.0\.0\.1/);
    assert.match((await run(s, 'commit')).output, /% No configuration changes to commit\./);
    assert.deepEqual(auditActions(lab.ctx.stateDir), ['commit:ok', 'commit:no-changes']);
    const list = await out(s, 'do show commit list');
    assert.match(list, /\b2\s+1000000002\s.*shell\s+add web/);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('commit: a candidate that does not validate is refused with the offending path; commit check applies nothing', async () => {
  const lab = makeLab('');
  try {
    const s = await openLabSession(lab);
    await run(s, 'configure', 'service web', 'port 80', 'backend 10.0.0.1 port 80', 'top');
    const bad = await s.execute('commit');
    assert.match(bad.error ?? '', /% Validation failed/);
    assert.match(bad.error ?? '', /services/);
    await run(s, 'vip 192.0.2.10');
    const check = await run(s, 'commit check');
    assert.match(check.output, /^  \+ service tcp 192\.0\.2\.10:80 wlc  \(web\)$/m);
    assert.match(check.output, /% Configuration check succeeded\./);
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().number, 1, 'check must not commit');
    assert.equal(labTable(lab.dir), '', 'check must not touch the kernel');
    await s.close();
  } finally {
    lab.cleanup();
  }
});

/** The lab dataplane, but refusing one operation (the first whose description matches) with EINVAL. */
function failingOn(lab: ReturnType<typeof makeLab>, match: RegExp): () => Promise<Dataplane> {
  return async () => {
    const real = await openContextDataplane(lab.ctx);
    const apply = async (ops: IpvsOp[]): Promise<OpResult[]> => {
      const bad = ops.findIndex((op) => match.test(describeOp(op)));
      if (bad < 0) return real.apply(ops);
      const done = await real.apply(ops.filter((_, i) => i !== bad));
      const results: OpResult[] = [...done];
      results.splice(bad, 0, { ok: false, errno: 22, code: 'EINVAL', message: `${describeOp(ops[bad])}: Invalid argument (injected)` });
      return results;
    };
    return new Proxy(real, { get: (t, k) => (k === 'apply' ? apply : (t as never)[k]) }) as Dataplane;
  };
}

test('commit: a kernel failure leaves the kernel and running exactly as before and names the operation', async () => {
  const lab = makeLab();
  try {
    const s0 = await openLabSession(lab);
    await run(s0, 'configure private', ...WEB, 'commit');
    await s0.close();
    const tableBefore = labTable(lab.dir);
    const s = await openLabSession(lab, { openDataplane: failingOn(lab, /10\.0\.0\.3/) });
    const runningBefore = (await run(s, 'show running-config')).output;
    await run(s, 'configure private', 'service web', 'backend 10.0.0.2 port 80', 'backend 10.0.0.3 port 80', 'top', 'service api', 'port 81', 'top');
    const r = await s.execute('commit');
    assert.match(r.error ?? '', /the kernel refused newDest tcp 192\.0\.2\.10:80 -> 10\.0\.0\.3:80/);
    assert.match(r.error ?? '', /Invalid argument/);
    assert.match(r.error ?? '', /kernel was restored; running is unchanged \(revision 2\)/);
    assert.equal(labTable(lab.dir), tableBefore, 'kernel table byte for byte as before');
    const leave = await run(s, 'end');
    assert.match((await leave.question!.answer('no')).output, /discarded/);
    assert.equal((await run(s, 'show running-config')).output, runningBefore);
    const audit = readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records.at(-2)!;
    assert.equal(audit.action, 'commit');
    assert.equal(audit.result, 'failed');
    assert.match(audit.kernel?.failed ?? '', /10\.0\.0\.3/);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('private sessions: the second commit on the same base is refused naming the first; update merges or reports conflicts', async () => {
  const lab = makeLab();
  try {
    const a = await openLabSession(lab);
    const b = await openLabSession(lab);
    await run(a, 'configure private', ...WEB, 'commit');
    await run(a, 'service web', 'scheduler rr', 'top');
    await run(b, 'configure private', 'service web', 'scheduler lc', 'top', 'service api', 'port 81', 'top');
    await run(a, 'commit comment "rr please"');
    const refused = await b.execute('commit');
    assert.match(refused.error ?? '', /needs to be updated before commit/);
    assert.match(refused.error ?? '', /running is revision 3 \(root, [0-9:]+, 'rr please'\), your candidate is based on 2/);
    const upd = await run(b, 'update');
    assert.match(upd.output, /updated from revision 2 to revision 3/);
    assert.match(upd.output, /1 conflict/);
    assert.match(upd.output, /services web scheduler: base wlc, mine lc, theirs rr/);
    // Resolve by taking theirs, then commit: the merged api service arrives.
    await run(b, 'service web', 'scheduler rr', 'top');
    assert.match((await run(b, 'commit')).output, /committed successfully \(revision 4\)/);
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.deepEqual(store.running().config.services.map((x) => `${x.name}:${x.scheduler}`).sort(), ['api:wlc', 'web:rr']);
    await a.close();
    await b.close();
  } finally {
    lab.cleanup();
  }
});

test('configure exclusive: others may edit but not commit, nor lock; released on exit', async () => {
  const lab = makeLab();
  try {
    const a = await openLabSession(lab);
    const b = await openLabSession(lab);
    await run(a, 'configure exclusive');
    const second = await b.execute('configure exclusive');
    assert.match(second.error ?? '', /configuration locked exclusively by root \(pid \d+/);
    await run(b, 'configure private', ...WEB);
    const refused = await b.execute('commit');
    assert.match(refused.error ?? '', /locked exclusively by root.*commit refused/);
    const status = await out(b, 'show configuration sessions');
    assert.match(status, /exclusive/);
    assert.match(status, /uncommitted changes/);
    await run(a, 'end');
    assert.match((await run(b, 'commit')).output, /committed successfully/);
    await a.close();
    await b.close();
  } finally {
    lab.cleanup();
  }
});

test('rollback 1 + commit, and exec rollback 1 + yes, restore show running-config byte for byte', async () => {
  const lab = makeLab();
  try {
    const s = await openLabSession(lab);
    const r1 = (await run(s, 'show running-config')).output;
    const t1 = labTable(lab.dir);
    await run(s, 'configure private', ...WEB, 'commit', 'end');
    const r2 = (await run(s, 'show running-config')).output;
    assert.notEqual(r2, r1);
    await run(s, 'configure private', 'rollback 1');
    assert.match((await run(s, 'show | compare')).output, /^- +- name: web/m);
    assert.match((await run(s, 'commit')).output, /revision 3/);
    await run(s, 'end');
    assert.equal((await run(s, 'show running-config')).output, r1);
    assert.equal(labTable(lab.dir).includes('10.0.0.1'), false);
    void t1;
    // Exec rollback 1 brings web back (revision 2's configuration), after a yes.
    const q = await run(s, 'rollback 1');
    assert.match(q.output, /\+ +- name: web/);
    assert.ok(q.question, 'asks before committing');
    assert.match(q.question.prompt, /\[yes\/no\]/);
    const again = await q.question.answer('ok');
    assert.equal(again.output, "% Please answer 'yes' or 'no'.\n");
    const done = await again.question!.answer('yes');
    assert.equal(done.error, undefined, done.error);
    assert.match(done.output, /committed successfully \(revision 4\)/);
    assert.equal((await run(s, 'show running-config')).output, r2);
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().origin, 'rollback');
    assert.match(labTable(lab.dir), /10\.0\.0\.1/);
    // `show | compare rollback 1` compares the candidate with revision 3.
    await run(s, 'configure private');
    assert.match((await run(s, 'show | compare rollback 1')).output, /\+ +- name: web/);
    assert.match(await out(s, 'do show configuration commit changes 2'), /Revision 2 .*\n\[edit services\]\n\+ +- name: web/);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('leaving configuration mode with changes asks yes/no/cancel; abort discards and is audited', async () => {
  const lab = makeLab();
  try {
    const s = await openLabSession(lab);
    await run(s, 'configure private', ...WEB);
    const q = await run(s, 'end');
    assert.equal(q.question?.prompt, 'Uncommitted changes found, commit them before exiting? [yes/no/cancel]');
    // An answer it does not understand is asked again, never taken as no or cancel (IOS).
    const typo = await q.question!.answer('yse');
    assert.equal(typo.output, "% Please answer 'yes', 'no' or 'cancel'.\n");
    assert.equal(typo.question?.prompt, q.question!.prompt);
    assert.match(s.prompt(), /\(config.*\)#$/, 'still in configuration mode, nothing discarded');
    const cancel = await typo.question!.answer('cancel');
    assert.match(cancel.output, /cancelled/);
    assert.match(s.prompt(), /\(config\)#$/);
    const q2 = await run(s, 'exit');
    const yes = await q2.question!.answer('yes');
    assert.match(yes.output, /committed successfully \(revision 2\)/);
    assert.match(s.prompt(), /#$/);
    assert.doesNotMatch(s.prompt(), /config/);
    await run(s, 'configure private', 'service web', 'port 8080', 'top');
    assert.match((await run(s, 'abort')).output, /discarded/);
    assert.doesNotMatch(s.prompt(), /config/);
    await run(s, 'configure private');
    assert.equal((await run(s, 'show | compare')).output, '');
    assert.deepEqual(auditActions(lab.ctx.stateDir), ['commit:ok', 'abort:ok']);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('shared configure: two sessions see one candidate, persisted in the state directory', async () => {
  const lab = makeLab();
  try {
    const a = await openLabSession(lab);
    const b = await openLabSession(lab);
    await run(a, 'configure', ...WEB);
    const entered = await run(b, 'configure');
    assert.match(entered.output, /shared candidate has uncommitted changes/);
    assert.match((await run(b, 'show | compare')).output, /\+ +- name: web/);
    assert.match(readFileSync(join(lab.ctx.stateDir, 'candidate-shared.json'), 'utf8'), /"web"/);
    // b (line mode) made none of these changes: a plain commit refuses to carry a's, `commit and-others` takes them.
    assert.match((await b.execute('commit')).error ?? '', /^% Commit refused: the shared candidate holds uncommitted changes of other sessions:\n  service web: /);
    assert.match((await run(b, 'commit and-others')).output, /committed successfully/);
    assert.equal((await run(a, 'show | compare')).output, '', 'a sees the committed shared candidate as clean');
    await a.close();
    await b.close();
  } finally {
    lab.cleanup();
  }
});

test('a read-only user gets HOST> and % Permission denied for every change', async () => {
  const lab = makeLab();
  try {
    // A pretend operator injected into this process (reduce-only): the session opens as a production shell would.
    setPretendIdentity({ user: 'viewer', uid: 1500, groups: ['users'] });
    let s: Awaited<ReturnType<typeof openLabSession>>;
    try {
      s = await openLabSession(lab);
    } finally {
      setPretendIdentity(null);
    }
    assert.match(s.prompt(), />$/);
    for (const line of ['configure', 'configure private', 'rollback 1']) {
      const r = await s.execute(line);
      assert.match(r.error ?? '', /% Permission denied/, line);
    }
    assert.match((await run(s, 'show commit list')).output, /init|file/);
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().number, 1);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('load merge / load override with located errors; show audit last N', async () => {
  const lab = makeLab();
  try {
    const s = await openLabSession(lab);
    const good = join(lab.dir, 'add.yaml');
    const bad = join(lab.dir, 'bad.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(good, 'vip: 192.0.2.10\nservices:\n  - name: api\n    ports: [81]\n');
    writeFileSync(bad, 'vip: 192.0.2.10\nservices:\n  - name: api\n    ports: [81]\n    scheduler: nope\n');
    await run(s, 'configure private', ...WEB);
    const err = await s.execute(`load merge ${bad}`);
    assert.match(err.error ?? '', /bad\.yaml:5:\d+: services\[0\]\.scheduler/);
    assert.match(err.error ?? '', /the candidate is unchanged/);
    await run(s, `load merge ${good}`);
    assert.deepEqual((await run(s, 'show | compare')).output.match(/name: \w+/g), ['name: web', 'name: api']);
    await run(s, `load override ${good}`);
    const cmp = (await run(s, 'show | compare')).output;
    assert.match(cmp, /name: api/);
    assert.doesNotMatch(cmp, /name: web/);
    const leave = await run(s, 'end');
    await leave.question!.answer('no');
    const audit = await out(s, 'show audit last 1');
    assert.match(audit, /abort/);
    assert.doesNotMatch(audit, /load/);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('20 sessions committing at once: no revision lost, every refusal explained', async () => {
  const lab = makeLab();
  try {
    const sessions = await Promise.all(Array.from({ length: 20 }, () => openLabSession(lab)));
    for (const [i, s] of sessions.entries()) await run(s, 'configure private', `service s${i}`, `port ${1000 + i}`, 'top');
    const refusals: string[] = [];
    await Promise.all(
      sessions.map(async (s) => {
        for (let attempt = 0; attempt < 40; attempt++) {
          const r = await s.execute('commit');
          if (!r.error) return;
          refusals.push(r.error);
          await run(s, 'update');
        }
        throw new Error('never committed');
      }),
    );
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().number, 21);
    assert.deepEqual(
      store.running().config.services.map((x) => x.name).sort(),
      Array.from({ length: 20 }, (_, i) => `s${i}`).sort(),
    );
    for (const e of refusals) assert.match(e, /needs to be updated before commit[\s\S]*running is revision \d+ \(root/);
    const commits = readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records.filter((r) => r.action === 'commit' && r.result === 'ok');
    assert.deepEqual(commits.map((r) => r.revisionAfter).sort((x, y) => x! - y!), Array.from({ length: 20 }, (_, i) => i + 2));
    const table = labTable(lab.dir);
    for (let i = 0; i < 20; i++) assert.match(table, new RegExp(`"port": ?${1000 + i}`));
    for (const s of sessions) await s.close();
  } finally {
    lab.cleanup();
  }
});

test('commit confirmed: arms the deadline and the guard; re-issue resets it; commit check or a plain commit confirms', async () => {
  const lab = makeLab();
  try {
    let guards = 0;
    const s = await openLabSession(lab, { ensureGuard: () => void guards++ });
    await run(s, 'configure private', ...WEB);
    const armed = await run(s, 'commit confirmed 5');
    assert.match(armed.output, /% Commit confirmed: revision 2 will be rolled back to revision 1 in 5 minute\(s\)/);
    assert.equal(guards, 2, 'a guard started before the kernel changed, and ensured again after the commit');
    assert.match(s.takeNotices().join('\n'), /revision 2 will be rolled back to revision 1 at .*\(in (5m 00s|4m 5\ds)\)/);
    const again = await run(s, 'commit confirmed');
    assert.match(again.output, /% Resetting confirmed-commit timeout to 10 minute\(s\)\./);
    // The configuration is unchanged, yet the commit makes the kernel equal to it (a drift repair, issue 12): the
    // guard is ensured before the kernel is touched, as for any commit confirmed, and again after.
    assert.equal(guards, 4, 'unchanged configuration: still ensured before the kernel apply, and after');
    assert.match(await out(s, 'do show commit list'), /\b2\s+1000000002 .*pending/);
    assert.equal(s.takeNotices().length, 2, 'one notice after each command while pending');
    const check = await run(s, 'commit check');
    assert.match(check.output, /% Commit of revision 2 confirmed\./);
    assert.deepEqual(s.takeNotices(), []);
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.pendingConfirm(), null);
    // A plain commit confirms too.
    await run(s, 'service web', 'scheduler rr', 'top', 'commit confirmed 3', 'commit');
    assert.equal(store.pendingConfirm(), null);
    assert.deepEqual(
      auditActions(lab.ctx.stateDir),
      ['commit:ok', 'commit:no-changes', 'check:ok', 'confirm:ok', 'commit:ok', 'commit:no-changes'],
    );
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('commit and-quit leaves configuration mode; show configuration sessions lists who edits, in configuration mode too', async () => {
  const lab = makeLab();
  try {
    const a = await openLabSession(lab);
    const b = await openLabSession(lab);
    await run(a, 'configure private', ...WEB);
    await run(b, 'configure exclusive', 'service api');
    const sessions = await out(a, 'show configuration sessions');
    assert.match(sessions, /Users currently editing the configuration:/);
    assert.match(sessions, /^\* root .* private, uncommitted changes, based on revision 1\n +\[edit\]/m);
    assert.match(sessions, /^ {2}root .* exclusive, uncommitted changes, based on revision 1\n +\[edit services api\]/m);
    const leaving = await run(b, 'end');
    assert.ok(leaving.question, 'b has uncommitted changes: asked first, still in configuration mode');
    const q = await a.execute('commit and-quit');
    assert.match(q.error ?? '', /locked exclusively by root .*commit refused/);
    assert.match((await leaving.question.answer('no')).output, /discarded/);
    assert.match((await run(a, 'commit and-quit')).output, /committed successfully/);
    assert.doesNotMatch(a.prompt(), /config/);
    assert.equal(await out(a, 'show configuration sessions'), 'No users are editing the configuration.\n');
    await a.close();
    await b.close();
  } finally {
    lab.cleanup();
  }
});

test('store CAS refused after the kernel apply: the kernel is put back to what the store says is running', async () => {
  const lab = makeLab();
  try {
    let raced = false;
    // Another writer (not a shell: e.g. a daemon API client) commits while this commit is in the kernel.
    const racing = async (): Promise<Dataplane> => {
      const real = await openContextDataplane(lab.ctx);
      const apply = async (ops: IpvsOp[]): Promise<OpResult[]> => {
        if (!raced) {
          raced = true;
          const other = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
          const { applyDefaults } = await import('../../../config/defaults.js');
          const withApi = applyDefaults({ vip: '192.0.2.10', services: [{ name: 'api', ports: [81], backends: [{ address: '10.0.0.9', port: 81 }] }] });
          await other.commit(withApi, other.running().number, { origin: 'api', user: 'apiuser', comment: 'from the api' });
        }
        return real.apply(ops);
      };
      return new Proxy(real, { get: (t, k) => (k === 'apply' ? apply : (t as never)[k]) }) as Dataplane;
    };
    const s = await openLabSession(lab, { openDataplane: racing });
    await run(s, 'configure private', ...WEB);
    const r = await s.execute('commit');
    assert.match(r.error ?? '', /needs to be updated before commit/);
    assert.match(r.error ?? '', /running is revision 2 \(apiuser, [0-9:]+, 'from the api'\)/);
    assert.match(r.error ?? '', /the kernel changes were undone/);
    const table = labTable(lab.dir);
    assert.doesNotMatch(table, /10\.0\.0\.1"/, 'our web backend is not left in the kernel');
    assert.match(table, /10\.0\.0\.9/, 'the kernel now says what the store says: the api revision');
    const last = readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records.at(-1)!;
    assert.equal(last.result, 'refused');
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('a live session is told when its confirmed commit was rolled back, and sees the restored running config', async () => {
  const lab = makeLab();
  try {
    // No guard here: the test itself plays the enforcer, so the timing is its own. The store clock runs 59.5 s behind.
    const s = await openSkewedSession(lab, { ensureGuard: () => {} }, -59500);
    const before = (await run(s, 'show running-config')).output;
    await run(s, 'configure private', ...WEB, 'commit confirmed 1', 'end');
    assert.match(s.takeNotices().join('\n'), /revision 2 will be rolled back to revision 1/);
    await new Promise((r) => setTimeout(r, 800));
    // Whoever enforces it (here: this test in place of the guard) rolls it back at the deadline.
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    const expired = store.openReport.expiredConfirm ?? (await store.expireConfirmIfDue());
    assert.equal(expired?.revision?.number, 3);
    await run(s, 'show commit list');
    assert.deepEqual(s.takeNotices(), ['% Commit was not confirmed; automatic rollback complete (revision 3).']);
    assert.equal((await run(s, 'show running-config')).output, before);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('a session waiting at its prompt is told of the rollback at once (the prompt polls takeNotices), and once', async () => {
  const lab = makeLab();
  try {
    const s = await openSkewedSession(lab, { ensureGuard: () => {} }, -59500);
    await run(s, 'configure private', ...WEB, 'commit confirmed 1', 'end');
    assert.match(s.takeNotices().join('\n'), /revision 2 will be rolled back to revision 1/);
    assert.deepEqual(s.takeNotices(), [], 'polled while pending: the pending notice is not repeated');
    await new Promise((r) => setTimeout(r, 800));
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    const expired = store.openReport.expiredConfirm ?? (await store.expireConfirmIfDue());
    assert.equal(expired?.revision?.number, 3);
    // No command typed: the next poll of the waiting prompt announces it.
    assert.deepEqual(s.takeNotices(), ['% Commit was not confirmed; automatic rollback complete (revision 3).']);
    assert.deepEqual(s.takeNotices(), [], 'announced once');
    await run(s, 'show commit list');
    assert.deepEqual(s.takeNotices(), [], 'and not again after the next command');
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('a confirmed commit that expired while no shell or guard ran is rolled back at the next start, and the operator is told', async () => {
  const lab = makeLab();
  try {
    const tableSize = async () => {
      const dp = await openContextDataplane(lab.ctx);
      try {
        return (await dp.readAll()).length;
      } finally {
        await dp.close();
      }
    };
    // No guard: the shell that committed goes away and nobody watches the deadline.
    const a = await openSkewedSession(lab, { ensureGuard: () => {} }, -59500);
    const before = (await run(a, 'show running-config')).output;
    const servicesBefore = await tableSize();
    await run(a, 'configure private', ...WEB, 'commit confirmed 1', 'end');
    assert.ok((await tableSize()) > servicesBefore, 'the confirmed commit reached the lab kernel');
    await a.close();
    await new Promise((r) => setTimeout(r, 800));

    // The next start runs on the real clock (the offset only made the deadline come sooner).
    const b = await openLabSession(lab, { ensureGuard: () => {} }, process.env);
    assert.deepEqual(b.takeNotices(), [`% Commit of revision 2 by ${userInfo().username} was not confirmed; automatic rollback complete (revision 3).`]);
    assert.equal((await run(b, 'show running-config')).output, before, 'running is the revision before the unconfirmed commit');
    assert.equal(await tableSize(), servicesBefore, 'and the kernel followed');
    await b.close();
  } finally {
    lab.cleanup();
  }
});
