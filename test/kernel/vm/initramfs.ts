// Builds the tiny initramfs (busybox + the modules needed to reach the host's files) and caches it on disk.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { writeCpio, type CpioEntry } from './cpio.js';
import { stage1Init, stage2 } from './guest-scripts.js';
import type { VmParts } from './locate.js';

/** The archive's content, pure: the same inputs give the same bytes. */
export function initramfsEntries(busybox: Uint8Array, modules: ReadonlyArray<{ name: string; data: Uint8Array }>): CpioEntry[] {
  const entries: CpioEntry[] = [];
  for (const dir of ['bin', 'dev', 'lib', 'lib/modules', 'proc', 'sys', 'tmp']) entries.push({ kind: 'dir', path: dir });
  // The kernel opens /dev/console for init before anything is mounted: without the node, stage 1 is mute.
  entries.push({ kind: 'chardev', path: 'dev/console', major: 5, minor: 1 });
  entries.push({ kind: 'file', path: 'bin/busybox', data: busybox, mode: 0o755 });
  for (const m of modules) entries.push({ kind: 'file', path: `lib/modules/${m.name}`, data: m.data });
  entries.push({ kind: 'file', path: 'init', data: Buffer.from(stage1Init(modules.map((m) => m.name))), mode: 0o755 });
  entries.push({ kind: 'file', path: 'stage2', data: Buffer.from(stage2()), mode: 0o755 });
  return entries;
}

export function defaultCacheDir(): string {
  return process.env.LBCTL_VM_CACHE ?? join(tmpdir(), 'lbctl-vm-cache');
}

/** Returns the path of an initramfs for these parts, building it when the cached one is missing or stale. */
export function ensureInitramfs(parts: VmParts, cacheDir = defaultCacheDir()): string {
  // The key covers everything that goes in: scripts, busybox and module identity (path, size, mtime).
  const key = createHash('sha256');
  key.update(stage1Init([]) + stage2());
  for (const p of [parts.busybox, ...parts.modules]) {
    const s = statSync(p);
    key.update(`${p}:${s.size}:${s.mtimeMs}\n`);
  }
  const file = join(cacheDir, `initramfs-${parts.kernelVersion}-${key.digest('hex').slice(0, 16)}.cpio`);
  if (existsSync(file)) return file;

  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const archive = writeCpio(initramfsEntries(
    readFileSync(parts.busybox),
    parts.modules.map((p) => ({ name: basename(p), data: readFileSync(p) })),
  ));
  // Atomic publish: parallel builders (several engineers, several test processes) never see a half file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, archive);
  renameSync(tmp, file);
  return file;
}
