// Value tokens: what a non-keyword position of a command accepts. Each knows how to recognise a whole value,
// a value still being typed (for `?` and TAB), how to convert it, and, for dynamic ones, which values exist now.
import { isIPv4, isIPv6 } from 'node:net';

export type MatchKind = 'full' | 'partial' | 'none';

export interface ValueChoice {
  value: string;
  help: string;
}

export interface ValueType<C = unknown> {
  /** How `?` and the reference show the token: `<1-65535>`, `A.B.C.D`, `WORD`, `NAME`. */
  display: string;
  /** Default one-line help when the command gives none. */
  help: string;
  /** Whole value? A prefix of a possible value? */
  match(word: string, ctx: C): MatchKind;
  convert?(word: string): unknown;
  /** Dynamic values that exist now (service names, backends, revisions) with their help. */
  values?(ctx: C): readonly ValueChoice[];
  /** Only the values() are accepted (e.g. an existing service); otherwise they are suggestions. */
  strict?: boolean;
  /** What the value names, for "unknown service 'wbe'" (strict types only). */
  noun?: string;
  /** Takes the rest of the line (LINE). */
  rest?: boolean;
  /**
   * Why `word` is not a value of this type, when that is known and worth saying (a number out of range, a name
   * with a character names cannot hold, a regular expression that does not compile): printed under the caret.
   */
  why?(word: string): string | undefined;
}

const DIGITS = /^[0-9]+$/;

export function rangeType(min: number, max: number): ValueType {
  return {
    display: `<${min}-${max}>`,
    help: `a number from ${min} to ${max}`,
    match(word) {
      if (!DIGITS.test(word)) return 'none';
      const n = Number(word);
      if (n >= min && n <= max) return 'full';
      // Still typing: a prefix of some number in range (e.g. "1" of <100-200>).
      return word.length < String(max).length && n <= max ? 'partial' : 'none';
    },
    convert: (word) => Number(word),
    why: (word) => (DIGITS.test(word) ? `${word} is out of range: ${min} to ${max}.` : undefined),
  };
}

/** `<a-b>-<c-d>`: a range of numbers written `80-90` (from ≤ to). */
export function rangePairType(min: number, max: number): ValueType {
  const single = rangeType(min, max);
  return {
    display: `<${min}-${max}>-<${min}-${max}>`,
    help: `a range ${min}..${max}, written FROM-TO`,
    match(word, ctx) {
      const dash = word.indexOf('-');
      if (dash < 0) return single.match(word, ctx) === 'none' ? 'none' : 'partial';
      const a = word.slice(0, dash);
      const b = word.slice(dash + 1);
      if (single.match(a, ctx) !== 'full') return 'none';
      if (b === '') return 'partial';
      const mb = single.match(b, ctx);
      if (mb === 'full') return Number(b) >= Number(a) ? 'full' : 'none';
      return mb;
    },
    convert(word) {
      const [a, b] = word.split('-');
      return { from: Number(a), to: Number(b) };
    },
    why(word) {
      const m = /^(\d+)-(\d+)$/.exec(word);
      if (!m) return undefined;
      const [a, b] = [Number(m[1]), Number(m[2])];
      if (a < min || a > max || b < min || b > max) return `${word} is out of range: both ends ${min} to ${max}.`;
      return a > b ? `${word} runs backwards: write FROM-TO with FROM ≤ TO.` : undefined;
    },
  };
}

export const IPV4: ValueType = {
  display: 'A.B.C.D',
  help: 'an IPv4 address',
  match(word) {
    if (isIPv4(word)) return 'full';
    return /^[0-9]{1,3}(\.[0-9]{0,3}){0,3}$/.test(word) ? 'partial' : 'none';
  },
};

export const IPV6: ValueType = {
  display: 'X:X::X:X',
  help: 'an IPv6 address',
  match(word) {
    if (isIPv6(word)) return 'full';
    return /^[0-9a-fA-F:.]+$/.test(word) && word.includes(':') ? 'partial' : /^[0-9a-fA-F]{1,4}$/.test(word) ? 'partial' : 'none';
  },
};

export const WORD: ValueType = {
  display: 'WORD',
  help: 'a word',
  match: (word) => (word.length > 0 ? 'full' : 'partial'),
};

export const LINE: ValueType = {
  display: 'LINE',
  help: 'text to the end of the line (quotes allowed)',
  match: (word) => (word.length > 0 ? 'full' : 'partial'),
  rest: true,
};

/** A word matching a pattern (a new name, a regular expression …). */
export function patternType(display: string, help: string, pattern: RegExp, partial?: RegExp): ValueType {
  return {
    display,
    help,
    match: (word) => (pattern.test(word) ? 'full' : (partial ?? pattern).test(word) || word === '' ? 'partial' : 'none'),
  };
}

/**
 * A dynamic value: the completer lists what exists now. strict = only those are accepted (an existing service);
 * otherwise `accept` decides and the values are only suggestions for TAB and `?`.
 */
export function dynamicType<C>(opts: {
  display: string;
  help: string;
  noun: string;
  values: (ctx: C) => readonly ValueChoice[];
  /** Fast membership test for strict types (10,000 services must not mean 10,000 comparisons per word). */
  has?: (ctx: C, word: string) => boolean;
  strict?: boolean;
  accept?: (word: string) => boolean;
  convert?: (word: string) => unknown;
  why?: (word: string) => string | undefined;
}): ValueType<C> {
  return {
    display: opts.display,
    help: opts.help,
    noun: opts.noun,
    strict: opts.strict,
    values: opts.values,
    convert: opts.convert,
    why: opts.why,
    match(word, ctx) {
      if (opts.strict) {
        const has = opts.has ? opts.has(ctx, word) : opts.values(ctx).some((v) => v.value === word);
        if (has) return 'full';
        return opts.values(ctx).some((v) => v.value.startsWith(word)) ? 'partial' : 'none';
      }
      if (opts.accept ? opts.accept(word) : word.length > 0) return 'full';
      return word === '' ? 'partial' : 'none';
    },
  };
}

/** The built-in placeholders a declaration may use without defining them. */
export function builtinType(token: string): ValueType | undefined {
  if (token === 'A.B.C.D') return IPV4;
  if (token === 'X:X::X:X') return IPV6;
  if (token === 'WORD') return WORD;
  if (token === 'LINE') return LINE;
  let m = /^<(\d+)-(\d+)>-<(\d+)-(\d+)>$/.exec(token);
  if (m) return rangePairType(Number(m[1]), Number(m[2]));
  m = /^<(\d+)-(\d+)>$/.exec(token);
  if (m) return rangeType(Number(m[1]), Number(m[2]));
  return undefined;
}
