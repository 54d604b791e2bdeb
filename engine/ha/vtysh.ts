// Asking FRR: `vtysh [-N pathspace] -c 'show vrrp json'`, run with execFile (no shell: the pathspace comes from
// the configuration) and a timeout. The answer is routers, or the reason the state is unknown.
import { execFile } from 'node:child_process';
import { FrrJsonError, parseShowVrrpJson, type FrrRouter } from './frr-json.js';

export interface CommandResult {
  /** Exit code; null when the process did not exit by itself (killed on timeout, or not started). */
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  /** Could not run at all (ENOENT, EACCES). */
  spawnError?: string;
}

/** Runs one program with arguments and a time limit; injected so unit tests answer without FRR. */
export type CommandRunner = (file: string, args: readonly string[], timeoutMs: number) => Promise<CommandResult>;

export const execFileRunner: CommandRunner = (file, args, timeoutMs) =>
  new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string; signal?: string }) | null;
      if (e && typeof e.code === 'string') {
        resolve({ code: null, stdout: '', stderr: String(stderr), timedOut: false, spawnError: `${file}: ${e.code}` });
        return;
      }
      const timedOut = !!e && e.killed === true && e.signal === 'SIGKILL';
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : null) : 0, stdout: String(stdout), stderr: String(stderr), timedOut });
    });
  });

export function vtyshArgs(pathspace?: string): string[] {
  return [...(pathspace ? ['-N', pathspace] : []), '-c', 'show vrrp json'];
}

export type FrrRead = { ok: true; routers: FrrRouter[] } | { ok: false; reason: string };

/**
 * vtysh's own words ("vrrpd is not running"), without its warning about a missing vtysh.conf: with a pathspace
 * that has no /etc/frr/NAME/vtysh.conf the warning comes first and would hide the reason.
 */
function message(s: string): string {
  return s
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0 && !/^% Can't open configuration file/.test(l))
    .join('; ');
}

export async function readFrrVrrp(run: CommandRunner, opts: { vtysh: string; pathspace?: string; timeoutMs: number }): Promise<FrrRead> {
  const r = await run(opts.vtysh, vtyshArgs(opts.pathspace), opts.timeoutMs);
  if (r.spawnError) return { ok: false, reason: `cannot run vtysh (${r.spawnError})` };
  if (r.timedOut) return { ok: false, reason: `vtysh did not answer within ${opts.timeoutMs} ms` };
  if (r.code !== 0) {
    // vtysh says "vrrpd is not running" on stderr and exits 1 when vrrpd is down: that is unknown, never Backup.
    const why = message(r.stderr) || message(r.stdout) || 'no message';
    return { ok: false, reason: `vtysh exited ${r.code ?? 'by a signal'}: ${why}` };
  }
  try {
    return { ok: true, routers: parseShowVrrpJson(r.stdout) };
  } catch (e) {
    if (e instanceof FrrJsonError) return { ok: false, reason: `vtysh 'show vrrp json' unreadable: ${e.message}` };
    throw e;
  }
}
