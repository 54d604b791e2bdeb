// The gate: an installed lbctl reads NO environment variable that changes time, identity or crash behaviour.
// The real bin/lbctl runs with every test-only variable older builds honoured, set to values that would show:
//   LBCTL_TEST_CRASH_AT_STEP=1      a SIGKILL at the first disk write (exit signal SIGKILL, nothing committed)
//   LBCTL_TEST_TRACE_STEPS=1        `step N …` lines on stderr
//   LBCTL_TEST_STEP_DELAY_MS=5000   every disk write stretched by 5 s (the run would hit its time limit)
//   LBCTL_TEST_CLOCK_OFFSET_MS=-1h  a `commit confirmed 1` deadline an hour in the past (rolled back at once)
//   LBCTL_TEST_IDENTITY             a pretend operator (a viewer would be refused configuration)
//   LBCTL_CONFIRM_POLL_MS=1         the detached guard's poll interval
// all with NODE_ENV=test. The commits must complete as if none were set. Then a static scan: the compiled
// production folders contain none of these names (tests inject through setAtomicStepHook, setStoreClock,
// setPretendIdentity, setConfirmGuardLauncher / confirmGuardMain's pollMs instead: test/support/hooks.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../store/store.js';
import { readAudit } from '../../engine/audit.js';
import { runningConfirmGuard } from '../../engine/confirm-guard.js';

// build(-x)/test/integration → the repository; its bin/lbctl runs build/cli/main.js.
const repo = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const thisBuild = resolve(fileURLToPath(new URL('../../', import.meta.url)));
const BIN = join(repo, 'bin', 'lbctl');
const PRODUCTION_FOLDERS = ['cli', 'config', 'store', 'engine', 'present', 'shell', 'modes', 'netlink', 'locks', 'completion'];
const FORBIDDEN = ['LBCTL_TEST_', 'LBCTL_CONFIRM_POLL_MS'];

const ROOT_CLAIM = '{"user":"root","uid":0,"groups":["lbctl-admin"]}';
const VIEWER_CLAIM = '{"user":"viewer","uid":1500,"groups":["users"]}';

function hookEnv(home: string, identity: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: home,
    NODE_ENV: 'test',
    LBCTL_TEST_CRASH_AT_STEP: '1',
    LBCTL_TEST_STEP_DELAY_MS: '5000',
    LBCTL_TEST_TRACE_STEPS: '1',
    LBCTL_TEST_CLOCK_OFFSET_MS: '-3600000',
    LBCTL_TEST_IDENTITY: identity,
    LBCTL_CONFIRM_POLL_MS: '1',
  };
  delete env.LBCTL_CONFIG;
  delete env.LBCTL_STATE_DIR;
  delete env.LBCTL_HISTORY;
  return env;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Every step trace line, crash or stall would show here: a normal run of the real CLI. */
function assertNormalRun(r: SpawnSyncReturns<string>, what: string): void {
  assert.equal(r.error, undefined, `${what}: ${r.error?.message} (a 5 s step delay would exceed the time limit)\n${r.stderr}`);
  assert.equal(r.signal, null, `${what}: killed by ${r.signal}\n${r.stderr}`);
  assert.equal(r.status, 0, `${what}: exit ${r.status}\n${r.stdout}\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /^step \d+ /m, `${what}: no step trace`);
  assert.doesNotMatch(r.stdout + r.stderr, /Permission denied/, `${what}: the operator was not reduced`);
}

test('the real bin/lbctl ignores every test-only variable: commits complete, deadline unshifted, real user audited', { timeout: 240_000 }, async () => {
  assert.ok(existsSync(BIN), BIN);
  assert.ok(existsSync(join(repo, 'build', 'cli', 'main.js')), 'bin/lbctl runs build/: build first (npx tsc -p .)');
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-nohooks-'));
  const home = join(dir, 'home');
  const configPath = join(dir, 'config');
  const stateDir = join(dir, 'state');
  mkdirSync(home);
  mkdirSync(configPath);
  mkdirSync(stateDir);
  writeFileSync(join(configPath, 'config.yaml'), 'vip: 192.0.2.10\n');
  const lbctl = (script: string, identity: string) =>
    spawnSync(process.execPath, [BIN, 'shell', '--lab', '--config', configPath, '--state-dir', stateDir, '-c', script], {
      cwd: dir,
      env: hookEnv(home, identity),
      encoding: 'utf8',
      timeout: 60_000,
    });
  const realUser = userInfo().username;
  let guardPid: number | undefined;
  try {
    // 1. A plain commit, with the pretend operator the brief names.
    const first = lbctl('configure; service web; port 80; backend 10.0.0.1 port 80; top; commit comment "no hooks"', ROOT_CLAIM);
    assertNormalRun(first, 'commit');
    assert.match(first.stdout, /% Configuration committed successfully \(revision 2\)\./);
    let store = await openStore({ stateDir, configPath, readOnly: true });
    assert.equal(store.running().number, 2, 'revision 2 recorded');
    assert.deepEqual(store.running().config.services.map((s) => s.name), ['web']);
    assert.equal(store.running().user, realUser);

    // 2. commit confirmed 1 as a pretend viewer: not refused (the pretend operator is ignored), and the deadline is
    // one minute after the real present (an hour-behind clock would have put it in the past).
    const before = Date.now();
    const armed = lbctl('configure; service web; port 81; top; commit confirmed 1', VIEWER_CLAIM);
    const after = Date.now();
    assertNormalRun(armed, 'commit confirmed 1');
    assert.match(armed.stdout, /% Commit confirmed: revision 3 will be rolled back to revision 2 in 1 minute\(s\)/);
    store = await openStore({ stateDir, configPath, readOnly: true });
    const pending = store.pendingConfirm();
    assert.ok(pending, 'the confirmation is pending');
    assert.equal(pending.revision, 3);
    assert.equal(store.running().number, 3);
    assert.equal(store.running().origin, 'shell', 'not rolled back at once');
    const deadline = Date.parse(pending.deadline);
    assert.ok(deadline >= before + 60_000 - 50 && deadline <= after + 60_000 + 50, `deadline ${pending.deadline} is ~60 s after the commit (${new Date(before).toISOString()} … ${new Date(after).toISOString()})`);
    guardPid = runningConfirmGuard(stateDir)?.pid;

    // 3. A plain commit confirms it; the guard (started on the real entry) sees that and exits.
    const confirm = lbctl('configure; commit', ROOT_CLAIM);
    assertNormalRun(confirm, 'confirming commit');
    store = await openStore({ stateDir, configPath, readOnly: true });
    assert.equal(store.pendingConfirm(), null);
    assert.equal(store.running().number, 3);

    // The audit names the real user for every record, whatever the pretend operator claimed.
    const records = readAudit(join(stateDir, 'audit.jsonl')).records;
    assert.ok(records.length >= 3, JSON.stringify(records));
    assert.deepEqual(
      records.filter((r) => r.result === 'ok').map((r) => `${r.action}:${r.revisionAfter}`).slice(0, 2),
      ['commit:2', 'commit:3'],
    );
    for (const r of records) assert.equal(r.user, realUser, `audit ${r.action} by ${r.user}`);
    const armedRecord = records.find((r) => r.revisionAfter === 3 && r.confirmMinutes === 1);
    assert.ok(armedRecord?.deadline && Date.parse(armedRecord.deadline) === deadline, 'the audit records the same deadline');
    // The guard's first start is in its log (it was spawned without any test launcher).
    const log = readFileSync(join(stateDir, 'confirm-guard.log'), 'utf8');
    assert.match(log, /guard started for /);
  } finally {
    const pid = guardPid ?? runningConfirmGuard(stateDir)?.pid;
    if (pid !== undefined) {
      for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
  }
});

/** Every .js file under `dir`, recursively. */
function jsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsFiles(path));
    else if (entry.name.endsWith('.js')) out.push(path);
  }
  return out;
}

test('the compiled production folders name no test-only variable', () => {
  const builds = [...new Set([join(repo, 'build'), thisBuild])];
  let scanned = 0;
  const found: string[] = [];
  for (const build of builds) {
    for (const folder of PRODUCTION_FOLDERS) {
      const dir = join(build, folder);
      if (!existsSync(dir)) continue;
      for (const file of jsFiles(dir)) {
        scanned++;
        const text = readFileSync(file, 'utf8');
        for (const needle of FORBIDDEN) if (text.includes(needle)) found.push(`${file}: ${needle}`);
      }
    }
  }
  assert.ok(scanned > 50, `scanned ${scanned} compiled production files`);
  assert.deepEqual(found, []);
});
