// The initramfs writer against an independent reader: busybox's cpio must unpack what we write.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCpio } from '../../kernel/vm/cpio.js';

const busybox = ['/bin/busybox', '/usr/bin/busybox'].find(existsSync);

test('busybox cpio unpacks our newc archive with the same names, contents and modes', { skip: !busybox && 'no busybox' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-cpio-'));
  try {
    const odd = Buffer.from([0, 1, 2, 3, 4, 5, 6]); // length not a multiple of 4: exercises padding
    const archive = writeCpio([
      { kind: 'dir', path: 'bin' },
      { kind: 'file', path: 'bin/tool', data: Buffer.from('#!/bin/sh\necho hi\n'), mode: 0o755 },
      { kind: 'dir', path: 'lib' },
      { kind: 'file', path: 'lib/odd.bin', data: odd },
      { kind: 'file', path: 'empty', data: Buffer.alloc(0) },
    ]);
    execFileSync(busybox!, ['cpio', '-i', '-d'], { cwd: dir, input: archive, stdio: ['pipe', 'ignore', 'pipe'] });
    assert.equal(readFileSync(join(dir, 'bin/tool'), 'utf8'), '#!/bin/sh\necho hi\n');
    assert.equal(statSync(join(dir, 'bin/tool')).mode & 0o777, 0o755);
    assert.deepEqual(readFileSync(join(dir, 'lib/odd.bin')), odd);
    assert.equal(statSync(join(dir, 'empty')).size, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
