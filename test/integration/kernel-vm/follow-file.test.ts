// The harness follows the guest's output file while the guest appends to it; a UTF-8 character split between
// two appends must come out whole, and nothing may be lost or repeated.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFollower } from '../../kernel/vm/follow-file.js';

test('FileFollower yields appended text exactly once, across split UTF-8 characters', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-follow-'));
  try {
    const path = join(dir, 'out');
    const seen: string[] = [];
    const f = new FileFollower(path, (t) => seen.push(t));
    await f.drain(); // file does not exist yet: nothing, no error
    assert.deepEqual(seen, []);
    const euro = Buffer.from('€'); // 3 bytes
    appendFileSync(path, Buffer.concat([Buffer.from('# pass 4\n'), euro.subarray(0, 1)]));
    await f.drain();
    appendFileSync(path, Buffer.concat([euro.subarray(1), Buffer.from('\n# fail 0\n')]));
    const all = await f.finish();
    assert.equal(all, '# pass 4\n€\n# fail 0\n');
    assert.equal(seen.join(''), all);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
