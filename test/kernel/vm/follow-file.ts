// Follows a file another party appends to (the guest writing the command's output over 9p), like `tail -f`:
// each drain() reads what is new, decodes UTF-8 across chunk boundaries, and hands the text on.
import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

export class FileFollower {
  private handle: FileHandle | undefined;
  private readonly decoder = new StringDecoder('utf8');
  private readonly buf = Buffer.alloc(64 * 1024);
  private text = '';

  constructor(private readonly path: string, private readonly onText: (text: string) => void = () => {}) {}

  /** Everything read so far. */
  get content(): string {
    return this.text;
  }

  /** Reads whatever has been appended since the last call; a file that does not exist yet is simply empty. */
  async drain(): Promise<void> {
    if (!this.handle) {
      try { this.handle = await open(this.path, 'r'); } catch { return; }
    }
    for (;;) {
      const { bytesRead } = await this.handle.read(this.buf, 0, this.buf.length, null);
      if (bytesRead === 0) return;
      this.emit(this.decoder.write(this.buf.subarray(0, bytesRead)));
    }
  }

  /** Final drain, flushes a trailing partial character, closes the file. */
  async finish(): Promise<string> {
    await this.drain();
    this.emit(this.decoder.end());
    await this.close();
    return this.text;
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.close().catch(() => {});
  }

  private emit(text: string): void {
    if (!text) return;
    this.text += text;
    this.onText(text);
  }
}
