// Reads one HTTP/1.x response from the bytes of a connection, as far as a health check needs it: the status of
// the final (non-1xx) response, then its body, de-chunked and bounded to READ_MAX bytes. Pure and incremental:
// feed() each chunk as it arrives, end() when the peer closes. The probe (http.ts) decides on what it says.
import { READ_MAX, appendBounded } from './bytes.js';

/** The most header bytes accepted before the response is called invalid (Node's own limit is 16 KiB). */
export const HEAD_MAX = 16 * 1024;

export type ResponseState =
  | { kind: 'head' }
  | { kind: 'status'; status: number }
  | { kind: 'body'; status: number; body: Buffer; complete: boolean }
  | { kind: 'invalid'; problem: string };

const CRLF = Buffer.from('\r\n');
const HEAD_END = Buffer.from('\r\n\r\n');

export class ResponseReader {
  private head: Buffer = Buffer.alloc(0);
  private status = 0;
  private contentLength: number | undefined;
  private chunked = false;
  /** Chunked body: raw bytes not decoded yet, and the bytes left of the current chunk. */
  private pending: Buffer = Buffer.alloc(0);
  private chunkLeft = 0;
  private body: Buffer = Buffer.alloc(0);
  private received = 0;
  private done = false;
  private problem?: string;

  /** `wantBody`: false = stop at the status (no body check, or HEAD: a HEAD response has no body). */
  constructor(private readonly wantBody: boolean) {}

  feed(chunk: Buffer): ResponseState {
    if (this.problem !== undefined || this.done) return this.state();
    if (this.status === 0) {
      this.head = this.head.length === 0 ? chunk : Buffer.concat([this.head, chunk]);
      for (;;) {
        const end = this.head.indexOf(HEAD_END);
        if (end < 0) {
          if (this.head.length > HEAD_MAX) this.problem = 'invalid HTTP response (header overflow)';
          return this.state();
        }
        const rest = this.head.subarray(end + 4);
        const parsed = this.parseHead(this.head.subarray(0, end).toString('latin1'));
        if (parsed === 'continue') {
          this.head = rest; // a 1xx interim response: the final one follows
          continue;
        }
        if (parsed !== undefined) {
          this.problem = parsed;
          return this.state();
        }
        this.head = Buffer.alloc(0);
        if (!this.wantBody || this.contentLength === 0) this.done = true;
        else if (rest.length > 0) this.addBody(rest);
        return this.state();
      }
    }
    this.addBody(chunk);
    return this.state();
  }

  /** The peer closed: a body without a length ends here; a head never finished is an error. */
  end(): ResponseState {
    if (this.problem === undefined && this.status === 0) this.problem = 'connection closed before a response';
    this.done = true;
    return this.state();
  }

  state(): ResponseState {
    if (this.problem !== undefined) return { kind: 'invalid', problem: this.problem };
    if (this.status === 0) return { kind: 'head' };
    if (!this.wantBody) return { kind: 'status', status: this.status };
    return { kind: 'body', status: this.status, body: this.body, complete: this.done };
  }

  /** Undefined when the head is a final response; 'continue' for a 1xx; else the problem in words. */
  private parseHead(text: string): string | 'continue' | undefined {
    const lines = text.split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0]);
    if (!m) return `invalid HTTP response (status line ${JSON.stringify(lines[0].slice(0, 40))})`;
    const status = Number(m[1]);
    if (status >= 100 && status < 200 && status !== 101) return 'continue';
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return 'invalid HTTP response (header line without a name)';
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') {
        if (!/^\d+$/.test(value)) return 'invalid HTTP response (bad Content-Length)';
        this.contentLength = Number(value);
      } else if (name === 'transfer-encoding' && /(?:^|,)\s*chunked\s*$/i.test(value)) this.chunked = true;
    }
    if (this.chunked) this.contentLength = undefined;
    this.status = status;
    return undefined;
  }

  private addBody(bytes: Buffer): void {
    if (!this.chunked) {
      const take = this.contentLength === undefined ? bytes : bytes.subarray(0, this.contentLength - this.received);
      this.received += take.length;
      this.body = appendBounded(this.body, take);
      if (this.received === this.contentLength || this.body.length >= READ_MAX) this.done = true;
      return;
    }
    this.pending = this.pending.length === 0 ? bytes : Buffer.concat([this.pending, bytes]);
    while (!this.done && this.pending.length > 0) {
      if (this.chunkLeft > 0) {
        const take = this.pending.subarray(0, this.chunkLeft);
        this.chunkLeft -= take.length;
        this.pending = this.pending.subarray(take.length);
        this.body = appendBounded(this.body, take);
        if (this.body.length >= READ_MAX) this.done = true;
        continue;
      }
      // Between chunks: the CRLF that ends the previous chunk's data, then "SIZE[;ext]\r\n".
      if (this.pending.subarray(0, 2).equals(CRLF)) this.pending = this.pending.subarray(2);
      const eol = this.pending.indexOf(CRLF);
      if (eol < 0) return;
      const size = parseInt(this.pending.subarray(0, eol).toString('latin1').split(';')[0].trim(), 16);
      if (!Number.isFinite(size) || size < 0) {
        this.problem = 'invalid HTTP response (bad chunk size)';
        return;
      }
      this.pending = this.pending.subarray(eol + 2);
      if (size === 0) this.done = true;
      else this.chunkLeft = size;
    }
  }
}
