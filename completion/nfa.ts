// A declaration tree compiled to a small automaton whose transitions are tokens. Matching runs all
// commands of a mode side by side (a set of threads), so abbreviation and ambiguity are judged across every
// command at once, the way IOS does. Unordered optional blocks keep a per-thread bitmask of what was used.
import type { Node } from './declaration.js';

export type TokenNode = Extract<Node, { t: 'kw' }> | Extract<Node, { t: 'val' }>;

export interface Epsilon {
  to: number;
  /** Unordered block bookkeeping: require bit `need` clear, or set bit `set`, or clear the whole mask. */
  block?: number;
  need?: number;
  set?: number;
  reset?: boolean;
}

export interface State {
  tokens: { node: TokenNode; to: number }[];
  eps: Epsilon[];
  accept: boolean;
}

export interface Automaton {
  states: State[];
  start: number;
  blocks: number;
}

export function compile(root: Node): Automaton {
  const states: State[] = [];
  let blocks = 0;
  const add = (): number => {
    states.push({ tokens: [], eps: [], accept: false });
    return states.length - 1;
  };
  function build(node: Node, from: number): number {
    switch (node.t) {
      case 'kw':
      case 'val': {
        const to = add();
        states[from].tokens.push({ node, to });
        return to;
      }
      case 'seq': {
        let at = from;
        for (const it of node.items) at = build(it, at);
        return at;
      }
      case 'alt': {
        const end = add();
        for (const o of node.options) {
          const s = add();
          states[from].eps.push({ to: s });
          states[build(o, s)].eps.push({ to: end });
        }
        return end;
      }
      case 'opt': {
        const end = add();
        const s = add();
        states[from].eps.push({ to: s }, { to: end });
        states[build(node.item, s)].eps.push({ to: end });
        return end;
      }
      case 'perm': {
        const block = blocks++;
        const entry = add();
        const exit = add();
        states[from].eps.push({ to: entry, block, reset: true });
        states[entry].eps.push({ to: exit });
        node.items.forEach((item, bit) => {
          const inner = item.t === 'opt' ? item.item : item;
          const s = add();
          states[entry].eps.push({ to: s, block, need: bit });
          states[build(inner, s)].eps.push({ to: entry, block, set: bit });
        });
        return exit;
      }
    }
  }
  const start = add();
  const end = build(root, start);
  states[end].accept = true;
  return { states, start, blocks };
}
