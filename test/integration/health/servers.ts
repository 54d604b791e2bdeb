// Real servers for the health integration tests, on 127.0.0.1 only, each with a `mode` the test switches to
// induce a failure, and a close() that ends every connection. Certificates are made by the openssl CLI.
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { NONCE_BYTES } from '../../../engine/health/probes/udp-echo.js';

export const LOOPBACK = '127.0.0.1';

function listenTcp(server: TcpServer | HttpServer | HttpsServer, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, LOOPBACK, () => {
      server.off('error', reject);
      resolve((server.address() as { port: number }).port);
    });
  });
}

function closeTcp(server: TcpServer | HttpServer | HttpsServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  sockets.clear();
  return new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve()));
}

function track(server: TcpServer | HttpServer | HttpsServer, sockets: Set<Socket>): void {
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  });
}

/** A port nothing listens on right now (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createTcpServer();
  const port = await listenTcp(server, 0);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** TCP: `reply` answers "PONG\n" to anything; `silent` accepts and never says a word; stop()/start() close and
 * reopen the listener on the same port. */
export class TcpBackend {
  mode: 'reply' | 'silent' | 'wrong' = 'reply';
  port = 0;
  private server?: TcpServer;
  private readonly sockets = new Set<Socket>();

  async start(port = this.port): Promise<this> {
    const server = createTcpServer((s) => {
      s.on('data', () => {
        if (this.mode === 'reply') s.write('PONG\n');
        if (this.mode === 'wrong') s.end('NOPE\n');
      });
    });
    track(server, this.sockets);
    this.port = await listenTcp(server, port);
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    if (this.server) await closeTcp(this.server, this.sockets);
    this.server = undefined;
  }
}

/** A UDP server on 127.0.0.1 whose subclass answers each datagram (or not). */
abstract class UdpBackend {
  port = 0;
  private socket?: UdpSocket;

  protected abstract answer(msg: Buffer): Buffer | undefined;

  async start(): Promise<this> {
    const socket = createSocket('udp4');
    socket.on('message', (msg, peer) => {
      const reply = this.answer(msg);
      if (reply !== undefined) socket.send(reply, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, LOOPBACK, () => resolve()));
    this.port = socket.address().port;
    this.socket = socket;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.socket;
    this.socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

/** UDP echo: `echo` returns each datagram; `wrong-nonce` returns it with the nonce replaced; `silent` drops. */
export class UdpEchoBackend extends UdpBackend {
  mode: 'echo' | 'wrong-nonce' | 'silent' = 'echo';

  protected answer(msg: Buffer): Buffer | undefined {
    if (this.mode === 'silent') return undefined;
    if (this.mode === 'echo') return msg;
    const hex = NONCE_BYTES * 2;
    return Buffer.concat([msg.subarray(0, msg.length - hex), Buffer.from('0'.repeat(hex))]);
  }
}

export type HttpMode = 'ok' | 'status' | 'body' | 'stall';

/** HTTP or HTTPS: `ok` 200 "status: ok"; `status` 503; `body` 200 "status: degraded"; `stall` never answers. */
export class HttpBackend {
  mode: HttpMode = 'ok';
  port = 0;
  /** Host headers and (https) TLS server names the server saw, in order. */
  readonly hosts: string[] = [];
  readonly serverNames: Array<string | false | null> = [];
  private server?: HttpServer | HttpsServer;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly tls?: { key: string; cert: string }) {}

  async start(): Promise<this> {
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.hosts.push(req.headers.host ?? '');
      if (this.tls) this.serverNames.push((req.socket as TLSSocket).servername);
      switch (this.mode) {
        case 'ok':
          return void res.writeHead(200, { 'content-type': 'text/plain' }).end('status: ok\n');
        case 'status':
          return void res.writeHead(503).end('status: ok\n');
        case 'body':
          return void res.writeHead(200).end('status: degraded\n');
        case 'stall':
          return; // the socket is destroyed by stop()
      }
    };
    const server = this.tls ? createHttpsServer({ key: this.tls.key, cert: this.tls.cert }, handler) : createHttpServer(handler);
    server.on('tlsClientError', () => {});
    track(server, this.sockets);
    this.port = await listenTcp(server, 0);
    this.server = server;
    return this;
  }

  /** https: serve another certificate from the next handshake on. */
  useCertificate(pair: { key: string; cert: string }): void {
    (this.server as HttpsServer).setSecureContext({ key: pair.key, cert: pair.cert });
  }

  async stop(): Promise<void> {
    if (this.server) await closeTcp(this.server, this.sockets);
    this.server = undefined;
  }
}

export type DnsMode = 'ok' | 'nxdomain' | 'servfail' | 'wrong-answer' | 'wrong-id' | 'silent';
const RCODE = { NOERROR: 0, SERVFAIL: 2, NXDOMAIN: 3 } as const;

/** DNS over UDP, written with dns-packet: answers every A question with 192.0.2.1 (`wrong-answer`: .99). */
export class DnsBackend extends UdpBackend {
  mode: DnsMode = 'ok';

  protected answer(msg: Buffer): Buffer | undefined {
    if (this.mode === 'silent') return undefined;
    let query;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const q = query.questions?.[0];
    const rcode = this.mode === 'nxdomain' ? RCODE.NXDOMAIN : this.mode === 'servfail' ? RCODE.SERVFAIL : RCODE.NOERROR;
    const address = this.mode === 'wrong-answer' ? '192.0.2.99' : '192.0.2.1';
    const answers = rcode === RCODE.NOERROR && q?.type === 'A' ? [{ type: 'A' as const, class: 'IN' as const, name: q.name, ttl: 5, data: address }] : [];
    return dnsPacket.encode({
      type: 'response',
      id: this.mode === 'wrong-id' ? ((query.id ?? 0) + 1) & 0xffff : query.id,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_DESIRED | rcode,
      questions: query.questions,
      answers,
    });
  }
}

/** Starts `server`, runs `body`, and stops the server whatever happened. */
export async function withServer<S extends { start(): Promise<S>; stop(): Promise<void> }>(server: S, body: (server: S) => Promise<void>): Promise<void> {
  await server.start();
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

export interface TestCertificates {
  /** The test CA (PEM), to trust in probes that verify. */
  ca: string;
  /** Issued by the CA for health.test and 127.0.0.1, valid now. */
  valid: { key: string; cert: string };
  /** The same names, expired since 2020-01-02. */
  expired: { key: string; cert: string };
  /** Self-signed for health.test, valid now (nobody trusts it). */
  selfSigned: { key: string; cert: string };
}

/** Certificates made with the openssl CLI; undefined when openssl is not installed. */
export function makeCertificates(): TestCertificates | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-health-certs-'));
  const at = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=lbctl health test CA');
    ssl('req', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=health.test');
    writeFileSync(at('ext.cnf'), 'subjectAltName=DNS:health.test,IP:127.0.0.1\n');
    writeFileSync(at('index.txt'), '');
    writeFileSync(at('serial'), '01\n');
    writeFileSync(
      at('ca.cnf'),
      ['[ca]', 'default_ca = test', '[test]', 'database = index.txt', 'new_certs_dir = .', 'certificate = ca.pem', 'private_key = ca.key', 'serial = serial', 'default_md = sha256', 'policy = any', 'unique_subject = no', '[any]', 'commonName = supplied', ''].join('\n'),
    );
    const issue = (out: string, dates: string[]) => ssl('ca', '-batch', '-notext', '-config', 'ca.cnf', '-in', 'leaf.csr', '-out', out, '-extfile', 'ext.cnf', ...dates);
    issue('valid.pem', ['-days', '2']);
    issue('expired.pem', ['-startdate', '20200101000000Z', '-enddate', '20200102000000Z']);
    ssl('req', '-x509', ...ec, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=health.test', '-addext', 'subjectAltName=DNS:health.test,IP:127.0.0.1');
    const read = (f: string) => readFileSync(at(f), 'utf8');
    return {
      ca: read('ca.pem'),
      valid: { key: read('leaf.key'), cert: read('valid.pem') },
      expired: { key: read('leaf.key'), cert: read('expired.pem') },
      selfSigned: { key: read('self.key'), cert: read('self.pem') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
