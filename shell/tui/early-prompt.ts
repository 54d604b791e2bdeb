// The first prompt, painted before ink and react are loaded. Loading them takes most of a second on a busy
// machine (ink's layout engine is WebAssembly), several times what the session needs to open; so the shell
// starts its controller at once, writes the banner and the prompt with plain escape sequences, and keeps what
// the operator types (echoing plain characters) until the ink face takes over the same screen. Nothing typed
// is lost or reordered: the keys go to the controller, in order, when ink is there to show what they do.
import type { TerminalController } from './make-controller.js';
import { layoutLive, styleFirstRow } from './live-layout.js';

const ERASE_LINE = '\r\x1b[2K';
const UP = '\x1b[1A';

export interface EarlyPrompt {
  /**
   * Stops painting and reading, and clears the live area (role line and prompt) so that ink draws its own in
   * the same place. Returns the keys typed meanwhile (raw, undecoded) and the last scrollback item written.
   */
  handOver(): { typed: string; writtenUpTo: number };
}

export function paintFirstPrompt(face: TerminalController, stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): EarlyPrompt {
  const { controller, style } = face;
  const width = Math.max(1, stdout.columns || 80);
  let writtenUpTo = -1;
  let liveRows = 0;
  let typed = '';
  // Plain characters are echoed after the prompt; after anything else (an arrow, TAB, Enter) the echo stops and
  // ink shows the outcome when it arrives.
  let echo = '';
  let echoing = true;

  const paint = () => {
    const { items, live } = controller.getSnapshot();
    let out = clearLive();
    for (const item of items) if (item.id > writtenUpTo) out += item.text + '\n';
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

  // Raw before the prompt shows, so that nothing typed after it waits for Enter in the line discipline.
  stdin.setRawMode?.(true);
  stdin.on('readable', onReadable);
  const unsubscribe = controller.subscribe(paint);
  controller.start();
  paint();
  return {
    handOver() {
      unsubscribe();
      stdin.off('readable', onReadable);
      stdout.write(clearLive());
      liveRows = 0;
      return { typed, writtenUpTo };
    },
  };
}
