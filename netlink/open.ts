// Opening a dataplane: the kernel's IPVS over netlink, or the in-memory one (optionally persisted to a JSON file
// so successive `lbctl --lab` commands see the same table).
import { mkdir, open as openFile, readFile, rename, unlink } from 'node:fs/promises';
import { dirname, join, basename } from 'node:path';
import type { Dataplane } from './dataplane.js';
import { MemoryDataplane } from './memory.js';

export { DataplaneUnavailableError, DataplaneError, NO_IPVS_MESSAGE, NO_PERMISSION_MESSAGE } from './errors.js';

export type OpenDataplaneOptions =
  | { kind: 'netlink'; timeoutMs?: number }
  | { kind: 'memory'; persistPath?: string };

export async function openDataplane(opts: OpenDataplaneOptions): Promise<Dataplane> {
  if (opts.kind === 'memory') return openMemoryDataplane(opts.persistPath);
  // Loaded lazily: the memory dataplane (tests, --lab) never needs the native ffi binding.
  const { NetlinkDataplane } = await import('./ipvs.js');
  return NetlinkDataplane.open({ timeoutMs: opts.timeoutMs });
}

export async function openMemoryDataplane(persistPath?: string): Promise<MemoryDataplane> {
  if (!persistPath) return new MemoryDataplane();
  const onChange = (dp: MemoryDataplane) => {
    // Bytes piece by piece (outside the JS heap): never the whole table as one string and its bytes beside it.
    const parts: Buffer[] = [];
    dp.toJSONChunks((text) => parts.push(Buffer.from(text)));
    parts.push(Buffer.from('\n'));
    return writeFileAtomic(persistPath, parts);
  };
  let text: string | null = null;
  try {
    text = await readFile(persistPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  if (text === null) return new MemoryDataplane({ onChange });
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`${persistPath}: not valid JSON (${(e as Error).message})`);
  }
  try {
    return MemoryDataplane.fromJSON(json, { onChange });
  } catch (e) {
    throw new Error(`${persistPath}: ${(e as Error).message}`);
  }
}

/** temp file in the same directory, fsync, rename, fsync the directory: readers see the old or the new table. */
export async function writeFileAtomic(path: string, data: string | Buffer[]): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}.tmp`);
  const fh = await openFile(tmp, 'w', 0o644);
  try {
    if (typeof data === 'string') await fh.writeFile(data);
    else
      for (const part of data) {
        for (let at = 0; at < part.length; ) at += (await fh.write(part, at, part.length - at)).bytesWritten;
      }
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
  const dh = await openFile(dir, 'r');
  try {
    await dh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is still atomic.
  } finally {
    await dh.close();
  }
}
