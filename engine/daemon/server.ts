// The daemon's control socket: a unix stream socket in the state directory, versioned JSON lines (protocol.ts).
// Each connection is read line by line; each request is answered on its own (a slow commit does not stop a
// `hello` on another connection). A peer that sends garbage gets a typed error; a line over MAX_LINE_BYTES or a
// peer silent for idleTimeoutMs is disconnected. Nothing a peer sends can stop the server serving others.
import { chmodSync, chownSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Config } from '../../config/model.js';
import type { AuditIdentity } from '../commit-transaction.js';
import { CommitRefusedError } from '../commit-transaction.js';
import type { EngineHost, HostCommitJob } from '../host.js';
import type { Plan } from '../plan.js';
import { identifyBySoPeercred, type IdentifyPeer, type Peer } from './peer.js';
import { decode, encode, MAX_LINE_BYTES, PROTOCOL_VERSION, VIEW_METHOD, type DaemonInfo, type ErrorType, type Request, type ViewOutput, type WireError } from './protocol.js';
import { applyConfigDelta, type ConfigDelta } from '../../config/delta.js';
import type { RequestRoute } from './health-requests.js';

export interface ControlServerOptions {
  /** More methods: the daemon's health requests (engine/daemon/health-requests.ts). */
  handlers?: Record<string, RequestRoute>;
  path: string;
  host: EngineHost;
  /** What `hello` says about the daemon (pid, start, revision, in sync), completed with the peer. */
  info: () => Omit<DaemonInfo, 'peer'>;
  /** The group that may connect (mode 0660): `lbctl-admin` by default when it exists; null: root only. */
  group?: string | null;
  identify?: IdentifyPeer;
  log?: (level: 'info' | 'warning' | 'error', message: string) => void;
  /** A connection that sends nothing for this long is closed (default 10 min: a shell may sit idle). */
  idleTimeoutMs?: number;
  maxLineBytes?: number;
  /**
   * The views the `view` request renders, by name (present/views.ts VIEWS, handed over by whoever starts the
   * daemon, as the refusal words are): each runs on this server's host and returns its text in chunks.
   */
  views?: Record<string, (host: EngineHost, params: Record<string, unknown>) => Promise<ViewOutput>>;
}

class RequestError extends Error {
  constructor(
    readonly type: ErrorType,
    message: string,
  ) {
    super(message);
  }
}

type Handler = (params: Record<string, unknown>, peer: Peer) => Promise<unknown>;

export class ControlServer {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly log: NonNullable<ControlServerOptions['log']>;
  private readonly identify: IdentifyPeer;
  private readonly handlers: Record<string, { write: boolean; run: Handler }>;

  constructor(private readonly opts: ControlServerOptions) {
    this.log = opts.log ?? (() => {});
    this.identify = opts.identify ?? identifyBySoPeercred;
    const host = opts.host;
    const config = (p: Record<string, unknown>) => (p.config ?? null) as Config | null;
    this.handlers = {
      hello: { write: false, run: async (_p, peer) => ({ ...this.opts.info(), peer: publicPeer(peer) }) },
      table: { write: false, run: (p) => host.table({ counters: p.counters !== false }) },
      dataplaneInfo: { write: false, run: () => host.dataplaneInfo() },
      owned: { write: false, run: () => host.owned() },
      status: { write: false, run: (p) => host.status(config(p)) },
      syncView: { write: false, run: (p) => host.syncView(config(p), { table: p.table === true, counters: p.counters !== false }) },
      plan: { write: false, run: async (p) => wirePlan(await host.plan(requireConfig(p), { adopt: p.adopt === true })) },
      planDisable: { write: false, run: async (p) => wirePlan(await host.planDisable(config(p))) },
      disable: { write: true, run: async (p, peer) => stripResult(await host.disable(config(p), { user: peer.user, uid: peer.uid })) },
      commit: { write: true, run: (p, peer) => this.commit(p, peer) },
      ha: { write: false, run: () => host.ha() },
      // Answered by view() (chunks, then the reply); listed here for the method check and the read permission.
      [VIEW_METHOD]: { write: false, run: async () => null },
    };
    for (const [method, route] of Object.entries(opts.handlers ?? {})) this.handlers[method] ??= route;
  }

  async listen(): Promise<void> {
    const path = this.opts.path;
    if (existsSync(path)) {
      // A socket left by a daemon that was killed: nobody answers on it. One that answers is a live daemon
      // (the daemon lock should have refused us already): never steal it.
      if (await answers(path)) throw new Error(`${path}: another daemon answers on this socket`);
      unlinkSync(path);
    }
    const server = createServer((socket) => this.accept(socket));
    server.maxConnections = 256;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => this.log('error', `control socket: ${e.message}`));
    this.server = server;
    chmodSync(path, 0o660);
    const gid = groupId(this.opts.group === undefined ? 'lbctl-admin' : this.opts.group);
    if (gid !== null) chownSync(path, process.getuid?.() ?? 0, gid);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    try {
      unlinkSync(this.opts.path);
    } catch {
      /* gone */
    }
  }

  private accept(socket: Socket): void {
    let peer: Peer;
    try {
      peer = this.identify(socket);
    } catch (e) {
      // Without the kernel's word on who this is, nothing is answered.
      this.log('warning', `control socket: peer not identified (${(e as Error).message}); connection closed`);
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(this.opts.idleTimeoutMs ?? 600_000, () => socket.destroy());
    const max = this.opts.maxLineBytes ?? MAX_LINE_BYTES;
    let chunks: Buffer[] = [];
    let size = 0;
    socket.on('data', (data: Buffer) => {
      let start = 0;
      let nl: number;
      while ((nl = data.indexOf(10, start)) >= 0) {
        chunks.push(data.subarray(start, nl));
        const line = Buffer.concat(chunks).toString('utf8');
        chunks = [];
        size = 0;
        start = nl + 1;
        void this.answer(socket, line, peer);
      }
      if (start < data.length) {
        chunks.push(data.subarray(start));
        size += data.length - start;
        if (size > max) {
          this.log('warning', `control socket: uid ${peer.uid} (pid ${peer.pid}) sent a line over ${max} bytes; connection closed`);
          send(socket, { v: PROTOCOL_VERSION, id: 0, ok: false, error: { type: 'bad-request', message: `request line over ${max} bytes` } });
          socket.end();
          socket.destroy();
          chunks = [];
          size = 0;
        }
      }
    });
  }

  private async answer(socket: Socket, line: string, peer: Peer): Promise<void> {
    if (line.trim() === '') return;
    let id = 0;
    try {
      let req: Request;
      try {
        req = decode(line) as Request;
      } catch {
        throw new RequestError('bad-request', 'not a JSON object');
      }
      if (!req || typeof req !== 'object' || Array.isArray(req)) throw new RequestError('bad-request', 'not a JSON object');
      if (typeof req.id === 'number') id = req.id;
      if (req.v !== PROTOCOL_VERSION) throw new RequestError('bad-request', `protocol version ${String(req.v)} not supported (this daemon speaks ${PROTOCOL_VERSION})`);
      const handler = typeof req.method === 'string' ? this.handlers[req.method] : undefined;
      if (!handler) throw new RequestError('unknown-method', `unknown method ${JSON.stringify(req.method)}`);
      if (handler.write && !peer.canConfigure)
        throw new RequestError('forbidden', `user ${peer.user} (uid ${peer.uid}) is neither root nor a member of group lbctl-admin (read-only access)`);
      const params = req.params && typeof req.params === 'object' ? (req.params as Record<string, unknown>) : {};
      if (req.method === VIEW_METHOD) return await this.view(socket, id, params);
      const result = await handler.run(params, peer);
      send(socket, { v: PROTOCOL_VERSION, id, ok: true, result });
    } catch (e) {
      send(socket, { v: PROTOCOL_VERSION, id, ok: false, error: wireError(e) });
    }
  }

  /**
   * A view's text in chunks, then the reply with its result. Each chunk is built when the socket has taken the
   * one before ('drain'), so a reader that is slow (a pager) holds the daemon's memory to one chunk, and other
   * connections are answered between chunks.
   */
  private async view(socket: Socket, id: number, params: Record<string, unknown>): Promise<void> {
    const name = typeof params.name === 'string' ? params.name : '';
    const render = this.opts.views?.[name];
    if (!render) throw new RequestError('bad-request', `no view ${JSON.stringify(name)} here`);
    const out = await render(this.opts.host, params);
    for (const chunk of out.chunks) {
      if (socket.destroyed) return;
      if (!socket.write(JSON.stringify({ v: PROTOCOL_VERSION, id, chunk }) + '\n')) await drained(socket);
    }
    send(socket, { v: PROTOCOL_VERSION, id, ok: true, result: out.result ?? null });
  }

  private async commit(p: Record<string, unknown>, peer: Peer): Promise<unknown> {
    const job = p.job as (HostCommitJob & { delta?: ConfigDelta }) | undefined;
    if (!job || typeof job !== 'object' || typeof job.base !== 'number' || !job.record || (!job.candidate && !job.delta))
      throw new RequestError('bad-request', 'commit needs {job: {candidate or delta, base, action, record, voice}, identity}');
    if (!job.candidate) {
      // The candidate as the difference from revision `base` (config/delta.ts): rebuilt from the store's copy.
      const base = this.opts.host.revisionConfig(job.base);
      if (!base) throw new RequestError('delta-base', `revision ${job.base} is not kept here; send the whole candidate`);
      try {
        job.candidate = applyConfigDelta(base, job.delta!);
      } catch (e) {
        throw new RequestError('bad-request', `the commit's delta does not fit revision ${job.base}: ${(e as Error).message}`);
      }
      delete job.delta;
    }
    const claimed = (p.identity ?? {}) as Partial<AuditIdentity>;
    // The kernel's word on who commits; only the session id (the client's own bookkeeping) is taken from it.
    const identity: AuditIdentity = { user: peer.user, uid: peer.uid, ...(typeof claimed.session === 'string' ? { session: claimed.session } : {}) };
    const record =
      job.record.how === 'commit'
        ? { ...job.record, meta: { ...job.record.meta, user: peer.user, uid: peer.uid, sudoUser: undefined } }
        : { ...job.record, meta: { ...job.record.meta, user: peer.user, uid: peer.uid, sudoUser: undefined } };
    // The candidate was decoded for this request alone: the store may keep it without a copy.
    const outcome = await this.opts.host.commit({ ...job, record, handOver: true } as HostCommitJob, identity);
    if (outcome.kind !== 'check' && outcome.result) return { ...outcome, result: stripResult(outcome.result) };
    if (outcome.kind === 'check') return { ...outcome, plan: wirePlan(outcome.plan) };
    return outcome;
  }
}

function send(socket: Socket, reply: unknown): void {
  if (socket.destroyed) return;
  socket.write(encode(reply) + '\n');
}

/** The socket has taken what was written (or is gone). */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

function publicPeer(p: Peer): DaemonInfo['peer'] {
  return { uid: p.uid, gid: p.gid, pid: p.pid, user: p.user, canConfigure: p.canConfigure };
}

function requireConfig(p: Record<string, unknown>): Config {
  if (!p.config || typeof p.config !== 'object') throw new RequestError('bad-request', 'a configuration is required');
  return p.config as Config;
}

function wireError(e: unknown): WireError {
  if (e instanceof RequestError) return { type: e.type, message: e.message };
  if (e instanceof CommitRefusedError) {
    const r = e.refusal;
    const refusal = r.kind === 'kernel' || (r.kind === 'store' && r.result) ? { ...r, result: stripResult(r.result!) } : r;
    return { type: 'refused', message: e.message, refusal, auditError: e.auditError };
  }
  const err = e as Error;
  if (err?.name === 'CompileError') return { type: 'compile', message: err.message, problems: (err as Error & { problems?: string[] }).problems ?? [err.message] };
  if (err?.name === 'HostDataplaneError') return { type: 'unavailable', message: err.message };
  return { type: 'internal', message: err?.message ?? String(e) };
}

/**
 * A plan without its desired state: the caller prints steps, clashes and foreign ids, and the desired state of
 * 10,000 services would make a one-weight commit's reply megabytes long.
 */
function wirePlan(p: Plan): Plan {
  return { ...p, desired: { services: new Map(), declared: new Map(), notProgrammed: new Map() } };
}

function stripResult<T extends { plan: Plan }>(r: T): T {
  return { ...r, plan: wirePlan(r.plan) };
}

function groupId(name: string | null): number | null {
  if (!name) return null;
  try {
    for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name && f.length >= 3 && /^\d+$/.test(f[2])) return Number(f[2]);
    }
  } catch {
    /* no group file */
  }
  return null;
}

/** Does something accept connections on this socket path right now? */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ path });
    const done = (v: boolean) => {
      s.destroy();
      resolve(v);
    };
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
    setTimeout(() => done(false), 1000).unref();
  });
}
