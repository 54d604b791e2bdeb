// The kernel-test harness's pure parts: the cpio writer, the scripts handed to the guest, qemu's arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeCpio } from '../../kernel/vm/cpio.js';
import { commandScript, shQuote, stage1Init } from '../../kernel/vm/guest-scripts.js';
import { compareKernelVersions, INITRAMFS_MODULES } from '../../kernel/vm/locate.js';
import { qemuArgs } from '../../kernel/vm/qemu.js';
import { offsetsOf } from '../../kernel/vm/kernel-image.js';

function field(header: string, index: number): number {
  return parseInt(header.slice(6 + index * 8, 14 + index * 8), 16);
}

test('cpio: a file record has the newc header, a NUL-terminated name and 4-byte aligned data', () => {
  const out = writeCpio([{ kind: 'file', path: 'init', data: Buffer.from('hello'), mode: 0o755 }]);
  const header = out.subarray(0, 110).toString('ascii');
  assert.equal(header.slice(0, 6), '070701');
  assert.equal(field(header, 1), 0o100755, 'mode: regular file 0755');
  assert.equal(field(header, 6), 5, 'filesize');
  assert.equal(field(header, 11), 5, 'namesize includes the NUL');
  assert.equal(out.subarray(110, 115).toString(), 'init\0');
  // 110 + 5 = 115 → padded to 116, then the data.
  assert.equal(out.subarray(116, 121).toString(), 'hello');
  // Data padded to 124, then the trailer record.
  assert.equal(out.subarray(124, 130).toString(), '070701');
  assert.ok(out.includes(Buffer.from('TRAILER!!!\0')));
  assert.equal(out.length % 4, 0);
});

test('cpio: device nodes carry their major/minor in the rdev fields', () => {
  const out = writeCpio([{ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 }]);
  const header = out.subarray(0, 110).toString('ascii');
  assert.equal(field(header, 1) & 0o170000, 0o020000);
  assert.equal(field(header, 9), 5);
  assert.equal(field(header, 10), 1);
});

test('cpio: refuses paths that climb out of the archive', () => {
  assert.throws(() => writeCpio([{ kind: 'dir', path: 'a/../../etc' }]), /bad cpio path/);
});

test('shQuote survives single quotes', () => {
  assert.equal(shQuote("it's"), `'it'\\''s'`);
});

test('the command script exports a root environment, changes directory, then runs the command verbatim', () => {
  const s = commandScript({ command: 'ipvsadm -Ln | head', cwd: '/work/my dir', env: { FOO: "a'b" } });
  assert.match(s, /^export HOME='\/root'$/m);
  assert.match(s, /^export FOO='a'\\''b'$/m);
  assert.match(s, /^cd '\/work\/my dir' 2>\/dev\/null \|\| cd \/$/m);
  assert.ok(s.trimEnd().endsWith('ipvsadm -Ln | head'));
  assert.throws(() => commandScript({ command: 'true', cwd: '/', env: { 'BAD-NAME': 'x' } }), /bad environment variable/);
});

test('stage 1 loads the modules in the given order and uses switch_root, not chroot', () => {
  const names = INITRAMFS_MODULES.map((m) => `${m.split('/').pop()}.ko`);
  const s = stage1Init(names);
  const positions = names.map((n) => s.indexOf(`'${n}'`));
  assert.ok(positions.every((p, i) => p > 0 && (i === 0 || p > positions[i - 1]!)), 'modules in order');
  assert.match(s, /exec switch_root /);
  assert.doesNotMatch(s, /chroot/);
});

test('kernel versions compare numerically', () => {
  const sorted = ['6.1.0-9-amd64', '6.10.0-1-amd64', '6.1.0-56-amd64', '5.10.0-30-amd64'].sort(compareKernelVersions);
  assert.deepEqual(sorted, ['5.10.0-30-amd64', '6.1.0-9-amd64', '6.1.0-56-amd64', '6.10.0-1-amd64']);
});

test('qemu shares / read-only, the exchange dir read-write, and escapes commas in paths', () => {
  const args = qemuArgs({ kernelImage: '/k', initramfs: '/i', xchgDir: '/tmp/a,b', memoryMb: 1024, cpus: 2 });
  const fsdevs = args.filter((_, i) => args[i - 1] === '-fsdev');
  assert.ok(fsdevs[0]!.includes('path=/,') && fsdevs[0]!.includes('readonly=on'));
  assert.ok(fsdevs[1]!.includes('path=/tmp/a,,b,') && !fsdevs[1]!.includes('readonly'));
  assert.equal(args[args.indexOf('-m') + 1], '1024');
  assert.ok(args.includes('-no-reboot'), 'a guest panic must end qemu, not loop');
});

test('offsetsOf finds every occurrence', () => {
  assert.deepEqual(offsetsOf(Buffer.from('abXYabXY'), Buffer.from('XY')), [2, 6]);
});

test('a machine with nothing installed gets one error naming every Debian package to install', async () => {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { locateVmParts, VmDependencyError } = await import('../../kernel/vm/locate.js');
  const empty = mkdtempSync(join(tmpdir(), 'lbctl-locate-'));
  try {
    const nowhere = [join(empty, 'none')];
    assert.throws(
      () => locateVmParts({ boot: empty, modulesRoot: empty, qemu: nowhere, busybox: nowhere, ipvsadm: nowhere }),
      (err: unknown) => {
        assert.ok(err instanceof VmDependencyError);
        assert.deepEqual([...err.packages].sort(), ['busybox-static', 'ipvsadm', 'linux-image-amd64', 'qemu-system-x86']);
        assert.match(err.message, /sudo npm run deps/);
        return true;
      },
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('this machine\'s dynamically linked node is not mistaken for a static binary', async () => {
  const { isStaticElf } = await import('../../kernel/vm/locate.js');
  assert.equal(isStaticElf(process.execPath), false);
});

test('only CI and LBCTL_* variables are forwarded to the guest', async () => {
  const { forwardedEnv } = await import('../../kernel/vm.js');
  assert.deepEqual(
    forwardedEnv({ CI: 'true', LBCTL_BENCH_SERVICES: '100', LBCTL_IN_VM: '1', HOME: '/home/x', PATH: '/x', 'LBCTL_BAD-NAME': 'y' }),
    { CI: 'true', LBCTL_BENCH_SERVICES: '100' },
  );
});
