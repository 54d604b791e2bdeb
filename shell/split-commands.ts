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
  let current = '';
  let startLine = 1;
  let line = 1;
  let open = false;
  const flush = () => {
    const text = current.trim();
    if (text !== '' && !isComment(text)) commands.push({ text, line: startLine });
    current = '';
  };
  for (let i = 0; i < script.length; i++) {
    const ch = script[i];
    // A line always ends a command: the grammar ends an unterminated quote at the end of its line too.
    if (ch === '\n' || ch === '\r' || (ch === ';' && !open)) {
      flush();
      open = false;
      if (ch === '\n') line++;
      continue;
    }
    if (current.trim() === '' && ch.trim() !== '') startLine = line;
    current += ch;
    if (open && ch === '\\' && i + 1 < script.length && script[i + 1] !== '\n') {
      current += script[++i];
      continue;
    }
    if (ch === '"') open = !open;
  }
  flush();
  return commands;
}

export function isComment(text: string): boolean {
  return text.startsWith('#') || text.startsWith('!');
}

