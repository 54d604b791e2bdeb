// The client side of the control socket: connect, send one request line, read its reply line. Used by every
// command that prefers the daemon's engine (shell, apply, status, show ipvs, doctor). A missing socket, a refused
// connection or a daemon that does not answer `hello` in time means "no daemon": the caller runs in-process.
import { createConnection, type Socket } from 'node:net';
import { decode, encode, PROTOCOL_VERSION, socketPath, VIEW_METHOD, type ChunkLine, type DaemonInfo, type Reply, type WireError } from './protocol.js';

/** A reply with ok:false, thrown by `call`. */
export class DaemonError extends Error {
  constructor(readonly wire: WireError) {
    super(wire.message);
    this.name = 'DaemonError';
  }
  get type() {
    return this.wire.type;
  }
}

/** The connection dropped or timed out: the daemon went away mid-request. */
export class DaemonGoneError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DaemonGoneError';
  }
}

/** How the server writes a chunk line (`{v, id, chunk}` in that order); every other reply has `ok` after the id. */
const CHUNK_LINE = /^\{"v":\d+,"id":\d+,"chunk":/;

export class DaemonConnection {
  private nextId = 1;
  /** The reply line being received, in pieces: joined once when its newline arrives (replies reach 20 MB). */
  private pieces: Buffer[] = [];
  private readonly waiting = new Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void; chunk?: (text: string) => void | Promise<void> }>();
  private closed: Error | null = null;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (why: string) => {
      this.closed ??= new DaemonGoneError(why);
      for (const w of this.waiting.values()) w.reject(this.closed);
      this.waiting.clear();
    };
    socket.on('error', (e) => fail(`the daemon connection failed: ${e.message}`));
    socket.on('close', () => fail('the daemon closed the connection'));
  }

  /** Connect to the daemon of `stateDir`; null when nothing listens there (no socket, ENOENT, ECONNREFUSED). */
  static async connect(stateDir: string, timeoutMs = 2000): Promise<DaemonConnection | null> {
    return new Promise((resolve) => {
      const socket = createConnection({ path: socketPath(stateDir) });
      const timer = setTimeout(() => {
        socket.destroy();
        resolve(null);
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve(new DaemonConnection(socket));
      });
      socket.once('error', () => {
        clearTimeout(timer);
        socket.destroy();
        resolve(null);
      });
    });
  }

  // Only the new chunk is searched for the newline: appending to one string and searching it whole made a
  // 20 MB reply (`table` at 10,000 services) cost seconds, quadratically.
  private onData(chunk: Buffer) {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(10, start)) >= 0) {
      this.pieces.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.pieces).toString('utf8');
      this.pieces = [];
      start = nl + 1;
      let reply: Reply | ChunkLine;
      try {
        // A view's chunk is a plain string: no reviver to run over it.
        reply = (CHUNK_LINE.test(line.slice(0, 40)) ? JSON.parse(line) : decode(line)) as Reply | ChunkLine;
      } catch {
        continue;
      }
      const w = this.waiting.get(reply.id);
      if (!w) continue;
      if ('chunk' in reply) {
        // The reader may ask to wait (its output is full): the socket pauses until it has taken the chunk.
        const wait = typeof reply.chunk === 'string' ? w.chunk?.(reply.chunk) : undefined;
        if (wait) {
          this.socket.pause();
          void wait.catch(() => {}).then(() => this.socket.resume());
        }
        continue;
      }
      this.waiting.delete(reply.id);
      w.resolve(reply);
    }
    if (start < chunk.length) this.pieces.push(chunk.subarray(start));
  }

  /**
   * A `view` request: `onChunk` is given each piece of the text as it arrives (in order; a promise it returns
   * holds the next ones back), then resolves with the reply's result. Errors as `call`.
   */
  async view<T = unknown>(params: { name: string } & Record<string, unknown>, onChunk: (text: string) => void | Promise<void>): Promise<T> {
    return this.call<T>(VIEW_METHOD, params, 0, onChunk);
  }

  /** One request; resolves with the result, throws DaemonError for ok:false and DaemonGoneError for a lost link. */
  async call<T = unknown>(method: string, params?: unknown, timeoutMs = 0, onChunk?: (text: string) => void | Promise<void>): Promise<T> {
    if (this.closed) throw this.closed;
    const id = this.nextId++;
    const reply = await new Promise<Reply>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      let timer: NodeJS.Timeout | null = null;
      if (timeoutMs > 0)
        timer = setTimeout(() => {
          this.waiting.delete(id);
          reject(new DaemonGoneError(`the daemon did not answer '${method}' within ${timeoutMs} ms`));
        }, timeoutMs);
      const done = () => timer && clearTimeout(timer);
      this.waiting.set(id, {
        resolve: (r) => (done(), resolve(r)),
        reject: (e) => (done(), reject(e)),
        ...(onChunk ? { chunk: onChunk } : {}),
      });
      this.socket.write(encode({ v: PROTOCOL_VERSION, id, method, ...(params !== undefined ? { params } : {}) }) + '\n');
    });
    if (!reply.ok) throw new DaemonError(reply.error);
    return reply.result as T;
  }

  close(): void {
    this.closed ??= new DaemonGoneError('closed');
    this.socket.end();
    this.socket.destroy();
  }
}

/** The daemon's `hello` for `stateDir`, or null when no daemon answers within `timeoutMs`. */
export async function probeDaemon(stateDir: string, timeoutMs = 2000): Promise<DaemonInfo | null> {
  const conn = await DaemonConnection.connect(stateDir, timeoutMs);
  if (!conn) return null;
  try {
    return await conn.call<DaemonInfo>('hello', undefined, timeoutMs);
  } catch {
    return null;
  } finally {
    conn.close();
  }
}
