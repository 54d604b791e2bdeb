// The interactive shell's state machine, free of React and of the terminal: keys go in (in order, one at a
// time, even while a command runs), finished text comes out as scrollback items (numbered; the newest few
// hundred are kept), and a small live view (role
// line, prompt, the line being edited, or `--More--`) describes what the screen shows below them. The ink
// component only renders this; tests drive it directly with a fake session.
import type { ExecResult, Question, ShellSession } from '../session-api.js';
import type { Key } from '../keys.js';
import {
  DEFAULT_EDITOR_OPTIONS,
  initialEditorState,
  reduceKey,
  setLine,
  type EditorOptions,
  type EditorState,
} from '../line-editor.js';
import { pagerKey, startPager, type PagerKey, type PagerState } from '../pager.js';
import { formatCandidates, formatHelp, PLAIN_STYLE, type Style } from '../display.js';
import type { HistoryFile } from '../history.js';
import type { MonitorFeed } from '../../present/monitor/rows.js';
import { MonitorController } from '../monitor/controller.js';

export interface ScrollItem {
  id: number;
  text: string;
}

export type ControllerMode = 'edit' | 'question' | 'busy' | 'more' | 'monitor' | 'exited';

export interface LiveView {
  mode: ControllerMode;
  /** `{master}` above the prompt, when known (edit mode only). */
  roleLine: string | null;
  /** The session prompt, or a question's prompt; empty while busy. */
  prompt: string;
  line: string;
  cursor: number;
  /** Set during Ctrl-R reverse search. */
  search: { query: string; failed: boolean } | null;
  /** The full-screen live view a command (`monitor`) runs; keys go to it until it quits (mode `monitor`). */
  monitor?: MonitorController | null;
}

export interface Snapshot {
  items: readonly ScrollItem[];
  live: LiveView;
}

export interface ControllerOptions {
  history?: HistoryFile | null;
  historyLimit?: number;
  style?: Style;
  width?: number;
  height?: number;
  /** Called once after the session closed (exit, Ctrl-D). */
  onExit?: () => void;
  /**
   * Rows the face keeps below the `--More--` line (ink always ends its live area with a newline, so it costs
   * one row); a page is that much shorter, so no line scrolls away unread.
   */
  reservedRows?: number;
  /** How often to look for notices while idle at the prompt (ms); 0 = only before each prompt. */
  noticePollMs?: number;
  /**
   * How often to ask for the HA role (ms) so the `{master}` line follows a failover while the operator types or
   * just looks; 0 = never (the session's first answer stands).
   */
  rolePollMs?: number;
}

const MAX_ITEMS = 500;

const QUESTION_EDITOR: EditorOptions = { ...DEFAULT_EDITOR_OPTIONS, helpKey: false, completion: false, recordHistory: false };

export class ShellController {
  private items: ScrollItem[] = [];
  private nextId = 0;
  private editor: EditorState;
  private mode: ControllerMode = 'busy';
  private question: Question | null = null;
  private pager: PagerState | null = null;
  private afterPager: (() => Promise<void>) | null = null;
  private queue: Key[] = [];
  private pumping = false;
  private listeners = new Set<() => void>();
  private current: Snapshot;
  private readonly style: Style;
  private readonly editorOptions: EditorOptions;
  private width: number;
  private noticeTimer: NodeJS.Timeout | null = null;
  private roleTimer: NodeJS.Timeout | null = null;
  private rolePolling = false;
  private idle: Promise<void> = Promise.resolve();
  private started = false;
  private lastInput = Date.now();
  private hangingUp = false;
  private height: number;
  private monitor: MonitorController | null = null;

  constructor(
    private readonly session: ShellSession,
    private readonly options: ControllerOptions = {},
  ) {
    this.style = options.style ?? PLAIN_STYLE;
    this.width = options.width ?? 80;
    this.height = options.height ?? 24;
    this.editorOptions = { ...DEFAULT_EDITOR_OPTIONS, historyLimit: options.historyLimit ?? DEFAULT_EDITOR_OPTIONS.historyLimit };
    this.editor = initialEditorState(options.history?.load() ?? []);
    this.current = this.buildSnapshot();
  }

  /** Prints the banner and any notices, tells the session the terminal size, and shows the first prompt. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.session.setTerminalSize(this.width, this.height);
    const banner = this.session.banner();
    if (banner) this.print(this.style.banner(banner.replace(/\n$/, '')));
    const motd = this.session.motd?.() ?? '';
    if (motd.trim()) this.print(motd.replace(/\n+$/, ''));
    this.toPrompt();
    const poll = this.options.noticePollMs ?? 0;
    if (poll > 0) {
      this.noticeTimer = setInterval(() => this.pollNotices(), poll);
      this.noticeTimer.unref();
    }
    const rolePoll = this.options.rolePollMs ?? 0;
    if (rolePoll > 0 && this.session.pollRole) {
      void this.pollRole();
      this.roleTimer = setInterval(() => void this.pollRole(), rolePoll);
      this.roleTimer.unref();
    }
  }

  /**
   * One HA poll (never two at once: a busy daemon may answer late). A changed line is redrawn at once when the
   * prompt shows; the line being typed and the cursor stay as they are (only the live area is redrawn). While a
   * command runs the next prompt picks the new line up.
   */
  async pollRole(): Promise<void> {
    if (this.rolePolling || this.mode === 'exited' || !this.session.pollRole) return;
    this.rolePolling = true;
    try {
      if ((await this.session.pollRole()) && (this.mode === 'edit' || this.mode === 'question')) this.changed();
    } catch {
      // a broken HA source must not break the prompt (the session shows {unknown} itself)
    } finally {
      this.rolePolling = false;
    }
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): Snapshot => this.current;

  /** Everything printed so far, as plain lines (for tests). */
  scrollback(): string {
    return this.items.map((i) => i.text).join('\n');
  }

  resize(width: number, height: number): void {
    this.width = width;
    this.height = height;
    this.session.setTerminalSize(width, height);
    this.changed(); // the prompt line re-wraps at the new width
  }

  /** Queues keys; they are handled strictly in order, each after the previous one's command finished. */
  feed(keys: readonly Key[]): void {
    this.lastInput = Date.now();
    this.queue.push(...keys);
    if (!this.pumping) this.idle = this.pump();
  }

  /** Milliseconds since the last key (exec-timeout). */
  idleMs(): number {
    return Date.now() - this.lastInput;
  }

  /**
   * The operator is gone (exec-timeout, SIGHUP): after the running command, if any, print `message`, leave
   * configuration mode without committing or discarding (ShellSession.hangUp), close the session and exit.
   */
  async hangUp(message?: string): Promise<void> {
    if (this.mode === 'exited' || this.hangingUp) return;
    this.hangingUp = true;
    this.queue = [];
    await this.idle;
    if ((this.mode as ControllerMode) === 'exited') return; // closed while the command ran
    if (message) this.print(this.style.notice(message));
    try {
      await this.session.hangUp?.();
    } catch (err) {
      this.print(this.style.error(`% Error while leaving configuration mode: ${(err as Error).message}`));
    }
    await this.exit();
  }

  /** Resolves when every queued key has been handled (for tests). */
  settled(): Promise<void> {
    return this.idle;
  }

  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.queue.length > 0) {
        const key = this.queue.shift()!;
        try {
          await this.handleKey(key);
        } catch (err) {
          // A bug behind one key must not kill the operator's session: say so and give the prompt back.
          this.print(this.style.error(`% Internal error: ${(err as Error).message}`));
          if (this.mode !== 'exited') this.toPrompt();
        }
      }
    } finally {
      this.pumping = false;
    }
  }

  private async handleKey(key: Key): Promise<void> {
    if (this.mode === 'exited' || this.mode === 'busy') return;
    if (this.mode === 'more') return this.handlePagerKey(key);
    if (this.mode === 'monitor') return this.handleMonitorKey(key);
    const asking = this.mode === 'question';
    const step = reduceKey(this.editor, key, asking ? QUESTION_EDITOR : this.editorOptions);
    const before = this.editor;
    this.editor = step.state;
    const effect = step.effect;
    if (!effect) return this.changed();
    switch (effect.kind) {
      case 'submit':
        if (asking) return this.answer(effect.line);
        if (this.editor.history !== before.history) this.options.history?.append(effect.line);
        return this.run(effect.line, this.echo(effect.line));
      case 'complete':
        return this.complete(effect.before, effect.after);
      case 'help':
        return this.help(effect.before);
      case 'interrupt':
        if (asking) {
          // Ctrl-C abandons the question: the command it belonged to does not complete.
          this.print(questionPrompt(this.question!) + effect.line + '^C');
          this.question = null;
          return this.toPrompt();
        }
        this.print(this.echo(effect.line) + '^C');
        return this.changed();
      case 'eof':
        if (asking || !this.atExec()) return this.changed();
        this.print(this.echo(''));
        return this.exit();
      case 'suspend':
        if (asking || this.atExec()) {
          // Nothing to leave: keep the line as it was (IOS ignores Ctrl-Z in exec mode).
          this.editor = before;
          return this.changed();
        }
        if (effect.line.trim() !== '') {
          // IOS: Ctrl-Z with a command on the line runs it, then ends (unless it asked or left by itself).
          await this.run(effect.line, this.echo(effect.line) + '^Z');
          if (this.mode !== 'edit' || this.atExec()) return;
          this.mode = 'busy';
          return this.showResult(await guard(() => this.session.execute('end')));
        }
        return this.run('end', this.echo(effect.line) + '^Z');
    }
  }

  private async handlePagerKey(key: Key): Promise<void> {
    const kind = pagerKeyOf(key);
    const step = pagerKey(this.pager!, kind);
    if (step.show.length > 0) this.print(step.show.join('\n'));
    this.pager = step.pager;
    if (step.pager) return this.changed();
    const next = this.afterPager;
    this.afterPager = null;
    this.mode = 'busy';
    await next?.();
    // Any other key ended the output (IOS) and is the start of what the operator types next: not eaten.
    if (kind === 'other' && (this.mode as ControllerMode) === 'edit') await this.handleKey(key);
  }

  private handleMonitorKey(key: Key): void {
    if (!this.monitor?.key(key)) return;
    this.monitor = null;
    this.toPrompt();
  }

  /**
   * A live view takes the screen (the face shows it while the mode is `monitor`); the snapshot text the
   * command also returned is for line mode and is not printed here.
   */
  private startMonitor(feed: MonitorFeed): void {
    this.monitor = new MonitorController(feed, { width: this.width, height: this.height });
    this.mode = 'monitor';
    this.changed();
  }

  private async run(line: string, echo: string): Promise<void> {
    this.print(echo);
    if (line.trim() === '') return this.toPrompt();
    this.mode = 'busy';
    this.changed();
    const result = await guard(() => this.session.execute(line));
    await this.showResult(result);
  }

  private async answer(reply: string): Promise<void> {
    const question = this.question!;
    const prompt = questionPrompt(question);
    this.print(prompt + reply);
    this.question = null;
    this.mode = 'busy';
    this.changed();
    const result = await guard(() => question.answer(reply));
    await this.showResult(result);
  }

  // The session's caret lines are already indented by its prompt's width (the grammar aligns them to what the
  // terminal shows), so errors are printed as they come.
  private async showResult(result: ExecResult): Promise<void> {
    if (result.monitor && !result.error) return this.startMonitor(result.monitor);
    const finish = async (): Promise<void> => {
      if (result.error) this.print(this.style.error(result.error.replace(/\n$/, '')));
      if (result.question) {
        this.question = result.question;
        this.mode = 'question';
        this.editor = { ...initialEditorState(this.editor.history) };
        return this.changed();
      }
      if (result.exitShell) return this.exit();
      this.toPrompt();
    };
    await this.page(result.output, Boolean(result.noMore), finish);
  }

  /**
   * Prints text through the `--More--` pager when it is taller than the terminal (unless `noMore` or
   * `terminal length 0`), then calls `then` (at once, or once the pager is done or quit).
   */
  private async page(text: string, noMore: boolean, then: () => Promise<void> | void): Promise<void> {
    if (text) {
      const length = noMore ? 0 : this.session.terminal().length;
      const step = startPager(text, length > 0 ? Math.max(2, length - (this.options.reservedRows ?? 0)) : 0);
      if (step.show.length > 0) this.print(step.show.join('\n'));
      if (step.pager) {
        this.pager = step.pager;
        this.afterPager = async () => then();
        this.mode = 'more';
        return this.changed();
      }
    }
    await then();
  }

  /** Back to the line being edited, unchanged (after a TAB list or `?` help). */
  private backToLine(): void {
    this.mode = 'edit';
    this.changed();
  }

  private async complete(before: string, after: string): Promise<void> {
    let result;
    try {
      result = this.session.complete(before);
    } catch (err) {
      this.print(this.echo(this.editor.line));
      this.print(this.style.error(`% Internal error: ${(err as Error).message}`));
      return this.changed();
    }
    if (result.line !== before || result.candidates.length > 0) {
      this.editor = setLine(this.editor, result.line + after, result.line.length);
    }
    if (result.candidates.length === 0) return this.changed();
    this.print(this.echo(before + after));
    // Thousands of service names page like any other output.
    await this.page(formatCandidates(result.candidates, this.width).join('\n'), false, () => this.backToLine());
  }

  private async help(before: string): Promise<void> {
    const { line, cursor } = this.editor;
    this.print(this.echo(line.slice(0, cursor) + '?' + line.slice(cursor)));
    let result;
    try {
      result = this.session.help(before);
    } catch (err) {
      result = { ok: false as const, error: `% Internal error: ${(err as Error).message}` };
    }
    if (!result.ok) {
      this.print(this.style.error(result.error.replace(/\n$/, '')));
      return this.changed();
    }
    await this.page(formatHelp(result.entries).join('\n'), false, () => this.backToLine());
  }

  private toPrompt(): void {
    this.mode = 'edit';
    this.printNotices();
    this.changed();
  }

  private pollNotices(): void {
    if (this.mode !== 'edit') return;
    if (this.printNotices()) this.changed();
  }

  private printNotices(): boolean {
    let notices: string[] = [];
    try {
      notices = this.session.takeNotices();
    } catch {
      // a broken notice source must not break the prompt
    }
    for (const n of notices) this.print(this.style.notice(n.replace(/\n$/, '')));
    return notices.length > 0;
  }

  private async exit(): Promise<void> {
    this.mode = 'exited';
    // The face unmounts the live view (leaving the alternate screen) when the mode changes; stop its reads.
    this.monitor?.stop();
    this.monitor = null;
    if (this.noticeTimer) clearInterval(this.noticeTimer);
    if (this.roleTimer) clearInterval(this.roleTimer);
    this.changed();
    try {
      await this.session.close();
    } catch (err) {
      this.print(this.style.error(`% Error while closing the session: ${(err as Error).message}`));
      this.changed();
    } finally {
      this.options.onExit?.();
    }
  }

  /** Exec mode is the only level whose prompt has no `(config…)` part. */
  private atExec(): boolean {
    return !this.session.prompt().includes('(config');
  }

  /** The prompt and line as they stood when a key acted on them, for the scrollback. */
  private echo(line: string): string {
    const role = this.session.roleLine();
    const prompt = this.style.prompt(this.session.prompt()) + line;
    return role ? `${this.style.role(role)}\n${prompt}` : prompt;
  }

  private print(text: string): void {
    // Only the newest items are kept: the face writes each one once (by id), the terminal keeps the scrollback.
    const kept = this.items.length >= MAX_ITEMS ? this.items.slice(this.items.length - MAX_ITEMS + 1) : this.items;
    this.items = [...kept, { id: this.nextId++, text }];
  }

  private changed(): void {
    this.current = this.buildSnapshot();
    for (const l of this.listeners) l();
  }

  private buildSnapshot(): Snapshot {
    const editing = this.mode === 'edit' || this.mode === 'question';
    const search = this.editor.search;
    return {
      items: this.items,
      live: {
        mode: this.mode,
        roleLine: this.mode === 'edit' ? this.session.roleLine() : null,
        prompt: this.mode === 'question' ? questionPrompt(this.question!) : this.mode === 'edit' ? this.session.prompt() : '',
        line: editing ? this.editor.line : '',
        cursor: editing ? this.editor.cursor : 0,
        search: editing && search ? { query: search.query, failed: search.failed } : null,
        monitor: this.mode === 'monitor' ? this.monitor : null,
      },
    };
  }
}

function questionPrompt(q: Question): string {
  return q.prompt.endsWith(' ') ? q.prompt : q.prompt + ' ';
}

function pagerKeyOf(key: Key): PagerKey {
  if (key.kind === 'insert' && key.text === ' ') return 'page';
  if (key.kind === 'enter' || key.kind === 'down') return 'line';
  if (key.kind === 'insert' && (key.text === 'q' || key.text === 'Q')) return 'quit';
  if (key.kind === 'ctrl' && (key.letter === 'c' || key.letter === 'z')) return 'quit';
  return 'other';
}

async function guard(run: () => Promise<ExecResult>): Promise<ExecResult> {
  try {
    return await run();
  } catch (err) {
    return { output: '', error: `% Internal error: ${(err as Error).message}` };
  }
}
