// `lbctl monitor` on a terminal: the monitor alone, as its own ink app (the shell shows the same component
// inside its own app instead: shell/tui/app.tsx). Resolves when the operator quits.
import { useEffect } from 'react';
import { render, useStdin } from 'ink';
import { decodeKeys } from '../keys.js';
import type { MonitorFeed } from '../../present/monitor/rows.js';
import { MonitorController } from './controller.js';
import { MonitorScreen } from './screen.js';

function MonitorApp({ monitor }: { monitor: MonitorController }) {
  const { setRawMode, internal_eventEmitter } = useStdin();
  useEffect(() => {
    // Raw chunks, as the shell reads them: one decoder for keys everywhere.
    setRawMode(true);
    const onInput = (chunk: string) => {
      for (const k of decodeKeys(chunk)) if (monitor.key(k)) break;
    };
    internal_eventEmitter.on('input', onInput);
    return () => {
      internal_eventEmitter.removeListener('input', onInput);
      setRawMode(false);
    };
  }, [monitor, setRawMode, internal_eventEmitter]);
  return <MonitorScreen monitor={monitor} />;
}

export async function runMonitor(feed: MonitorFeed, io: { stdin?: NodeJS.ReadStream; stdout?: NodeJS.WriteStream } = {}): Promise<number> {
  const stdin = io.stdin ?? process.stdin;
  const stdout = io.stdout ?? process.stdout;
  let quit!: () => void;
  const done = new Promise<void>((r) => (quit = r));
  const monitor = new MonitorController(feed, { width: stdout.columns || 80, height: stdout.rows || 24, onQuit: () => quit() });
  // Ctrl-C quits through the monitor (which restores the screen), not through ink's exit.
  const app = render(<MonitorApp monitor={monitor} />, { stdin, stdout, exitOnCtrlC: false, patchConsole: true });
  const onHangUp = () => quit();
  process.on('SIGHUP', onHangUp);
  await done;
  process.off('SIGHUP', onHangUp);
  app.unmount();
  await app.waitUntilExit().catch(() => undefined);
  return 0;
}
