// Runs a shell command as root inside a real Debian kernel (with IPVS) booted under qemu, with the host's
// files visible read-only (plus a writable tmpfs overlay). See docs/kernel-tests.md.
//
//   const { code, output } = await runInGuest('ipvsadm -Ln');
//
// Only the command's stdout+stderr comes back in `output`; the guest's console (kernel messages) is kept apart
// and shown only when the guest fails to run the command at all.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileFollower } from './vm/follow-file.js';
import { commandScript, XCHG } from './vm/guest-scripts.js';
import { defaultCacheDir, ensureInitramfs } from './vm/initramfs.js';
import { bootableKernel } from './vm/kernel-image.js';
import { locateVmParts, VmDependencyError, type VmParts } from './vm/locate.js';
import { qemuArgs, removeStaleScratch, scratchPrefix, spawnQemu, stopQemu } from './vm/qemu.js';

export { VmDependencyError, locateVmParts, type VmParts };

export interface RunInGuestOptions {
  /** Hard limit for the whole run, boot included; qemu is killed when it expires. Default 10 minutes. */
  timeoutMs?: number;
  /** Guest memory. Default 2048. */
  memoryMb?: number;
  /** Virtual CPUs. Default 2 (multi-threaded TCG uses one host thread per vCPU). */
  cpus?: number;
  /** Copy the command's output to process.stderr (true) or to the given stream as it arrives. */
  stream?: boolean | NodeJS.WritableStream;
  /** Also copy the guest console (kernel messages) to process.stderr: for debugging the harness. */
  console?: boolean;
  /** Working directory in the guest. Default: this process's cwd (the guest sees the host's paths). */
  cwd?: string;
  /** Extra environment variables for the command. */
  env?: Record<string, string>;
}

export interface GuestResult {
  /** The command's exit status (128+N when killed by signal N). */
  code: number;
  /** The command's stdout and stderr, interleaved as written. */
  output: string;
}

export class GuestError extends Error {
  constructor(message: string, readonly output: string, readonly consoleTail: string) {
    super(`${message}${output ? `\n--- command output so far ---\n${tail(output, 4000)}` : ''}` +
      `${consoleTail ? `\n--- guest console (last lines) ---\n${consoleTail}` : ''}`);
    this.name = 'GuestError';
  }
}

const DEFAULT_TIMEOUT_MS = 10 * 60_000;
const POLL_MS = 100;
const CONSOLE_KEEP = 16_000;

function tail(s: string, n: number): string {
  return s.length <= n ? s : '…' + s.slice(-n);
}

/** Everything a boot needs, located and cached once per process. */
export interface PreparedGuest {
  parts: VmParts;
  /** What qemu's -kernel gets: the cached uncompressed vmlinux (PVH entry) or the bzImage. */
  kernel: string;
  pvh: boolean;
  initramfs: string;
}

let prepared: PreparedGuest | undefined;

/** Locates the parts (throws VmDependencyError naming missing packages) and builds the cached boot files. */
export function prepareGuest(): PreparedGuest {
  if (prepared && existsSync(prepared.kernel) && existsSync(prepared.initramfs)) return prepared;
  const parts = locateVmParts();
  const cacheDir = defaultCacheDir();
  const kernel = bootableKernel(parts.kernelImage, parts.kernelVersion, cacheDir);
  prepared = { parts, kernel: kernel.path, pvh: kernel.pvh, initramfs: ensureInitramfs(parts, cacheDir) };
  return prepared;
}

/**
 * The host variables a runner passes on to the guest: CI and the project's own LBCTL_* knobs (bench sizes and
 * the like), never the rest of the host's environment.
 */
export function forwardedEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined || k === 'LBCTL_IN_VM') continue;
    if (k === 'CI' || (k.startsWith('LBCTL_') && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))) out[k] = v;
  }
  return out;
}

/** One line for logs: what the harness boots. */
export function describeGuest(guest: PreparedGuest, opts: Pick<RunInGuestOptions, 'memoryMb' | 'cpus'> = {}): string {
  return `Debian kernel ${guest.parts.kernelVersion} under qemu TCG software emulation ` +
    `(${guest.pvh ? 'PVH boot of the uncompressed kernel' : 'bzImage boot'}, ` +
    `${opts.cpus ?? 2} vCPUs, ${opts.memoryMb ?? 2048} MiB), host / shared read-only over virtio-9p`;
}

/**
 * True when this machine's own kernel has IPVS (a real balancer, or we are inside the guest), so tests can run
 * directly. Tries `modprobe ip_vs` once. LBCTL_KERNEL_TESTS=vm forces the VM anyway.
 */
export function hostHasIpvs(): boolean {
  if (process.env.LBCTL_KERNEL_TESTS === 'vm') return false;
  if (existsSync('/proc/net/ip_vs')) return true;
  try {
    execFileSync('modprobe', ['-q', 'ip_vs'], { stdio: 'ignore', timeout: 15_000 });
  } catch {
    return false;
  }
  return existsSync('/proc/net/ip_vs');
}

/** Boots the VM, runs `command` with /bin/sh as root, powers off. Throws GuestError if the guest itself fails. */
export async function runInGuest(command: string, opts: RunInGuestOptions = {}): Promise<GuestResult> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const guest = prepareGuest();
  const sink = opts.stream === true ? process.stderr : opts.stream || undefined;

  removeStaleScratch(tmpdir());
  const xchg = mkdtempSync(scratchPrefix(tmpdir()));
  let child: ReturnType<typeof spawnQemu> | undefined;
  let output: FileFollower | undefined;
  try {
    writeFileSync(join(xchg, XCHG.command), commandScript({
      command, cwd: opts.cwd ?? process.cwd(), env: opts.env ?? {},
    }));
    // The guest powers itself off a little after the host would have killed it.
    writeFileSync(join(xchg, XCHG.watchdogSeconds), `${Math.ceil(timeoutMs / 1000) + 30}\n`);

    child = spawnQemu(guest.parts.qemu, qemuArgs({
      kernelImage: guest.kernel, initramfs: guest.initramfs, xchgDir: xchg, memoryMb: opts.memoryMb ?? 2048, cpus: opts.cpus ?? 2,
    }), xchg);

    let consoleText = '';
    const onConsole = (chunk: Buffer) => {
      consoleText = tail(consoleText + chunk.toString('utf8'), CONSOLE_KEEP);
      if (opts.console) process.stderr.write(chunk);
    };
    child.stdout!.on('data', onConsole);
    child.stderr!.on('data', onConsole);

    const closed = new Promise<{ code: number | null; signal: string | null; spawnError?: Error }>((resolve) => {
      child!.once('error', (spawnError) => resolve({ code: null, signal: null, spawnError }));
      child!.once('close', (code, signal) => resolve({ code, signal }));
    });

    // Follow the output file as the guest writes it (9p without cache: writes reach the host file directly).
    output = new FileFollower(join(xchg, XCHG.output), (text) => sink?.write(text));

    let timedOut = false;
    const deadline = Date.now() + timeoutMs;
    let result: Awaited<typeof closed> | undefined;
    closed.then((r) => { result = r; });
    while (!result) {
      if (Date.now() >= deadline) { timedOut = true; break; }
      await output.drain();
      await Promise.race([closed, new Promise((r) => setTimeout(r, POLL_MS))]);
    }
    if (timedOut) await stopQemu(child);
    const text = await output.finish();

    const consoleTail = consoleText.split('\n').slice(-40).join('\n').trim();
    if (result?.spawnError) throw new GuestError(`could not start ${guest.parts.qemu}: ${result.spawnError.message}`, text, '');
    if (timedOut) throw new GuestError(`guest command timed out after ${timeoutMs} ms (qemu killed): ${command}`, text, consoleTail);
    let codeText: string;
    try {
      codeText = readFileSync(join(xchg, XCHG.exitCode), 'utf8').trim();
    } catch {
      throw new GuestError(
        `the guest stopped without finishing the command (qemu exit ${result?.code ?? result?.signal}): ${command}`,
        text, consoleTail);
    }
    return { code: Number(codeText), output: text };
  } finally {
    if (child) await stopQemu(child);
    await output?.close();
    rmSync(xchg, { recursive: true, force: true });
  }
}
