// One definition per setting (issue 12 point 8): a service-mode command's value token, range and help come from
// the field in config/schema.ts, and so does its `display set` line. The commands that edit one field of a
// service (slow-start, quorum, u-threshold, l-threshold, on-down) are generated here with their `no` forms; the
// backend command takes its options' ranges and help from BACKEND_SCHEMA. Hand-written handlers stay only for
// the edits that touch several fields (vip/fwmark, protocol/health, ports, scheduler flags, tunnels, sorry). The
// options of `health TYPE …` come from HEALTH_SCHEMA the same way.
import { BACKEND_SCHEMA, HEALTH_SCHEMA, SERVICE_SCHEMA, type Field, type Schema } from '../config/schema.js';
import type { Service } from '../config/model.js';
import { defaultService } from '../config/defaults.js';
import type { CommandDef, ModeContext } from './types.js';

function fieldOf(schema: Schema, key: string): Field {
  if (schema.kind !== 'object' || !schema.fields[key]) throw new Error(`no schema field ${key}`);
  return schema.fields[key];
}

/** The grammar token of a field's value: `<min-max>` for an integer, `a|b` for an enum. */
function valueToken(f: Field): string {
  const s = f.schema;
  if (s.kind === 'int') return `<${s.min}-${s.max}>`;
  if (s.kind === 'enum') return s.values.join('|');
  throw new Error(`no value token for a ${s.kind} field`);
}

/** `[word <min-max>]` and its help, for an option of a command (the backend's port, weight …). */
export function schemaOption(schema: Schema, key: string, word: string): { decl: string; help: Record<string, string> } {
  const f = fieldOf(schema, key);
  return { decl: `[${word} ${valueToken(f)}]`, help: { [word]: f.doc, ['$' + word]: f.doc } };
}

/** The backend command's options, from BACKEND_SCHEMA. */
export function backendOptions(...keys: ('port' | 'weight' | 'u_threshold' | 'l_threshold')[]): { decl: string; help: Record<string, string> } {
  const parts = keys.map((k) => schemaOption(BACKEND_SCHEMA, k, k.replace('_', '-')));
  return { decl: parts.map((p) => p.decl).join(' '), help: Object.assign({}, ...parts.map((p) => p.help)) };
}

type SimpleKey = 'slow_start_s' | 'quorum' | 'u_threshold' | 'l_threshold' | 'on_down';

/** Service fields that one command sets and `no WORD` takes back to the default, in display set order. */
export const SIMPLE_SERVICE_FIELDS: readonly { key: SimpleKey; word: string }[] = [
  { key: 'on_down', word: 'on-down' },
  { key: 'slow_start_s', word: 'slow-start' },
  { key: 'quorum', word: 'quorum' },
  { key: 'u_threshold', word: 'u-threshold' },
  { key: 'l_threshold', word: 'l-threshold' },
];

/** `word VALUE` and `no word` for each simple field; `edit` applies a change to the current service. */
export function simpleFieldCommands(edit: (ctx: ModeContext, fn: (s: Service) => void) => { text?: string } | void): CommandDef[] {
  return SIMPLE_SERVICE_FIELDS.flatMap(({ key, word }) => {
    const f = fieldOf(SERVICE_SCHEMA, key);
    const help = { [word]: f.doc, ['$' + word]: f.doc };
    const set: CommandDef = {
      decl: `${word} ${valueToken(f)}`,
      help,
      edits: true,
      run: (a, ctx) => edit(ctx, (s) => void ((s as unknown as Record<string, unknown>)[key] = a[word])),
    };
    const unset: CommandDef = {
      decl: `no ${word}`,
      help,
      edits: true,
      run: (_a, ctx) =>
        edit(ctx, (s) => {
          const d = defaultService(s.name, s.protocol) as unknown as Record<string, unknown>;
          const r = s as unknown as Record<string, unknown>;
          if (d[key] === undefined) delete r[key];
          else r[key] = d[key];
        }),
    };
    return [set, unset];
  });
}

/** The display set lines of the simple fields a service sets (not at their default). */
export function simpleFieldLines(s: Service): { word: string; line: string }[] {
  const d = defaultService(s.name, s.protocol) as unknown as Record<string, unknown>;
  const r = s as unknown as Record<string, unknown>;
  return SIMPLE_SERVICE_FIELDS.filter(({ key }) => r[key] !== undefined && r[key] !== d[key]).map(({ key, word }) => ({ word, line: `${word} ${String(r[key])}` }));
}

/** The options of `health TYPE …`, each a field of HEALTH_SCHEMA (or of its http/dns parts), in grammar order. */
const HEALTH_OPTION_FIELDS: readonly { word: string; path: readonly string[] }[] = [
  { word: 'port', path: ['port'] },
  { word: 'interval', path: ['interval_ms'] },
  { word: 'timeout', path: ['timeout_ms'] },
  { word: 'fail-after', path: ['fail_after'] },
  { word: 'recover-after', path: ['recover_after'] },
  { word: 'path', path: ['http', 'path'] },
  { word: 'expect', path: ['expect'] },
  { word: 'payload', path: ['payload'] },
  { word: 'method', path: ['http', 'method'] },
  { word: 'host', path: ['http', 'host'] },
  { word: 'expect-status', path: ['http', 'expect_status'] },
  { word: 'insecure', path: ['http', 'insecure'] },
  { word: 'body', path: ['http', 'body'] },
  { word: 'sni', path: ['http', 'sni'] },
  { word: 'query', path: ['dns', 'query'] },
  { word: 'record-type', path: ['dns', 'record_type'] },
  { word: 'rcode', path: ['dns', 'rcode'] },
  { word: 'answer', path: ['dns', 'answer'] },
];

/**
 * `[port <0-65535>] [interval <100-3600000>] … [insecure] …` and the help of each word, from HEALTH_SCHEMA: a
 * number's range, a text (TEXT), a choice (lower-case keywords), a list of status codes (CODES), a flag (bool).
 */
export function healthOptions(): { decl: string; help: Record<string, string> } {
  const help: Record<string, string> = {};
  const parts = HEALTH_OPTION_FIELDS.map(({ word, path }) => {
    let schema: Schema = HEALTH_SCHEMA;
    let f: Field | undefined;
    for (const key of path) {
      f = fieldOf(schema, key);
      schema = f.schema;
    }
    help[word] = help['$' + word] = f!.doc;
    const s = f!.schema;
    if (s.kind === 'bool') return `[${word}]`;
    if (s.kind === 'array') return `[${word} CODES]`;
    if (s.kind === 'enum') return `[${word} ${s.values.map((v) => v.toLowerCase()).join('|')}]`;
    if (s.kind === 'int') return `[${word} ${valueToken(f!)}]`;
    return `[${word} TEXT]`;
  });
  return { decl: parts.join(' '), help };
}
