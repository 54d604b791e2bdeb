// Printing a long view (`show ipvs`, `status`): rendered where the data is (present/views.ts) and written to
// stdout chunk by chunk as it comes, never whole. With a daemon, the daemon renders it and streams the chunks
// (the `view` request), and this process loads only the socket's client; without one, this process renders it
// with its own engine host (its modules loaded then). The same function renders both: the same output.
import { once } from 'node:events';
import type { CliIO } from './command.js';
import type { EnginePort } from '../engine/host.js';
import type { DaemonPort } from '../engine/daemon/port.js';
import { DaemonConnection, DaemonError } from '../engine/daemon/client.js';
import type { DaemonInfo } from '../engine/daemon/protocol.js';
import type { ViewHost } from '../present/views.js';

/** One chunk to stdout; when the stream has more than it wants queued (a slow reader), wait until it drains. */
function write(io: CliIO, chunk: string): Promise<void> | void {
  io.stdout(chunk);
  if (process.stdout.writableNeedDrain) return once(process.stdout, 'drain').then(() => {});
}

/** The daemon of a state directory, asked for views; the engine's modules are not loaded for it. */
export interface DaemonViews {
  info: DaemonInfo;
  /** Print view `name`; null when this daemon has no such view (an older lbctl): render it here instead. */
  print<T>(io: CliIO, name: string, params: Record<string, unknown>): Promise<{ result: T } | null>;
  close(): void;
}

/**
 * The daemon of `stateDir` when one answers `hello` within two seconds (as connectEngine asks), else null: the
 * command then runs in-process (and need not ask again).
 */
export async function daemonViews(stateDir: string, timeoutMs = 2000): Promise<DaemonViews | null> {
  const conn = await DaemonConnection.connect(stateDir, timeoutMs);
  if (!conn) return null;
  let info: DaemonInfo;
  try {
    info = await conn.call<DaemonInfo>('hello', undefined, timeoutMs);
  } catch {
    conn.close();
    return null;
  }
  return {
    info,
    async print<T>(io: CliIO, name: string, params: Record<string, unknown>) {
      try {
        return { result: await conn.view<T>({ ...params, name }, (chunk) => write(io, chunk)) };
      } catch (e) {
        if (e instanceof DaemonError && (e.type === 'unknown-method' || e.type === 'bad-request')) return null;
        // The daemon's CompileError comes back as one, as DaemonPort gives it.
        if (e instanceof DaemonError && e.type === 'compile') throw new (await import('../engine/compile.js')).CompileError(e.wire.problems ?? [e.message]);
        throw e;
      }
    },
    close: () => conn.close(),
  };
}

/**
 * Print view `name` with `params` (what crosses the socket) through `host`; `local` is what only an in-process
 * host is given (the running configuration, read here from the store). Resolves with the view's result.
 */
export async function printView<T>(io: CliIO, host: EnginePort, name: string, params: Record<string, unknown>, local: () => Record<string, unknown> | Promise<Record<string, unknown>>): Promise<T> {
  if (host.mode === 'daemon') {
    // A daemon without views (an older lbctl's): rendered here from its answers, as before it had them.
    const port = host as DaemonPort;
    const viaSocket: ViewHost = Object.assign(Object.create(port) as DaemonPort, { revision: () => port.info.runningRevision });
    return render<T>(io, viaSocket, name, params);
  }
  return render<T>(io, host, name, { ...params, ...(await local()) });
}

async function render<T>(io: CliIO, host: ViewHost, name: string, params: Record<string, unknown>): Promise<T> {
  const { VIEWS } = await import('../present/views.js');
  const out = await VIEWS[name](host, params);
  for (const chunk of out.chunks) await write(io, chunk);
  return out.result as T;
}
