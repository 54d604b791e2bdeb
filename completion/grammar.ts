// The matching engine. It knows no command: a Grammar is built from declarations (modes/ supplies them) and
// answers three questions about a line: what does it mean (parse), how can its last word be completed (TAB),
// and what may come next (`?`). All three walk the same automata, so they never disagree.
import { parseDeclaration, tokensOf, type Node } from './declaration.js';
import { compile, type Automaton, type TokenNode } from './nfa.js';
import type { ValueType } from './values.js';
import { endsInWord, splitWords, type Word } from './words.js';
import { didYouMean } from './suggest.js';

export interface CommandSpec<R> {
  /** `show ipvs [service NAME] [stats|rate]` */
  decl: string;
  /** Help per keyword (`show`), per value binding (`$port`) or per placeholder (`NAME`). */
  help?: Record<string, string>;
  /** What the caller wants back when this command matches (its handler, flags …). */
  data: R;
}

export interface GrammarOptions<C> {
  /** Placeholders beyond the built-ins (`NAME` → the service-name type …). */
  types?: Record<string, ValueType<C>>;
  /** Help shared by every command of the grammar, looked up after the command's own. */
  help?: Record<string, string>;
}

export type Args = Record<string, unknown>;

export type ParseError =
  /** No command matches from `column` on (0-based in the line given). */
  | { kind: 'invalid'; column: number; hint?: string }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'incomplete' };

export type ParseResult<R> =
  | { ok: true; command: R; args: Args; keywords: string[]; spec: CommandSpec<R> }
  | { ok: false; error: ParseError }
  | { ok: true; empty: true };

export interface HelpItem {
  token: string;
  help: string;
}

interface Thread {
  cmd: number;
  state: number;
  masks: number[];
  args: Args;
  keywords: string[];
  /** A LINE token took the rest of the line. */
  rest?: TokenNode;
  /** The value type of the last word, when it was a value (a TEXT followed by another word means missing quotes). */
  lastValue?: ValueType<unknown>;
}

interface Compiled<R> {
  spec: CommandSpec<R>;
  tree: Node;
  nfa: Automaton;
}

const MAX_DYNAMIC_HELP = 50;

export class Grammar<C, R> {
  private readonly commands: Compiled<R>[];

  constructor(
    specs: readonly CommandSpec<R>[],
    private readonly opts: GrammarOptions<C> = {},
  ) {
    this.commands = specs.map((spec) => {
      const tree = parseDeclaration(spec.decl, opts.types ?? {});
      return { spec, tree, nfa: compile(tree) };
    });
  }

  specs(): CommandSpec<R>[] {
    return this.commands.map((c) => c.spec);
  }

  /** Every token of a command with its help (for the generated reference). */
  describe(spec: CommandSpec<R>): HelpItem[] {
    const c = this.commands.find((x) => x.spec === spec);
    if (!c) return [];
    const seen = new Set<string>();
    const out: HelpItem[] = [];
    for (const t of tokensOf(c.tree)) {
      const token = t.t === 'kw' ? t.word : t.type.display;
      const help = this.helpOf(c.spec, t);
      const key = `${token}\u0000${help}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ token, help });
    }
    return out;
  }

  parse(line: string, ctx: C): ParseResult<R> {
    const words = splitWords(line);
    if (words.length === 0) return { ok: true, empty: true };
    const run = this.run(line, words, ctx);
    if ('error' in run) return { ok: false, error: run.error };
    const done = run.threads.filter((t) => t.rest || this.accepting(t));
    if (done.length === 0) return { ok: false, error: { kind: 'incomplete' } };
    const best = done.reduce((a, b) => (b.cmd < a.cmd ? b : a));
    const spec = this.commands[best.cmd].spec;
    return { ok: true, command: spec.data, args: best.args, keywords: best.keywords, spec };
  }

  /** TAB: complete the last word when it is unambiguous, else its longest common prefix plus the candidates. */
  complete(line: string, ctx: C): { line: string; candidates: string[] } {
    const unchanged = { line, candidates: [] as string[] };
    const words = splitWords(line);
    const partial = endsInWord(line) ? words.pop() : undefined;
    if (partial?.quoted) return unchanged;
    const prefix = partial?.text ?? '';
    const run = this.run(line, words, ctx);
    if ('error' in run) return unchanged;
    const names = new Set<string>();
    for (const t of run.threads) {
      if (t.rest) continue;
      for (const e of this.edges(t)) {
        const n = e.node;
        if (n.t === 'kw') {
          if (n.word.startsWith(prefix.toLowerCase())) names.add(n.word);
        } else if (n.type.values) {
          for (const v of n.type.values(ctx)) if (v.value.startsWith(prefix)) names.add(v.value);
        }
      }
    }
    const list = [...names].sort(naturalOrder);
    if (list.length === 0) return unchanged;
    const head = partial ? line.slice(0, partial.start) : line;
    if (prefix !== '' && (list.length === 1 || names.has(prefix.toLowerCase()))) {
      const word = list.length === 1 ? list[0] : prefix.toLowerCase();
      return { line: head + word + ' ', candidates: [] };
    }
    if (prefix === '') return { line, candidates: list };
    const lcp = commonPrefix(list);
    return { line: lcp.length > prefix.length ? head + lcp : line, candidates: list };
  }

  /** `?`: after a partial word, what it may become; after a blank, what may come next (and `<cr>`). */
  help(line: string, ctx: C): { ok: true; entries: HelpItem[] } | { ok: false; error: ParseError | 'unrecognized' } {
    const words = splitWords(line);
    const partial = endsInWord(line) ? words.pop() : undefined;
    const run = this.run(line, words, ctx);
    if ('error' in run) return { ok: false, error: run.error };
    const keywords = new Map<string, string>();
    const values = new Map<string, string>();
    const dynamic = new Map<string, string>();
    let cr = false;
    let dynamicMore = 0;
    for (const t of run.threads) {
      const spec = this.commands[t.cmd].spec;
      if (t.rest) {
        if (!partial) values.set(t.rest.t === 'val' ? t.rest.type.display : '', this.helpOf(spec, t.rest));
        cr = true;
        continue;
      }
      if (!partial && this.accepting(t)) cr = true;
      for (const e of this.edges(t)) {
        const n = e.node;
        if (n.t === 'kw') {
          if (!partial || n.word.startsWith(partial.text.toLowerCase())) {
            if (!keywords.has(n.word)) keywords.set(n.word, this.helpOf(spec, n));
          }
          continue;
        }
        const prefix = partial?.text ?? '';
        if (partial && n.type.match(prefix, ctx) === 'none' && !n.type.values) continue;
        if (n.type.values) {
          const vs = n.type.values(ctx).filter((v) => v.value.startsWith(prefix));
          if (partial && vs.length === 0 && n.type.strict) continue;
          for (const v of vs) {
            if (dynamic.has(v.value)) continue;
            if (dynamic.size >= MAX_DYNAMIC_HELP) dynamicMore++;
            else dynamic.set(v.value, v.help);
          }
          if (partial && n.type.match(prefix, ctx) === 'none' && vs.length === 0) continue;
        }
        if (!values.has(n.type.display)) values.set(n.type.display, this.helpOf(spec, n));
      }
    }
    const entries: HelpItem[] = [];
    for (const k of [...keywords.keys()].sort()) entries.push({ token: k, help: keywords.get(k)! });
    for (const [k, h] of values) entries.push({ token: k, help: h });
    for (const k of [...dynamic.keys()].sort(naturalOrder)) entries.push({ token: k, help: dynamic.get(k)! });
    if (dynamicMore > 0) entries.push({ token: '...', help: `${dynamicMore} more: type more of the name` });
    if (cr) entries.push({ token: '<cr>', help: '' });
    if (entries.length === 0) return partial ? { ok: false, error: 'unrecognized' } : { ok: false, error: { kind: 'incomplete' } };
    return { ok: true, entries };
  }

  // ---- the automaton walk ----

  private accepting(t: Thread): boolean {
    return this.commands[t.cmd].nfa.states[t.state].accept;
  }

  private edges(t: Thread) {
    return this.commands[t.cmd].nfa.states[t.state].tokens;
  }

  private startThreads(): Thread[] {
    const out: Thread[] = [];
    this.commands.forEach((c, cmd) => {
      out.push(...this.closure({ cmd, state: c.nfa.start, masks: new Array(c.nfa.blocks).fill(0), args: {}, keywords: [] }));
    });
    return out;
  }

  /** All threads reachable without consuming a word. */
  private closure(t0: Thread): Thread[] {
    const nfa = this.commands[t0.cmd].nfa;
    const seen = new Set<string>();
    const out: Thread[] = [];
    const stack = [t0];
    while (stack.length) {
      const t = stack.pop()!;
      const key = `${t.state}|${t.masks.join(',')}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(t);
      for (const e of nfa.states[t.state].eps) {
        let masks = t.masks;
        if (e.block !== undefined) {
          if (e.need !== undefined && masks[e.block] & (1 << e.need)) continue;
          if (e.set !== undefined || e.reset) {
            masks = masks.slice();
            masks[e.block] = e.reset ? 0 : masks[e.block] | (1 << e.set!);
          }
        }
        stack.push({ ...t, state: e.to, masks });
      }
    }
    return out;
  }

  /** Consume the words; the surviving threads, or the first error. */
  private run(line: string, words: Word[], ctx: C): { threads: Thread[] } | { error: ParseError } {
    let threads = this.startThreads();
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      const lower = w.text.toLowerCase();
      const exact: [Thread, TokenNode, number][] = [];
      const prefix: [Thread, TokenNode, number][] = [];
      const valued: [Thread, TokenNode, number][] = [];
      const passing: Thread[] = [];
      let caret = 0;
      const strictMisses: { noun: string; values: string[] }[] = [];
      const reasons: string[] = [];
      let afterText = false;
      for (const t of threads) {
        if (t.lastValue?.display === 'TEXT') afterText = true;
        if (t.rest) {
          passing.push(t);
          continue;
        }
        for (const e of this.edges(t)) {
          const n = e.node;
          if (n.t === 'kw') {
            if (!w.quoted && n.word === lower) exact.push([t, n, e.to]);
            else if (!w.quoted && n.word.startsWith(lower)) prefix.push([t, n, e.to]);
            else caret = Math.max(caret, commonPrefixLength(n.word, lower));
          } else {
            const m = n.type.match(w.text, ctx);
            if (m === 'full') valued.push([t, n, e.to]);
            else if (n.type.strict && n.type.values && n.type.noun) {
              strictMisses.push({ noun: n.type.noun, values: n.type.values(ctx).map((v) => v.value) });
            } else if (m === 'none' || (m === 'partial' && i === words.length - 1)) {
              const why = n.type.why?.(w.text);
              if (why) reasons.push(why);
            }
          }
        }
      }
      let chosen: [Thread, TokenNode, number][];
      if (exact.length) chosen = exact;
      else if (prefix.length) {
        const distinct = [...new Set(prefix.map(([, n]) => (n as { word: string }).word))].sort();
        if (distinct.length > 1) return { error: { kind: 'ambiguous', candidates: distinct } };
        chosen = prefix;
      } else chosen = valued;
      if (chosen.length === 0 && passing.length === 0) {
        let hint: string | undefined;
        for (const miss of strictMisses) {
          const guess = didYouMean(w.text, miss.values);
          hint = guess !== undefined ? `% Unknown ${miss.noun} "${w.text}": did you mean "${guess}"?` : `% Unknown ${miss.noun} "${w.text}".`;
          break;
        }
        // Why the word is not a value, when a value type knows and no keyword was being typed (a keyword prefix
        // moved the caret: the operator meant a keyword, and a value's reason would mislead).
        if (!hint && caret === 0 && reasons.length) hint = `% ${reasons[0]}`;
        if (!hint && afterText && i > 0)
          hint = `% Text of several words goes in double quotes: "${words[i - 1].text} ${w.text}${i + 1 < words.length ? ' …' : ''}".`;
        const col = w.start + (w.quoted ? 0 : Math.min(caret, Math.max(0, w.text.length - 1)));
        return { error: hint ? { kind: 'invalid', column: col, hint } : { kind: 'invalid', column: col } };
      }
      const next: Thread[] = [...passing];
      for (const [t, n, to] of chosen) {
        const args = { ...t.args };
        const keywords = n.t === 'kw' ? [...t.keywords, n.word] : t.keywords;
        let rest: TokenNode | undefined;
        if (n.t === 'kw') {
          if (n.bind) args[n.bind] = n.word;
        } else if (n.type.rest) {
          args[n.bind] = restOfLine(line, words, i);
          rest = n;
        } else {
          args[n.bind] = n.type.convert ? n.type.convert(w.text) : w.text;
        }
        const moved: Thread = { cmd: t.cmd, state: to, masks: t.masks, args, keywords, rest, lastValue: n.t === 'kw' ? undefined : (n.type as ValueType<unknown>) };
        if (rest) next.push(moved);
        else next.push(...this.closure(moved));
      }
      threads = next;
    }
    return { threads };
  }

  private helpOf(spec: CommandSpec<R>, n: TokenNode): string {
    if (n.t === 'kw') return sentence(spec.help?.[n.word] ?? this.opts.help?.[n.word] ?? '');
    return sentence(
      spec.help?.['$' + n.bind] ??
        spec.help?.[n.token] ??
        this.opts.help?.['$' + n.bind] ??
        this.opts.help?.[n.token] ??
        n.type.help,
    );
  }
}

/**
 * Help reads as a sentence whatever its source (hand-written, the schema's text, a value type's): a capital
 * first letter. Values offered by name (a service's description) are the operator's text and stay as written.
 */
function sentence(help: string): string {
  return help.charAt(0).toUpperCase() + help.slice(1);
}

function restOfLine(line: string, words: Word[], i: number): string {
  if (i === words.length - 1 && words[i].quoted) return words[i].text;
  return line.slice(words[i].start).trimEnd();
}

function commonPrefixLength(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** Names in the order people expect: numbers by value (revisions 2 before 10), else alphabetically. */
const collator = new Intl.Collator('en', { numeric: true });
function naturalOrder(a: string, b: string): number {
  return collator.compare(a, b);
}

export function commonPrefix(list: string[]): string {
  if (list.length === 0) return '';
  let p = list[0];
  for (const s of list) p = p.slice(0, commonPrefixLength(p, s));
  return p;
}
