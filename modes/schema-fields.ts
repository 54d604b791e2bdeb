// One definition per setting (issue 12 point 8): a service-mode command's words take their help and their
// value's range from the field in config/schema.ts, and the same setting renders its `display set` lines, so a
// setting added to the list in modes/service-settings.ts brings its command, its help and its line together.
// This module holds the parts every setting shares: the schema look-up, the help of a command's words, the
// `display set` unit, and the generated settings of one field (`word VALUE`, `no word`; a flag like shutdown).
import { SERVICE_SCHEMA, type Field, type Schema } from '../config/schema.js';
import type { Service } from '../config/model.js';
import { defaultService } from '../config/defaults.js';
import { editCurrentService } from './service-edit.js';
import type { CommandDef } from './types.js';

/** The field at a path under SERVICE_SCHEMA, list items entered: ['backends', 'weight']. Throws when none. */
export function serviceField(path: readonly string[]): Field {
  let schema: Schema = SERVICE_SCHEMA;
  let f: Field | undefined;
  for (const key of path) {
    if (schema.kind === 'array') schema = schema.items;
    if (schema.kind !== 'object' || !schema.fields[key]) throw new Error(`no schema field ${path.join('.')}`);
    f = schema.fields[key];
    schema = f.schema;
  }
  if (!f) throw new Error('an empty schema path');
  return f;
}

/**
 * A word of a command that edits a schema field: the word's help is the doc of the field at `path`; the value
 * after it (its range, its help) is the field at `value`, when that differs (`persistence N`: the timeout).
 */
export interface FieldWord {
  word: string;
  path: readonly string[];
  value?: readonly string[];
}

/** The grammar token of a field's value: `<min-max>` for an integer, `a|b` for a choice (lower case). */
export function valueToken(path: readonly string[]): string {
  const s = serviceField(path).schema;
  if (s.kind === 'int') return `<${s.min}-${s.max}>`;
  if (s.kind === 'enum') return s.values.map((v) => v.toLowerCase()).join('|');
  throw new Error(`no value token for a ${s.kind} field`);
}

/** `word VALUE` of a field word: the value token of its field. */
export function wordDecl(w: FieldWord): string {
  return `${w.word} ${valueToken(w.value ?? w.path)}`;
}

/** The help of a command's field words: each word and its value (`$word`) say what the field's doc says. */
export function wordHelp(words: readonly FieldWord[]): Record<string, string> {
  return Object.fromEntries(words.flatMap((w) => [
    [w.word, serviceField(w.path).doc],
    ['$' + w.word, serviceField(w.value ?? w.path).doc],
  ]));
}

/**
 * One thing a service sets, as `display set` writes it: its lines, what identifies it (a line and the line that
 * replaces its value share the key), the commands that take it out, and those that turn an `old` unit of the
 * same key into this one when printing the new lines alone would leave something of the old behind.
 */
export interface ServiceUnit {
  key: string;
  lines: string[];
  negation: string[];
  replacing?: (old: ServiceUnit) => string[];
}

/** A unit of one line, taken out by `no KEY` unless said otherwise. */
export function unit(key: string, line: string, negation = `no ${key}`): ServiceUnit {
  return { key, lines: [line], negation: [negation] };
}

/**
 * A setting of a service: the words whose help and ranges come from the schema, the service-mode commands that
 * edit it, and its `display set` units (nothing when it is at its default).
 */
export interface ServiceSetting {
  words: readonly FieldWord[];
  commands: CommandDef[];
  units(s: Service): ServiceUnit[];
}

type Fields = Record<string, unknown>;
const fields = (s: Service) => s as unknown as Fields;
const defaultOf = (s: Service, key: string) => (defaultService(s.name, s.protocol) as unknown as Fields)[key];

/** Puts a field back to its default for this service (absent when it has none). */
function reset(s: Service, key: string): void {
  const d = defaultOf(s, key);
  if (d === undefined) delete fields(s)[key];
  else fields(s)[key] = structuredClone(d);
}

/**
 * A field of one value: `word VALUE` sets it, `no word` puts its default back, `display set` writes it when it
 * differs from the default. `token` is the value's placeholder when the schema has no range or choice (LINE);
 * `text` writes the value back as the command reads it.
 */
export function valueSetting(key: keyof Service & string, word: string, opts: { token?: string; text?: (v: unknown) => string } = {}): ServiceSetting {
  const words = [{ word, path: [key] }];
  const help = wordHelp(words);
  const text = opts.text ?? String;
  return {
    words,
    commands: [
      {
        decl: `${word} ${opts.token ?? valueToken([key])}`,
        help,
        edits: true,
        run: (a, ctx) => editCurrentService(ctx, (s) => void (fields(s)[key] = a[word])),
      },
      { decl: `no ${word}`, help, edits: true, run: (_a, ctx) => editCurrentService(ctx, (s) => reset(s, key)) },
    ],
    units: (s) => {
      const v = fields(s)[key];
      return v === undefined || v === defaultOf(s, key) ? [] : [unit(word, `${word} ${text(v)}`)];
    },
  };
}

/** A true/false field that a bare `word` turns to `value` and `no word` back to its default (shutdown: enabled false). */
export function flagSetting(key: keyof Service & string, word: string, value: boolean): ServiceSetting {
  const words = [{ word, path: [key] }];
  const help = wordHelp(words);
  return {
    words,
    commands: [
      { decl: word, help, edits: true, run: (_a, ctx) => editCurrentService(ctx, (s) => void (fields(s)[key] = value)) },
      { decl: `no ${word}`, help, edits: true, run: (_a, ctx) => editCurrentService(ctx, (s) => reset(s, key)) },
    ],
    units: (s) => (fields(s)[key] === value && defaultOf(s, key) !== value ? [unit(word, word)] : []),
  };
}
