// A log record and its two stderr forms. Pure: the logger (logger.ts) decides where lines go.
//
//   journald (JOURNAL_STREAM set)   <6>commit ok action=commit user=root revisionAfter=8
//   elsewhere                       2026-11-30T13:20:11.123Z info    commit ok action=commit user=root revisionAfter=8
//
// journald stamps its own time, so the journal form carries none; the `<N>` prefix is the sd-daemon convention
// (sd-daemon(3)) that journald turns into the entry's syslog PRIORITY, which `journalctl -p warning` filters on.

export type LogLevel = 'debug' | 'info' | 'warning' | 'error';
/** Structured context of one record: names to JSON-representable values (the logger normalises the rest). */
export type LogFields = Record<string, unknown>;
/** What every daemon module is given: a message at a level, with optional fields. Never throws. */
export type Log = (level: LogLevel, message: string, fields?: LogFields) => void;

export interface LogRecord {
  /** Milliseconds since the epoch. */
  time: number;
  level: LogLevel;
  message: string;
  /** JSON data only (no BigInt, no cycles, errors as {type, message, stack}). */
  fields: LogFields;
}

/** syslog severities (RFC 5424): what journald's PRIORITY and GELF's `level` mean. */
export const SYSLOG_PRIORITY: Readonly<Record<LogLevel, number>> = { error: 3, warning: 4, info: 6, debug: 7 };

/**
 * A field value longer than this is cut on stderr (a commit's whole diff at 10,000 services would be megabytes
 * in one journal line; journald splits lines over LineMax=48K anyway). GELF carries the whole value.
 */
export const STDERR_VALUE_MAX = 1024;

/** `word` stays bare; anything with a space, quote, `=` or a control character is JSON-quoted, so a line parses back. */
export function formatValue(value: unknown, max = STDERR_VALUE_MAX): string {
  let text: string;
  if (typeof value === 'string') text = /^[^\s"=\\\x00-\x1f\x7f]+$/.test(value) ? value : JSON.stringify(value);
  else text = JSON.stringify(value) ?? String(value);
  return text.length > max ? `${text.slice(0, max)}…(${text.length - max} more chars)` : text;
}

/** ` key=value key2=value2` (leading space), in the fields' own order; undefined values are left out. */
export function formatFields(fields: LogFields, max = STDERR_VALUE_MAX): string {
  let out = '';
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) out += ` ${k}=${formatValue(v, max)}`;
  return out;
}

/**
 * The record as stderr lines, each ending in `\n`. A multi-line message (a refused reload lists its located
 * errors) keeps one prefix per line so journald keeps every line at the record's priority; the fields follow
 * the first line, where a reader looks for them.
 */
export function stderrLines(record: LogRecord, journal: boolean): string {
  const lines = record.message.split('\n');
  const head = journal ? `<${SYSLOG_PRIORITY[record.level]}>` : `${new Date(record.time).toISOString()} ${record.level.padEnd(7)} `;
  lines[0] += formatFields(record.fields);
  return lines.map((l) => `${head}${l}\n`).join('');
}
