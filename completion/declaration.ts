// A command declaration, FRR DEFPY style, parsed into a small tree:
//   "backend A.B.C.D|X:X::X:X [port <0-65535>] [weight <0-2147483647>]"
// Syntax: blank-separated units; `a|b` alternatives (tight, no blanks); `[...]` optional; `(...)` group;
// inside a group a lone `|` between blanks separates whole sequences: `[ipip | gue port <1-65535>]`.
// Runs of two or more optional units may be given in any order (each at most once): `[port N] [weight N]`.
// Value tokens bind to the keyword before them (`port <1-65535>` → args.port) unless named with `$name`.
import { builtinType, type ValueType } from './values.js';

export type Node =
  | { t: 'kw'; word: string; bind?: string }
  | { t: 'val'; token: string; type: ValueType<any>; bind: string }
  | { t: 'seq'; items: Node[] }
  | { t: 'alt'; options: Node[]; bind?: string }
  | { t: 'opt'; item: Node }
  | { t: 'perm'; items: Node[] };

export class DeclarationError extends Error {}

const KEYWORD = /^[a-z0-9][a-z0-9_.:-]*$/;

export function parseDeclaration(decl: string, types: Record<string, ValueType<any>> = {}): Node {
  const toks = lex(decl);
  let pos = 0;
  const peek = () => toks[pos];
  const fail = (why: string): never => {
    throw new DeclarationError(`declaration "${decl}": ${why}`);
  };

  // seqAlt := seq ( ' | ' seq )*
  function seqAlt(close: string | undefined): Node {
    const options: Node[] = [seq(close)];
    while (peek() === ' | ') {
      pos++;
      options.push(seq(close));
    }
    return options.length === 1 ? options[0] : { t: 'alt', options };
  }
  function seq(close: string | undefined): Node {
    const items: Node[] = [];
    for (;;) {
      const t = peek();
      if (t === undefined || t === close || t === ' | ') break;
      if (t === ']' || t === ')') fail(`unexpected '${t}'`);
      items.push(unit());
    }
    if (items.length === 0) fail('empty sequence');
    return { t: 'seq', items: groupPermutations(items) };
  }
  function unit(): Node {
    const options: Node[] = [atom()];
    while (peek() === '|') {
      pos++;
      options.push(atom());
    }
    let node: Node = options.length === 1 ? options[0] : { t: 'alt', options };
    const b = bindName();
    if (b) node = withBind(node, b);
    return node;
  }
  function atom(): Node {
    const t = peek();
    if (t === '[' || t === '(') {
      pos++;
      const close = t === '[' ? ']' : ')';
      const inner = seqAlt(close);
      if (peek() !== close) fail(`missing '${close}'`);
      pos++;
      const b = bindName();
      const node = b ? withBind(inner, b) : inner;
      return t === '[' ? { t: 'opt', item: node } : node;
    }
    if (t === undefined || t === '|' || t === ']' || t === ')' || t === ' | ') fail(`expected a token at '${t ?? 'end'}'`);
    pos++;
    const dollar = t!.indexOf('$');
    const text = dollar > 0 ? t!.slice(0, dollar) : t!;
    const bind = dollar > 0 ? t!.slice(dollar + 1) : undefined;
    const type = types[text] ?? builtinType(text);
    if (type) return { t: 'val', token: text, type, bind: bind ?? '' };
    if (!KEYWORD.test(text)) fail(`unknown placeholder '${text}'`);
    return bind ? { t: 'kw', word: text, bind } : { t: 'kw', word: text };
  }
  function bindName(): string | undefined {
    const t = peek();
    if (t !== undefined && t.startsWith('$')) {
      pos++;
      return t.slice(1);
    }
    return undefined;
  }

  const root = seqAlt(undefined);
  if (pos !== toks.length) fail(`unexpected '${toks[pos]}'`);
  nameBindings(root, undefined);
  return root;
}

function withBind(node: Node, bind: string): Node {
  if (node.t === 'val') return { ...node, bind };
  if (node.t === 'kw') return { ...node, bind };
  if (node.t === 'alt') return { ...node, bind };
  if (node.t === 'seq' && node.items.length === 1) return withBind(node.items[0], bind);
  return node;
}

/** Consecutive optional units become one unordered block. */
function groupPermutations(items: Node[]): Node[] {
  const out: Node[] = [];
  let run: Node[] = [];
  const flush = () => {
    if (run.length >= 2) out.push({ t: 'perm', items: run });
    else out.push(...run);
    run = [];
  };
  for (const it of items) {
    if (it.t === 'opt') run.push(it);
    else {
      flush();
      out.push(it);
    }
  }
  flush();
  return out;
}

/** Give every value (and every keyword alternative) the name it binds to. */
function nameBindings(node: Node, inherited: string | undefined): void {
  switch (node.t) {
    case 'val':
      if (!node.bind) node.bind = inherited ?? defaultName(node.token);
      return;
    case 'kw':
      if (!node.bind && inherited) node.bind = inherited;
      return;
    case 'alt': {
      const b = node.bind ?? inherited;
      for (const o of node.options) nameBindings(o, b);
      return;
    }
    case 'opt':
      nameBindings(node.item, inherited);
      return;
    case 'perm':
      for (const it of node.items) nameBindings(it, undefined);
      return;
    case 'seq': {
      let prev: Node | undefined;
      for (const it of node.items) {
        const fromPrev = prev && prev.t === 'kw' ? prev.word : undefined;
        if (it.t === 'val' || it.t === 'alt') nameBindings(it, fromPrev ?? (node.items.length === 1 ? inherited : undefined));
        // `no port [<1-65535>]`: an optional value still belongs to the keyword before it.
        else if (it.t === 'opt') nameBindings(it, fromPrev);
        else nameBindings(it, undefined);
        prev = it;
      }
      return;
    }
  }
}

function defaultName(token: string): string {
  if (token === 'A.B.C.D' || token === 'X:X::X:X') return 'address';
  if (token.startsWith('<')) return 'number';
  return token.toLowerCase();
}

/** Declaration lexer: brackets, `|` (tight) and ` | ` (loose), `$name`, and tokens. */
function lex(decl: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < decl.length) {
    const c = decl[i];
    if (c === ' ') {
      // A `|` with blanks around it separates sequences.
      let j = i;
      while (decl[j] === ' ') j++;
      if (decl[j] === '|' && decl[j + 1] === ' ') {
        out.push(' | ');
        i = j + 1;
        continue;
      }
      i = j;
      continue;
    }
    if (c === '[' || c === ']' || c === '(' || c === ')' || c === '|') {
      out.push(c);
      i++;
      continue;
    }
    if (c === '$') {
      let j = i + 1;
      while (j < decl.length && /[A-Za-z0-9_-]/.test(decl[j])) j++;
      out.push(decl.slice(i, j));
      i = j;
      continue;
    }
    let j = i;
    // `<1-65535>-<1-65535>` and `<a-b>` hold no brackets of ours; stop at blanks, brackets, `|`, `$`.
    while (j < decl.length && !' []()|$'.includes(decl[j])) j++;
    out.push(decl.slice(i, j));
    i = j;
  }
  return out;
}

/** Every keyword and value token of a tree, in order (for the reference and help-completeness checks). */
export function tokensOf(node: Node): (Extract<Node, { t: 'kw' }> | Extract<Node, { t: 'val' }>)[] {
  switch (node.t) {
    case 'kw':
    case 'val':
      return [node];
    case 'seq':
    case 'perm':
      return node.items.flatMap(tokensOf);
    case 'alt':
      return node.options.flatMap(tokensOf);
    case 'opt':
      return tokensOf(node.item);
  }
}
