// The exporter's HTTP edge: `GET /metrics` (and HEAD) on observability.prometheus.bind:port, nothing else (404
// for any other path, 405 for any other method). A port that cannot be bound is a logged error, never a crash:
// the balancer keeps balancing without its metrics. `listen` again with another address re-binds (a commit
// changed bind or port). A client that accepts gzip (Prometheus does) gets the body compressed: at 10,000
// services it is ~50 MB plain and ~2 MB compressed, and zlib compresses on libuv's thread pool, off the event loop.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createGzip } from 'node:zlib';
import type { Log } from './log.js';

export interface MetricsSource {
  /** The body, as one string or in chunks. */
  metrics(): Promise<string | Buffer[]>;
  readonly contentType: string;
}

export interface MetricsServerOptions {
  source: MetricsSource;
  log: Log;
}

export class MetricsServer {
  private server: Server | null = null;
  private bound: { bind: string; port: number } | null = null;
  /** Serialises listen/close: a commit and a shutdown may ask at once. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: MetricsServerOptions) {}

  /** Where it serves now (port resolved when 0 was asked), or null. */
  address(): { address: string; port: number } | null {
    const a = this.server?.address();
    return a && typeof a === 'object' ? { address: a.address, port: a.port } : null;
  }

  /** Serve on bind:port; a no-op when already there. Resolves false (logged) when the address cannot be bound. */
  listen(bind: string, port: number): Promise<boolean> {
    const run = this.chain.then(() => this.listenNow(bind, port));
    this.chain = run.catch(() => {});
    return run;
  }

  close(): Promise<void> {
    const run = this.chain.then(() => this.closeNow());
    this.chain = run.catch(() => {});
    return run;
  }

  private async listenNow(bind: string, port: number): Promise<boolean> {
    if (this.server && this.bound?.bind === bind && this.bound.port === port) return true;
    await this.closeNow();
    const server = createServer((req, res) => this.handle(req, res));
    // Keep-alive connections must not hold a re-bind or a shutdown.
    server.keepAliveTimeout = 5_000;
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        this.opts.log('error', `prometheus exporter: cannot listen on ${hostPort(bind, port)}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}; metrics are not served (fix observability.prometheus and commit)`);
        resolve(false);
      });
      server.listen(port, bind, () => resolve(true));
    });
    if (!ok) {
      server.close();
      return false;
    }
    server.on('error', (e) => this.opts.log('error', `prometheus exporter: ${e.message}`));
    this.server = server;
    this.bound = { bind, port };
    this.opts.log('info', `prometheus exporter: serving http://${hostPort(bind, this.address()?.port ?? port)}/metrics`);
    return true;
  }

  private async closeNow(): Promise<void> {
    const server = this.server;
    this.server = null;
    this.bound = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics') return plain(res, 404, 'not found: metrics are at /metrics\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return plain(res, 405, 'method not allowed\n');
    }
    this.opts.source.metrics().then(
      (text) => {
        const chunks = typeof text === 'string' ? [Buffer.from(text)] : text;
        if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
          res.writeHead(200, { 'Content-Type': this.opts.source.contentType, 'Content-Encoding': 'gzip', Vary: 'Accept-Encoding' });
          if (req.method === 'HEAD') return void res.end();
          // Level 1: most of the gain (the text repeats its labels) for a fraction of the CPU of the default.
          const z = createGzip({ level: 1 });
          z.on('error', () => res.destroy());
          z.pipe(res);
          for (const c of chunks) z.write(c);
          z.end();
          return;
        }
        const length = chunks.reduce((n, c) => n + c.length, 0);
        res.writeHead(200, { 'Content-Type': this.opts.source.contentType, 'Content-Length': length });
        if (req.method !== 'HEAD') for (const c of chunks) res.write(c);
        res.end();
      },
      (e: Error) => {
        this.opts.log('error', `prometheus exporter: a scrape failed: ${e.message}`);
        plain(res, 500, `scrape failed: ${e.message}\n`);
      },
    );
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}

function hostPort(bind: string, port: number): string {
  return bind.includes(':') ? `[${bind}]:${port}` : `${bind}:${port}`;
}
