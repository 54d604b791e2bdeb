// Configure-mode commands derived from the configuration schema (config/schema.ts), so the shell, the YAML
// validation and the reference cannot drift apart: every field of `daemon`, `ha`, `observability` and `system` can be set
// (`daemon reconcile-interval-ms 5000`) and unset (`no daemon reconcile-interval-ms` = back to its default).
// Keywords are the YAML keys in kebab case; lists of named objects (ha.instances) take the element's name
// (`ha instance NAME vrid 1`); lists of values add one value per command (`ha instance NAME vip 10.0.0.1`).
import { defaultConfig } from '../config/defaults.js';
import type { Config } from '../config/model.js';
import { CONFIG_SCHEMA, NAME_MAX, NAME_PATTERN, fieldsOf, type Field, type Schema } from '../config/schema.js';
import { dynamicType, type ValueType } from '../completion/values.js';
import { quoteWord } from '../completion/words.js';
import { editConfig, isDeepEqual } from './edit.js';
import { CommandError, type CommandDef, type ModeContext } from './types.js';

/** The sections of the configuration edited through derived commands. */
export const DERIVED_SECTIONS = ['daemon', 'ha', 'observability', 'system'] as const;

/** One step of a path: an object key, or an element of a named list. */
type Step = { key: string } | { key: string; element: true };

interface Leaf {
  steps: Step[];
  /** Keywords and placeholders before the value: `ha instance NAME$e0 vrid`. */
  words: string[];
  help: Record<string, string>;
  schema: Schema;
  doc: string;
}

const kebab = (k: string) => k.replace(/_/g, '-');
const singular = (k: string) => (k.endsWith('s') ? k.slice(0, -1) : k);

export const ELEMENT_TYPE: ValueType<ModeContext> = dynamicType<ModeContext>({
  display: 'NAME',
  help: 'element name: letters, digits, _ and -',
  noun: 'instance',
  values: (ctx) => (ctx.candidate().ha?.instances ?? []).map((i) => ({ value: i.name, help: `vrid ${i.vrid} on ${i.interface}` })),
  accept: (w) => NAME_PATTERN.test(w) && w.length <= NAME_MAX,
});

function valueDecl(s: Schema): string | undefined {
  switch (s.kind) {
    case 'int':
      return `<${s.min}-${s.max}>$value`;
    case 'bool':
      return 'true|false$value';
    case 'enum':
      return s.values.every((v) => /^[a-z0-9][a-z0-9_.:-]*$/.test(v)) ? `${s.values.join('|')}$value` : 'WORD$value';
    case 'ip':
      return 'ADDRESS$value';
    case 'string':
      return 'TEXT$value';
    default:
      return undefined;
  }
}

function convert(s: Schema, v: unknown): unknown {
  if (s.kind === 'bool') return v === 'true';
  return v;
}

/** Every settable leaf under a section. */
function leaves(section: string): Leaf[] {
  const out: Leaf[] = [];
  const top = fieldsOf(CONFIG_SCHEMA)[section];
  const walk = (field: Field, key: string, steps: Step[], words: string[], help: Record<string, string>, depth: number) => {
    const s = field.schema;
    if (s.kind === 'object') {
      for (const [k, f] of Object.entries(s.fields)) {
        walk(f, k, [...steps, { key: k }], [...words, kebab(k)], { ...help, [kebab(k)]: f.doc }, depth);
      }
      return;
    }
    if (s.kind === 'array' && s.items.kind === 'object' && 'name' in s.items.fields) {
      const kw = singular(kebab(key));
      const w = [...words.slice(0, -1), kw, `ELEMENT$e${depth}`];
      const h = { ...help, [kw]: field.doc, [`$e${depth}`]: s.items.fields.name.doc };
      out.push({ steps: [...steps.slice(0, -1), { key, element: true }], words: w, help: h, schema: s, doc: field.doc });
      for (const [k, f] of Object.entries(s.items.fields)) {
        if (k === 'name') continue;
        walk(f, k, [...steps.slice(0, -1), { key, element: true }, { key: k }], [...w, kebab(k)], { ...h, [kebab(k)]: f.doc }, depth + 1);
      }
      return;
    }
    if (s.kind === 'array') {
      const kw = singular(kebab(key));
      out.push({ steps, words: [...words.slice(0, -1), kw], help: { ...help, [kw]: field.doc }, schema: s, doc: field.doc });
      return;
    }
    out.push({ steps, words, help, schema: s, doc: field.doc });
  };
  walk(top, section, [{ key: section }], [section], { [section]: top.doc }, 0);
  return out;
}

/** Resolve a path in a config, creating named elements when asked. Returns the parent object and last key. */
function locate(config: Config, steps: Step[], names: string[], create: boolean): { parent: Record<string, unknown>; key: string } | undefined {
  let at: Record<string, unknown> = config as unknown as Record<string, unknown>;
  let n = 0;
  for (let i = 0; i < steps.length - 1; i++) {
    const st = steps[i];
    if ('element' in st) {
      const list = (at[st.key] ??= []) as Record<string, unknown>[];
      const name = names[n++];
      let el = list.find((e) => e.name === name);
      if (!el) {
        if (!create) return undefined;
        el = { name, vips: [] };
        list.push(el);
      }
      at = el;
    } else {
      let next = at[st.key] as Record<string, unknown> | undefined;
      if (next === undefined) {
        if (!create) return undefined;
        next = {};
        at[st.key] = next;
      }
      at = next;
    }
  }
  return { parent: at, key: steps[steps.length - 1].key };
}

function defaultAt(steps: Step[]): unknown {
  if (steps.some((s) => 'element' in s)) return undefined;
  let at: unknown = defaultConfig();
  for (const s of steps) at = (at as Record<string, unknown> | undefined)?.[s.key];
  return at;
}

function elementNames(a: Record<string, unknown>): string[] {
  return Object.keys(a)
    .filter((k) => /^e\d+$/.test(k))
    .sort()
    .map((k) => a[k] as string);
}

function commandsFor(leaf: Leaf): CommandDef[] {
  const head = leaf.words.join(' ');
  const last = leaf.steps[leaf.steps.length - 1];
  const help: Record<string, string> = { ...leaf.help, $value: leaf.doc, no: 'Remove a setting or restore its default' };
  // Keyword values (enums, booleans) get their own help line.
  const values = leaf.schema.kind === 'enum' ? leaf.schema.values : leaf.schema.kind === 'bool' ? ['true', 'false'] : [];
  // The doc reads on after the value (`frr: where VRRP state comes from …`): a capitalised word is lowered, an
  // acronym (`UDP: …`) is not.
  const after = /^[A-Z][a-z]/.test(leaf.doc) ? leaf.doc.charAt(0).toLowerCase() + leaf.doc.slice(1) : leaf.doc;
  for (const v of values) help[v] = v === 'true' ? 'Turn it on' : v === 'false' ? 'Turn it off' : `${v}: ${after}`;
  // A named element itself: create it, remove it.
  if ('element' in last) {
    return [
      {
        decl: head,
        help,
        edits: true,
        run: (a, ctx) => {
          const names = elementNames(a);
          ctx.setCandidate(editConfig(ctx.candidate(), (c) => void locateElement(c, leaf.steps, names, true)));
        },
      },
      {
        decl: `no ${head}`,
        help,
        edits: true,
        run: (a, ctx) => {
          const names = elementNames(a);
          ctx.setCandidate(
            editConfig(ctx.candidate(), (c) => {
              const loc = locate(c, leaf.steps, names.slice(0, -1), false);
              const list = loc?.parent[last.key] as { name: string }[] | undefined;
              const name = names[names.length - 1];
              if (!list?.some((e) => e.name === name)) throw new CommandError(`% ${leaf.words[leaf.words.length - 2]} "${name}" does not exist.`);
              loc!.parent[last.key] = list.filter((e) => e.name !== name);
            }),
          );
        },
      },
    ];
  }
  const s = leaf.schema;
  if (s.kind === 'array') {
    const item = valueDecl(s.items);
    if (!item) return [];
    return [
      {
        decl: `${head} ${item}`,
        help,
        edits: true,
        run: (a, ctx) =>
          ctx.setCandidate(
            editConfig(ctx.candidate(), (c) => {
              const loc = locate(c, leaf.steps, elementNames(a), true)!;
              const list = ((loc.parent[loc.key] as unknown[]) ??= []);
              const v = convert(s.items, a.value);
              if (!list.includes(v)) list.push(v);
            }),
          ),
      },
      {
        decl: `no ${head} [${item}]`,
        help,
        edits: true,
        run: (a, ctx) =>
          ctx.setCandidate(
            editConfig(ctx.candidate(), (c) => {
              const loc = locate(c, leaf.steps, elementNames(a), false);
              if (!loc) throw new CommandError(`% ${head.split(' ')[1] ?? head} is not configured.`);
              const list = (loc.parent[loc.key] as unknown[] | undefined) ?? [];
              if (a.value === undefined) loc.parent[loc.key] = [];
              else {
                const v = convert(s.items, a.value);
                if (!list.includes(v)) throw new CommandError(`% ${String(v)} is not configured.`);
                loc.parent[loc.key] = list.filter((x) => x !== v);
              }
            }),
          ),
      },
    ];
  }
  const v = valueDecl(s);
  if (!v) return [];
  return [
    {
      decl: `${head} ${v}`,
      help,
      edits: true,
      run: (a, ctx) =>
        ctx.setCandidate(
          editConfig(ctx.candidate(), (c) => {
            const loc = locate(c, leaf.steps, elementNames(a), true)!;
            loc.parent[loc.key] = convert(s, a.value);
          }),
        ),
    },
    {
      decl: `no ${head}`,
      help,
      edits: true,
      run: (a, ctx) =>
        ctx.setCandidate(
          editConfig(ctx.candidate(), (c) => {
            const loc = locate(c, leaf.steps, elementNames(a), false);
            if (!loc) return;
            const d = defaultAt(leaf.steps);
            if (d === undefined) delete loc.parent[loc.key];
            else loc.parent[loc.key] = structuredClone(d);
          }),
        ),
    },
  ];
}

function locateElement(c: Config, steps: Step[], names: string[], create: boolean): void {
  // Creating the element is locating a (virtual) child of it.
  locate(c, [...steps, { key: '_' }], names, create);
}

/** The derived configure-mode commands. */
export function derivedCommands(): CommandDef[] {
  return DERIVED_SECTIONS.flatMap((section) => leaves(section).flatMap(commandsFor));
}

/**
 * The derived sections of a configuration as the commands that set them (only what differs from the defaults,
 * and every named element with all its fields).
 */
export function derivedSetLines(config: Config): string[] {
  return derivedSetStatements(config).map((st) => st.line);
}

/**
 * A `display set` line with what identifies it and the command that takes it out again: `key` is the same for a
 * line and the line that replaces its value (`daemon reconcile-interval-ms 5000` → `…-ms 7000`), so a comparison
 * prints the new value alone; `negation` is what a comparison prints when the statement goes.
 */
export interface SetStatement {
  line: string;
  key: string;
  negation: string;
}

/** derivedSetLines with each line's key and negation, from the same walk of the schema. */
export function derivedSetStatements(config: Config): SetStatement[] {
  const out: SetStatement[] = [];
  const created = new Set<string>();
  for (const section of DERIVED_SECTIONS) {
    for (const leaf of leaves(section)) {
      const last = leaf.steps[leaf.steps.length - 1];
      for (const { value, names } of valuesAt(config, leaf.steps)) {
        const head = fillNames(leaf.words, names).join(' ');
        if ('element' in last) {
          out.push({ line: head, key: head, negation: `no ${head}` });
          created.add(head);
          continue;
        }
        if (value === undefined) continue;
        if (!leaf.steps.some((s) => 'element' in s) && isDeepEqual(value, defaultAt(leaf.steps))) continue;
        if (Array.isArray(value))
          for (const v of value) out.push({ line: `${head} ${text(v)}`, key: `${head} ${text(v)}`, negation: `no ${head} ${text(v)}` });
        else out.push({ line: `${head} ${text(value)}`, key: head, negation: `no ${head}` });
      }
    }
  }
  return groupElements(out, created);
}

/** Each named element's lines right after the line that creates it (leaves() walks field by field). */
function groupElements(statements: SetStatement[], created: Set<string>): SetStatement[] {
  const out: SetStatement[] = [];
  const taken = new Set<number>();
  statements.forEach((st, i) => {
    if (taken.has(i)) return;
    out.push(st);
    if (!created.has(st.line)) return;
    statements.forEach((m, j) => {
      if (j > i && !taken.has(j) && m.line.startsWith(st.line + ' ')) {
        out.push(m);
        taken.add(j);
      }
    });
  });
  return out;
}

function text(v: unknown): string {
  if (typeof v === 'string') return quoteWord(v);
  return String(v);
}

function fillNames(words: string[], names: string[]): string[] {
  let n = 0;
  return words.map((w) => (w.startsWith('ELEMENT$') ? quoteWord(names[n++]) : w));
}

/** Every value at a path, one per combination of named elements. */
function valuesAt(config: Config, steps: Step[]): { value: unknown; names: string[] }[] {
  let frontier: { at: unknown; names: string[] }[] = [{ at: config, names: [] }];
  for (let i = 0; i < steps.length; i++) {
    const st = steps[i];
    const next: { at: unknown; names: string[] }[] = [];
    for (const f of frontier) {
      const v = (f.at as Record<string, unknown> | undefined)?.[st.key];
      if ('element' in st) {
        for (const el of (v as { name: string }[] | undefined) ?? []) next.push({ at: el, names: [...f.names, el.name] });
      } else next.push({ at: v, names: f.names });
    }
    frontier = next;
  }
  return frontier.map((f) => ({ value: f.at, names: f.names }));
}
