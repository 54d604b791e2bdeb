// The seam between the shell's brain (modes, grammar, candidate: shell/session.ts) and its faces
// (the ink terminal UI and the plain line mode). Both faces drive the same ShellSession, so parsing and
// execution never differ between an SSH terminal and a script.
import type { MonitorFeed } from '../present/monitor/rows.js';

export interface HelpEntry {
  /** The token as shown: a keyword, `<1-65535>`, `A.B.C.D`, `WORD`, or `<cr>`. */
  token: string;
  help: string;
}

export interface CompletionResult {
  /** The input line after completion (unchanged when nothing could be completed). */
  line: string;
  /** Candidates to list when the prefix was ambiguous (empty when completed uniquely or nothing matched). */
  candidates: string[];
}

export type HelpResult = { ok: true; entries: HelpEntry[] } | { ok: false; error: string };

export interface Question {
  /** E.g. "Uncommitted changes found, commit them before exiting? [yes/no/cancel]". */
  prompt: string;
  /** Called with the operator's reply; may ask again. */
  answer(reply: string): Promise<ExecResult>;
}

export interface ExecResult {
  /** Text for stdout (may be empty); already filtered by any `| include` … pipe. */
  output: string;
  /** An error in one of the documented forms (`% Invalid input detected at '^' marker.` with its caret line …). */
  error?: string;
  /** `| no-more` was given: do not page this output. */
  noMore?: boolean;
  /** The session ended (`exit` at exec, `quit`). */
  exitShell?: boolean;
  /** The command needs an answer before it completes. */
  question?: Question;
  /** A live view to show full screen instead of `output` (the terminal face); line mode prints `output`. */
  monitor?: MonitorFeed;
}

export interface TerminalSettings {
  /** Lines per page for the pager; 0 = no pager. */
  length: number;
  width: number;
}

export interface ShellSession {
  /** `HOST#`, `HOST>`, `HOST(config)#`, `HOST(config-svc-NAME)#` (with a lab marker under --lab). */
  prompt(): string;
  /** `{master}` / `{backup}` when the HA role is known, else null. */
  roleLine(): string | null;
  /** Ask the HA watcher for the role again; true when roleLine() changed (absent: nothing to ask). */
  pollRole?(): Promise<boolean>;
  /** Login banner: node name, version, running revision, daemon attached or in-process. */
  banner(): string;
  execute(line: string): Promise<ExecResult>;
  /** TAB. */
  complete(line: string): CompletionResult;
  /** `?` typed at the end of line (line does not include the `?`). */
  help(line: string): HelpResult;
  terminal(): TerminalSettings;
  /** The faces tell the session the real terminal size at start and on resize. */
  setTerminalSize(width: number, height: number): void;
  /** Idle seconds before the face ends the session (`terminal exec-timeout`, else `system.exec_timeout_s`); 0 = never. */
  execTimeout?(): number;
  /** Message of the day (`system.banner_motd`), shown before the first prompt; '' when none. */
  motd?(): string;
  /**
   * The operator is gone (exec-timeout expired, SIGHUP): leave configuration mode as `exit` does, without
   * committing and without discarding (a shared candidate stays for the next session), before close().
   */
  hangUp?(): Promise<void>;
  /**
   * A script stopped on an error: take the changes this session made out of the shared candidate, so the run
   * leaves it as it found it. Returns the lines to tell (nothing when there was nothing to take out).
   */
  abandon?(): Promise<string[]>;
  /** A pending message for the operator (e.g. a confirmed commit is about to expire), then cleared. */
  takeNotices(): string[];
  close(): Promise<void>;
}
