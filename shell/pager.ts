// The `--More--` pager as pure steps: which lines to show now, and what remains. Space shows the next page,
// Enter the next line; any other key drops the rest (IOS). The caller gives a key other than q or Ctrl-C/Z to
// the prompt that follows, so text typed ahead is not lost.

export interface PagerState {
  lines: readonly string[];
  /** Index of the first line not shown yet. */
  next: number;
  /** Lines per page (the terminal length minus the `--More--` line). */
  pageSize: number;
}

export interface PagerStep {
  show: string[];
  /** null when the output is finished (all shown, or quit). */
  pager: PagerState | null;
}

export type PagerKey = 'page' | 'line' | 'quit' | 'other';

/** Splits output into lines (a final newline does not make an empty last line). */
export function outputLines(text: string): string[] {
  if (text === '') return [];
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  return body.split('\n');
}

/**
 * Starts showing output on a terminal of `terminalLength` lines (0 = no pager). Output that fits with its
 * next prompt is shown at once; longer output shows one page and waits.
 */
export function startPager(text: string, terminalLength: number): PagerStep {
  const lines = outputLines(text);
  const pageSize = Math.max(1, terminalLength - 1);
  if (terminalLength <= 0 || lines.length <= pageSize) return { show: lines, pager: null };
  return advance({ lines, next: 0, pageSize }, pageSize);
}

export function pagerKey(state: PagerState, key: PagerKey): PagerStep {
  switch (key) {
    case 'page':
      return advance(state, state.pageSize);
    case 'line':
      return advance(state, 1);
    case 'quit':
    case 'other':
      return { show: [], pager: null };
  }
}

function advance(state: PagerState, count: number): PagerStep {
  const end = Math.min(state.lines.length, state.next + count);
  const show = state.lines.slice(state.next, end);
  return { show, pager: end >= state.lines.length ? null : { ...state, next: end } };
}
