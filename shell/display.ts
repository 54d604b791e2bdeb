// Text the faces print around the session's own output: `?` help lists, TAB candidate lists, error carets
// lined up under the typed line, and the colour scheme (chalk, off when not a TTY or with NO_COLOR).
import { Chalk, supportsColor, type ChalkInstance } from 'chalk';
import type { HelpEntry } from './session-api.js';

/** `?` output, IOS style: two spaces, the token padded to the widest one, then its help. */
export function formatHelp(entries: readonly HelpEntry[]): string[] {
  const width = Math.max(0, ...entries.map((e) => e.token.length));
  return entries.map((e) => (e.help ? `  ${e.token.padEnd(width)}  ${e.help}` : `  ${e.token}`).trimEnd());
}

/** TAB candidates in columns that fit the terminal width, filled row by row. */
export function formatCandidates(candidates: readonly string[], width: number): string[] {
  if (candidates.length === 0) return [];
  const cell = Math.max(...candidates.map((c) => c.length)) + 2;
  const perRow = Math.max(1, Math.floor(Math.max(1, width) / cell));
  const rows: string[] = [];
  for (let i = 0; i < candidates.length; i += perRow) {
    rows.push(
      candidates
        .slice(i, i + perRow)
        .map((c) => c.padEnd(cell))
        .join('')
        .trimEnd(),
    );
  }
  return rows;
}

const CARET_LINE = /^ *\^ *$/;

/**
 * The session places the caret of `% Invalid input detected at '^' marker.` under the offending character of
 * the command line itself; the faces print that line after a prompt (or a `% command N: ` label), so the
 * caret moves right by that width.
 */
export function alignCaret(error: string, offset: number): string {
  if (offset <= 0) return error;
  const pad = ' '.repeat(offset);
  return error
    .split('\n')
    .map((l) => (CARET_LINE.test(l) ? pad + l : l))
    .join('\n');
}

export interface Style {
  prompt(s: string): string;
  error(s: string): string;
  more(s: string): string;
  notice(s: string): string;
  banner(s: string): string;
  role(s: string): string;
}

/** Colour is on only for a TTY, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function colourEnabled(isTTY: boolean, env: NodeJS.ProcessEnv): boolean {
  return isTTY && !(env.NO_COLOR !== undefined && env.NO_COLOR !== '');
}

export function makeStyle(enabled: boolean): Style {
  const level = enabled ? (supportsColor ? supportsColor.level : 1) || 1 : 0;
  const c: ChalkInstance = new Chalk({ level });
  return {
    prompt: (s) => c.bold(s),
    error: (s) => c.red(s),
    more: (s) => c.inverse(s),
    notice: (s) => c.yellow(s),
    banner: (s) => c.cyan(s),
    role: (s) => (s.includes('master') ? c.green.bold(s) : c.yellow.bold(s)),
  };
}

export const PLAIN_STYLE: Style = makeStyle(false);
