// The documented forms of a rejection (docs/errors.md), as predicates the fuzz runner holds every outcome to.
// A form names what an operator can rely on; anything else that reaches stdout or stderr is a finding.
import { isDocumentedError } from '../../completion/errors.js';
import { type ConfigError, errorSummary, formatConfigError } from '../../config/errors.js';
import type { LoadResult } from '../../config/load.js';
import { escapeControls } from '../../present/visible.js';

/** What must never reach an operator: a stack frame, a bug's own label, a JavaScript value's default text. */
const LEAKS: [RegExp, string][] = [
  [/^\s+at \S.*(?:\(.*:\d+:\d+\)|:\d+:\d+)$/m, 'stack frame'],
  [/Internal error/, 'internal error'],
  [/\b(?:TypeError|RangeError|ReferenceError|SyntaxError|EvalError|AggregateError)\b/, 'JavaScript error name'],
  [/Maximum call stack size exceeded/, 'stack overflow text'],
  [/\[object Object\]/, '[object Object]'],
  [/\bundefined\b/, '"undefined"'],
  [/node:internal|file:\/\/\//, 'internal module path'],
];

/**
 * The first leak found in a text, or null. `output` checks only for a bug's traces (stack frames, internal
 * errors): command output legitimately holds any word an operator stored.
 */
export function leak(text: string, output = false): string | null {
  for (const [re, what] of output ? LEAKS.slice(0, 2) : LEAKS) if (re.test(text)) return what;
  return null;
}

/** The documented form of a shell rejection (docs/commands.md "Errors", docs/errors.md), or null for none. */
export function shellErrorForm(text: string): string | null {
  if (!isDocumentedError(text)) return null;
  const first = text.split('\n')[0];
  if (/^ *\^$/.test(first)) return text.includes('\n% Unknown ') ? 'invalid input + unknown name' : 'invalid input';
  if (first.startsWith('% Ambiguous command:')) return 'ambiguous';
  if (first === '% Incomplete command.') return 'incomplete';
  if (first === '% Unrecognized command') return 'unrecognized';
  return text.includes('\n') ? 'refusal with details' : 'refusal';
}

/** The form of one configuration error (docs/errors.md, "Configuration errors"), or a problem with it. */
export type ConfigErrorForm = 'FILE:LINE:COLUMN: PATH: MESSAGE' | 'FILE:LINE:COLUMN: MESSAGE' | 'FILE: MESSAGE';

/**
 * Checks one error of a load against the files it was given: it names one of them, its line and column lie
 * inside that file's text (a position one past the end of a line or of the file is where a truncated file
 * ends), and its message is one non-empty line with no leak. Returns the form, or the problem as text.
 */
export function configErrorForm(e: ConfigError, texts: ReadonlyMap<string, string>): ConfigErrorForm | { problem: string } {
  const text = texts.get(e.file);
  if (text === undefined) return { problem: `names a file that was not loaded: ${JSON.stringify(e.file)}` };
  if (e.message.trim() === '') return { problem: 'message is empty' };
  if (formatConfigError(e).includes('\n')) return { problem: 'spans lines as printed' };
  const bad = leak(`${e.path}: ${e.message}`);
  if (bad) return { problem: bad };
  if (e.line === 0) return e.column === 0 && e.path === '' ? 'FILE: MESSAGE' : { problem: `line 0 with column ${e.column} or a path` };
  const lines = text.split('\n');
  if (!Number.isInteger(e.line) || e.line < 1 || e.line > lines.length) return { problem: `line ${e.line} outside the file's ${lines.length} lines` };
  if (!Number.isInteger(e.column) || e.column < 1 || e.column > lines[e.line - 1].length + 1) return { problem: `column ${e.column} outside line ${e.line} (${lines[e.line - 1].length} characters)` };
  return e.path === '' ? 'FILE:LINE:COLUMN: MESSAGE' : 'FILE:LINE:COLUMN: PATH: MESSAGE';
}

/** A load's outcome checked whole: accepted with no errors, or rejected with errors that each have a form. */
export function checkLoad(result: LoadResult, texts: ReadonlyMap<string, string>): { forms: ConfigErrorForm[]; problems: string[] } {
  const problems: string[] = [];
  const forms: ConfigErrorForm[] = [];
  if ((result.config === null) !== result.errors.length > 0) problems.push(`config is ${result.config === null ? 'null' : 'set'} with ${result.errors.length} errors`);
  for (const e of result.errors) {
    const form = configErrorForm(e, texts);
    if (typeof form === 'string') forms.push(form);
    else problems.push(`${form.problem}: ${JSON.stringify(formatConfigError(e)).slice(0, 300)}`);
  }
  return { forms, problems };
}

/**
 * What `lbctl validate --config DIR` must print for a load: nothing on stdout but the OK line when valid, else on
 * stderr every error as formatConfigError renders it (control characters escaped, as for every plain-text
 * command) and the summary line `N errors (DIR)`; exit 0 or 1.
 */
export function expectedValidate(result: LoadResult, dir: string): { status: number; stderr: string } {
  if (result.errors.length === 0) return { status: 0, stderr: '' };
  const lines = result.errors.map(formatConfigError);
  return { status: 1, stderr: escapeControls(lines.join('\n') + `\n${errorSummary(result.errors.length)} (${dir})\n`) };
}

/**
 * The stderr of `lbctl shell --keep-going` fed lines on standard input, cut into what each failed command
 * printed: `% command N: PROMPT LINE`, then its error in a documented form (the caret moved right by the label).
 * A notice (one `% ` line) may stand between errors. Returns the errors found and anything that fits no form.
 */
export function checkShellStderr(stderr: string): { errors: number; problems: string[] } {
  const problems: string[] = [];
  const bad = leak(stderr);
  if (bad) problems.push(`${bad} on stderr: ${stderr.slice(0, 500)}`);
  const blocks: string[][] = [];
  for (const line of stderr.replace(/\n$/, '').split('\n')) {
    if (/^% command \d+: /.test(line)) blocks.push([]);
    else if (blocks.length > 0) blocks[blocks.length - 1].push(line);
    else if (line !== '' && !line.startsWith('% ')) problems.push(`stderr before any command error: ${JSON.stringify(line)}`);
  }
  for (const block of blocks) {
    // Trailing one-line notices (`% Commit was not confirmed; ...`) may follow the error they came after.
    let end = block.length;
    while (end > 1 && !isDocumentedError(block.slice(0, end).join('\n')) && block[end - 1].startsWith('% ')) end--;
    const text = block.slice(0, end).join('\n');
    if (!isDocumentedError(text)) problems.push(`undocumented error: ${JSON.stringify(block.join('\n')).slice(0, 500)}`);
  }
  return { errors: blocks.length, problems };
}
