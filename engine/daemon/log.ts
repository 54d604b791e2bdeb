// The daemon's log lines, until structured logging lands: one line per event on stderr. Under systemd
// (JOURNAL_STREAM set) each line starts with the sd-daemon priority prefix (<3> error, <4> warning, <6> info)
// that journald turns into the syslog priority; elsewhere with an ISO time and the level word.
export type LogLevel = 'info' | 'warning' | 'error';
export type Log = (level: LogLevel, message: string) => void;

const PRIORITY: Record<LogLevel, number> = { error: 3, warning: 4, info: 6 };

export function stderrLog(opts: { journal: boolean; write?: (line: string) => void; now?: () => Date }): Log {
  const write = opts.write ?? ((line: string) => void process.stderr.write(line));
  const now = opts.now ?? (() => new Date());
  return (level, message) => {
    // One record per line: a multi-line message (located errors) keeps its lines together under one prefix each.
    for (const line of message.split('\n')) {
      write(opts.journal ? `<${PRIORITY[level]}>${line}\n` : `${now().toISOString()} ${level.padEnd(7)} ${line}\n`);
    }
  };
}
