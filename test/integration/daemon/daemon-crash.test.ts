// Crash windows of the daemon, on the lab dataplane (the kernel VM suite repeats them on real IPVS):
//  - `commit confirmed 1` through the daemon, the daemon SIGKILLed and started again: the rollback still happens,
//    at the deadline, by the new daemon (the deadline is the store's durable record, not a timer in a dead
//    process). The first daemon's store clock runs 45 s behind (an injected test clock), so "1 minute" ends ~15 s
//    after the commit; the restarted daemon runs on the real clock.
//  - SIGKILL of the daemon at random moments of commits whose store steps are stretched: after a restart, the
//    "kernel" (the lab table), the running revision and the configuration files agree every time.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { configsEqual } from '../../../config/equal.js';
import { loadConfig } from '../../../config/load.js';
import { auditPath } from '../../../engine/audit.js';
import { probeDaemon } from '../../../engine/daemon/client.js';
import { openStore } from '../../../store/store.js';
import { HOOKED_LBCTL, hookArgs, type TestHooks } from '../../support/hooks.js';
import { labTableJSON } from '../../support/lab-table.js';

const LBCTL = fileURLToPath(new URL('../../../../bin/lbctl', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function makeLab() {
  const home = mkdtempSync(join(tmpdir(), 'lbctl-daemon-crash-'));
  const config = join(home, 'config');
  const state = join(home, 'state');
  mkdirSync(join(config, 'config.d'), { recursive: true });
  mkdirSync(state);
  writeFileSync(join(config, 'config.yaml'), 'vip: 192.0.2.10\ndaemon: {reconcile_interval_ms: 500}\n');
  writeFileSync(
    join(config, 'config.d', 'web.yaml'),
    'services:\n  - name: web\n    ports: [80]\n    backends:\n      - {address: 198.51.100.11, port: 80, weight: 100}\n      - {address: 198.51.100.12, port: 80, weight: 100}\n',
  );
  return { home, config, state, env: { ...process.env, HOME: home } };
}
type Lab = ReturnType<typeof makeLab>;

function daemonArgs(lab: Lab): string[] {
  return ['daemon', '--lab', '--config', lab.config, '--state-dir', lab.state];
}

/** The daemon, through the test launcher when hooks are given (else the real bin/lbctl). */
async function startDaemon(lab: Lab, hooks?: TestHooks): Promise<{ child: ChildProcess; log: () => string }> {
  const argv = hooks ? [HOOKED_LBCTL, ...hookArgs(hooks), ...daemonArgs(lab)] : [LBCTL, ...daemonArgs(lab)];
  const child = spawn(process.execPath, argv, { env: lab.env, stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (d) => (log += d));
  for (let i = 0; i < 600; i++) {
    if (await probeDaemon(lab.state, 500)) return { child, log: () => log };
    if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${log}`);
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`the daemon did not answer: ${log}`);
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await gone;
}

function shell(lab: Lab, commands: string) {
  return spawnSync(process.execPath, [LBCTL, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', commands], {
    env: lab.env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

/** backend address → weight, as the lab table holds them. */
function tableWeights(lab: Lab): Map<string, number> {
  const t = labTableJSON<{ services: Array<{ dests: Array<{ dest: { addr: string; weight: number } }> }> }>(join(lab.state, 'lab-ipvs.json'));
  return new Map(t.services.flatMap((s) => s.dests.map((d) => [d.dest.addr, d.dest.weight] as [string, number])));
}

function configWeights(config: { services: Array<{ backends: Array<{ address: string; weight: number }> }> }): Map<string, number> {
  return new Map(config.services.flatMap((s) => s.backends.map((b) => [b.address, b.weight] as [string, number])));
}

describe('daemon crash windows (lab)', () => {
  const labs: Lab[] = [];
  const children: ChildProcess[] = [];
  after(async () => {
    for (const c of children) await kill9(c);
    for (const l of labs) rmSync(l.home, { recursive: true, force: true });
  });

  it('commit confirmed 1 is rolled back at its deadline although the daemon was SIGKILLed and restarted', async () => {
    const lab = makeLab();
    labs.push(lab);
    const first = await startDaemon(lab, { clockOffsetMs: -45_000 });
    children.push(first.child);
    const r = shell(lab, 'configure private; service web; backend 198.51.100.11 port 80 weight 77; commit confirmed 1');
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /will be rolled back to revision 1 in 1 minute/);
    assert.equal(tableWeights(lab).get('198.51.100.11'), 77);
    const pending = JSON.parse(readFileSync(join(lab.state, 'confirm.json'), 'utf8')) as { deadline: string };
    const deadline = new Date(pending.deadline).getTime();
    assert.ok(deadline - Date.now() > 1000 && deadline - Date.now() < 16_000, `deadline ${pending.deadline} should be ~15 s away`);
    await kill9(first.child);
    assert.equal(tableWeights(lab).get('198.51.100.11'), 77, 'rolled back before the daemon was killed: the restart would prove nothing');
    const second = await startDaemon(lab);
    children.push(second.child);
    let rolledBackAt = 0;
    for (let i = 0; i < 700 && !rolledBackAt; i++) {
      if (tableWeights(lab).get('198.51.100.11') === 100) rolledBackAt = Date.now();
      else await sleep(50);
    }
    assert.ok(rolledBackAt, `not rolled back: ${second.log()}`);
    assert.ok(rolledBackAt >= deadline, `rolled back ${deadline - rolledBackAt} ms before the deadline`);
    assert.ok(rolledBackAt - deadline < 10_000, `rolled back ${rolledBackAt - deadline} ms after the deadline`);
    const store = await openStore({ stateDir: lab.state, configPath: lab.config, readOnly: true });
    const running = store.running();
    assert.equal(running.origin, 'confirm-timeout');
    assert.equal(store.pendingConfirm(), null);
    assert.equal(configWeights(running.config).get('198.51.100.11'), 100);
    // The audit record and the log line follow the kernel change: wait for both, bounded.
    const auditText = () => {
      try {
        return readFileSync(auditPath({ stateDir: lab.state, lab: true }), 'utf8');
      } catch {
        return '';
      }
    };
    for (let i = 0; i < 200 && !/"confirm-timeout"/.test(auditText()); i++) await sleep(50);
    const audit = auditText().trim().split('\n').map((l) => JSON.parse(l));
    const timeout = audit.find((a) => a.action === 'confirm-timeout');
    assert.ok(timeout, 'no confirm-timeout audit record');
    assert.equal(timeout.result, 'ok');
    // The log line follows the kernel change: wait for it, bounded.
    for (let i = 0; i < 200 && !/was not confirmed .*rolled back to revision 3/.test(second.log()); i++) await sleep(50);
    assert.match(second.log(), /was not confirmed .*rolled back to revision 3/);
  });

  it('SIGKILL of the daemon at random moments of commits: kernel, running revision and files agree after a restart', async (t) => {
    const lab = makeLab();
    labs.push(lab);
    // A seeded generator: the kill delays are printed and repeatable.
    let seed = 20261130;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const landed: string[] = [];
    for (let trial = 0; trial < 6; trial++) {
      const d = await startDaemon(lab, { stepDelayMs: 40 });
      children.push(d.child);
      const weight = 10 + trial;
      const commit = spawn(
        process.execPath,
        [LBCTL, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', `configure private; service web; backend 198.51.100.12 port 80 weight ${weight}; commit`],
        { env: lab.env, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      commit.stdout!.on('data', (x) => (out += x));
      commit.stderr!.on('data', (x) => (out += x));
      const ended = new Promise<number | null>((r) => commit.once('exit', (code) => r(code)));
      const delay = Math.floor(300 + random() * 900);
      await sleep(delay);
      await kill9(d.child);
      const code = await ended;
      // After the crash: a fresh daemon (real lbctl) converges the kernel to whatever the store says runs.
      const again = await startDaemon(lab);
      children.push(again.child);
      const store = await openStore({ stateDir: lab.state, configPath: lab.config, readOnly: true });
      const running = store.running();
      const want = configWeights(running.config);
      let agreed = false;
      for (let i = 0; i < 100 && !agreed; i++) {
        const have = tableWeights(lab);
        agreed = [...want].every(([a, w]) => have.get(a) === w) && have.size === want.size;
        if (!agreed) await sleep(50);
      }
      assert.ok(agreed, `trial ${trial} (kill after ${delay} ms): kernel ${JSON.stringify([...tableWeights(lab)])} vs revision ${running.number} ${JSON.stringify([...want])}`);
      const files = loadConfig(lab.config);
      assert.ok(files.config && configsEqual(files.config, running.config), `trial ${trial}: the files differ from revision ${running.number}`);
      const status = spawnSync(process.execPath, [LBCTL, 'status', '--lab', '--config', lab.config, '--state-dir', lab.state], { env: lab.env, encoding: 'utf8' });
      assert.equal(status.status, 0, `trial ${trial}: ${status.stdout}${status.stderr}`);
      landed.push(`trial ${trial}: kill after ${delay} ms, shell exit ${code}, ${want.get('198.51.100.12') === weight ? 'commit landed' : 'commit did not land'} (revision ${running.number})`);
      if (code !== 0) assert.match(out, /went away during the commit|daemon|refused|% /, out);
      await kill9(again.child);
    }
    for (const l of landed) t.diagnostic(l);
  });
});
