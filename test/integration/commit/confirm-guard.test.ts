// The `commit confirmed` guard as a real detached process, in the lab (the in-memory IPVS persisted in the state
// directory): it survives its parent's SIGKILL and rolls back store AND table at the deadline; a confirm cancels
// it; a second `commit confirmed` moves the deadline; a guard killed before the deadline is replaced at start-up
// and still enforces the (by then expired) deadline.
//
// Deadlines of a few seconds: the arming commit runs on a store whose clock is set back (the store computes the
// deadline as its now() + minutes), so `commit confirmed 1` expires ~3 s after the real present. The guards run
// through the test launcher test/support/hooked-guard.js, which polls every 200 ms (the real entry: 1 s).
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../../../store/store.js';
import type { Config, Service } from '../../../config/model.js';
import { defaultBackend, defaultConfig, defaultService } from '../../../config/defaults.js';
import { openDataplane } from '../../../netlink/open.js';
import { Engine } from '../../../engine/engine.js';
import { ensureConfirmGuard, runningConfirmGuard } from '../../../engine/confirm-guard.js';
import { LAB_TABLE_FILE } from '../../../engine/confirm-rollback.js';
import { readAudit } from '../../../engine/audit.js';
import { LAB_TABLE_FILE as CLI_LAB_TABLE_FILE } from '../../../cli/lab.js';
import { HOOKED_GUARD, hookArgs } from '../../support/hooks.js';
import { labTableText } from '../../support/lab-table.js';

const guardModule = fileURLToPath(new URL('../../../engine/confirm-guard.js', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** The guard every ensureConfirmGuard of these tests starts: the test launcher, polling every 200 ms. */
const hooked = { entry: HOOKED_GUARD, args: hookArgs({ guardPollMs: 200 }) };

function service(name: string, port: number): Service {
  return { ...defaultService(name, 'tcp'), vip: '192.0.2.10', ports: [port], backends: [{ ...defaultBackend('10.0.0.1'), port: 8080 }] };
}
function configWith(...services: Service[]): Config {
  const c = defaultConfig();
  c.services = services;
  return c;
}

interface Lab {
  stateDir: string;
  configPath: string;
}

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true, maxRetries: 5 })));

function newLab(): Lab {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-guard-'));
  roots.push(root);
  return { stateDir: join(root, 'state'), configPath: join(root, 'etc') };
}

/** Applies `config` to the lab table through an engine, as a shell commit does. */
async function applyLab(lab: Lab, config: Config): Promise<void> {
  const dataplane = await openDataplane({ kind: 'memory', persistPath: join(lab.stateDir, LAB_TABLE_FILE) });
  const engine = new Engine({ dataplane, stateDir: lab.stateDir });
  await engine.start();
  const result = await engine.commit(config);
  assert.equal(result.ok, true, `lab apply failed: ${result.failed?.message}`);
  await engine.close();
  await dataplane.close();
}

/** The ports of the services in the lab table (from the persisted file, as another process sees it). */
function labPorts(lab: Lab): number[] {
  const text = labTableText(join(lab.stateDir, LAB_TABLE_FILE));
  return [...text.matchAll(/"port":\s*(\d+)/g)].map((m) => Number(m[1])).filter((p) => p !== 8080).sort();
}

/** Revision 1 = service a (committed and applied); then `commit confirmed 1` of a + b expiring in `inMs`. */
async function armConfirm(lab: Lab, inMs: number): Promise<Store> {
  const store = await openStore({ stateDir: lab.stateDir, configPath: lab.configPath });
  const one = configWith(service('a', 80));
  const r1 = await store.commit(one, store.running().number, { origin: 'shell' });
  assert.equal(r1.kind, 'committed');
  await applyLab(lab, one);
  const skewed = await openStore({ stateDir: lab.stateDir, configPath: lab.configPath, now: () => new Date(Date.now() - 60_000 + inMs) });
  const two = configWith(service('a', 80), service('b', 81));
  const r2 = await skewed.commit(two, store.running().number, { origin: 'shell', confirmMinutes: 1 });
  assert.equal(r2.kind, 'committed');
  assert.ok(r2.kind === 'committed' && r2.confirm);
  await applyLab(lab, two);
  assert.deepEqual(labPorts(lab), [80, 81]);
  return store;
}

async function waitFor(what: string, cond: () => boolean, limitMs = 20_000): Promise<void> {
  const end = Date.now() + limitMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for: ${what}`);
    await sleep(100);
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('the lab table file name agrees with cli/lab.ts', () => {
  assert.equal(LAB_TABLE_FILE, CLI_LAB_TABLE_FILE);
});

test('guard survives its parent group SIGHUP and SIGKILL, and rolls back store, lab table and audit at the deadline', async () => {
  const lab = newLab();
  const store = await armConfirm(lab, 3000);
  const committed = store.running().number;
  // A parent (the "shell") starts the guard and is then killed with SIGKILL.
  const script = `
    const { ensureConfirmGuard } = await import(${JSON.stringify(guardModule)});
    const r = ensureConfirmGuard({ stateDir: ${JSON.stringify(lab.stateDir)}, configPath: ${JSON.stringify(lab.configPath)}, lab: true, ...${JSON.stringify(hooked)} });
    process.stdout.write(JSON.stringify(r) + '\\n');
    setInterval(() => {}, 1000);
  `;
  // The parent gets a process group of its own, as a login shell has: the hangup of a dropped SSH connection
  // goes to that whole group.
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  const line = await new Promise<string>((resolve) => parent.stdout!.once('data', (d) => resolve(String(d))));
  const started = JSON.parse(line) as { spawned: boolean; pid: number };
  assert.equal(started.spawned, true);
  await waitFor('guard holds its lock', () => runningConfirmGuard(lab.stateDir)?.pid === started.pid, 5000);
  process.kill(-parent.pid!, 'SIGHUP');
  parent.kill('SIGKILL');
  await new Promise((r) => (parent.exitCode !== null || parent.signalCode !== null ? r(null) : parent.once('exit', r)));
  assert.ok(alive(started.pid), 'guard died with its parent');
  assert.equal(runningConfirmGuard(lab.stateDir)?.pid, started.pid);
  assert.ok(store.pendingConfirm(), 'rolled back before the deadline');
  await waitFor('guard exits', () => !alive(started.pid));
  const running = store.running();
  assert.equal(running.origin, 'confirm-timeout');
  assert.equal(running.number, committed + 1);
  assert.deepEqual(running.config.services.map((s) => s.name), ['a']);
  assert.equal(store.pendingConfirm(), null);
  assert.deepEqual(labPorts(lab), [80]);
  const audit = readAudit(join(lab.stateDir, 'audit.jsonl'));
  const rec = audit.records.at(-1)!;
  assert.equal(rec.action, 'confirm-timeout');
  assert.equal(rec.result, 'ok');
  assert.equal(rec.revisionBefore, committed);
  assert.equal(rec.revisionAfter, committed + 1);
  assert.equal(rec.kernel?.ok, true);
  assert.ok(rec.kernel?.applied.some((op) => op.startsWith('delService tcp 192.0.2.10:81')), JSON.stringify(rec.kernel));
  assert.match(rec.diff ?? '', /name: b/);
});

test('a confirm (plain commit) makes the guard exit without rolling back', async () => {
  const lab = newLab();
  const store = await armConfirm(lab, 4000);
  const committed = store.running().number;
  const started = ensureConfirmGuard({ stateDir: lab.stateDir, configPath: lab.configPath, lab: true, ...hooked });
  assert.equal(started.spawned, true);
  await waitFor('guard holds its lock', () => runningConfirmGuard(lab.stateDir) !== null, 5000);
  const confirmed = await store.confirm();
  assert.equal(confirmed?.revision, committed);
  await waitFor('guard exits', () => !alive(started.pid));
  await sleep(4500); // past the old deadline: nobody may roll back now
  assert.equal(store.running().number, committed);
  assert.equal(store.running().origin, 'shell');
  assert.deepEqual(labPorts(lab), [80, 81]);
  assert.equal(readAudit(join(lab.stateDir, 'audit.jsonl')).records.length, 0);
});

test('commit confirmed again moves the deadline; a second ensure finds the one guard', async () => {
  const lab = newLab();
  const store = await armConfirm(lab, 2500);
  const committed = store.running().number;
  const first = ensureConfirmGuard({ stateDir: lab.stateDir, configPath: lab.configPath, lab: true, ...hooked });
  assert.equal(first.spawned, true);
  await waitFor('guard holds its lock', () => runningConfirmGuard(lab.stateDir) !== null, 5000);
  // Extend: `commit confirmed 1` again with no changes, 8 s from now.
  const skewed = await openStore({ stateDir: lab.stateDir, configPath: lab.configPath, now: () => new Date(Date.now() - 60_000 + 8000) });
  const again = await skewed.commit(store.running().config, committed, { origin: 'shell', confirmMinutes: 1 });
  assert.equal(again.kind, 'no-changes');
  const second = ensureConfirmGuard({ stateDir: lab.stateDir, configPath: lab.configPath, lab: true, ...hooked });
  assert.deepEqual(second, { spawned: false, reason: 'guard-running', pid: first.pid });
  await sleep(4000); // past the first deadline
  assert.equal(store.running().number, committed, 'rolled back at the old deadline');
  assert.ok(store.pendingConfirm());
  assert.ok(alive(first.pid));
  await waitFor('guard exits', () => !alive(first.pid));
  assert.equal(store.running().origin, 'confirm-timeout');
  assert.deepEqual(labPorts(lab), [80]);
});

test('a guard killed before the deadline: the next start-up still enforces the expired deadline', async () => {
  const lab = newLab();
  const store = await armConfirm(lab, 2000);
  const committed = store.running().number;
  const first = ensureConfirmGuard({ stateDir: lab.stateDir, configPath: lab.configPath, lab: true, ...hooked });
  assert.equal(first.spawned, true);
  await waitFor('guard holds its lock', () => runningConfirmGuard(lab.stateDir) !== null, 5000);
  process.kill(first.pid, 'SIGKILL'); // the machine "crashes" with the guard
  await sleep(3000);
  assert.equal(store.running().number, committed, 'nobody should have acted');
  assert.equal(runningConfirmGuard(lab.stateDir), null, 'a dead guard must not count as running');
  // Start-up of any lbctl process that finds a pending confirmation ensures a guard.
  const next = ensureConfirmGuard({ stateDir: lab.stateDir, configPath: lab.configPath, lab: true, ...hooked });
  assert.equal(next.spawned, true);
  await waitFor('guard exits', () => !alive(next.pid));
  assert.equal(store.running().origin, 'confirm-timeout');
  assert.deepEqual(store.running().config.services.map((s) => s.name), ['a']);
  assert.deepEqual(labPorts(lab), [80]);
});
