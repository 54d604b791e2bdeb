// Splits a script (`lbctl shell -c 'configure; service web; port 80'`, or a file) into commands: `;` and
// newlines separate commands, except inside "quoted strings" (the grammar's quoting: double quotes, with
// backslash escapes inside); blank commands and comment lines (`#` or `!` at
// the start, as in saved IOS configurations) are dropped.

export interface ScriptCommand {
  text: string;
  /** 1-based line of the script the command starts on. */
  line: number;
}

export function splitCommands(script: string): ScriptCommand[] {
  const commands: ScriptCommand[] = [];
  // The current command is script[start, i), sliced once when it ends: linear time. (Building it a character at
  // a time and trimming it at every character was quadratic: a 1 MB line took minutes.)
  let start = 0;
  let startLine = 1;
  let seenText = false;
  let line = 1;
  let open = false;
  const flush = (end: number) => {
    const text = script.slice(start, end).trim();
    if (text !== '' && !isComment(text)) commands.push({ text, line: startLine });
    seenText = false;
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    // A line always ends a command: the grammar ends an unterminated quote at the end of its line too.
    if (ch === '\n' || ch === '\r' || (ch === ';' && !open)) {
      flush(i);
      start = i + 1;
      open = false;
      if (ch === '\n') line++;
      continue;
    }
    if (!seenText && ch.trim() !== '') {
      seenText = true;
      startLine = line;
    }
    // An escaped character (a quote inside a quoted string) stays in the text but toggles nothing.
    if (open && ch === '\\' && i + 1 < script.length && script[i + 1] !== '\n') {
      i++;
      continue;
    }
    if (ch === '"') open = !open;
  }
  flush(script.length);
  return commands;
}

export function isComment(text: string): boolean {
  return text.startsWith('#') || text.startsWith('!');
}

