// Finds what the VM needs on this machine: a Debian kernel with IPVS modules, a static busybox, qemu.
// Anything missing becomes one error naming the Debian packages that provide it.
import { existsSync, readdirSync, openSync, readSync, closeSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';

/** Modules the initramfs loads, in load order (dependencies first), relative to /usr/lib/modules/<ver>/kernel. */
export const INITRAMFS_MODULES = [
  'drivers/virtio/virtio_ring', 'drivers/virtio/virtio', 'drivers/virtio/virtio_pci_legacy_dev',
  'drivers/virtio/virtio_pci_modern_dev', 'drivers/virtio/virtio_pci', 'net/9p/9pnet', 'net/9p/9pnet_virtio',
  'fs/netfs/netfs', 'fs/fscache/fscache', 'fs/9p/9p', 'fs/overlayfs/overlay',
] as const;

export interface VmParts {
  kernelVersion: string;
  kernelImage: string;
  /** Absolute paths of the INITRAMFS_MODULES .ko files, same order. */
  modules: string[];
  busybox: string;
  qemu: string;
}

export class VmDependencyError extends Error {
  constructor(readonly packages: string[], readonly details: string[]) {
    super(
      `the kernel VM harness needs these Debian packages: ${packages.join(', ')} ` +
      `(install them with 'sudo npm run deps')\n  ${details.join('\n  ')}`,
    );
    this.name = 'VmDependencyError';
  }
}

/** Where to look; a parameter only so tests can point it at an empty directory. */
export interface SearchPaths {
  boot: string;
  modulesRoot: string;
  qemu: string[];
  busybox: string[];
  /** The guest runs the host's ipvsadm (it sees the host's files), so the host needs it installed. */
  ipvsadm: string[];
}

export const DEBIAN_PATHS: SearchPaths = {
  boot: '/boot',
  modulesRoot: '/usr/lib/modules',
  qemu: ['/usr/bin/qemu-system-x86_64', '/usr/local/bin/qemu-system-x86_64'],
  busybox: ['/bin/busybox', '/usr/bin/busybox'],
  ipvsadm: ['/usr/sbin/ipvsadm', '/sbin/ipvsadm'],
};

/** Compares Debian kernel versions like "6.1.0-56-amd64" numerically, field by field. */
export function compareKernelVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/), pb = b.split(/[.-]/);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i] ?? '', y = pb[i] ?? '';
    const nx = Number(x), ny = Number(y);
    const c = Number.isInteger(nx) && Number.isInteger(ny) && x !== '' && y !== '' ? nx - ny : x.localeCompare(y);
    if (c !== 0) return c;
  }
  return 0;
}

/** True when the ELF file has no PT_INTERP segment, i.e. it runs without a dynamic loader (in an initramfs). */
export function isStaticElf(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(64);
    readSync(fd, head, 0, 64, 0);
    if (head.readUInt32BE(0) !== 0x7f454c46 || head[4] !== 2 || head[5] !== 1) return false; // ELF64 little-endian only
    const phoff = Number(head.readBigUInt64LE(32));
    const phentsize = head.readUInt16LE(54);
    const phnum = head.readUInt16LE(56);
    const table = Buffer.alloc(phentsize * phnum);
    readSync(fd, table, 0, table.length, phoff);
    for (let i = 0; i < phnum; i++) if (table.readUInt32LE(i * phentsize) === 3 /* PT_INTERP */) return false;
    return true;
  } finally {
    closeSync(fd);
  }
}

function kernelCandidates(boot: string): string[] {
  if (!existsSync(boot)) return [];
  return readdirSync(boot)
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice('vmlinuz-'.length))
    .sort(compareKernelVersions)
    .reverse();
}

/** Locates every part, or throws VmDependencyError listing all that is missing at once. */
export function locateVmParts(paths: SearchPaths = DEBIAN_PATHS): VmParts {
  const packages = new Set<string>();
  const details: string[] = [];

  const qemu = paths.qemu.find((p) => existsSync(p));
  if (!qemu) { packages.add('qemu-system-x86'); details.push('no qemu-system-x86_64'); }

  const busybox = paths.busybox.find((p) => existsSync(p) && isStaticElf(p));
  if (!busybox) {
    packages.add('busybox-static');
    details.push(paths.busybox.some(existsSync) ? 'busybox is dynamically linked (the busybox package), the initramfs needs busybox-static' : 'no busybox');
  }

  let chosen: { version: string; image: string; modules: string[] } | undefined;
  const rejected: string[] = [];
  if (!paths.ipvsadm.some(existsSync)) { packages.add('ipvsadm'); details.push('no ipvsadm (the guest runs the host\'s)'); }

  for (const version of kernelCandidates(paths.boot)) {
    const base = join(paths.modulesRoot, version, 'kernel');
    const modules = INITRAMFS_MODULES.map((m) => join(base, `${m}.ko`));
    const missing = [...modules, join(base, 'net/netfilter/ipvs/ip_vs.ko')].filter((p) => !existsSync(p));
    if (missing.length === 0) { chosen = { version, image: join(paths.boot, `vmlinuz-${version}`), modules }; break; }
    rejected.push(`${version}: missing ${missing.map((p) => p.slice(base.length + 1)).join(', ')}`);
  }
  if (!chosen) {
    packages.add('linux-image-amd64');
    details.push(`no /boot/vmlinuz-* with IPVS and virtio/9p/overlay modules (uncompressed .ko) under ${paths.modulesRoot}`);
    details.push(...rejected);
  } else {
    try { accessSync(chosen.image, constants.R_OK); } catch {
      throw new Error(`cannot read ${chosen.image} (Debian makes it readable by root only): run the kernel tests as root`);
    }
  }

  if (packages.size > 0 || !chosen || !qemu || !busybox) throw new VmDependencyError([...packages], details);
  return { kernelVersion: chosen.version, kernelImage: chosen.image, modules: chosen.modules, busybox, qemu };
}
