// Writing a whole file so that a reader sees the old or the new one, never a part: the lab table's snapshot and
// journal header, the ownership file.
import { mkdir, open as openFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

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
