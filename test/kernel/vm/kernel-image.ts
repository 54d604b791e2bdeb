// Speeds up boot: Debian's /boot/vmlinuz is an XZ-compressed bzImage, and decompressing it under software
// emulation costs about 4 s of every boot. The kernel is built with CONFIG_PVH, so qemu can instead start the
// uncompressed ELF (vmlinux) directly at its PVH entry point. We extract it once into the cache; if anything
// about that fails, the harness boots the bzImage as before (slower, same result).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Offsets of every occurrence of `needle` in `hay` (the first may be a false hit inside the setup code). */
export function offsetsOf(hay: Buffer, needle: Buffer): number[] {
  const out: number[] = [];
  for (let i = hay.indexOf(needle); i !== -1; i = hay.indexOf(needle, i + 1)) out.push(i);
  return out;
}

function kernelHasPvh(version: string): boolean {
  try {
    return /^CONFIG_PVH=y$/m.test(readFileSync(`/boot/config-${version}`, 'utf8'));
  } catch {
    return false;
  }
}

/** Decompresses the ELF out of a bzImage with the xz tool; undefined when that is not possible. */
export function extractVmlinux(bzImage: Buffer): Buffer | undefined {
  for (const offset of offsetsOf(bzImage, XZ_MAGIC)) {
    // xz reports an error for the bytes after the stream (the bzImage trailer): judge by the output instead.
    const r = spawnSync('xz', ['-dc'], { input: bzImage.subarray(offset), maxBuffer: 1 << 30 });
    const out = r.stdout;
    if (out && out.length > 1_000_000 && out.subarray(0, 4).equals(ELF_MAGIC)) return out;
  }
  return undefined;
}

/** The image qemu should boot: a cached PVH-bootable vmlinux when possible, else the bzImage itself. */
export function bootableKernel(kernelImage: string, kernelVersion: string, cacheDir: string): { path: string; pvh: boolean } {
  if (process.env.LBCTL_VM_NO_PVH || !kernelHasPvh(kernelVersion)) return { path: kernelImage, pvh: false };
  const s = statSync(kernelImage);
  const file = join(cacheDir, `vmlinux-${kernelVersion}-${s.size}-${Math.trunc(s.mtimeMs)}`);
  if (existsSync(file)) return { path: file, pvh: true };
  const elf = extractVmlinux(readFileSync(kernelImage));
  if (!elf) return { path: kernelImage, pvh: false };
  mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, elf, { mode: 0o600 }); // a copy of a root-only file stays root-only
  renameSync(tmp, file);
  return { path: file, pvh: true };
}
