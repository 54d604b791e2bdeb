// Several processes append to one trail at once: every line must parse (records never interleave) and none is lost.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readAudit } from '../../../engine/audit.js';

const roots: string[] = [];
after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true, maxRetries: 5 })));
function tracked(dir: string): string {
  roots.push(dir);
  return dir;
}

const auditModule = fileURLToPath(new URL('../../../engine/audit.js', import.meta.url));

function writer(path: string, id: number, count: number): Promise<number> {
  // Records of ~40 KiB: far above PIPE_BUF, so only O_APPEND + one write per record keeps them whole.
  const script = `
    const { appendAudit } = await import(${JSON.stringify(auditModule)});
    const diff = ${JSON.stringify(String(id))}.repeat(40000);
    for (let i = 0; i < ${count}; i++) appendAudit(${JSON.stringify(path)}, { user: 'w${id}', action: 'commit', result: 'ok', revisionAfter: i, diff });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code ?? -1));
  });
}

test('concurrent appends from 4 processes: every record whole, none lost, each writer in order', async () => {
  const path = join(tracked(mkdtempSync(join(tmpdir(), 'lbctl-audit-'))), 'audit.jsonl');
  const writers = 4;
  const count = 60;
  const codes = await Promise.all(Array.from({ length: writers }, (_, i) => writer(path, i + 1, count)));
  assert.deepEqual(codes, Array(writers).fill(0));
  const read = readAudit(path);
  assert.deepEqual(read.skipped, []);
  assert.equal(read.records.length, writers * count);
  for (let w = 1; w <= writers; w++) {
    const mine = read.records.filter((r) => r.user === `w${w}`);
    assert.deepEqual(mine.map((r) => r.revisionAfter), Array.from({ length: count }, (_, i) => i));
    assert.ok(mine.every((r) => r.diff === String(w).repeat(40000)));
  }
});
