// The control socket's wire format: one JSON object per line, both ways, versioned.
//
//   request  {"v":1,"id":7,"method":"status","params":{...}}
//   reply    {"v":1,"id":7,"ok":true,"result":...}
//            {"v":1,"id":7,"ok":false,"error":{"type":"forbidden","message":"..."}}
//   a view   {"v":1,"id":8,"chunk":"IP Virtual Server version …\n…"}   (as many as the text needs, in order)
//            {"v":1,"id":8,"ok":true,"result":{...}}                   (then the reply that ends it)
//
// Values the engine returns hold bigints (IPVS 64-bit counters) and Error objects (refusals); both are encoded
// here so that a reply decodes into the same values an in-process call returns.
import { join } from 'node:path';
import type { EngineMetrics } from '../metrics.js';

export const PROTOCOL_VERSION = 1;
export const SOCKET_FILE = 'lbctl.sock';
/** A request line longer than this is refused and the connection closed (a 10,000-service commit is ~5 MB). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

export function socketPath(stateDir: string): string {
  return join(stateDir, SOCKET_FILE);
}

/** Every error a reply can carry, by type: clients branch on the type, never on the words. */
export type ErrorType =
  | 'bad-request' // not JSON, no method, wrong version, line too long
  | 'unknown-method'
  | 'forbidden' // the peer may only read
  | 'refused' // a commit refused (the refusal is attached as data)
  | 'compile' // the configuration cannot be programmed (CompileError)
  | 'unavailable' // the daemon is stopping, or its dataplane is down
  | 'delta-base' // a commit sent as a delta from a revision this daemon no longer keeps: send the whole candidate
  | 'internal';

export interface WireError {
  type: ErrorType;
  message: string;
  /** With type 'refused': the commit transaction's refusal, as data. */
  refusal?: unknown;
  auditError?: string | null;
  /** With type 'compile': every problem. */
  problems?: string[];
}

export interface Request {
  v: number;
  id: number;
  method: string;
  params?: unknown;
}

export type Reply = { v: number; id: number; ok: true; result: unknown } | { v: number; id: number; ok: false; error: WireError };

/** A piece of a view's text (the `view` request): sent before the reply that ends the request. */
export interface ChunkLine {
  v: number;
  id: number;
  chunk: string;
}

/**
 * The `view` request: a long text (`show ipvs`, `status` at 10,000 services) rendered by the daemon with the
 * same function a command without a daemon runs (present/views.ts), sent in chunks of tens of KB, each written
 * when the socket has taken the one before.
 */
export const VIEW_METHOD = 'view';

/** What a view renderer returns: the text in chunks (built as they are taken), and a result for the reply. */
export interface ViewOutput {
  chunks: Iterable<string>;
  result?: unknown;
}

/** JSON with bigints and Errors kept: {"$bigint":"123"}, {"$error":{name,message,code,...}}. */
export function encode(value: unknown): string {
  return JSON.stringify(value, function (this: unknown, _key, v: unknown) {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (v instanceof Error) {
      const extra: Record<string, unknown> = {};
      for (const k of Object.keys(v)) extra[k] = (v as unknown as Record<string, unknown>)[k];
      return { $error: { ...extra, name: v.name, message: v.message } };
    }
    if (v instanceof Map) return { $map: [...v.entries()] };
    if (v instanceof Set) return { $set: [...v.values()] };
    return v;
  });
}

export function decode(text: string): unknown {
  return JSON.parse(text, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as Record<string, unknown>;
      if (typeof o.$bigint === 'string' && Object.keys(o).length === 1) return BigInt(o.$bigint);
      if (o.$error && typeof o.$error === 'object' && Object.keys(o).length === 1) {
        const e = o.$error as Record<string, unknown>;
        const err = new Error(String(e.message ?? ''));
        for (const [k, val] of Object.entries(e)) if (k !== 'message' && k !== 'stack') (err as unknown as Record<string, unknown>)[k] = val;
        return err;
      }
      if (Array.isArray(o.$map) && Object.keys(o).length === 1) return new Map(o.$map as [unknown, unknown][]);
      if (Array.isArray(o.$set) && Object.keys(o).length === 1) return new Set(o.$set as unknown[]);
    }
    return v;
  });
}

/** What `hello` answers: who serves, since when, and how the kernel stands. */
export interface DaemonInfo {
  pid: number;
  /** ISO-8601 start time. */
  startedAt: string;
  uptimeMs: number;
  version: string;
  stateDir: string;
  lab: boolean;
  runningRevision: number;
  /** Null before the first drift check has finished. */
  inSync: boolean | null;
  /** ISO-8601 time of the last completed drift check. */
  lastReconcile: string | null;
  /** The engine's counters (kernel dumps, plans, operations) and netlink messages sent since start; null before the dataplane opened. */
  engine: (EngineMetrics & { messagesSent: number }) | null;
  /** What the peer may do, as the daemon decided from the kernel's SO_PEERCRED. */
  peer: { uid: number; gid: number; pid: number; user: string; canConfigure: boolean };
}
