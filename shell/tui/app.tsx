// The ink face: finished output is written once above the live area and left to the terminal's scrollback;
// only the role line and the prompt line are live. All behaviour lives in ShellController; this renders it.
//
// Finished output goes through ink's useStdout().write rather than <Static>: <Static> lays every finished
// line out through yoga and ink's character grid and keeps a copy of the whole session; a 60,000-line
// `show running-config` with `terminal length 0` took 25 s to appear that way and 0.8 s with write(), which
// clears the live area, writes the text and redraws the live area below it (the same visible result).
import { useEffect, useLayoutEffect, useRef, useState, useSyncExternalStore } from 'react';
import { Box, Text, useCursor, useStdin, useStdout } from 'ink';
import { decodeKeys } from '../keys.js';
import type { Style } from '../display.js';
import type { ShellController } from './controller.js';
import { EMPTY_LAYOUT, layoutLive, styleFirstRow } from './live-layout.js';

export { layoutLive, type LiveLayout } from './live-layout.js';
import { MonitorScreen } from '../monitor/screen.js';

export interface ShellAppProps {
  controller: ShellController;
  style: Style;
  /** The id of the last scrollback item already on the screen (written before ink took over: early-prompt.ts). */
  writtenUpTo?: number;
}

export function ShellApp({ controller, style, writtenUpTo = -1 }: ShellAppProps) {
  const snapshot = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const { stdout, write } = useStdout();
  const lastWritten = useRef(writtenUpTo);
  const [, setWrittenUpTo] = useState(-1);
  const { setRawMode, internal_eventEmitter } = useStdin();
  const { setCursorPosition } = useCursor();
  const width = Math.max(1, stdout.columns || 80);

  useEffect(() => {
    // Raw chunks rather than useInput: useInput reports Backspace and Delete alike and hands a fast-typed run
    // ("show ?\r") over as one string; decodeKeys turns every chunk into keys, in order.
    setRawMode(true);
    const onInput = (chunk: string) => controller.feed(decodeKeys(chunk));
    internal_eventEmitter.on('input', onInput);
    // The first prompt appears only now that keys are read raw: what an operator (or a test) types as soon as
    // the prompt shows is never lost to the terminal's line discipline.
    controller.start();
    return () => {
      internal_eventEmitter.removeListener('input', onInput);
      setRawMode(false);
    };
  }, [controller, setRawMode, internal_eventEmitter]);

  useEffect(() => {
    const onResize = () => controller.resize(stdout.columns || 80, stdout.rows || 24);
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [controller, stdout]);

  // New finished items are written in order above the live area; while some are unwritten, the live area is
  // drawn empty, and drawn for real only after the write (so `--More--` or a prompt never shows above the
  // output it belongs under, not even for one frame).
  const unwritten = snapshot.items.length > 0 && snapshot.items[snapshot.items.length - 1].id > lastWritten.current;
  useLayoutEffect(() => {
    const fresh = snapshot.items.filter((i) => i.id > lastWritten.current);
    if (fresh.length === 0) return;
    lastWritten.current = fresh[fresh.length - 1].id;
    write(fresh.map((i) => i.text + '\n').join(''));
    setWrittenUpTo(lastWritten.current);
  }, [snapshot.items, write]);

  const live = unwritten ? EMPTY_LAYOUT : layoutLive(snapshot.live, width);
  setCursorPosition(live.cursor);

  // A live view (`monitor`) owns the alternate screen while it shows; ink's own live area stays empty meanwhile.
  if (snapshot.live.monitor) return <MonitorScreen monitor={snapshot.live.monitor} />;

  return (
    <Box flexDirection="column">
      {!unwritten && snapshot.live.roleLine !== null && <Text>{style.role(snapshot.live.roleLine)}</Text>}
      {live.rows.length > 0 && <Text>{styleFirstRow(live.rows, live.promptLength, style)}</Text>}
    </Box>
  );
}
