// The bytes of `payload` and `expect` (text, or `hex:…`: config/validate.ts parseCheckBytes), and the bounded
// buffer every reply is read into.
import { parseCheckBytes } from '../../../config/validate.js';

/** The most reply bytes a probe reads (tcp expect, http body) before it gives its verdict. */
export const READ_MAX = 64 * 1024;

/** The bytes of a `payload`/`expect` value; a problem (validation should have refused it) becomes an error. */
export function checkBytes(key: string, text: string | undefined): Buffer | undefined {
  if (text === undefined) return undefined;
  const parsed = parseCheckBytes(text);
  if ('problem' in parsed) throw new Error(`${key} ${parsed.problem}`);
  return Buffer.from(parsed.bytes);
}

/** Bytes as a reply shows them in an error: text when printable, else hex:…, cut to 40 characters. */
export function showBytes(b: Buffer): string {
  const text = b.toString('utf8');
  const shown = /^[\x20-\x7e\t\r\n]*$/.test(text) ? JSON.stringify(text) : `hex:${b.toString('hex')}`;
  return shown.length > 40 ? `${shown.slice(0, 39)}…` : shown;
}

/** Appends a chunk, keeping at most READ_MAX bytes. */
export function appendBounded(buf: Buffer, chunk: Buffer): Buffer {
  if (buf.length >= READ_MAX) return buf;
  return Buffer.concat([buf, chunk.subarray(0, READ_MAX - buf.length)]);
}
