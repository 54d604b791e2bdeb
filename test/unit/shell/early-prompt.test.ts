// The prompt painted before the session opens (shell/tui/early-prompt.ts, shell/first-screen.ts): the banner's
// head and the prompt at once; when the session's controller arrives, only the rest of its banner is written
// (the head is never shown twice), or its banner whole when it says something else; typed keys are kept.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { paintInstantPrompt } from '../../../shell/tui/early-prompt.js';
import { PLAIN_STYLE } from '../../../shell/display.js';
import type { TerminalController } from '../../../shell/tui/make-controller.js';
import type { Snapshot } from '../../../shell/tui/controller.js';

class FakeStdin extends EventEmitter {
  raw: boolean | null = null;
  private queue: string[] = [];
  setRawMode(on: boolean) {
    this.raw = on;
    return this;
  }
  read(): string | null {
    return this.queue.shift() ?? null;
  }
  pause() {
    return this;
  }
  type(text: string) {
    this.queue.push(text);
    this.emit('readable');
  }
}

class FakeStdout {
  columns = 80;
  written = '';
  write(s: string) {
    this.written += s;
    return true;
  }
}

/** The screen's lines once the escape sequences (erase line, cursor up) have done their work. */
function screen(out: string): string[] {
  const lines: string[] = [''];
  let row = 0;
  for (let i = 0; i < out.length; ) {
    if (out.startsWith('\r\x1b[2K', i)) {
      lines[row] = '';
      i += 5;
    } else if (out.startsWith('\x1b[1A', i)) {
      row--;
      i += 4;
    } else if (out[i] === '\n') {
      row++;
      if (lines.length <= row) lines.push('');
      i++;
    } else {
      lines[row] += out[i++];
    }
  }
  return lines;
}

function fakeFace(banner: string, prompt: string): TerminalController & { started: boolean } {
  let started = false;
  const listeners: (() => void)[] = [];
  let snap: Snapshot = { items: [], live: { mode: 'edit', roleLine: null, prompt, line: '', cursor: 0, search: null } };
  const controller = {
    getSnapshot: () => snap,
    subscribe: (l: () => void) => {
      listeners.push(l);
      return () => listeners.splice(listeners.indexOf(l), 1);
    },
    start: () => {
      started = true;
      snap = { ...snap, items: [{ id: 0, text: banner }] };
      for (const l of listeners) l();
    },
  };
  return {
    controller: controller as unknown as TerminalController['controller'],
    style: PLAIN_STYLE,
    exited: new Promise(() => {}),
    get started() {
      return started;
    },
  };
}

const HEAD = 'lbctl 0.1.0 on lb1\nRunning configuration: revision 4';
const BANNER = `${HEAD}\nEngine: in-process (no daemon attached)\nType "?" for help on any command, "help" for how this shell works.`;

test('the head and the prompt at once; then only the rest of the banner, above the prompt and what was typed', () => {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const early = paintInstantPrompt({ head: HEAD, prompt: 'lb1#' }, PLAIN_STYLE, stdin as unknown as NodeJS.ReadStream, stdout as unknown as NodeJS.WriteStream);
  assert.equal(stdin.raw, true);
  assert.deepEqual(screen(stdout.written), ['lbctl 0.1.0 on lb1', 'Running configuration: revision 4', 'lb1#']);
  stdin.type('sh');
  stdin.type('ow');
  assert.deepEqual(screen(stdout.written), ['lbctl 0.1.0 on lb1', 'Running configuration: revision 4', 'lb1#show']);

  const face = fakeFace(BANNER, 'lb1#');
  early.attach(face);
  assert.equal(face.started, true);
  assert.deepEqual(screen(stdout.written), [...BANNER.split('\n'), 'lb1#show']);
  stdin.type('\t');
  const handed = early.handOver();
  assert.deepEqual(handed, { typed: 'show\t', writtenUpTo: 0 });
  assert.deepEqual(screen(stdout.written), [...BANNER.split('\n'), '']);
});

test('a session whose banner says otherwise (a commit in between) gets its banner written whole', () => {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const early = paintInstantPrompt({ head: HEAD, prompt: 'lb1#' }, PLAIN_STYLE, stdin as unknown as NodeJS.ReadStream, stdout as unknown as NodeJS.WriteStream);
  const newer = BANNER.replace('revision 4', 'revision 5');
  early.attach(fakeFace(newer, 'lb1#'));
  assert.deepEqual(screen(stdout.written), [...HEAD.split('\n'), ...newer.split('\n'), 'lb1#']);
});

test('abandon (the session did not open) clears the prompt and gives the terminal back', () => {
  const stdin = new FakeStdin();
  const stdout = new FakeStdout();
  const early = paintInstantPrompt({ head: HEAD, prompt: 'lb1>' }, PLAIN_STYLE, stdin as unknown as NodeJS.ReadStream, stdout as unknown as NodeJS.WriteStream);
  early.abandon();
  assert.equal(stdin.raw, false);
  assert.deepEqual(screen(stdout.written), [...HEAD.split('\n'), '']);
  assert.equal(stdin.listenerCount('readable'), 0);
});
