// A writer for the "newc" cpio format, the one the Linux kernel unpacks as an initramfs.
// Pure: entries in, bytes out. The kernel accepts it uncompressed, so no compression here.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'chardev'; path: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`cpio field out of range: ${n}`);
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): number {
  return (4 - (length % 4)) % 4;
}

function header(fields: {
  ino: number; mode: number; nlink: number; filesize: number; rdevMajor: number; rdevMinor: number; namesize: number;
}): string {
  // magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check
  return '070701' + [
    fields.ino, fields.mode, 0, 0, fields.nlink, 0, fields.filesize, 0, 0,
    fields.rdevMajor, fields.rdevMinor, fields.namesize, 0,
  ].map(hex8).join('');
}

function record(ino: number, name: string, mode: number, nlink: number, data: Uint8Array, rdev = [0, 0]): Buffer[] {
  const nameBytes = Buffer.from(name + '\0', 'utf8');
  const head = Buffer.from(header({
    ino, mode, nlink, filesize: data.length, rdevMajor: rdev[0]!, rdevMinor: rdev[1]!, namesize: nameBytes.length,
  }), 'ascii');
  return [
    head, nameBytes, Buffer.alloc(pad4(head.length + nameBytes.length)),
    Buffer.from(data.buffer, data.byteOffset, data.length), Buffer.alloc(pad4(data.length)),
  ];
}

/** Serialises entries (parents before children, paths relative without a leading slash) into a newc archive. */
export function writeCpio(entries: readonly CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let ino = 1;
  for (const entry of entries) {
    const path = entry.path.replace(/^\/+/, '');
    if (path === '' || path.split('/').includes('..')) throw new Error(`bad cpio path: '${entry.path}'`);
    switch (entry.kind) {
      case 'dir':
        parts.push(...record(ino++, path, S_IFDIR | (entry.mode ?? 0o755), 2, new Uint8Array(0)));
        break;
      case 'file':
        parts.push(...record(ino++, path, S_IFREG | (entry.mode ?? 0o644), 1, entry.data));
        break;
      case 'chardev':
        parts.push(...record(ino++, path, S_IFCHR | (entry.mode ?? 0o600), 1, new Uint8Array(0), [entry.major, entry.minor]));
        break;
    }
  }
  parts.push(...record(0, 'TRAILER!!!', 0, 1, new Uint8Array(0)));
  return Buffer.concat(parts);
}
