// Sessions of real processes: two children register, one is killed with SIGKILL (its file stays behind), and
// the next read no longer lists it.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listSessions, sessionsDir } from '../../../engine/sessions.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true, maxRetries: 5 })));
function tracked(dir: string): string {
  roots.push(dir);
  return dir;
}

const sessionsModule = fileURLToPath(new URL('../../../engine/sessions.js', import.meta.url));

function child(stateDir: string, kind: string, dirty: boolean): Promise<{ proc: ChildProcess; id: string }> {
  const script = `
    const { registerSession } = await import(${JSON.stringify(sessionsModule)});
    const s = registerSession(${JSON.stringify(stateDir)}, { kind: ${JSON.stringify(kind)} });
    if (${dirty}) s.update({ dirty: true, path: ['services', 'api'] });
    process.stdout.write(s.id + '\\n');
    process.on('SIGTERM', () => { s.close(); process.exit(0); });
    setInterval(() => {}, 1000);
  `;
  const proc = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.once('error', reject);
    proc.stdout!.once('data', (d) => resolve({ proc, id: String(d).trim() }));
  });
}

const exited = (p: ChildProcess) => new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('exit', r)));

test('sessions of live processes are listed; a SIGKILLed one disappears; a clean exit removes its entry', async () => {
  const stateDir = tracked(mkdtempSync(join(tmpdir(), 'lbctl-sessions-')));
  const a = await child(stateDir, 'private', true);
  const b = await child(stateDir, 'shared', false);
  try {
    const listed = listSessions(stateDir);
    assert.deepEqual(listed.map((e) => e.id).sort(), [a.id, b.id].sort());
    const ea = listed.find((e) => e.id === a.id)!;
    assert.equal(ea.pid, a.proc.pid);
    assert.equal(ea.kind, 'private');
    assert.equal(ea.dirty, true);
    assert.deepEqual(ea.path, ['services', 'api']);
    a.proc.kill('SIGKILL');
    await exited(a.proc);
    assert.ok(existsSync(join(sessionsDir(stateDir), `${a.id}.json`)), 'SIGKILL cannot clean up: the file stays');
    assert.deepEqual(listSessions(stateDir).map((e) => e.id), [b.id]);
    assert.ok(!existsSync(join(sessionsDir(stateDir), `${a.id}.json`)), 'the dead entry is pruned on read');
    b.proc.kill('SIGTERM');
    await exited(b.proc);
    assert.ok(!existsSync(join(sessionsDir(stateDir), `${b.id}.json`)));
    assert.deepEqual(listSessions(stateDir), []);
  } finally {
    a.proc.kill('SIGKILL');
    b.proc.kill('SIGKILL');
  }
});
