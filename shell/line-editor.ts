// The line editor as a pure reducer: (state, key) → new state plus at most one effect for the face to carry
// out (run the line, complete it, show help …). No I/O here, so every key binding is tested directly.
import type { Key } from './keys.js';
// The grammar's own tokenizer rule, so `?` is literal exactly where the parser will see a quoted string.
import { endsInOpenQuote } from '../completion/words.js';

export interface SearchState {
  query: string;
  /** Index into history of the current match, or null when nothing matched yet. */
  match: number | null;
  failed: boolean;
  /** The line and cursor before the search began, restored on cancel. */
  originalLine: string;
  originalCursor: number;
}

export interface EditorState {
  line: string;
  /** 0 … line.length. */
  cursor: number;
  /** Oldest first. */
  history: readonly string[];
  /** Position while browsing history with Up/Down; null = on the fresh line. */
  historyIndex: number | null;
  /** The fresh line, kept while browsing history. */
  draft: string;
  search: SearchState | null;
  /** Text removed by the last kill (Ctrl-K/U/W, Alt-D), for Ctrl-Y. */
  killed: string;
}

export type EditorEffect =
  /** Enter: run this line. */
  | { kind: 'submit'; line: string }
  /** TAB: complete the text before the cursor. */
  | { kind: 'complete'; before: string; after: string }
  /** `?` outside quotes: show help for the text before the cursor. */
  | { kind: 'help'; before: string }
  /** Ctrl-C: the line was dropped. */
  | { kind: 'interrupt'; line: string }
  /** Ctrl-D on an empty line. */
  | { kind: 'eof' }
  /** Ctrl-Z: go back to exec; the controller runs `line` first when it holds a command (IOS). */
  | { kind: 'suspend'; line: string };

export interface EditorOptions {
  /** `?` asks for help (off while answering a question: then `?` is just a character). */
  helpKey: boolean;
  /** TAB asks for completion (off while answering a question). */
  completion: boolean;
  /** Submitted lines join the history (off for answers to questions). */
  recordHistory: boolean;
  /** Most lines kept in the in-memory history. */
  historyLimit: number;
}

export const DEFAULT_EDITOR_OPTIONS: EditorOptions = {
  helpKey: true,
  completion: true,
  recordHistory: true,
  historyLimit: 1000,
};

export interface EditorStep {
  state: EditorState;
  effect?: EditorEffect;
}

export function initialEditorState(history: readonly string[] = []): EditorState {
  return { line: '', cursor: 0, history, historyIndex: null, draft: '', search: null, killed: '' };
}

/** Adds a line to a history, skipping blank lines and repeats of the newest entry, bounded to `limit`. */
export function addToHistory(history: readonly string[], line: string, limit: number): readonly string[] {
  if (line.trim() === '' || history[history.length - 1] === line) return history;
  const next = [...history, line];
  return next.length > limit ? next.slice(next.length - limit) : next;
}

/** Replaces the line and puts the cursor at its end (e.g. after completion). */
export function setLine(state: EditorState, line: string, cursor = line.length): EditorState {
  return { ...state, line, cursor: Math.max(0, Math.min(cursor, line.length)) };
}

export function reduceKey(state: EditorState, key: Key, options: EditorOptions = DEFAULT_EDITOR_OPTIONS): EditorStep {
  if (state.search) return reduceSearchKey(state, state.search, key, options);
  return reduceEditKey(state, key, options);
}

function reduceEditKey(state: EditorState, key: Key, options: EditorOptions): EditorStep {
  const { line, cursor } = state;
  switch (key.kind) {
    case 'insert':
      if (key.text === '?' && options.helpKey && !endsInOpenQuote(line.slice(0, cursor))) {
        return { state, effect: { kind: 'help', before: line.slice(0, cursor) } };
      }
      return { state: insert(state, key.text) };
    case 'enter':
      return submit(state, options);
    case 'tab':
      if (!options.completion) return { state };
      return { state, effect: { kind: 'complete', before: line.slice(0, cursor), after: line.slice(cursor) } };
    case 'backspace':
      if (cursor === 0) return { state };
      return { state: { ...state, line: line.slice(0, cursor - 1) + line.slice(cursor), cursor: cursor - 1 } };
    case 'delete':
      return { state: deleteForward(state) };
    case 'left':
      return { state: { ...state, cursor: Math.max(0, cursor - 1) } };
    case 'right':
      return { state: { ...state, cursor: Math.min(line.length, cursor + 1) } };
    case 'home':
      return { state: { ...state, cursor: 0 } };
    case 'end':
      return { state: { ...state, cursor: line.length } };
    case 'wordLeft':
      return { state: { ...state, cursor: wordStartBefore(line, cursor) } };
    case 'wordRight':
      return { state: { ...state, cursor: wordEndAfter(line, cursor) } };
    case 'up':
      return { state: historyPrevious(state) };
    case 'down':
      return { state: historyNext(state) };
    case 'ctrl':
      return reduceCtrl(state, key.letter, options);
    case 'meta':
      return { state: reduceMeta(state, key.letter) };
    case 'escape':
    case 'unknown':
      return { state };
  }
}

function reduceCtrl(state: EditorState, letter: string, options: EditorOptions): EditorStep {
  const { line, cursor } = state;
  switch (letter) {
    case 'a':
      return { state: { ...state, cursor: 0 } };
    case 'e':
      return { state: { ...state, cursor: line.length } };
    case 'b':
      return { state: { ...state, cursor: Math.max(0, cursor - 1) } };
    case 'f':
      return { state: { ...state, cursor: Math.min(line.length, cursor + 1) } };
    case 'k':
      return { state: { ...state, line: line.slice(0, cursor), killed: line.slice(cursor) } };
    case 'u':
      return { state: { ...state, line: line.slice(cursor), cursor: 0, killed: line.slice(0, cursor) } };
    case 'w': {
      // unix-word-rubout: back over spaces, then over non-spaces.
      let start = cursor;
      while (start > 0 && line[start - 1] === ' ') start--;
      while (start > 0 && line[start - 1] !== ' ') start--;
      return {
        state: { ...state, line: line.slice(0, start) + line.slice(cursor), cursor: start, killed: line.slice(start, cursor) },
      };
    }
    case 'y':
      return { state: insert(state, state.killed) };
    case 'p':
      return { state: historyPrevious(state) };
    case 'n':
      return { state: historyNext(state) };
    case 'h':
      return reduceEditKey(state, { kind: 'backspace' }, options);
    case 'd':
      if (line === '') return { state, effect: { kind: 'eof' } };
      return { state: deleteForward(state) };
    case 'c':
      return { state: cleared(state), effect: { kind: 'interrupt', line } };
    case 'z':
      return { state: cleared(state), effect: { kind: 'suspend', line } };
    case 'r':
      if (state.history.length === 0) return { state };
      return {
        state: {
          ...state,
          search: { query: '', match: null, failed: false, originalLine: line, originalCursor: cursor },
        },
      };
    case 'm':
    case 'j':
      return submit(state, options);
    case 'i':
      return reduceEditKey(state, { kind: 'tab' }, options);
    default:
      return { state };
  }
}

function reduceMeta(state: EditorState, letter: string): EditorState {
  const { line, cursor } = state;
  switch (letter) {
    case 'b':
      return { ...state, cursor: wordStartBefore(line, cursor) };
    case 'f':
      return { ...state, cursor: wordEndAfter(line, cursor) };
    case 'd': {
      const end = wordEndAfter(line, cursor);
      return { ...state, line: line.slice(0, cursor) + line.slice(end), killed: line.slice(cursor, end) };
    }
    case 'backspace': {
      const start = wordStartBefore(line, cursor);
      return { ...state, line: line.slice(0, start) + line.slice(cursor), cursor: start, killed: line.slice(start, cursor) };
    }
    default:
      return state;
  }
}

// Reverse incremental search (Ctrl-R), as in readline: typed characters narrow the query, Ctrl-R again finds
// an older match, Enter runs the match, Ctrl-G/Escape restores the line, any editing key keeps the match and
// then acts on it.
function reduceSearchKey(state: EditorState, search: SearchState, key: Key, options: EditorOptions): EditorStep {
  if (key.kind === 'insert') return { state: searchFrom(state, search.query + key.text, startIndex(state, search)) };
  if (key.kind === 'backspace') {
    return { state: searchFrom(state, search.query.slice(0, -1), state.history.length - 1) };
  }
  if (key.kind === 'ctrl' && key.letter === 'r') {
    if (search.query === '') return { state };
    const from = search.match === null ? state.history.length - 1 : search.match - 1;
    const found = findMatch(state.history, search.query, from);
    if (found === null) return { state: { ...state, search: { ...search, failed: true } } };
    return { state: showMatch(state, search, search.query, found) };
  }
  if ((key.kind === 'ctrl' && key.letter === 'g') || key.kind === 'escape') {
    return {
      state: { ...state, line: search.originalLine, cursor: search.originalCursor, search: null },
    };
  }
  const accepted: EditorState = { ...state, search: null, historyIndex: null };
  if (key.kind === 'ctrl' && key.letter === 'c') {
    return { state: cleared(accepted), effect: { kind: 'interrupt', line: state.line } };
  }
  return reduceEditKey(accepted, key, options);
}

function startIndex(state: EditorState, search: SearchState): number {
  return search.match ?? state.history.length - 1;
}

function searchFrom(state: EditorState, query: string, from: number): EditorState {
  const search = state.search!;
  if (query === '') {
    return { ...state, search: { ...search, query, match: null, failed: false } };
  }
  const found = findMatch(state.history, query, from);
  if (found === null) return { ...state, search: { ...search, query, failed: true } };
  return showMatch(state, search, query, found);
}

function showMatch(state: EditorState, search: SearchState, query: string, index: number): EditorState {
  const entry = state.history[index];
  return {
    ...state,
    line: entry,
    cursor: entry.lastIndexOf(query),
    search: { ...search, query, match: index, failed: false },
  };
}

/** The newest history index at or before `from` whose entry contains `query`. */
export function findMatch(history: readonly string[], query: string, from: number): number | null {
  for (let i = Math.min(from, history.length - 1); i >= 0; i--) {
    if (history[i].includes(query)) return i;
  }
  return null;
}

function submit(state: EditorState, options: EditorOptions): EditorStep {
  const history = options.recordHistory ? addToHistory(state.history, state.line, options.historyLimit) : state.history;
  return { state: { ...cleared(state), history }, effect: { kind: 'submit', line: state.line } };
}

function cleared(state: EditorState): EditorState {
  return { ...state, line: '', cursor: 0, historyIndex: null, draft: '', search: null };
}

function insert(state: EditorState, text: string): EditorState {
  const { line, cursor } = state;
  return { ...state, line: line.slice(0, cursor) + text + line.slice(cursor), cursor: cursor + text.length };
}

function deleteForward(state: EditorState): EditorState {
  const { line, cursor } = state;
  if (cursor >= line.length) return state;
  return { ...state, line: line.slice(0, cursor) + line.slice(cursor + 1) };
}

function historyPrevious(state: EditorState): EditorState {
  if (state.history.length === 0) return state;
  if (state.historyIndex === null) {
    const index = state.history.length - 1;
    return recall(state, index, state.line);
  }
  if (state.historyIndex === 0) return state;
  return recall(state, state.historyIndex - 1, state.draft);
}

function historyNext(state: EditorState): EditorState {
  if (state.historyIndex === null) return state;
  if (state.historyIndex >= state.history.length - 1) {
    return { ...state, line: state.draft, cursor: state.draft.length, historyIndex: null, draft: '' };
  }
  return recall(state, state.historyIndex + 1, state.draft);
}

function recall(state: EditorState, index: number, draft: string): EditorState {
  const line = state.history[index];
  return { ...state, line, cursor: line.length, historyIndex: index, draft };
}

const isWordChar = (ch: string | undefined): boolean => ch !== undefined && /[A-Za-z0-9]/.test(ch);

/** Alt-B: to the start of the word before the cursor (skipping separators first). */
export function wordStartBefore(line: string, cursor: number): number {
  let i = cursor;
  while (i > 0 && !isWordChar(line[i - 1])) i--;
  while (i > 0 && isWordChar(line[i - 1])) i--;
  return i;
}

/** Alt-F: to the end of the word after the cursor (skipping separators first). */
export function wordEndAfter(line: string, cursor: number): number {
  let i = cursor;
  while (i < line.length && !isWordChar(line[i])) i++;
  while (i < line.length && isWordChar(line[i])) i++;
  return i;
}
