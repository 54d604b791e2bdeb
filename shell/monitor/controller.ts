// The live monitor's state machine, free of React and of the terminal: it reads a sample every interval (the
// next read starts only after the previous one ended, so a slow daemon never piles reads up), keeps the
// previous sample for the rates, takes keys (sort, filter, scroll, quit) and describes the screen as lines.
// The ink component (screen.tsx) paints those lines; tests drive this directly with a fake source and clock.
import type { Key } from '../keys.js';
import { buildRows, filterRows, sortRows, SORT_KEYS, type MonitorFeed, type MonitorRow, type MonitorSample, type SortKey } from '../../present/monitor/rows.js';
import { layoutFrame, type Figures, type Frame } from '../../present/monitor/layout.js';

export interface MonitorOptions {
  width: number;
  height: number;
  intervalMs?: number;
  /** Wall clock for the time shown in the title (default: now). */
  now?: () => Date;
  /** Timers (default: the global ones); tests step them. */
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
  /** Called once when the operator quits (q, Ctrl-C). */
  onQuit?: () => void;
}

export class MonitorController {
  private prev: MonitorSample | null = null;
  private cur: MonitorSample;
  private rows: MonitorRow[] = [];
  private sort: SortKey = 'name';
  private reverse = false;
  private figures: Figures = 'rates';
  private filter = '';
  private editing: string | null = null;
  private scroll = 0;
  private page = 1;
  private error: string | null = null;
  private width: number;
  private height: number;
  private timer: unknown = null;
  private running = false;
  private frame: Frame;
  private listeners = new Set<() => void>();
  private readonly intervalMs: number;

  constructor(
    private readonly feed: MonitorFeed,
    private readonly options: MonitorOptions,
  ) {
    this.cur = feed.first;
    this.width = options.width;
    this.height = options.height;
    this.intervalMs = options.intervalMs ?? 1000;
    this.rows = buildRows(this.cur, null);
    this.frame = this.layout();
  }

  /** Starts the refresh loop (the first sample, made by the command, is on screen already). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) (this.options.clearTimer ?? ((h) => clearTimeout(h as NodeJS.Timeout)))(this.timer);
    this.timer = null;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getFrame = (): Frame => this.frame;

  resize(width: number, height: number): void {
    this.width = Math.max(1, width);
    this.height = Math.max(1, height);
    this.changed();
  }

  /** One key. Returns true when it quit the monitor. */
  key(key: Key): boolean {
    if (this.editing !== null) {
      this.filterKey(key);
      return false;
    }
    if (key.kind === 'ctrl' && key.letter === 'c') return this.quit();
    if (key.kind === 'insert') {
      // A fast-typed run arrives as one key ("/web" then Enter): each character acts in turn, and once `/`
      // opened the filter line the rest of the run is its text.
      const chars = [...key.text];
      for (let i = 0; i < chars.length; i++) {
        const opened = this.editing as string | null; // `letter('/')` may have opened it
        if (opened !== null) {
          this.editing = opened + chars.slice(i).join('');
          break;
        }
        if (chars[i] === 'q' || chars[i] === 'Q') return this.quit();
        this.letter(chars[i]);
      }
    } else if (key.kind === 'up') this.scroll = Math.max(0, this.scroll - 1);
    else if (key.kind === 'down') this.scroll++;
    else if (key.kind === 'home') this.scroll = 0;
    else if (key.kind === 'end') this.scroll = Number.MAX_SAFE_INTEGER;
    else if (key.kind === 'unknown' && key.sequence.endsWith('[5~')) this.scroll = Math.max(0, this.scroll - this.page);
    else if (key.kind === 'unknown' && key.sequence.endsWith('[6~')) this.scroll += this.page;
    else if (key.kind === 'escape') this.filter = '';
    else return false;
    this.changed();
    return false;
  }

  private quit(): boolean {
    this.stop();
    this.options.onQuit?.();
    return true;
  }

  private letter(ch: string): void {
    if (ch === 's') this.sort = SORT_KEYS[(SORT_KEYS.indexOf(this.sort) + 1) % SORT_KEYS.length];
    else if (ch === 'S') this.sort = SORT_KEYS[(SORT_KEYS.indexOf(this.sort) + SORT_KEYS.length - 1) % SORT_KEYS.length];
    else if (ch === 'r') this.reverse = !this.reverse;
    else if (ch === 't') this.figures = this.figures === 'rates' ? 'totals' : 'rates';
    else if (ch === '/') this.editing = this.filter;
    else if (ch === ' ') this.scroll += this.page;
  }

  private filterKey(key: Key): void {
    const text = this.editing ?? '';
    if (key.kind === 'enter') {
      this.filter = text.trim();
      this.editing = null;
      this.scroll = 0;
    } else if (key.kind === 'escape' || (key.kind === 'ctrl' && key.letter === 'c')) {
      this.filter = '';
      this.editing = null;
      this.scroll = 0;
    } else if (key.kind === 'backspace') this.editing = text.slice(0, -1);
    else if (key.kind === 'ctrl' && key.letter === 'u') this.editing = '';
    else if (key.kind === 'insert') this.editing = text + key.text.replace(/[\r\n]/g, '');
    else return;
    this.changed();
  }

  private schedule(): void {
    const set = this.options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.timer = set(() => void this.refresh(), this.intervalMs);
  }

  /** One read (what the timer runs); the next is scheduled when it ends. */
  async refresh(): Promise<void> {
    try {
      const next = await this.feed.source.sample();
      if (!this.running) return;
      this.prev = this.cur;
      this.cur = next;
      this.rows = buildRows(this.cur, this.prev);
      this.error = null;
    } catch (e) {
      if (!this.running) return;
      this.error = `reading failed, figures are from the last good read: ${(e as Error).message.split('\n')[0]}`;
    }
    this.changed();
    if (this.running) this.schedule();
  }

  private changed(): void {
    this.frame = this.layout();
    for (const l of this.listeners) l();
  }

  private layout(): Frame {
    const shown = filterRows(sortRows(this.rows, this.sort, this.reverse), this.filter);
    const now = (this.options.now ?? (() => new Date()))();
    const frame = layoutFrame(
      {
        node: this.feed.node,
        clock: now.toTimeString().slice(0, 8),
        intervalS: this.intervalMs / 1000,
        sort: this.sort,
        reverse: this.reverse,
        figures: this.figures,
        filter: this.filter,
        editing: this.editing,
        scroll: this.scroll,
        error: this.error,
      },
      this.cur,
      this.rows,
      shown,
      this.width,
      this.height,
    );
    this.scroll = frame.scroll;
    this.page = frame.page;
    return frame;
  }
}
