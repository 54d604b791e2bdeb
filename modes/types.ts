// The shapes shared by every mode: a command (declaration + help + handler), what a handler may do to the
// session (ModeContext), and what it returns (CommandOutput). Handlers are small: they read arguments, call a
// pure edit (modes/edit-*.ts) on the candidate, and return data; the session formats and pipes it.
import type { Config } from '../config/model.js';
import type { Args } from '../completion/grammar.js';
export type { Args } from '../completion/grammar.js';
import type { ShellBackend } from './backend.js';
import type { MonitorFeed } from '../present/monitor/rows.js';

/** Where the operator is: exec, configure, or inside one service. */
export type ModeFrame = { kind: 'exec' } | { kind: 'configure' } | { kind: 'service'; name: string };
export type ModeKind = ModeFrame['kind'];

export type { Column, Table } from '../present/table.js';
import type { Table } from '../present/table.js';

export interface CommandOutput {
  /** Plain text, one string (may hold newlines). */
  text?: string;
  /** A table, aligned to the terminal width by the session. Printed after `text`. */
  table?: Table;
  /** The same information as data, for `| json`. */
  data?: unknown;
  /**
   * Instead of `data`: a function that builds it, called only when `| json` asks. For a view so large that its
   * data, built for nothing, would double what the command holds (`show ipvs` at 10,000 services × 4 backends).
   */
  json?: () => unknown;
  /** A configuration shown by this command, for `| display set` and `| compare`. */
  config?: { value: Config; service?: string };
  /** End the shell (exit at exec level). */
  exitShell?: boolean;
  /** Ask the operator before finishing (`[yes/no]`); the answer's output is shaped like any other. */
  question?: CommandQuestion;
  /** A live view (`monitor`): a terminal shows it full screen; elsewhere `text` (one snapshot) is printed. */
  monitor?: MonitorFeed;
}

export interface CommandQuestion {
  prompt: string;
  answer(reply: string, ctx: ModeContext): CommandOutput | void | Promise<CommandOutput | void>;
}

/** How a show command's output may be piped: plain text filters, plus `display set`, plus `compare`. */
export type PipeKind = 'text' | 'config' | 'candidate';

export interface CommandDef {
  decl: string;
  help: Record<string, string>;
  /** Shown in docs/commands.md (defaults to the help of the first keyword). */
  summary?: string;
  pipes?: PipeKind;
  /** Changes the candidate: refused for a read-only user. */
  edits?: boolean;
  /** Changes the mode or ends the shell: not allowed after `do`. */
  noDo?: boolean;
  run(args: Args, ctx: ModeContext, keywords: string[]): CommandOutput | void | Promise<CommandOutput | void>;
}

export interface TerminalState {
  length: number;
  width: number;
}

export interface ModeContext {
  readonly backend: ShellBackend;
  readonly user: string;
  readonly readOnly: boolean;
  readonly lab: boolean;
  /** The mode stack, exec first. */
  readonly frames: readonly ModeFrame[];
  /** The candidate being edited (a copy of running on first `configure`). */
  candidate(): Config;
  /** Replace the candidate; with `base`, it is now based on that running revision (`update`, `rollback`). */
  setCandidate(config: Config, base?: number): void;
  /** A candidate exists (the session has edited, or entered configuration mode and looked). */
  hasCandidate(): boolean;
  /** The running revision the candidate was copied from (what a commit compares and swaps against). */
  candidateBase(): number;
  /** Drop the candidate: the next edit starts again from running (`rollback 0`, `abort`). */
  resetCandidate(): void;
  /** A message for the operator, shown after this command's output (ShellSession.takeNotices). */
  notify(message: string): void;
  enter(frame: ModeFrame): void;
  /** Up one level; at exec this ends the shell (the returned flag says so). */
  exit(): boolean;
  /** Back to exec. */
  end(): void;
  /** Back to configure. */
  top(): void;
  /** The terminal settings (read). */
  readonly term: TerminalState;
  /**
   * The command running now is piped to `| json`: it is asked for its data, not only its text (a view may then
   * read what only its data shows, such as `show ipvs`' counters).
   */
  readonly jsonPiped?: boolean;
  /** `terminal length|width`: the operator's choice, kept over later resizes. */
  setTerminal(settings: Partial<TerminalState>): void;
  /** `terminal exec-timeout`: this session's idle limit in seconds (0 = never), over `system.exec_timeout_s`. */
  setExecTimeout?(seconds: number): void;
  /** The idle limit in force, in seconds (0 = never). */
  execTimeout?(): number;
}

/** A refusal in the "% message" form; the session prints it as the command's error. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message.startsWith('% ') ? message : `% ${message}`);
  }
}

/** One way to answer a question: the words that mean it (lower case, e.g. ['yes', 'y']) and what it does. */
export interface Choice {
  words: string[];
  run: (ctx: ModeContext) => Promise<CommandOutput | void> | CommandOutput | void;
}

/**
 * A question that takes only the answers it lists and asks again, naming them, on anything else (IOS): a typo
 * never counts as "no" or "cancel" by accident.
 */
export function choiceQuestion(prompt: string, choices: Choice[]): CommandQuestion {
  const question: CommandQuestion = {
    prompt,
    answer: async (reply, ctx) => {
      const word = reply.trim().toLowerCase();
      const chosen = choices.find((c) => c.words.includes(word));
      if (chosen) return chosen.run(ctx);
      const names = choices.map((c) => `'${c.words[0]}'`);
      return { text: `% Please answer ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}.`, question };
    },
  };
  return question;
}
