// The error forms an operator sees, exactly as IOS prints them (see shared/reference/cli-semantics.md):
//
//   router#show ipvz
//                  ^
//   % Invalid input detected at '^' marker.
//   router#s
//   % Ambiguous command:  "s"
//   router#show
//   % Incomplete command.
//
// The caret line is aligned to what the terminal shows: the prompt, then the line.
import type { ParseError } from './grammar.js';

export const INVALID_INPUT = "% Invalid input detected at '^' marker.";
export const INCOMPLETE = '% Incomplete command.';
export const UNRECOGNIZED = '% Unrecognized command';

export function ambiguous(input: string): string {
  return `% Ambiguous command:  "${input}"`;
}

/**
 * The text of a parse error. `input` is the whole line as typed; `indent` is the prompt's width, so the caret
 * stands under the bad character when printed below `prompt + input`.
 */
export function formatParseError(err: ParseError, input: string, indent: number): string {
  switch (err.kind) {
    case 'invalid': {
      const lines = [' '.repeat(indent + err.column) + '^', INVALID_INPUT];
      if (err.hint) lines.push(err.hint);
      return lines.join('\n');
    }
    case 'ambiguous':
      return [ambiguous(input.trim()), ...err.candidates.map((c) => '  ' + c)].join('\n');
    case 'incomplete':
      return INCOMPLETE;
  }
}

/**
 * Whether a rejection is one of the documented forms (docs/errors.md): the three parse errors above, or a
 * command's refusal: a line starting with "% ", then possibly more "% " lines and the configuration errors behind
 * it, each indented by two spaces (a commit that does not validate, a `load` of a broken file). An internal error
 * (a bug) is not one of them.
 */
export function isDocumentedError(text: string): boolean {
  const lines = text.split('\n');
  if (/^ *\^$/.test(lines[0])) return lines[1] === INVALID_INPUT && lines.length <= 3 && lines.slice(2).every((l) => l.startsWith('% '));
  if (lines[0].startsWith('% Ambiguous command:  "')) return lines.length > 2 && lines.slice(1).every((l) => /^  \S+$/.test(l));
  if (lines.some((l) => l.startsWith('% Internal error'))) return false;
  if (lines.length === 1 && (lines[0] === INCOMPLETE || lines[0] === UNRECOGNIZED)) return true;
  return lines[0].startsWith('% ') && lines.slice(1).every((l) => l.startsWith('% ') || /^  \S/.test(l));
}
