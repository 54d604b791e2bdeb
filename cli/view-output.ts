// Printing a long view (`show ipvs`, `status`): rendered where the data is (present/views.ts) and written to
// stdout chunk by chunk as it comes, never whole. With a daemon, the daemon renders it and streams the chunks
// (the `view` request); without one, this process renders it with its own engine host. The same function
// renders both, so the output is the same.
import { once } from 'node:events';
import type { CliIO } from './command.js';
import type { EnginePort } from '../engine/host.js';
import { DaemonPort } from '../engine/daemon/port.js';
import { DaemonError } from '../engine/daemon/client.js';
import { VIEWS, type ViewHost } from '../present/views.js';

/** One chunk to stdout; when the stream has more than it wants queued (a slow reader), wait until it drains. */
function write(io: CliIO, chunk: string): Promise<void> | void {
  io.stdout(chunk);
  if (process.stdout.writableNeedDrain) return once(process.stdout, 'drain').then(() => {});
}

/**
 * Print view `name` with `params` (what crosses the socket) through `host`; `local` is what only an in-process
 * host is given (the running configuration, read here from the store). Resolves with the view's result.
 */
export async function printView<T>(io: CliIO, host: EnginePort, name: string, params: Record<string, unknown>, local: () => Record<string, unknown> | Promise<Record<string, unknown>>): Promise<T> {
  if (host instanceof DaemonPort) {
    try {
      return await host.view<T>(name, params, (chunk) => write(io, chunk));
    } catch (e) {
      // A daemon of an older lbctl has no `view`: render here from its answers, as before it had one.
      if (!(e instanceof DaemonError && (e.type === 'unknown-method' || e.type === 'bad-request'))) throw e;
      const viaSocket: ViewHost = Object.assign(Object.create(host) as DaemonPort, { revision: () => host.info.runningRevision });
      return render<T>(io, viaSocket, name, params);
    }
  }
  return render<T>(io, host, name, { ...params, ...(await local()) });
}

async function render<T>(io: CliIO, host: ViewHost, name: string, params: Record<string, unknown>): Promise<T> {
  const out = await VIEWS[name](host, params);
  for (const chunk of out.chunks) await write(io, chunk);
  return out.result as T;
}
