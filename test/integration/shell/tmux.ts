// Drives a program in a real terminal: a detached tmux session on a private socket, keys sent with send-keys,
// the screen read with capture-pane. Every wait is a bounded polling loop on the screen's text. Importing this
// file has no side effects (node --test loads every .js file under test/).
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The compiled build this file lives in (build/ or build-NAME/), and the repository above it. */
export const BUILD_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const REPO_ROOT = dirname(BUILD_DIR);

export function tmuxAvailable(): boolean {
  return spawnSync('tmux', ['-V']).status === 0;
}

let counter = 0;

export interface TmuxOptions {
  cols?: number;
  rows?: number;
  /** Extra environment for the program (CI and CONTINUOUS_INTEGRATION are always removed: ink renders only
   * its last frame when it sees either). */
  env?: Record<string, string>;
}

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export class TmuxTerminal {
  private constructor(
    readonly socket: string,
    readonly target: string,
    /** The socket file, removed after kill-server (tmux leaves it behind). */
    readonly socketPath: string,
  ) {}

  /**
   * Starts `argv` in a fresh tmux server. When the program ends the pane stays, showing `[exited CODE]`, so a
   * test can see that it ended and how.
   */
  static start(argv: string[], options: TmuxOptions = {}): TmuxTerminal {
    const socket = `lbctl-test-${process.pid}-${++counter}`;
    const envArgs = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)}`);
    const command = ['env', '-u', 'CI', '-u', 'CONTINUOUS_INTEGRATION', ...envArgs, ...argv.map(shellQuote)].join(' ');
    const script = `${command}; echo "[exited $?]"; sleep 600`;
    execFileSync('tmux', [
      '-L',
      socket,
      '-f',
      '/dev/null',
      'new-session',
      '-d',
      '-s',
      'test',
      '-x',
      String(options.cols ?? 120),
      '-y',
      String(options.rows ?? 40),
      script,
    ]);
    const socketPath = execFileSync('tmux', ['-L', socket, 'display-message', '-p', '#{socket_path}'], { encoding: 'utf8' }).trim();
    return new TmuxTerminal(socket, 'test', socketPath);
  }

  /** send-keys with tmux key names (`Enter`, `Tab`, `C-c`, `Up` …). */
  keys(...keys: string[]): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', this.target, ...keys]);
  }

  /** Types text literally (so `?`, `;` and spaces are not key names). */
  type(text: string): void {
    execFileSync('tmux', ['-L', this.socket, 'send-keys', '-t', this.target, '-l', text]);
  }

  /** The visible screen, trailing blank lines removed (tmux drops trailing blanks of each line too). */
  screen(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-t', this.target], { encoding: 'utf8' }).replace(
      /\n+$/,
      '',
    );
  }

  /** The visible screen with its colour escapes. */
  screenWithEscapes(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-e', '-t', this.target], { encoding: 'utf8' });
  }

  /** Screen plus scrollback. */
  history(): string {
    return execFileSync('tmux', ['-L', this.socket, 'capture-pane', '-p', '-S', '-', '-t', this.target], {
      encoding: 'utf8',
    }).replace(/\n+$/, '');
  }

  cursor(): { x: number; y: number } {
    const out = execFileSync('tmux', ['-L', this.socket, 'display-message', '-p', '-t', this.target, '#{cursor_x} #{cursor_y}'], {
      encoding: 'utf8',
    });
    const [x, y] = out.trim().split(' ').map(Number);
    return { x, y };
  }

  /** The last non-blank line of the screen (where the prompt is). */
  lastLine(): string {
    const lines = this.screen().split('\n');
    return lines[lines.length - 1];
  }

  /**
   * Polls the screen until `test` accepts it, at most `timeoutMs`; throws with the screen's text otherwise.
   * `from` reads the whole scrollback instead of the visible screen.
   */
  async waitFor(test: RegExp | ((screen: string) => boolean), timeoutMs = 10_000, from: 'screen' | 'history' = 'screen'): Promise<string> {
    const ok = typeof test === 'function' ? test : (s: string) => test.test(s);
    const deadline = Date.now() + timeoutMs;
    let text = '';
    for (;;) {
      text = from === 'screen' ? this.screen() : this.history();
      if (ok(text)) return text;
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 40));
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(test)}; the screen shows:\n${text}`);
  }

  /**
   * Waits until the last line of the screen is `line` (e.g. a prompt with the typed line). tmux does not keep
   * trailing blanks, so `line` is compared without them too.
   */
  async waitForLastLine(line: string, timeoutMs = 10_000): Promise<string> {
    const want = line.trimEnd();
    return this.waitFor((s) => {
      const lines = s.split('\n');
      return lines[lines.length - 1] === want;
    }, timeoutMs);
  }

  /** Resizes the terminal (the program gets SIGWINCH). */
  resize(cols: number, rows: number): void {
    execFileSync('tmux', ['-L', this.socket, 'resize-window', '-t', this.target, '-x', String(cols), '-y', String(rows)]);
  }

  kill(): void {
    spawnSync('tmux', ['-L', this.socket, 'kill-server']);
    rmSync(this.socketPath, { force: true });
  }
}

export interface LabDirs {
  root: string;
  config: string;
  state: string;
  home: string;
  cleanup(): void;
}

/**
 * A temporary lab: the example configuration from dist/examples plus `extraServices` more services (so that
 * listings outgrow the terminal), an empty state directory and a HOME of its own (for the history file).
 */
export function makeLab(extraServices = 0): LabDirs {
  const root = mkdtempSync(join(tmpdir(), 'lbctl-tmux-'));
  const config = join(root, 'config');
  cpSync(join(REPO_ROOT, 'dist', 'examples'), config, { recursive: true });
  if (extraServices > 0) {
    const lines = ['services:'];
    for (let i = 0; i < extraServices; i++) {
      lines.push(
        `  - name: bulk${i}`,
        `    vip: 203.0.113.${100 + Math.floor(i / 250)}`,
        `    protocol: tcp`,
        `    ports: [${10000 + (i % 250)}]`,
        `    backends:`,
        `      - address: 198.51.100.${1 + (i % 200)}`,
      );
    }
    writeFileSync(join(config, 'config.d', 'zz-bulk.yaml'), lines.join('\n') + '\n');
  }
  const state = join(root, 'state');
  const home = join(root, 'home');
  mkdirSync(state);
  mkdirSync(home);
  return { root, config, state, home, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * The command that runs `lbctl` from this build: bin/lbctl when the build is build/ (the launcher it loads),
 * otherwise node on this build's cli entry through the test launcher.
 */
export function lbctlCommand(): string[] {
  if (basename(BUILD_DIR) === 'build') return [join(REPO_ROOT, 'bin', 'lbctl')];
  // The assignment goes through `env`, which TmuxTerminal puts in front of every command.
  return ['LBCTL_LAUNCH=1', process.execPath, join(BUILD_DIR, 'test', 'integration', 'shell', 'fixtures', 'launch.js')];
}
