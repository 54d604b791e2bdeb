// The real HostProbe: this machine's files, commands (execFile with a timeout, never a shell) and processes.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readdir, readFile, stat } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostProbe, RunResult } from './checks.js';

/** dist/ of this installation (build/cli/doctor/probe.js → ../../../dist), as cli/lab.ts finds the examples. */
export function distDir(): string {
  return fileURLToPath(new URL('../../../dist', import.meta.url));
}

/** Where administrative binaries live even when PATH (a non-root user's) leaves them out. */
const SBIN_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

const DEBIAN_ARCH: Partial<Record<NodeJS.Architecture, string>> = { x64: 'amd64', arm64: 'arm64', ppc64: 'ppc64el', s390x: 's390x', ia32: '686', arm: 'armmp' };

async function isExecutableFile(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function runCommand(cmd: string, args: string[], timeoutMs = 5000, env: NodeJS.ProcessEnv = process.env): Promise<RunResult> {
  return new Promise((resolve) => {
    // A PATH without the sbin directories (a user's) would not find modprobe.
    const path = [env.PATH ?? '', ...SBIN_DIRS].filter(Boolean).join(delimiter);
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 1 << 20, env: { ...env, PATH: path, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (!err) return resolve({ code: 0, stdout, stderr });
      const e = err as NodeJS.ErrnoException & { code?: number | string; killed?: boolean; signal?: string | null };
      if (e.code === 'ENOENT') return resolve({ code: null, stdout, stderr, error: 'not found' });
      if (e.killed || e.signal) return resolve({ code: null, stdout, stderr, error: `timed out after ${timeoutMs} ms` });
      if (typeof e.code === 'number') return resolve({ code: e.code, stdout, stderr });
      resolve({ code: null, stdout, stderr, error: e.message });
    });
  });
}

export function hostProbe(env: NodeJS.ProcessEnv = process.env): HostProbe {
  return {
    async readFile(path) {
      try {
        return await readFile(path, 'utf8');
      } catch {
        return null;
      }
    },
    async exists(path) {
      try {
        await stat(path);
        return true;
      } catch {
        return false;
      }
    },
    async writable(path) {
      try {
        await access(path, constants.W_OK);
        return true;
      } catch {
        return false;
      }
    },
    run: (cmd, args, timeoutMs) => runCommand(cmd, args, timeoutMs, env),
    async which(name) {
      const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...SBIN_DIRS];
      for (const dir of dirs) {
        const full = join(dir, name);
        if (await isExecutableFile(full)) return full;
      }
      return null;
    },
    async pidof(name) {
      // /proc directly: pidof(8) is not on every system. comm is cut at 15 characters; argv[0] is whole.
      let entries: string[];
      try {
        entries = await readdir('/proc');
      } catch {
        return [];
      }
      const pids: number[] = [];
      for (const entry of entries) {
        if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
        try {
          const comm = (await readFile(`/proc/${entry}/comm`, 'utf8')).trim();
          let match = comm === name.slice(0, 15);
          if (match && name.length > 15) {
            const argv0 = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0')[0];
            match = argv0.split('/').pop() === name;
          }
          if (match) {
            // A zombie is not running: the state letter follows the command's closing parenthesis.
            const st = await readFile(`/proc/${entry}/stat`, 'utf8');
            if (st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) !== 'Z') pids.push(Number(entry));
          }
        } catch {
          // gone while we looked
        }
      }
      return pids.sort((a, b) => a - b);
    },
    euid: typeof process.geteuid === 'function' ? process.geteuid() : -1,
    arch: DEBIAN_ARCH[process.arch] ?? process.arch,
  };
}
