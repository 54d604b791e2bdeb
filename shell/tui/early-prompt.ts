// The first prompt, painted before ink and react are loaded, and when it can be, before the session has opened.
// Loading ink takes most of a second on a busy machine (its layout engine is WebAssembly), and opening the
// session a few hundred milliseconds more (first-screen.ts). So the shell paints with plain escape sequences:
//  1. before the session opens, the banner's head and the exec prompt (paintInstantPrompt, from first-screen.ts);
//  2. once the session has opened, what its controller shows: the rest of the banner, the notices, the prompt
//     (attach; the head already on the screen is not repeated);
//  3. once ink has loaded, ink takes over the same screen (handOver).
// The operator may type from the first moment: plain characters are echoed after the prompt, and every key is
// kept, raw, until ink is there to give it to the controller. Nothing typed is lost or reordered.
import type { TerminalController } from './make-controller.js';
import type { ShellController, Snapshot } from './controller.js';
import type { Style } from '../display.js';
import type { FirstScreen } from '../first-screen.js';
import { layoutLive, styleFirstRow } from './live-layout.js';

const ERASE_LINE = '\r\x1b[2K';
const UP = '\x1b[1A';

export interface EarlyPrompt {
  /** The session has opened: its controller is started and paints from now on. */
  attach(face: TerminalController): void;
  /**
   * Stops painting and reading, and clears the live area (role line and prompt) so that ink draws its own in
   * the same place. Returns the keys typed meanwhile (raw, undecoded) and the last scrollback item written.
   */
  handOver(): { typed: string; writtenUpTo: number };
  /** The session could not open: stop reading, clear the prompt and give the terminal back its line discipline. */
  abandon(): void;
}

/** The banner's head and the exec prompt, before the session opens; `attach` the controller once it has. */
export function paintInstantPrompt(first: FirstScreen, style: Style, stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): EarlyPrompt {
  return startEarlyPrompt(style, stdin, stdout, first);
}

/** The prompt of an open session, before ink has loaded. */
export function paintFirstPrompt(face: TerminalController, stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): EarlyPrompt {
  const early = startEarlyPrompt(face.style, stdin, stdout, null);
  early.attach(face);
  return early;
}

function startEarlyPrompt(style: Style, stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream, first: FirstScreen | null): EarlyPrompt {
  const width = Math.max(1, stdout.columns || 80);
  let controller: ShellController | null = null;
  let unsubscribe = () => {};
  let writtenUpTo = -1;
  let liveRows = 0;
  let typed = '';
  // Plain characters are echoed after the prompt; after anything else (an arrow, TAB, Enter) the echo stops and
  // ink shows the outcome when it arrives.
  let echo = '';
  let echoing = true;
  // The banner's head as painted before the session opened: the controller's first item (its banner) starts with
  // it, and only the rest is written. Should the session say otherwise (a revision committed meanwhile), its
  // banner is written whole: a line twice is better than a wrong one.
  let headOnScreen: string | null = null;

  const snapshot = (): Snapshot =>
    controller
      ? controller.getSnapshot()
      : { items: [], live: { mode: 'edit', roleLine: null, prompt: first!.prompt, line: '', cursor: 0, search: null } };

  /** What of an item is still to be written (null: nothing, the item is on the screen already). */
  const unwritten = (text: string): string | null => {
    const head = headOnScreen;
    headOnScreen = null;
    if (head === null) return text;
    if (text === head) return null;
    return text.startsWith(head + '\n') ? text.slice(head.length + 1) : text;
  };

  const paint = () => {
    const { items, live } = snapshot();
    let out = clearLive();
    for (const item of items) {
      if (item.id <= writtenUpTo) continue;
      const text = unwritten(item.text);
      if (text !== null) out += text + '\n';
    }
    writtenUpTo = items.length ? items[items.length - 1].id : writtenUpTo;
    const layout = layoutLive({ ...live, line: echo, cursor: echo.length }, width);
    const rows = [...(live.roleLine !== null ? [style.role(live.roleLine)] : []), ...(layout.rows.length ? [styleFirstRow(layout.rows, layout.promptLength, style)] : [])];
    out += rows.join('\n');
    liveRows = live.roleLine !== null ? 1 + layout.rows.length : layout.rows.length;
    stdout.write(out);
  };
  const clearLive = () => (liveRows === 0 ? '' : ERASE_LINE + (UP + ERASE_LINE).repeat(liveRows - 1));
  // Read as ink reads ('readable', then read()): when ink's listener replaces this one, what arrived in between
  // waits in the stream for it. (A paused stream that had 'data' listeners delivered nothing to ink.)
  const onReadable = () => {
    for (let chunk = stdin.read() as Buffer | string | null; chunk !== null; chunk = stdin.read() as Buffer | string | null) {
      const text = chunk.toString();
      typed += text;
      if (echoing && /^[\x20-\x7e]+$/.test(text)) echo += text;
      else echoing = false;
    }
    paint();
  };
  const stop = () => {
    unsubscribe();
    stdin.off('readable', onReadable);
    stdout.write(clearLive());
    liveRows = 0;
  };

  // Raw before the prompt shows, so that nothing typed after it waits for Enter in the line discipline.
  stdin.setRawMode?.(true);
  stdin.on('readable', onReadable);
  if (first) {
    headOnScreen = style.banner(first.head);
    stdout.write(headOnScreen + '\n');
    paint();
  }
  return {
    attach(face) {
      controller = face.controller;
      unsubscribe = controller.subscribe(paint);
      controller.start();
      paint();
    },
    handOver() {
      stop();
      return { typed, writtenUpTo };
    },
    abandon() {
      stop();
      stdin.setRawMode?.(false);
      stdin.pause();
    },
  };
}
