// qemu command line (pure) and the bookkeeping that guarantees no qemu outlives this process.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HOST_ROOT_TAG, XCHG_TAG } from './guest-scripts.js';

export interface QemuArgsInput {
  kernelImage: string;
  initramfs: string;
  xchgDir: string;
  memoryMb: number;
  cpus: number;
}

/** qemu's option syntax doubles a comma inside a value. */
function optValue(s: string): string {
  return s.replaceAll(',', ',,');
}

export function qemuArgs(i: QemuArgsInput): string[] {
  return [
    // KVM cannot run this guest on these machines (see shared/reference/kernel-vm.md): software emulation.
    '-accel', 'tcg,thread=multi', '-cpu', 'max', '-m', String(i.memoryMb), '-smp', String(i.cpus),
    '-nographic', '-no-reboot', '-nic', 'none',
    '-kernel', i.kernelImage, '-initrd', i.initramfs,
    // panic=-1 turns a guest panic into a reboot, which -no-reboot turns into a qemu exit.
    '-append', 'console=ttyS0 quiet loglevel=3 panic=-1 mitigations=off',
    '-fsdev', `local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap`,
    '-device', `virtio-9p-pci,fsdev=hostroot,mount_tag=${HOST_ROOT_TAG}`,
    '-fsdev', `local,id=xchg,path=${optValue(i.xchgDir)},security_model=none`,
    '-device', `virtio-9p-pci,fsdev=xchg,mount_tag=${XCHG_TAG}`,
  ];
}

/** Running qemus, each with the scratch directory to remove when it goes. */
const live = new Map<ChildProcess, string>();
let handlersInstalled = false;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function killAll(): void {
  for (const [child, scratchDir] of live) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
    rmSync(scratchDir, { recursive: true, force: true });
  }
}

function onSignal(signal: NodeJS.Signals): void {
  killAll();
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  // Re-raise so the process dies of the signal as it would have without us.
  process.kill(process.pid, signal);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', killAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

/**
 * Starts qemu. Under util-linux `setpriv --pdeathsig KILL`, the kernel kills qemu even if this process is
 * SIGKILLed; the exit/signal handlers cover the ordinary paths; the guest's own watchdog is the last resort.
 */
export function spawnQemu(qemu: string, args: string[], scratchDir: string): ChildProcess {
  installHandlers();
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'KILL', '--', qemu, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(qemu, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  live.set(child, scratchDir);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Kills qemu (if still running) and waits until it has exited. */
export async function stopQemu(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

const SCRATCH_PREFIX = 'lbctl-vm-';

/** A scratch directory name that records its owner's pid, so a later run can tell it is stale. */
export function scratchPrefix(parent: string): string {
  return join(parent, `${SCRATCH_PREFIX}${process.pid}-`);
}

/** Removes scratch directories left by runs that were SIGKILLed (their owner pid no longer exists). */
export function removeStaleScratch(parent: string): void {
  let names: string[];
  try { names = readdirSync(parent); } catch { return; }
  for (const name of names) {
    const m = new RegExp(`^${SCRATCH_PREFIX}(\\d+)-`).exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    try { process.kill(pid, 0); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ESRCH') rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
}
