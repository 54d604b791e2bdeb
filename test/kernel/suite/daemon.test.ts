// `lbctl daemon` as a real process on a real IPVS kernel (root, inside the VM), judged by `ipvsadm -Sn`:
//  a. hand edits of lbctl's services (ipvsadm -e weight, ipvsadm -d destination) are healed by the periodic
//     drift check within a bounded window (the measured time is printed); a foreign service added by hand
//     survives several intervals untouched;
//  b. `commit confirmed 1` through the daemon, the daemon SIGKILLed a few seconds later and restarted: the
//     restarted daemon rolls back at the deadline from the store's durable record (kernel, store origin
//     confirm-timeout, audit record), and no detached guard was involved;
//  d. the same, but the daemon stays down past the deadline: nothing rolls back meanwhile (no guard was started,
//     since a daemon ran at commit time); the restarted daemon's store open expires it and its cold start programs
//     the rolled-back revision before `hello` answers;
//  c. the daemon SIGKILLed at a random moment of a shell commit (seeded, printed; LBCTL_DAEMON_KILL_SEED replays,
//     LBCTL_DAEMON_KILL_TRIALS sets the count), the delay counted from the daemon taking the commit transaction's
//     lock or (every third trial) from the shell entering configuration mode: after a restart the kernel (lbctl's
//     services), the running revision and the configuration files agree, no intent record is left, `lbctl status`
//     is in sync, and a commit the shell reported as committed is durable. Each trial says whether it landed.
//  e. a daemon that does not answer `hello` within the clients' 2 s (SIGSTOPped here; at 10,000 services a busy
//     daemon is that slow): the shell falls back to an in-process commit; once the daemon resumes, the kernel must
//     still equal the running revision (the daemon's drift check must follow the store, not re-apply the revision
//     it last knew), and `hello` must name the new revision.
// Every wait is a bounded poll. Addresses are documentation ranges, table entries only: no traffic is sent.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configsEqual } from '../../../config/equal.js';
import { loadConfig } from '../../../config/load.js';
import type { Config } from '../../../config/model.js';
import { openStore, type Revision } from '../../../store/store.js';
import { auditPath, readAudit } from '../../../engine/audit.js';
import { confirmGuardLogPath, runningConfirmGuard } from '../../../engine/confirm-guard.js';
import { DaemonProcess, expectedSaved, ipvsadm, kernelWeight, nowMs, pollUntil, processesMatching, prng, runCli, savedLines, sleep, writeLauncher, type RunResult } from './daemon-helpers.js';

const INTERVAL_MS = 1000;
/** Drift must be healed within this (the interval plus generous slack for emulation). */
const HEAL_WINDOW_MS = 15_000;
const FOREIGN = '203.0.113.99';
const TRIALS = Number(process.env.LBCTL_DAEMON_KILL_TRIALS ?? 6);
/** LBCTL_DAEMON_TESTS=bc runs only tests b and c (letters of the header above; a alone leaves no state for later ones). */
const ONLY = process.env.LBCTL_DAEMON_TESTS ?? 'abcde';
const part = (letter: string) => ({ skip: ONLY.includes(letter) ? false : `LBCTL_DAEMON_TESTS=${ONLY}` });

const CONFIG_YAML = (stateDir: string) => `# written by test/kernel/suite/daemon.test.ts
node:
  name: kdaemon
daemon:
  reconcile_interval_ms: ${INTERVAL_MS}
observability:
  prometheus: {enabled: false}
  audit:
    path: ${join(stateDir, 'audit.jsonl')}
`;

const WEB_YAML = `services:
  - name: web
    vip: 192.0.2.10
    ports: [80]
    scheduler: wrr
    health: {enabled: false}
    backends:
      - {address: 198.51.100.11, port: 8080, weight: 5}
      - {address: 198.51.100.12, port: 8080, weight: 5}
`;

const MORE_YAML = `services:
  - name: api
    vip: 192.0.2.20
    ports: [8080]
    scheduler: wlc
    health: {enabled: false}
    backends:
      - {address: 198.51.100.21, port: 8080, weight: 3}
      - {address: 198.51.100.22, port: 8080, weight: 3}
      - {address: 198.51.100.23, port: 8080, weight: 3}
  - name: dns
    vip: 192.0.2.53
    protocol: udp
    ports: [53]
    scheduler: rr
    health: {enabled: false}
    backends:
      - {address: 198.51.100.53, port: 53, weight: 1}
  - name: web6
    vip: 2001:db8::10
    ports: [443]
    scheduler: rr
    health: {enabled: false}
    backends:
      - {address: 2001:db8:1::1, port: 443, weight: 2}
`;

const backendWeight = (c: Config, service: string, address: string): number | null =>
  c.services.find((s) => s.name === service)?.backends.find((b) => b.address === address)?.weight ?? null;

describe('lbctl daemon on the kernel', () => {
  let root: string;
  let cfgDir: string;
  let stateDir: string;
  let launcher: string;
  let daemon: DaemonProcess;
  const daemons: DaemonProcess[] = [];

  const mine = () => savedLines([FOREIGN]);
  const foreign = () => savedLines().filter((l) => l.includes(FOREIGN));
  const shell = (cmds: string, timeoutMs = 120_000) => runCli(launcher, ['shell', '--config', cfgDir, '--state-dir', stateDir, '-c', cmds], { timeoutMs });
  const cli = (...args: string[]) => runCli(launcher, [...args, '--config', cfgDir, '--state-dir', stateDir], { timeoutMs: 120_000 });
  const running = async (): Promise<Revision> => (await openStore({ stateDir, configPath: cfgDir, readOnly: true })).running();
  const why = (r: RunResult) => `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}${r.timedOut ? ' TIMED OUT' : ''}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

  /**
   * A shell run, watched from outside: `configure` = when its session file appears in <state>/sessions (it has
   * attached to the daemon and entered configuration mode); `txn` = while the daemon holds the commit transaction's
   * lock (<state>/locks/shell-commit.lock) for a session's commit. Times are ms after the start.
   */
  function watchedShell(cmds: string) {
    // A lock left by a SIGKILLed daemon stays on disk until taken over: only the live daemon's counts. The daemon's
    // drift check takes the same lock without a session; a commit's holder names the committing session.
    const heldBy = (path: string): { pid?: number; session?: string } | null => {
      try {
        return JSON.parse(readFileSync(join(path, 'holder.json'), 'utf8')) as { pid?: number; session?: string };
      } catch {
        return null;
      }
    };
    const sessions = join(stateDir, 'sessions');
    const lock = join(stateDir, 'locks', 'shell-commit.lock');
    const list = () => (existsSync(sessions) ? readdirSync(sessions).filter((f) => f.endsWith('.json') && !f.startsWith('.')) : []);
    const old = new Set(list());
    const t0 = nowMs();
    let settled = false;
    const marks: { configure: number | null; txnStart: number | null; txnEnd: number | null } = { configure: null, txnStart: null, txnEnd: null };
    const run = shell(cmds, 90_000).then((r) => ((settled = true), r));
    const watch = (async () => {
      for (;;) {
        const t = nowMs() - t0;
        if (marks.configure === null && list().some((f) => !old.has(f))) marks.configure = t;
        const h = heldBy(lock);
        const held = h?.pid === daemon.pid && typeof h.session === 'string' && h.session !== '';
        if (held && marks.txnStart === null) marks.txnStart = t;
        if (!held && marks.txnStart !== null && marks.txnEnd === null) marks.txnEnd = t;
        if (settled) return;
        await sleep(5);
      }
    })();
    const reached = (what: 'configure' | 'txnStart') => pollUntil(() => (marks[what] !== null ? true : settled ? false : null), 90_000, 5);
    const done = Promise.all([run, watch]).then(([r]) => ({ run: r, marks }));
    return { reached, done };
  }

  async function startDaemon(): Promise<{ info: NonNullable<Awaited<ReturnType<DaemonProcess['waitHello']>>>; ms: number }> {
    const d = DaemonProcess.start(launcher, cfgDir, stateDir);
    daemons.push(d);
    daemon = d;
    const t0 = nowMs();
    const info = await d.waitHello(90_000);
    assert.ok(info, `the daemon answers hello within 90 s; its log:\n${d.tail()}`);
    return { info, ms: nowMs() - t0 };
  }

  before(async () => {
    execFileSync('modprobe', ['ip_vs']);
    ipvsadm('-C');
    root = mkdtempSync(join(tmpdir(), 'lbctl-kdaemon-'));
    cfgDir = join(root, 'config');
    stateDir = join(root, 'state');
    mkdirSync(join(cfgDir, 'config.d'), { recursive: true });
    mkdirSync(stateDir, { recursive: true });
    writeFileSync(join(cfgDir, 'config.yaml'), CONFIG_YAML(stateDir));
    writeFileSync(join(cfgDir, 'config.d', '10-web.yaml'), WEB_YAML);
    writeFileSync(join(cfgDir, 'config.d', '20-more.yaml'), MORE_YAML);
    launcher = writeLauncher(root);
    await startDaemon();
  });

  after(async () => {
    for (const d of daemons) if (d.alive) await d.stop('SIGKILL', 10_000);
    ipvsadm('-C');
    rmSync(root, { recursive: true, force: true });
  });

  it('heals ipvsadm -e / -d on its own services within a bounded window; a foreign service stays untouched', part('a'), async (t) => {
    const v = await shell('show version');
    assert.equal(v.code, 0, why(v));
    const m = /Engine: daemon \(pid (\d+)/.exec(v.stdout);
    assert.ok(m, `show version names the daemon engine:\n${v.stdout}`);
    assert.equal(Number(m[1]), daemon.pid);

    const rev = await running();
    const good = mine();
    assert.deepEqual(good, expectedSaved(rev.config), 'cold start programmed exactly the running revision');

    ipvsadm('-A', '-t', `${FOREIGN}:80`, '-s', 'rr');
    ipvsadm('-a', '-t', `${FOREIGN}:80`, '-r', '198.51.100.99:80', '-m', '-w', '3');
    const foreignBefore = foreign();
    assert.equal(foreignBefore.length, 2);

    const heal = async (what: string, edit: () => void) => {
      edit();
      const t0 = nowMs();
      // The edit may already be healed here: the daemon's check can fall between the edit and this read.
      const tookFirst = JSON.stringify(mine()) !== JSON.stringify(good);
      const healedAt = await pollUntil(() => (JSON.stringify(mine()) === JSON.stringify(good) ? nowMs() : null), HEAL_WINDOW_MS, 50);
      assert.ok(healedAt !== null, `${what}: healed within ${HEAL_WINDOW_MS} ms; daemon log:\n${daemon.tail()}`);
      t.diagnostic(`${what}: healed in ${healedAt - t0} ms after the edit (reconcile interval ${INTERVAL_MS} ms, window ${HEAL_WINDOW_MS} ms)${tookFirst ? '' : '; already healed at the first look'}`);
    };
    await heal('ipvsadm -e (weight 5 -> 1)', () => ipvsadm('-e', '-t', '192.0.2.10:80', '-r', '198.51.100.11:8080', '-m', '-w', '1'));
    await heal('ipvsadm -d (destination deleted)', () => ipvsadm('-d', '-t', '192.0.2.20:8080', '-r', '198.51.100.22:8080'));
    await heal('ipvsadm -e and -d together', () => {
      ipvsadm('-e', '-u', '192.0.2.53:53', '-r', '198.51.100.53:53', '-m', '-w', '77');
      ipvsadm('-d', '-t', '[2001:db8::10]:443', '-r', '[2001:db8:1::1]:443');
    });

    // Several intervals: the daemon keeps checking (lastReconcile moves) and never touches the foreign service.
    const seen = new Set<string>();
    const until = nowMs() + 5 * INTERVAL_MS;
    while (nowMs() < until) {
      assert.deepEqual(foreign(), foreignBefore, 'the foreign service is untouched');
      const info = await daemon.waitHello(5000);
      if (info?.lastReconcile) seen.add(info.lastReconcile);
      await sleep(250);
    }
    assert.deepEqual(foreign(), foreignBefore);
    assert.deepEqual(mine(), good);
    assert.ok(seen.size >= 2, `the drift check ran during the window (distinct lastReconcile values: ${seen.size})`);
    t.diagnostic(`foreign ${FOREIGN}:80 untouched over ${5 * INTERVAL_MS} ms; ${seen.size} distinct drift checks seen through hello`);
    const repaired = daemon.log.filter((l) => l.includes('drift repaired'));
    assert.ok(repaired.length >= 3, `the daemon logged its repairs:\n${daemon.tail()}`);
    t.diagnostic(`daemon log: ${repaired.join(' | ')}`);
  });

  it('commit confirmed 1 through the daemon; daemon SIGKILLed and restarted; rolled back at the deadline', part('b'), async (t) => {
    const svc = '192.0.2.10:80';
    const dest = '198.51.100.12:8080';
    const before = await running();
    const w0 = kernelWeight(mine(), svc, dest);
    assert.equal(w0, backendWeight(before.config, 'web', '198.51.100.12'));

    const r = await shell('configure private; service web; backend 198.51.100.12 port 8080 weight 42; commit confirmed 1');
    assert.equal(r.code, 0, why(r));
    const m = /Commit confirmed: revision (\d+) will be rolled back to revision (\d+) in 1 minute/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const [rev1, prev] = [Number(m[1]), Number(m[2])];
    assert.equal(prev, before.number);
    assert.equal(kernelWeight(mine(), svc, dest), 42, 'the commit reached the kernel');
    const pending = JSON.parse(readFileSync(join(stateDir, 'confirm.json'), 'utf8')) as { revision: number; deadline: string };
    assert.equal(pending.revision, rev1);
    const deadline = Date.parse(pending.deadline);
    t.diagnostic(`commit confirmed 1: revision ${rev1} (shell command ${r.ms} ms), deadline ${pending.deadline}, ${deadline - Date.now()} ms from now`);
    // Who may act on the deadline: the daemon, or a detached guard the shell would have started without one.
    const guards = new Set<string>();
    const lookForGuards = () => {
      for (const p of processesMatching('confirm-guard-main')) guards.add(p);
      const g = runningConfirmGuard(stateDir);
      if (g) guards.add(`lock holder pid ${g.pid}`);
    };
    lookForGuards();

    const killAt = nowMs() + 3000;
    while (nowMs() < killAt) {
      lookForGuards();
      await sleep(200);
    }
    const killed = daemon.pid;
    await daemon.stop('SIGKILL');
    const { info, ms } = await startDaemon();
    lookForGuards();
    assert.equal(info.runningRevision, rev1, 'the restarted daemon runs the unconfirmed revision until the deadline');
    t.diagnostic(`daemon ${killed} SIGKILLed 3 s after the commit; restarted as ${daemon.pid}, hello after ${ms} ms`);

    const slack = 30_000;
    const backAt = await pollUntil(
      () => {
        lookForGuards();
        return kernelWeight(mine(), svc, dest) === w0 ? Date.now() : null;
      },
      Math.max(0, deadline - Date.now()) + slack,
      200,
    );
    const now = await running();
    // The daemon changes the kernel, then appends the audit record, then logs: wait (bounded) for the last two.
    const auditOf = () => readAudit(auditPath({ stateDir, config: now.config }));
    const rec = await pollUntil(() => auditOf().records.find((x) => x.action === 'confirm-timeout' && x.revisionBefore === rev1) ?? null, 15_000, 100);
    const logged = await pollUntil(() => (daemon.log.some((l) => /was not confirmed/.test(l)) ? true : null), 15_000, 100);
    const loggedAfterKernelMs = logged && backAt !== null ? Date.now() - backAt : null;
    const guardLogPath = confirmGuardLogPath(stateDir);
    const guardLog = existsSync(guardLogPath) ? readFileSync(guardLogPath, 'utf8').trim() : null;
    const byDaemon = daemon.log.filter((l) => /commit confirmed/.test(l));
    t.diagnostic(
      `who acted: audit record pid ${rec?.pid ?? '(no record)'}; daemons ${killed} (killed) and ${daemon.pid}; ` +
        `guard processes seen: ${guards.size ? [...guards].join(' ; ') : 'none'}; guard log: ${guardLog ? guardLog.replace(/\n/g, ' | ') : '(none)'}; ` +
        `daemon log lines about it: ${byDaemon.length ? byDaemon.join(' | ') : '(none)'} (seen here ${loggedAfterKernelMs ?? '-'} ms after the kernel was seen back)`,
    );
    assert.ok(backAt !== null, `weight back to ${w0} by the deadline + ${slack} ms; daemon log:\n${daemon.tail()}`);
    t.diagnostic(`weight back to ${w0} in the kernel ${backAt - deadline} ms after the deadline`);
    assert.ok(backAt >= deadline, `not rolled back before the deadline (${backAt - deadline} ms)`);

    assert.equal(now.origin, 'confirm-timeout');
    assert.equal(now.number, rev1 + 1);
    assert.ok(configsEqual(now.config, before.config), 'the restored configuration is the one before the commit');
    assert.equal(existsSync(join(stateDir, 'confirm.json')), false, 'no pending confirmation left');
    const loaded = loadConfig(cfgDir);
    assert.deepEqual(loaded.errors, []);
    assert.ok(configsEqual(loaded.config!, now.config), 'the configuration files say the restored revision');
    assert.deepEqual(mine(), expectedSaved(now.config));

    assert.ok(rec, `a confirm-timeout audit record: ${JSON.stringify(auditOf().records.map((x) => x.action))}`);
    assert.equal(rec.revisionAfter, now.number);
    assert.equal(rec.result, 'ok');
    t.diagnostic(`store: revision ${now.number} origin ${now.origin}; audit: ${rec.action} ${rec.revisionBefore}->${rec.revisionAfter} ${rec.result}`);
    assert.equal(guardLog, null, 'no detached guard ran: the daemon enforces the deadline');
    assert.equal(rec.pid, daemon.pid, 'the audit record was written by the restarted daemon');
    assert.ok(logged, `the restarted daemon logged the rollback; its log:\n${daemon.tail()}`);
  });

  it('commit confirmed 1; daemon SIGKILLed and kept down past the deadline; the restarted daemon rolls back at start', part('d'), async (t) => {
    const svc = '192.0.2.10:80';
    const dest = '198.51.100.12:8080';
    const before = await running();
    const w0 = kernelWeight(mine(), svc, dest);
    const r = await shell('configure private; service web; backend 198.51.100.12 port 8080 weight 43; commit confirmed 1');
    assert.equal(r.code, 0, why(r));
    const m = /Commit confirmed: revision (\d+) will be rolled back/.exec(r.stdout);
    assert.ok(m, r.stdout);
    const rev1 = Number(m[1]);
    assert.equal(kernelWeight(mine(), svc, dest), 43);
    const pending = JSON.parse(readFileSync(join(stateDir, 'confirm.json'), 'utf8')) as { revision: number; deadline: string };
    const deadline = Date.parse(pending.deadline);
    await sleep(3000);
    const killed = daemon.pid;
    await daemon.stop('SIGKILL');
    // Down past the deadline. No lbctl process may run now: any of them would start a guard or expire it itself.
    const guards = new Set<string>();
    while (Date.now() < deadline + 3000) {
      for (const p of processesMatching('confirm-guard-main')) guards.add(p);
      await sleep(500);
    }
    const weightWhileDown = kernelWeight(mine(), svc, dest);
    const pendingWhileDown = existsSync(join(stateDir, 'confirm.json'));
    t.diagnostic(
      `daemon ${killed} SIGKILLed 3 s after commit confirmed (revision ${rev1}); ${Date.now() - deadline} ms past the deadline: kernel weight ${weightWhileDown}, ` +
        `confirm.json ${pendingWhileDown ? 'still pending' : 'gone'}, guard processes: ${guards.size ? [...guards].join(' ; ') : 'none'}`,
    );
    const { info, ms } = await startDaemon();
    const now = await running();
    const w = kernelWeight(mine(), svc, dest);
    t.diagnostic(`restarted as ${daemon.pid}, hello after ${ms} ms: running revision ${info.runningRevision}, kernel weight ${w}; log: ${daemon.log.filter((l) => /confirm|cold start/.test(l)).join(' | ')}`);
    assert.equal(w, w0, 'the kernel runs the rolled-back weight as soon as hello answers (cold start)');
    assert.equal(now.origin, 'confirm-timeout');
    assert.equal(now.number, rev1 + 1);
    assert.equal(info.runningRevision, now.number);
    assert.ok(configsEqual(now.config, before.config));
    assert.deepEqual(mine(), expectedSaved(now.config));
    const loaded = loadConfig(cfgDir);
    assert.ok(configsEqual(loaded.config!, now.config), 'the configuration files say the restored revision');
    const rec = await pollUntil(() => readAudit(auditPath({ stateDir, config: now.config })).records.find((x) => x.action === 'confirm-timeout' && x.revisionBefore === rev1) ?? null, 15_000, 100);
    assert.ok(rec, 'a confirm-timeout audit record');
    assert.equal(rec.pid, daemon.pid, 'written by the restarted daemon');
    assert.ok(daemon.log.some((l) => /expired while no daemon ran/.test(l)), `the daemon said so:\n${daemon.tail()}`);
    assert.equal(existsSync(confirmGuardLogPath(stateDir)), false, 'no detached guard ran');
  });

  it(`SIGKILL of the daemon during a shell commit (${TRIALS} trials): kernel, store and files agree after a restart`, part('c'), async (t) => {
    const seed = Number(process.env.LBCTL_DAEMON_KILL_SEED ?? Date.now() % 2147483647);
    const rand = prng(seed);
    // The shell spends most of its time starting node. Two anchors for the kill: the commit transaction's lock
    // appearing (the daemon has the request and is committing; most trials), or the shell entering configuration
    // mode (before the request is sent; every third trial). Delays are drawn from 0 .. 3 x the calibration commit's
    // lock span (so that some kills fall after the commit completed), or 0 .. 1.3 x configure-to-exit.
    const cal = watchedShell('configure private; service web; backend 198.51.100.11 port 8080 weight 6; commit comment calibrate');
    const { run: calRun, marks: calMarks } = await cal.done;
    assert.equal(calRun.code, 0, why(calRun));
    assert.ok(calMarks.configure !== null && calMarks.txnStart !== null, `the calibration shell was seen in configure and in the transaction: ${JSON.stringify(calMarks)}`);
    const txnMs = (calMarks.txnEnd ?? calRun.ms) - calMarks.txnStart;
    const cfgMs = calRun.ms - calMarks.configure;
    const maxDelay = { txnStart: Math.max(50, Math.round(txnMs * 3)), configure: Math.max(200, Math.round(cfgMs * 1.3)) };
    t.diagnostic(
      `seed ${seed} (LBCTL_DAEMON_KILL_SEED=${seed} replays it); calibration shell ${calRun.ms} ms: configure at ${calMarks.configure} ms, ` +
        `transaction lock held ${calMarks.txnStart}..${calMarks.txnEnd ?? '?'} ms; kill delays 0..${maxDelay.txnStart} ms after the lock appears, ` +
        `or 0..${maxDelay.configure} ms after configure (every third trial)`,
    );
    const foreignBefore = foreign();
    const summary: string[] = [];
    let landedCount = 0;
    for (let i = 0; i < TRIALS; i++) {
      const before = await running();
      const addService = i % 2 === 1;
      const weight = 100 + i;
      const name = `t${i}`;
      const vip = `192.0.2.${100 + i}`;
      const change = addService
        ? `service ${name}; vip ${vip}; port 80; scheduler rr; backend 198.51.100.${100 + i} port 80 weight 1; health disable`
        : `service api; backend 198.51.100.21 port 8080 weight ${weight}`;
      const cmds = `show version; configure private; ${change}; commit comment trial-${i}`;
      const anchorKind = i % 3 === 2 ? 'configure' : 'txnStart';
      const delay = Math.floor(rand() * maxDelay[anchorKind]);

      const started = watchedShell(cmds);
      const anchor = await started.reached(anchorKind);
      await sleep(delay);
      const victim = daemon.pid;
      await daemon.stop('SIGKILL');
      const { run: sh, marks } = await started.done;
      const kernelAtKill = mine();
      const intentAtKill = existsSync(join(stateDir, 'intent.json'));
      const { info, ms } = await startDaemon();

      // No half-done intent: the restarted daemon's store open completed or never saw it.
      assert.equal(existsSync(join(stateDir, 'intent.json')), false, `trial ${i}: no intent record left`);
      const now = await running();
      assert.equal(info.runningRevision, now.number, `trial ${i}: hello and the store agree on the running revision`);
      const loaded = loadConfig(cfgDir);
      assert.deepEqual(loaded.errors, [], `trial ${i}: the files load`);
      assert.ok(configsEqual(loaded.config!, now.config), `trial ${i}: the configuration files equal running revision ${now.number}`);
      assert.deepEqual(mine(), expectedSaved(now.config), `trial ${i}: the kernel equals what revision ${now.number} compiles to`);
      const st = await cli('status');
      assert.equal(st.code, 0, `trial ${i}: lbctl status in sync: ${why(st)}`);
      assert.deepEqual(foreign(), foreignBefore, `trial ${i}: the foreign service survived`);

      const hasChange = (c: Config) =>
        addService ? c.services.some((s) => s.name === name && s.vip === vip) : backendWeight(c, 'api', '198.51.100.21') === weight;
      const landed = now.number > before.number;
      if (landed) {
        assert.equal(now.number, before.number + 1, `trial ${i}: one revision`);
        assert.ok(hasChange(now.config), `trial ${i}: the new revision holds the change`);
        landedCount++;
      } else assert.ok(configsEqual(now.config, before.config), `trial ${i}: nothing landed, running unchanged`);
      const said = /Configuration committed successfully \(revision (\d+)\)/.exec(sh.stdout);
      if (said) assert.ok(landed && now.number === Number(said[1]), `trial ${i}: a commit the shell reported is durable (said ${said[1]}, running ${now.number})`);
      const engine = /Engine: (daemon|in-process)/.exec(sh.stdout)?.[1] ?? 'none (killed before show version)';
      const shellSaid = said
        ? `committed revision ${said[1]}`
        : (sh.stderr.trim() || sh.stdout.split('\n').slice(-3).join(' ')).replace(/\s*\n\s*/g, ' / ').slice(0, 400);
      const kernelHadIt = addService
        ? kernelAtKill.some((l) => l.startsWith(`-A -t ${vip}:80 `))
        : kernelWeight(kernelAtKill, '192.0.2.20:8080', '198.51.100.21:8080') === weight;
      const line =
        `trial ${i}: ${addService ? `add service ${name}` : `api weight -> ${weight}`}, kill ${delay} ms after ${anchor ? (anchorKind === 'configure' ? 'configure' : 'the transaction lock appeared') : `the shell ended without reaching ${anchorKind}`} (daemon ${victim}; shell marks ${JSON.stringify(marks)}); ` +
        `shell exit ${sh.code} after ${sh.ms} ms, engine ${engine}, said: ${shellSaid}; at kill: kernel ${kernelHadIt ? 'had' : 'lacked'} the change, intent.json ${intentAtKill ? 'present' : 'absent'}; ` +
        `restart hello ${ms} ms; LANDED: ${landed ? `yes (revision ${now.number})` : `no (revision ${now.number} stays)`}; consistent`;
      t.diagnostic(line);
      summary.push(`${i}:${landed ? 'landed' : 'not'}`);
    }
    t.diagnostic(`summary: ${summary.join(' ')} (${landedCount}/${TRIALS} landed; seed ${seed})`);
  });

  it(
    'a daemon too slow for hello (SIGSTOP): the shell commits in-process; after the daemon resumes the kernel still equals the running revision',
    part('e'),
    async (t) => {
      const svc = '192.0.2.10:80';
      const dest = '198.51.100.11:8080';
      const before = await running();
      const wBefore = kernelWeight(mine(), svc, dest);
      const infoBefore = await daemon.waitHello(30_000);
      assert.ok(infoBefore);
      // Stop it between drift checks: a daemon frozen inside one would hold the transaction lock (the drift check
      // takes it so as never to undo a commit in flight), and the in-process commit would wait for it.
      const txLock = join(stateDir, 'locks', 'shell-commit.lock');
      for (let i = 0; i < 100; i++) {
        daemon.child.kill('SIGSTOP');
        if (!existsSync(txLock)) break;
        daemon.child.kill('SIGCONT');
        await sleep(20);
      }
      assert.equal(existsSync(txLock), false, 'the daemon could not be stopped between two drift checks');
      let r: RunResult;
      let after: Revision;
      let wAfterCommit: number | null;
      try {
        r = await shell('show version; configure private; service web; backend 198.51.100.11 port 8080 weight 61; commit comment daemon-stopped');
        after = await running();
        wAfterCommit = kernelWeight(mine(), svc, dest);
      } finally {
        daemon.child.kill('SIGCONT');
      }
      const engine = /Engine: (daemon|in-process)[^\n]*/.exec(r.stdout)?.[0] ?? '?';
      const committed = /Configuration committed successfully \(revision (\d+)\)/.exec(r.stdout);
      t.diagnostic(`daemon ${daemon.pid} SIGSTOPped (running revision ${infoBefore.runningRevision}); shell: exit ${r.code}, ${engine}, ${committed ? `committed revision ${committed[1]}` : r.stderr.trim().slice(0, 200)}; kernel weight ${wBefore} -> ${wAfterCommit}; store ${before.number} -> ${after.number}; daemon resumed (SIGCONT)`);
      // Several drift checks after the daemon resumed.
      const samples: string[] = [];
      const resumed = nowMs();
      let last: number | null = null;
      while (nowMs() < resumed + 6 * INTERVAL_MS) {
        const w = kernelWeight(mine(), svc, dest);
        if (w !== last) samples.push(`${w} at +${nowMs() - resumed} ms`);
        last = w;
        await sleep(100);
      }
      const info = await daemon.waitHello(30_000);
      const st = await cli('status');
      const now = await running();
      t.diagnostic(
        `after resuming: kernel weight over ${6 * INTERVAL_MS} ms: ${samples.join(' -> ')}; store running revision ${now.number} (weight ${backendWeight(now.config, 'web', '198.51.100.11')}); ` +
          `daemon hello says revision ${info?.runningRevision}; lbctl status exit ${st.code}; daemon log: ${daemon.log.filter((l) => /drift|revision/.test(l)).slice(-3).join(' | ')}`,
      );
      assert.ok(committed, `the shell committed (in-process): ${why(r)}`);
      assert.match(engine, /in-process/, 'a stopped daemon does not answer hello: the shell ran the engine itself');
      assert.equal(wAfterCommit, 61, 'the in-process commit reached the kernel');
      assert.ok(
        samples.every((x) => x.startsWith('61 ')),
        `the resumed daemon never put the old weight back (the commit was in the store before it resumed): ${samples.join(' -> ')}`,
      );
      assert.deepEqual(mine(), expectedSaved(now.config), 'the kernel equals the running revision after the daemon resumed');
      assert.equal(info?.runningRevision, now.number, 'the daemon knows the running revision');
      assert.equal(st.code, 0, `lbctl status in sync: ${why(st)}`);
    },
  );
});
