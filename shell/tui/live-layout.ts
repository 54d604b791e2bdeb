// Where the live area's characters and the cursor fall on the terminal: the role line, then the prompt line
// broken into rows. Shared by the ink face (app.tsx) and the first prompt painted before ink loads
// (early-prompt.ts), so that the two draw the same thing in the same place.
import type { LiveView } from './controller.js';
import type { Style } from '../display.js';

export interface LiveLayout {
  /** The prompt line broken into terminal rows (hard wrap, so the cursor position is exact). */
  rows: string[];
  promptLength: number;
  /** Relative to the start of the live area; undefined hides the cursor. */
  cursor: { x: number; y: number } | undefined;
}

export const EMPTY_LAYOUT: LiveLayout = { rows: [], promptLength: 0, cursor: undefined };

/** Where the prompt line's characters and the cursor fall on a terminal `width` columns wide. */
export function layoutLive(live: LiveView, width: number): LiveLayout {
  const top = live.roleLine !== null ? 1 : 0;
  if (live.mode === 'busy' || live.mode === 'exited' || live.mode === 'monitor') return { rows: [], promptLength: 0, cursor: undefined };
  if (live.mode === 'more') {
    return { rows: ['--More--'], promptLength: 0, cursor: { x: 9, y: top } };
  }
  const prompt = live.search
    ? `(${live.search.failed ? 'failing ' : ''}reverse-i-search)\`${live.search.query}': `
    : live.prompt;
  const text = prompt + live.line;
  const rows: string[] = [];
  for (let i = 0; i < text.length; i += width) rows.push(text.slice(i, i + width));
  if (rows.length === 0) rows.push('');
  const at = prompt.length + live.cursor;
  if (at === text.length && at > 0 && at % width === 0) rows.push('');
  return {
    rows,
    promptLength: live.search ? 0 : prompt.length,
    cursor: { x: at % width, y: top + Math.floor(at / width) },
  };
}

/** The live rows as text, the prompt in bold (or `--More--` in reverse video). */
export function styleFirstRow(rows: string[], promptLength: number, style: Style): string {
  if (rows[0] === '--More--') return style.more('--More--');
  const first = rows[0];
  if (promptLength === 0 || promptLength > first.length) return rows.join('\n');
  return [style.prompt(first.slice(0, promptLength)) + first.slice(promptLength), ...rows.slice(1)].join('\n');
}
