// Raw terminal input → keys. ink's useInput cannot tell Backspace (0x7f) from Delete (ESC[3~) and hands a
// fast-typed run such as "show ?\r" to its handler as one string, so the TUI decodes the raw chunks itself
// (ink already splits its input into plain-text runs and single escape sequences).

export type Key =
  | { kind: 'insert'; text: string }
  | { kind: 'enter' }
  | { kind: 'tab' }
  | { kind: 'backspace' }
  | { kind: 'delete' }
  | { kind: 'left' }
  | { kind: 'right' }
  | { kind: 'up' }
  | { kind: 'down' }
  | { kind: 'home' }
  | { kind: 'end' }
  | { kind: 'wordLeft' }
  | { kind: 'wordRight' }
  /** Ctrl plus a lower-case letter ('a' … 'z'), or '_' for Ctrl-_. */
  | { kind: 'ctrl'; letter: string }
  /** Alt (Meta) plus a character: 'b', 'f', 'd', or 'backspace'. */
  | { kind: 'meta'; letter: string }
  | { kind: 'escape' }
  | { kind: 'unknown'; sequence: string };

const ESC = '\u001b';

const ESCAPE_SEQUENCES: Record<string, Key> = {
  '[A': { kind: 'up' },
  '[B': { kind: 'down' },
  '[C': { kind: 'right' },
  '[D': { kind: 'left' },
  OA: { kind: 'up' },
  OB: { kind: 'down' },
  OC: { kind: 'right' },
  OD: { kind: 'left' },
  '[H': { kind: 'home' },
  '[F': { kind: 'end' },
  OH: { kind: 'home' },
  OF: { kind: 'end' },
  '[1~': { kind: 'home' },
  '[7~': { kind: 'home' },
  '[4~': { kind: 'end' },
  '[8~': { kind: 'end' },
  '[3~': { kind: 'delete' },
  '[1;5C': { kind: 'wordRight' },
  '[1;5D': { kind: 'wordLeft' },
  '[1;3C': { kind: 'wordRight' },
  '[1;3D': { kind: 'wordLeft' },
};

/** Decodes one chunk of terminal input (possibly several keys) into keys, in order. */
export function decodeKeys(chunk: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < chunk.length) {
    const ch = chunk[i];
    if (ch === ESC) {
      const { key, length } = decodeEscape(chunk, i);
      keys.push(key);
      i += length;
      continue;
    }
    const code = ch.codePointAt(0)!;
    const width = code > 0xffff ? 2 : 1;
    keys.push(decodePlain(chunk.slice(i, i + width), code));
    i += width;
  }
  return keys;
}

function decodePlain(ch: string, code: number): Key {
  if (ch === '\r' || ch === '\n') return { kind: 'enter' };
  if (ch === '\t') return { kind: 'tab' };
  if (code === 0x7f || code === 0x08) return { kind: 'backspace' };
  if (code >= 1 && code <= 26) return { kind: 'ctrl', letter: String.fromCharCode(code + 96) };
  if (code === 0x1f) return { kind: 'ctrl', letter: '_' };
  if (code < 0x20) return { kind: 'unknown', sequence: ch };
  return { kind: 'insert', text: ch };
}

function decodeEscape(chunk: string, start: number): { key: Key; length: number } {
  const rest = chunk.slice(start + 1);
  if (rest === '') return { key: { kind: 'escape' }, length: 1 };
  if (rest[0] === '[' || rest[0] === 'O') {
    // CSI: parameters and intermediates (0x20-0x3f) then one final byte (0x40-0x7e); SS3: one byte.
    let end = 1;
    if (rest[0] === '[') {
      while (end < rest.length && rest.charCodeAt(end) >= 0x20 && rest.charCodeAt(end) <= 0x3f) end++;
    }
    const body = rest.slice(0, end + 1);
    const key = ESCAPE_SEQUENCES[body] ?? { kind: 'unknown' as const, sequence: ESC + body };
    return { key, length: 1 + body.length };
  }
  if (rest[0] === ESC) return { key: { kind: 'escape' }, length: 1 };
  const next = rest[0];
  if (next === '\u007f' || next === '\b') return { key: { kind: 'meta', letter: 'backspace' }, length: 2 };
  return { key: { kind: 'meta', letter: next.toLowerCase() }, length: 2 };
}
