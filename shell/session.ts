// The shell's brain: one ShellSession per operator, driven alike by the ink terminal UI and the plain line mode.
// It keeps the mode stack and the candidate, routes a line to the right grammar (the mode's, the exec one after
// `do`, the pipe stages after `|`), runs the matched handler and shapes its output (tables to the terminal
// width, pipes). Errors come back in the IOS forms, the caret already placed for `prompt + line`.
import { userInfo } from 'node:os';
import type { Config } from '../config/model.js';
import type { Args, ParseError } from '../completion/grammar.js';
import { formatParseError, UNRECOGNIZED } from '../completion/errors.js';
import { splitPipes, splitWords } from '../completion/words.js';
import type { ShellBackend } from '../modes/backend.js';
import { modeGrammars, type ExtraCommands, type ModeGrammar, type ModeGrammars } from '../modes/index.js';
import { nodeName } from '../modes/exec.js';
import { CommandError, type CommandDef, type CommandOutput, type ModeContext, type ModeFrame, type PipeKind } from '../modes/types.js';
import type { CompletionResult, ExecResult, HelpResult, ShellSession, TerminalSettings } from './session-api.js';
import { renderTable } from './format.js';
import { applyPipes, pipeGrammar, toStage, type PipeStage } from './pipes.js';
import type { OpenSessionOptions } from './open-session.js';
import { DEFAULT_EXEC_TIMEOUT_S } from '../config/defaults.js';
import { escapeControls } from '../present/visible.js';
import { roleLine as roleLineOf } from '../present/vrrp.js';
import { bannerHead, promptHost } from '../present/first-lines.js';

export type { ShellBackend } from '../modes/backend.js';

export interface SessionOptions {
  backend: ShellBackend;
  /** A read-only user: prompt `HOST>`, no configuration mode. */
  readOnly?: boolean;
  /** --lab: marked in the prompt and the banner. */
  lab?: boolean;
  user?: string;
  terminal?: Partial<TerminalSettings>;
  /** Commands added to the built-in modes (the commit workflow's, or a test's). */
  commands?: ExtraCommands;
  /** What a read-only user is told for a configuration command (default `% Permission denied: read-only user.`). */
  deniedMessage?: string;
}

export function createSession(opts: SessionOptions): ShellSession;
export function createSession(opts: OpenSessionOptions): Promise<ShellSession>;
export function createSession(opts: SessionOptions | OpenSessionOptions): ShellSession | Promise<ShellSession> {
  if ('backend' in opts) return new Session(opts);
  return (async () => {
    const { createContextBackend } = await import('./session-backend.js');
    const { operatorIdentity, canConfigure, displayUser, permissionDeniedMessage } = await import('../config/identity.js');
    // Who may configure comes from the operating system (root or the admin group), never from typed input.
    const identity = operatorIdentity({ env: opts.env });
    const backend = await createContextBackend(opts.context, opts.env, { identity, interactive: opts.interactive });
    const columns = opts.interactive ? process.stdout.columns : undefined;
    const rows = opts.interactive ? process.stdout.rows : undefined;
    const readOnly = !canConfigure(identity);
    return new Session({
      backend,
      readOnly,
      user: displayUser(identity),
      ...(readOnly ? { deniedMessage: permissionDeniedMessage(identity) } : {}),
      lab: opts.context.lab,
      // Width 0, no limit, when the output is not a terminal: a script or a pipe gets every value whole.
      terminal: { width: opts.interactive ? (columns && columns >= 40 ? columns : 80) : 0, length: opts.interactive ? (rows ?? 24) : 0 },
    });
  })();
}

/** What TAB and `?` need: something that completes and helps (a mode's grammar or the pipe stages'). */
interface CursorRoute {
  grammar: { complete: ModeGrammar['complete']; help: ModeGrammar['help'] };
  text: string;
  offset: number;
}

/** Where a line goes: which grammar, which part of the line, at which column of it. */
interface Route {
  grammar: ModeGrammar;
  text: string;
  offset: number;
}

class Session implements ShellSession, ModeContext {
  readonly backend: ShellBackend;
  readonly user: string;
  readonly readOnly: boolean;
  readonly lab: boolean;
  frames: ModeFrame[] = [{ kind: 'exec' }];
  term: TerminalSettings;
  /** The command running now is piped to `| json` (ModeContext.jsonPiped). */
  jsonPiped = false;
  private cand: Config | null = null;
  private candBase = 0;
  private readonly grammars: ModeGrammars;
  private lengthSetByUser = false;
  /** `terminal exec-timeout`, seconds; null = the configuration's. */
  private execTimeoutS: number | null = null;
  private widthSetByUser = false;
  private notices: string[] = [];
  /** The role line from the last HA poll (undefined: never polled; the backend's own word stands). */
  private haLine: string | null | undefined = undefined;
  private readonly deniedMessage: string;

  constructor(opts: SessionOptions) {
    this.backend = opts.backend;
    this.deniedMessage = opts.deniedMessage ?? '% Permission denied: read-only user.';
    this.readOnly = Boolean(opts.readOnly);
    this.lab = Boolean(opts.lab);
    this.user = opts.user ?? safeUser();
    this.grammars = modeGrammars(opts.commands);
    this.term = { length: opts.terminal?.length ?? 24, width: opts.terminal?.width ?? 80 };
    this.notices.push(...(this.backend.startupNotices?.() ?? []));
  }

  // ---- ModeContext ----
  candidate(): Config {
    if (this.cand === null) {
      this.candBase = this.backend.runningRevision();
      // Shared, not copied: every edit is candidate → new candidate, copying only what it changes (modes/edit.ts),
      // so the candidate keeps the running revision's own (frozen) service objects until they are edited. A
      // commit then finds the changed services by identity, and the store hashes and writes only those.
      this.cand = this.backend.running();
    }
    return this.cand;
  }
  setCandidate(config: Config, base?: number): void {
    if (this.cand === null) this.candidate();
    this.cand = config;
    if (base !== undefined) this.candBase = base;
  }
  hasCandidate(): boolean {
    return this.cand !== null;
  }
  candidateBase(): number {
    this.candidate();
    return this.candBase;
  }
  resetCandidate(): void {
    this.cand = null;
  }
  notify(message: string): void {
    this.notices.push(message);
  }
  enter(frame: ModeFrame): void {
    if (frame.kind === 'configure') this.frames = [{ kind: 'exec' }, frame];
    else if (frame.kind === 'service') this.frames = [{ kind: 'exec' }, { kind: 'configure' }, frame];
    else this.frames = [frame];
  }
  exit(): boolean {
    if (this.frames.length <= 1) return true;
    this.frames = this.frames.slice(0, -1);
    return false;
  }
  end(): void {
    this.frames = [{ kind: 'exec' }];
  }
  top(): void {
    this.frames = [{ kind: 'exec' }, { kind: 'configure' }];
  }

  // ---- ShellSession ----
  prompt(): string {
    const host = promptHost(nodeName(this), Boolean(this.lab));
    const f = this.frames[this.frames.length - 1];
    if (f.kind === 'exec') return host + (this.readOnly ? '>' : '#');
    if (f.kind === 'configure') return `${host}(config)#`;
    return `${host}(config-svc-${f.name})#`;
  }

  roleLine(): string | null {
    if (this.haLine !== undefined) return this.haLine;
    const r = this.backend.role();
    return r ? `{${r}}` : null;
  }

  /**
   * Ask the HA watcher again (the interactive UI does it about once a second while waiting for input); true when
   * the role line changed. A failed ask shows `{unknown}`: the operator must not keep trusting an old `{master}`.
   */
  async pollRole(): Promise<boolean> {
    const ask = this.backend.ha;
    if (!ask) return false;
    let line: string | null;
    try {
      line = roleLineOf(await ask());
    } catch {
      line = this.haLine ? '{unknown}' : null;
    }
    const changed = line !== this.roleLine();
    this.haLine = line;
    return changed;
  }

  banner(): string {
    const b = this.backend;
    const lines = [
      // The head is also painted before the session opens (shell/first-screen.ts): one definition.
      bannerHead(b.version, nodeName(this), b.runningRevision()),
      b.daemonAttached ? 'Engine: daemon attached' : 'Engine: in-process (no daemon attached)',
    ];
    if (this.lab) lines.push('Lab mode: in-memory IPVS, configuration and state under the lab directory; the kernel is not touched.');
    if (this.readOnly) lines.push('Read-only: you may look but not configure.');
    lines.push('Type "?" for help on any command, "help" for how this shell works.');
    return lines.join('\n');
  }

  async execute(line: string): Promise<ExecResult> {
    try {
      this.backend.refresh?.();
      const r = await this.run(line.replace(/[\r\n]+$/, ''));
      // What commands print holds stored strings (descriptions, comments, audit fields): never raw controls.
      return { ...r, output: escapeControls(r.output), ...(r.error !== undefined ? { error: escapeControls(r.error) } : {}) };
    } catch (e) {
      if (e instanceof CommandError) return { output: '', error: escapeControls(e.message) };
      return { output: '', error: escapeControls(`% Internal error: ${(e as Error).message}`) };
    }
  }

  complete(line: string): CompletionResult {
    try {
      const r = this.routeForCursor(line);
      if ('error' in r) return { line, candidates: [] };
      const sub = r.grammar.complete(r.text, this);
      return { line: line.slice(0, r.offset) + sub.line, candidates: sub.candidates };
    } catch {
      return { line, candidates: [] };
    }
  }

  help(line: string): HelpResult {
    try {
      const r = this.routeForCursor(line);
      if ('error' in r) return { ok: false, error: this.errorText(r.error, line, r.offset) };
      const h = r.grammar.help(r.text, this);
      if (h.ok) return { ok: true, entries: h.entries };
      if (h.error === 'unrecognized') return { ok: false, error: UNRECOGNIZED };
      return { ok: false, error: this.errorText(h.error, line, r.offset) };
    } catch (e) {
      return { ok: false, error: `% Internal error: ${(e as Error).message}` };
    }
  }

  terminal(): TerminalSettings {
    return { ...this.term };
  }

  setTerminal(settings: Partial<TerminalSettings>): void {
    if (settings.length !== undefined) {
      this.term.length = settings.length;
      this.lengthSetByUser = true;
    }
    if (settings.width !== undefined) {
      this.term.width = settings.width;
      this.widthSetByUser = true;
    }
  }

  setTerminalSize(width: number, height: number): void {
    if (width >= 1 && !this.widthSetByUser) this.term.width = Math.max(40, Math.min(512, Math.floor(width)));
    if (height >= 1 && !this.lengthSetByUser) this.term.length = Math.min(512, Math.floor(height));
  }

  setExecTimeout(seconds: number): void {
    this.execTimeoutS = Math.max(0, Math.floor(seconds));
  }

  execTimeout(): number {
    if (this.execTimeoutS !== null) return this.execTimeoutS;
    return this.backend.running().system?.exec_timeout_s ?? DEFAULT_EXEC_TIMEOUT_S;
  }

  motd(): string {
    return escapeControls(this.backend.running().system?.banner_motd ?? '');
  }

  async hangUp(): Promise<void> {
    if (this.frames.length <= 1) return;
    try {
      await this.backend.commit?.leaveConfigure(this);
    } finally {
      this.end();
    }
  }

  async abandon(): Promise<string[]> {
    const port = this.backend.commit;
    if (!port || this.frames.length <= 1) return [];
    try {
      return await this.around(() => port.abandon(this));
    } catch (e) {
      return [`% The shared candidate could not be restored: ${(e as Error).message}`];
    }
  }

  takeNotices(): string[] {
    this.backend.commit?.whileIdle?.(this);
    const n = this.notices;
    this.notices = [];
    return n;
  }

  async close(): Promise<void> {
    await this.backend.commit?.close().catch(() => {});
    await this.backend.close();
  }

  // ---- routing ----

  private grammarOf(frame: ModeFrame): ModeGrammar {
    return this.grammars[frame.kind];
  }

  /** `do CMD` (or `run CMD`) in a configuration mode hands the rest of the line to the exec grammar. */
  private route(line: string, cursor: boolean): Route {
    const frame = this.frames[this.frames.length - 1];
    const grammar = this.grammarOf(frame);
    if (frame.kind !== 'exec') {
      const words = splitWords(line);
      const first = words[0];
      const more = words.length > 1 || (cursor && first !== undefined && line.length > first.end);
      if (first && more && !first.quoted && this.meansDo(grammar, first.text)) {
        const offset = words[1]?.start ?? line.length;
        return { grammar: this.grammars.do, text: line.slice(offset), offset };
      }
    }
    return { grammar, text: line, offset: 0 };
  }

  private meansDo(grammar: ModeGrammar, word: string): boolean {
    const h = grammar.help(word, this);
    if (!h.ok) return false;
    const kws = h.entries.map((e) => e.token);
    // `do` (IOS) and `run` (Junos) both hand the rest of the line to exec mode.
    const w = word.toLowerCase();
    return (kws.includes('do') || kws.includes('run')) && (w === 'do' || w === 'run' || kws.length === 1);
  }

  /** For TAB and `?`: the grammar and text of the part the cursor is in (the last pipe stage, if any). */
  private routeForCursor(line: string): CursorRoute | { error: ParseError; offset: number } {
    const r = this.route(line, true);
    const parts = splitPipes(r.text);
    if (parts.length === 1) return r;
    const main = r.grammar.parse(parts[0].text, this);
    if (!main.ok) return r.grammar.parse(r.text, this).ok ? r : { error: main.error, offset: r.offset };
    if ('empty' in main || !main.command.pipes) return r;
    const g = pipeGrammar(main.command.pipes);
    for (const p of parts.slice(1, -1)) {
      const st = g.parse(p.text, this);
      if (!st.ok) return { error: st.error, offset: r.offset + p.offset };
      if ('empty' in st) return { error: { kind: 'incomplete' }, offset: r.offset + p.offset };
    }
    const last = parts[parts.length - 1];
    return { grammar: g, text: last.text, offset: r.offset + last.offset };
  }

  private errorText(err: ParseError, line: string, offset: number): string {
    return formatParseError(err, line, this.prompt().length + offset);
  }

  private async run(line: string): Promise<ExecResult> {
    const r = this.route(line, false);
    const parsed = this.parseWithPipes(r);
    if ('error' in parsed) return { output: '', error: this.errorText(parsed.error, line, parsed.offset) };
    if ('empty' in parsed) return { output: '' };
    const { def, args, keywords, stages } = parsed;
    if (def.edits && this.readOnly) throw new CommandError(this.deniedMessage);
    this.jsonPiped = stages.some((s) => s.op === 'json');
    try {
      const out = (await this.around(() => def.run(args, this, keywords))) ?? {};
      return this.shape(out, stages);
    } finally {
      this.jsonPiped = false;
    }
  }

  /** The commit workflow's hooks around a command (shared candidate load/save, registry, confirm notices). */
  private async around<T>(fn: () => T | Promise<T>): Promise<T> {
    const port = this.backend.commit;
    if (!port) return fn();
    await port.beforeCommand(this);
    try {
      return await fn();
    } finally {
      await port.afterCommand(this);
    }
  }

  private parseWithPipes(
    r: Route,
  ):
    | { def: CommandDef; args: Args; keywords: string[]; stages: PipeStage[] }
    | { error: ParseError; offset: number }
    | { empty: true } {
    const parts = splitPipes(r.text);
    const whole = () => {
      const p = r.grammar.parse(r.text, this);
      if (!p.ok) return { error: p.error, offset: r.offset };
      if ('empty' in p) return { empty: true as const };
      return { def: p.command, args: p.args, keywords: p.keywords, stages: [] };
    };
    if (parts.length === 1) return whole();
    const main = r.grammar.parse(parts[0].text, this);
    if (!main.ok || 'empty' in main || !main.command.pipes) {
      // Not a pipeable command: perhaps the `|` belongs to its text (`description a|b`).
      const w = whole();
      if (!('error' in w) || main.ok) return w;
      return { error: main.error, offset: r.offset };
    }
    const g = pipeGrammar(main.command.pipes as PipeKind);
    const stages: PipeStage[] = [];
    for (const p of parts.slice(1)) {
      const st = g.parse(p.text, this);
      if (!st.ok) return { error: st.error, offset: r.offset + p.offset };
      // `show |` with nothing after the bar.
      if ('empty' in st) return { error: { kind: 'incomplete' }, offset: r.offset + p.offset };
      stages.push(toStage(st.command, st.args));
    }
    return { def: main.command, args: main.args, keywords: main.keywords, stages };
  }

  private shape(out: CommandOutput, stages: PipeStage[]): ExecResult {
    const parts: string[] = [];
    if (out.text) parts.push(out.text);
    if (out.table) parts.push(renderTable(out.table, this.term.width));
    let text = parts.join('\n');
    let noMore = false;
    if (stages.length) {
      const backend = this.backend;
      const piped = applyPipes(
        { text, data: out.data, json: out.json, config: out.config, running: backend.running(), revision: (n) => backend.revisionConfig?.(n) ?? null },
        stages,
      );
      text = piped.text;
      noMore = piped.noMore;
    }
    const result: ExecResult = { output: text === '' ? '' : text.endsWith('\n') ? text : text + '\n' };
    if (noMore) result.noMore = true;
    if (out.exitShell) result.exitShell = true;
    if (out.monitor && stages.length === 0) result.monitor = out.monitor;
    if (out.question) {
      const q = out.question;
      result.question = {
        prompt: q.prompt,
        answer: async (reply: string) => {
          try {
            return this.shape((await this.around(() => q.answer(reply, this))) ?? {}, []);
          } catch (e) {
            if (e instanceof CommandError) return { output: '', error: e.message };
            return { output: '', error: `% Internal error: ${(e as Error).message}` };
          }
        },
      };
    }
    return result;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}
