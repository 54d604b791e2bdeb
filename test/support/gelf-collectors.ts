// GELF collectors on loopback for tests and bench/gelf.ts: a UDP one that keeps the raw datagrams and the
// messages (gunzipped, chunks reassembled by message id), a TCP one that splits NUL-terminated frames, and a
// port nothing listens on.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type GelfJson = Record<string, unknown>;

export interface UdpCollector {
  socket: UdpSocket;
  port: number;
  datagrams: Buffer[];
  /** Each decoded message with the number of datagrams it came in. */
  messages: Array<GelfJson & { chunks: number }>;
  /** Datagrams (UDP) or bytes (TCP) received, also when not decoded. */
  received: number;
  close: () => Promise<void>;
}

/** `decode: false` only counts what arrives (bench/gelf.ts: decoding would be measured with the sender). */
export interface CollectorOptions {
  decode?: boolean;
}

export async function udpCollector(opts: CollectorOptions = {}): Promise<UdpCollector> {
  const socket = createSocket('udp4');
  const c: UdpCollector = { socket, port: 0, datagrams: [], messages: [], received: 0, close: () => new Promise((r) => socket.close(() => r())) };
  const partial = new Map<string, Buffer[]>();
  socket.on('message', (d) => {
    c.received++;
    if (opts.decode === false) return;
    c.datagrams.push(d);
    try {
      if (d[0] !== 0x1e || d[1] !== 0x0f) return void c.messages.push({ ...JSON.parse(gunzipSync(d).toString()), chunks: 1 });
      const id = d.subarray(2, 10).toString('hex');
      const parts = partial.get(id) ?? new Array<Buffer>(d[11]);
      parts[d[10]] = d.subarray(12);
      partial.set(id, parts);
      if (parts.filter(Boolean).length < d[11]) return;
      partial.delete(id);
      c.messages.push({ ...JSON.parse(gunzipSync(Buffer.concat(parts)).toString()), chunks: parts.length });
    } catch {
      /* not GELF: the raw datagram is still in `datagrams` for the test to look at */
    }
  });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  c.port = socket.address().port;
  return c;
}

export interface TcpCollector {
  server: Server;
  port: number;
  messages: GelfJson[];
  connections: Socket[];
  received: number;
  close: () => Promise<void>;
}

/** A TCP collector; `port` 0 picks one (give the old port to stand in for a restarted collector). */
export async function tcpCollector(port = 0, opts: CollectorOptions = {}): Promise<TcpCollector> {
  const server = createServer();
  const c: TcpCollector = {
    server,
    port: 0,
    messages: [],
    connections: [],
    received: 0,
    close: () =>
      new Promise<void>((r) => {
        for (const s of c.connections) s.destroy();
        server.close(() => r());
      }),
  };
  server.on('connection', (s) => {
    c.connections.push(s);
    let buf = Buffer.alloc(0);
    s.on('data', (d) => {
      c.received += d.length;
      if (opts.decode === false) return;
      buf = Buffer.concat([buf, d]);
      for (let i; (i = buf.indexOf(0)) >= 0; buf = buf.subarray(i + 1)) c.messages.push(JSON.parse(buf.subarray(0, i).toString()));
    });
    s.on('error', () => {});
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  c.port = (server.address() as { port: number }).port;
  return c;
}

/** A loopback port nothing listens on: bound, then released. */
export async function closedPort(kind: 'udp' | 'tcp'): Promise<number> {
  if (kind === 'udp') {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    return port;
  }
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
