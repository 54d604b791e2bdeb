// Splitting an input line into words, remembering where each starts so errors can put a caret under it.
// Double quotes group a word ("a b"), with \" and \\ escapes; an unterminated quote runs to the end of line
// (the operator is still typing it: completion and `?` must not fail on it).

export interface Word {
  /** The word's value, quotes removed. */
  text: string;
  /** Column of the first character (the opening quote when quoted) in the line. */
  start: number;
  /** Column just past the last character. */
  end: number;
  quoted: boolean;
}

export function splitWords(line: string): Word[] {
  const words: Word[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && isSpace(line[i])) i++;
    if (i >= line.length) break;
    const start = i;
    let text = '';
    let quoted = false;
    while (i < line.length && !isSpace(line[i])) {
      if (line[i] === '"') {
        quoted = true;
        i++;
        while (i < line.length && line[i] !== '"') {
          if (line[i] === '\\' && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === '\\')) i++;
          text += line[i++];
        }
        if (i < line.length) i++; // closing quote
      } else {
        text += line[i++];
      }
    }
    words.push({ text, start, end: i, quoted });
  }
  return words;
}

export function isSpace(c: string): boolean {
  return c === ' ' || c === '\t';
}

/** True when the line ends inside a word (no trailing blank): `?` and TAB then work on a partial word. */
export function endsInWord(line: string): boolean {
  return line.length > 0 && (!isSpace(line[line.length - 1]) || endsInOpenQuote(line));
}

/** Whether the line ends inside an unterminated quote (then a trailing blank is part of the word). */
export function endsInOpenQuote(line: string): boolean {
  let open = false;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '\\' && open) {
      i++;
      continue;
    }
    if (line[i] === '"') open = !open;
  }
  return open;
}

/**
 * Quote a value for a command line when it holds blanks, quotes, pipes or `;` (the inverse of splitWords; `;`
 * because scripts separate commands with it outside quotes).
 */
export function quoteWord(value: string): string {
  if (value.length > 0 && !/[\s"\\|;]/.test(value)) return value;
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/**
 * Split a line at `|` characters outside quotes: the command, then each pipe stage, with their column offsets.
 */
export function splitPipes(line: string): { text: string; offset: number }[] {
  const parts: { text: string; offset: number }[] = [];
  let open = false;
  let from = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '\\' && open) {
      i++;
      continue;
    }
    if (c === '"') open = !open;
    else if (c === '|' && !open) {
      parts.push({ text: line.slice(from, i), offset: from });
      from = i + 1;
    }
  }
  parts.push({ text: line.slice(from), offset: from });
  return parts;
}
