// A real `lbctl daemon --lab` (bin/lbctl) in a temporary HOME, and `lbctl shell --lab -c` beside it, for the
// observability tests: a lab with one service, a daemon started and awaited through its socket, stopped by
// SIGTERM so it can say its last words (the GELF totals).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeDaemon } from '../../engine/daemon/client.js';

const LBCTL = fileURLToPath(new URL('../../../bin/lbctl', import.meta.url));
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` every 25 ms for at most `ms`; returns whether it became true. */
export async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !check()) await sleep(25);
  return check();
}

export interface Lab {
  home: string;
  config: string;
  state: string;
}

/** A lab whose config.yaml holds `extraYaml` after the node and VIP, and one service `web` (weight 100). */
export function makeLab(extraYaml: string): Lab {
  const home = mkdtempSync(join(tmpdir(), 'lbctl-observe-'));
  const lab = { home, config: join(home, 'config'), state: join(home, 'state') };
  mkdirSync(join(lab.config, 'config.d'), { recursive: true });
  mkdirSync(lab.state);
  writeFileSync(join(lab.config, 'config.yaml'), `node: {name: lbd}\nvip: 192.0.2.10\n${extraYaml}`);
  writeFileSync(
    join(lab.config, 'config.d', 'web.yaml'),
    'services:\n  - name: web\n    protocol: tcp\n    ports: [80]\n    backends:\n      - {address: 198.51.100.11, port: 80, weight: 100}\n',
  );
  return lab;
}

export function shell(lab: Lab, commands: string): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [LBCTL, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', commands], {
    env: { ...process.env, HOME: lab.home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

export interface RunningDaemon {
  child: ChildProcess;
  /** Its stdout and stderr so far. */
  log: () => string;
}

/** `env` is added to the daemon's environment; JOURNAL_STREAM is removed unless given there. `extra`: more daemon options. */
export async function startDaemon(lab: Lab, env: NodeJS.ProcessEnv = {}, extra: string[] = []): Promise<RunningDaemon> {
  const full: NodeJS.ProcessEnv = { ...process.env, HOME: lab.home };
  delete full.JOURNAL_STREAM;
  Object.assign(full, env);
  const child = spawn(process.execPath, [LBCTL, 'daemon', '--lab', '--config', lab.config, '--state-dir', lab.state, ...extra], { env: full, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  for (let i = 0; i < 200; i++) {
    if (await probeDaemon(lab.state, 500)) return { child, log: () => text };
    if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${text}`);
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`daemon did not answer: ${text}`);
}

/** SIGTERM (or `signal`), and its exit code once it has exited. */
export async function stopDaemon(d: RunningDaemon, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return d.child.exitCode;
  const done = new Promise<number | null>((r) => d.child.once('exit', (code) => r(code)));
  d.child.kill(signal);
  return done;
}
