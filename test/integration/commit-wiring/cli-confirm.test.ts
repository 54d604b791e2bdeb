// The commit workflow through real `lbctl shell --lab` processes: `-c` scripts, a question answered on stdin, and
// a `commit confirmed 1` whose shell is SIGKILLed: the detached guard rolls it back (audit origin confirm-timeout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../store/store.js';
import { readAudit } from '../../../engine/audit.js';
import { runningConfirmGuard } from '../../../engine/confirm-guard.js';
import { cliEntry, makeLab, openLabSession, type Lab } from './helpers.js';
import { HOOKED_LBCTL, hookArgs } from '../../support/hooks.js';
import { readableInstall } from '../../support/readable-install.js';
import { labTableText } from '../../support/lab-table.js';

function launcher(lab: Lab): string {
  const path = join(lab.dir, 'lbctl.mjs');
  writeFileSync(path, `const { main } = await import(${JSON.stringify(cliEntry())});\nprocess.exitCode = await main(process.argv.slice(2));\n`);
  return path;
}

function shellArgs(lab: Lab): string[] {
  return [launcher(lab), 'shell', '--lab', '--config', lab.ctx.configPath, '--state-dir', lab.ctx.stateDir];
}

test('lbctl shell -c commits; exec rollback 1 answered yes on stdin restores show running-config byte for byte', () => {
  const lab = makeLab();
  try {
    const args = shellArgs(lab);
    const before = spawnSync(process.execPath, [...args, '-c', 'show running-config'], { encoding: 'utf8' });
    assert.equal(before.status, 0, before.stderr);
    const c = spawnSync(process.execPath, [...args, '-c', 'configure private; service web; port 80; backend 10.0.0.1 port 80; top; commit comment "via -c"'], {
      encoding: 'utf8',
    });
    assert.equal(c.status, 0, c.stderr);
    assert.match(c.stdout, /% Configuration committed successfully \(revision 2\)\./);
    // Without an answer source, a question is an error, and nothing happens.
    const noAnswer = spawnSync(process.execPath, [...args, '-c', 'rollback 1'], { encoding: 'utf8' });
    assert.equal(noAnswer.status, 1);
    assert.match(noAnswer.stderr, /asks "Commit revision 1 now\? \[yes\/no\]"/);
    const r = spawnSync(process.execPath, args, { input: 'rollback 1\nyes\nshow running-config\n', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /committed successfully \(revision 3\)/);
    assert.ok(r.stdout.endsWith(before.stdout), 'running-config after the rollback equals the one before the commit');
    const audit = readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records;
    assert.deepEqual(
      audit.map((x) => `${x.action}:${x.result}:${x.revisionAfter}`),
      ['commit:ok:2', 'rollback:ok:3'],
    );
  } finally {
    lab.cleanup();
  }
});

test('commit confirmed 1 in a shell killed with SIGKILL is rolled back by the guard (audit: confirm-timeout)', async () => {
  const lab = makeLab();
  // Through the test launcher: the store's clock runs 54 s behind, so "1 minute" ends about 6 s from now
  // (store/store.ts setStoreClock), and the guard the shell starts polls every 200 ms.
  const hooks = hookArgs({ clockOffsetMs: -54000, guardPollMs: 200 });
  const hookedShell = [HOOKED_LBCTL, ...hooks, ...shellArgs(lab).slice(1)];
  let guardPid: number | undefined;
  try {
    const child = spawn(process.execPath, hookedShell, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stdin.write('configure private\nservice web\nport 80\nbackend 10.0.0.1 port 80\ntop\ncommit confirmed 1\n');
    for (let i = 0; i < 200 && !/committed successfully/.test(stdout); i++) await sleep(50);
    assert.match(stdout, /% Commit confirmed: revision 2 will be rolled back to revision 1 in 1 minute\(s\)/);
    assert.match(stdout, /committed successfully \(revision 2\)/);
    const killed = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await killed;
    assert.match(labTableText(join(lab.ctx.stateDir, 'lab-ipvs.json')), /10\.0\.0\.1/);

    // The guard was spawned by the (now dead) shell; give node a moment to start it.
    for (let i = 0; i < 100 && !guardPid; i++) {
      guardPid = runningConfirmGuard(lab.ctx.stateDir)?.pid;
      if (!guardPid) await sleep(50);
    }
    assert.ok(guardPid, `a detached guard enforces the deadline after the shell died; log:\n${guardLog(lab)}`);

    // Another session is told a confirmation is pending.
    const s = await openLabSession(lab);
    await s.execute('show commit list');
    assert.match(s.takeNotices().join('\n'), /commit confirmed by \S+: revision 2 will be rolled back to revision 1 at .* unless confirmed/);
    await s.close();
    let origin = '';
    for (let i = 0; i < 150 && origin !== 'confirm-timeout'; i++) {
      await sleep(200);
      const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath, readOnly: true });
      origin = store.running().origin;
    }
    assert.equal(origin, 'confirm-timeout');
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath, readOnly: true });
    assert.equal(store.running().number, 3);
    assert.deepEqual(store.running().config.services, []);
    let records = readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records;
    for (let i = 0; i < 50 && !records.some((r) => r.action === 'confirm-timeout'); i++) {
      await sleep(100);
      records = readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records;
    }
    const timeout = records.find((r) => r.action === 'confirm-timeout');
    assert.ok(timeout, 'audit record confirm-timeout');
    assert.equal(timeout.result, 'ok');
    assert.doesNotMatch(labTableText(join(lab.ctx.stateDir, 'lab-ipvs.json')), /10\.0\.0\.1/, 'the lab kernel was rolled back');
  } finally {
    if (guardPid) {
      try {
        process.kill(guardPid, 'SIGKILL');
      } catch {
        /* already exited */
      }
    }
    lab.cleanup();
  }
});

function guardLog(lab: Lab): string {
  try {
    return readFileSync(join(lab.ctx.stateDir, 'confirm-guard.log'), 'utf8');
  } catch (e) {
    return (e as Error).message;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

test('a real non-root user (runuser nobody) gets HOST> and % Permission denied, and changes nothing', (t) => {
  if (process.getuid?.() !== 0 || spawnSync('runuser', ['--help']).error) return t.skip('needs root and runuser');
  const lab = makeLab();
  const install = readableInstall();
  try {
    const args = [install.lbctl, ...shellArgs(lab).slice(1)];
    // root initialises the store; then everything is readable (not writable) by others.
    assert.equal(spawnSync(process.execPath, [...args, '-c', 'show commit list'], { encoding: 'utf8' }).status, 0);
    spawnSync('chmod', ['-R', 'a+rX', lab.dir]);
    const r = spawnSync('runuser', ['-u', 'nobody', '--', process.execPath, ...args, '--keep-going', '-c', 'show commit list; configure; configure private; rollback 1'], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 1);
    assert.match(r.stdout, /\b1\s+1000000001 .*root\s+file/);
    const denied = r.stderr.match(/% Permission denied: user nobody is neither root nor a member of group lbctl-admin/g) ?? [];
    assert.equal(denied.length, 3, r.stderr);
    assert.match(r.stderr, /vm\[lab\]>configure|[^\n]*>configure/);
    assert.equal(readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records.length, 0);
  } finally {
    lab.cleanup();
    install.cleanup();
  }
});

test('configure exclusive held by a shell killed with SIGKILL is recovered at once', async () => {
  const lab = makeLab();
  try {
    const child = spawn(process.execPath, shellArgs(lab), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stdin.write('configure exclusive\n');
    for (let i = 0; i < 200 && !/Exclusive candidate/.test(stdout); i++) await sleep(50);
    const s = await openLabSession(lab);
    const refused = await s.execute('configure exclusive');
    assert.match(refused.error ?? '', new RegExp(`locked exclusively by root \\(pid ${child.pid}`));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const r = await s.execute('configure exclusive');
    assert.equal(r.error, undefined, r.error);
    assert.match(r.output, /Exclusive candidate based on revision 1/);
    await s.execute('service web');
    await s.execute('port 80');
    assert.match((await s.execute('commit')).output, /committed successfully/);
    await s.close();
  } finally {
    lab.cleanup();
  }
});
