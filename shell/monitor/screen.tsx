// The monitor on the terminal: an ink component that owns the alternate screen while it is mounted. It enters
// the alternate screen buffer when mounted and leaves it when unmounted, so the shell's scrollback is exactly as
// it was, and paints each frame of MonitorController whole (cursor home, every line, clear to the end).
//
// It paints with stdout.write rather than through ink's renderer on purpose. ink's renderer is an inline
// live area (log-update): it erases as many lines as it drew last time and draws again where the cursor is, and
// when a frame is as tall as the terminal it clears the terminal and its scrollback (ESC[3J). A frame that
// fills the screen and lives in the alternate buffer needs neither: the component keeps ink for what ink is
// for here (the one owner of stdin and raw mode, React state, effects tied to the view's life) and leaves
// ink's own live area empty while it shows (docs/monitor.md).
import { useEffect, useLayoutEffect, useSyncExternalStore } from 'react';
import { useStdout } from 'ink';
import type { MonitorController } from './controller.js';

const ENTER = '\u001b[?1049h\u001b[?25l\u001b[H\u001b[2J';
const LEAVE = '\u001b[?1049l\u001b[?25h';
// Synchronized output (DEC mode 2026): a terminal that knows it shows the frame at once, without tearing;
// others ignore it.
const BEGIN = '\u001b[?2026h';
const END = '\u001b[?2026l';

/** The bytes that draw `lines` from the top-left corner over whatever the screen showed. */
export function paintFrame(lines: readonly string[]): string {
  return `${BEGIN}\u001b[H${lines.map((l) => `${l}\u001b[K`).join('\r\n')}\u001b[J${END}`;
}

export function MonitorScreen({ monitor }: { monitor: MonitorController }) {
  const { stdout } = useStdout();
  const frame = useSyncExternalStore(monitor.subscribe, monitor.getFrame);

  // Layout effects: the alternate screen is entered before the first paint and left before ink draws anything
  // of the next view (the shell's prompt) in the main screen.
  useLayoutEffect(() => {
    stdout.write(ENTER);
    monitor.start();
    return () => {
      monitor.stop();
      stdout.write(LEAVE);
    };
  }, [monitor, stdout]);

  useLayoutEffect(() => {
    stdout.write(paintFrame(frame.lines));
  }, [frame, stdout]);

  useEffect(() => {
    const onResize = () => monitor.resize(stdout.columns || 80, stdout.rows || 24);
    onResize();
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [monitor, stdout]);

  return null;
}
