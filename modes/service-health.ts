// The health check of a service in service mode: `health TYPE [options]`, `health disable|enable`, `no health
// [OPTION]`, and its `display set` line. Every option is one entry of HEALTH_OPTIONS, a field of HEALTH_SCHEMA:
// the grammar, the help, what the command sets and what `display set` writes all walk that one list.
import { DEFAULT_DNS_RECORD_TYPE, DEFAULT_HTTP_CHECK, defaultHealth } from '../config/defaults.js';
import { DNS_RCODES, HEALTH_TYPES, type Health, type Service } from '../config/model.js';
import type { Args } from '../completion/grammar.js';
import { quoteWord } from '../completion/words.js';
import { isDeepEqual } from './edit.js';
import { serviceField, wordHelp, type FieldWord, type ServiceSetting } from './schema-fields.js';
import { editCurrentService } from './service-edit.js';
import { CommandError } from './types.js';

export const HEALTH_KEYWORDS = HEALTH_TYPES.map((t) => t.replace(/_/g, '-'));
export const RECORD_TYPES = ['a', 'aaaa', 'cname', 'mx', 'ns', 'soa', 'txt', 'srv', 'ptr'] as const;

/** Help of the value keywords of health commands (the check types, methods, record types, reply codes). */
export const HEALTH_VALUE_HELP: Record<string, string> = {
  'udp-echo': 'UDP: send a payload, expect a reply',
  http: 'HTTP request',
  https: 'HTTPS request',
  dns: 'DNS query',
  none: 'No check: backends are always up',
  get: 'GET',
  head: 'HEAD',
  ...Object.fromEntries(RECORD_TYPES.map((r) => [r, `${r.toUpperCase()} record`])),
  ...Object.fromEntries(DNS_RCODES.map((c) => [c.toLowerCase(), `Reply code ${c}`])),
};

interface HealthOption extends FieldWord {
  /** The check types that take it (absent: every type). */
  types?: readonly Health['type'][];
  /** Check bytes (text, or hex:… when it holds a line break): see checkBytesWord. */
  bytes?: boolean;
  /** Written by `display set` even at its default: `path` makes the http block of a check that is not http. */
  always?: (h: Health) => boolean;
}

const HTTP: readonly Health['type'][] = ['http', 'https'];
const DNS: readonly Health['type'][] = ['dns'];
const httpish = (h: Health) => HTTP.includes(h.type);

/** The options of `health TYPE …`, in the order `display set` writes them. */
const HEALTH_OPTIONS: readonly HealthOption[] = [
  { word: 'port', path: ['health', 'port'] },
  { word: 'interval', path: ['health', 'interval_ms'] },
  { word: 'timeout', path: ['health', 'timeout_ms'] },
  { word: 'fail-after', path: ['health', 'fail_after'] },
  { word: 'recover-after', path: ['health', 'recover_after'] },
  { word: 'expect', path: ['health', 'expect'], types: ['tcp', 'udp_echo'], bytes: true },
  { word: 'payload', path: ['health', 'payload'], types: ['tcp', 'udp_echo'], bytes: true },
  { word: 'path', path: ['health', 'http', 'path'], types: HTTP, always: (h) => !httpish(h) },
  { word: 'method', path: ['health', 'http', 'method'], types: HTTP },
  { word: 'host', path: ['health', 'http', 'host'], types: HTTP },
  { word: 'expect-status', path: ['health', 'http', 'expect_status'], types: HTTP },
  { word: 'insecure', path: ['health', 'http', 'insecure'], types: HTTP },
  { word: 'body', path: ['health', 'http', 'body'], types: HTTP },
  { word: 'sni', path: ['health', 'http', 'sni'], types: ['https'] },
  { word: 'query', path: ['health', 'dns', 'query'], types: DNS, always: () => true },
  { word: 'record-type', path: ['health', 'dns', 'record_type'], types: DNS },
  { word: 'rcode', path: ['health', 'dns', 'rcode'], types: DNS },
  { word: 'answer', path: ['health', 'dns', 'answer'], types: DNS },
];

type Block = Record<string, unknown>;

/** The part of a check an option lives in (the check itself, its http or its dns block), absent when missing. */
function blockOf(h: Health, o: HealthOption): Block | undefined {
  const check = h as unknown as Record<string, unknown>;
  return o.path.length === 3 ? (check[o.path[1]] as Block | undefined) : check;
}
const keyOf = (o: HealthOption) => o.path[o.path.length - 1];

/**
 * `[port <0-65535>] [interval <100-3600000>] … [insecure] …` from HEALTH_SCHEMA: a number's range, a text (TEXT),
 * a choice (lower-case keywords), a list of status codes (CODES), a flag (a true/false field).
 */
function optionDecl(o: HealthOption): string {
  const s = serviceField(o.path).schema;
  if (s.kind === 'bool') return `[${o.word}]`;
  if (s.kind === 'array') return `[${o.word} CODES]`;
  if (s.kind === 'enum') return `[${o.word} ${s.values.map((v) => v.toLowerCase()).join('|')}]`;
  if (s.kind === 'int') return `[${o.word} <${s.min}-${s.max}>]`;
  return `[${o.word} TEXT]`;
}

/** An option's value as typed, as the configuration holds it: a choice in the schema's case, a flag true. */
function optionValue(o: HealthOption, a: Args): unknown {
  const s = serviceField(o.path).schema;
  if (s.kind === 'bool') return true;
  if (s.kind === 'enum') return s.values.find((v) => v.toLowerCase() === a[o.word]);
  return a[o.word];
}

const given = (o: HealthOption, a: Args, kws: string[]) => (serviceField(o.path).schema.kind === 'bool' ? kws.includes(o.word) : a[o.word] !== undefined);

/**
 * `health TYPE …`: an option the type does not take is refused when typed, not at commit. Changing the type drops
 * the settings only the old type took (they would make the candidate invalid). Options not given keep their values.
 */
function setHealth(s: Service, a: Args, kws: string[]): void {
  const h: Health = s.health;
  const type = (a.health as string).replace(/-/g, '_') as Health['type'];
  for (const o of HEALTH_OPTIONS)
    if (o.types && given(o, a, kws) && !o.types.includes(type))
      throw new CommandError(`% ${o.word} is a setting of ${o.types.map((t) => t.replace('_', '-')).join(' or ')} checks, not of ${a.health as string}.`);
  if (type !== h.type) {
    if (!HTTP.includes(type)) delete h.http;
    else if (type === 'http' && h.http) delete h.http.sni;
    if (type !== 'dns') delete h.dns;
    if (type !== 'tcp' && type !== 'udp_echo') {
      delete h.expect;
      delete h.payload;
    }
  }
  h.type = type;
  h.enabled = true;
  const blockGiven = (block: string) => HEALTH_OPTIONS.some((o) => o.path[1] === block && o.path.length === 3 && given(o, a, kws));
  if (httpish(h) || blockGiven('http')) h.http ??= { ...DEFAULT_HTTP_CHECK, expect_status: [...DEFAULT_HTTP_CHECK.expect_status] };
  if (blockGiven('dns') || h.type === 'dns') {
    if (a.query === undefined && h.dns === undefined && h.type === 'dns') throw new CommandError('% A dns check needs a name to resolve: add "query NAME".');
    h.dns ??= { query: '', record_type: DEFAULT_DNS_RECORD_TYPE };
  }
  for (const o of HEALTH_OPTIONS) if (given(o, a, kws)) blockOf(h, o)![keyOf(o)] = optionValue(o, a);
}

/** What an option is when nobody set it: the check's default, or what `health http` / `dns` starts its block with. */
function baseOf(o: HealthOption, d: Health): unknown {
  if (o.path[1] === 'http') return (DEFAULT_HTTP_CHECK as Record<string, unknown>)[keyOf(o)];
  if (o.path[1] === 'dns') return ({ query: '', record_type: DEFAULT_DNS_RECORD_TYPE } as Record<string, unknown>)[keyOf(o)];
  return (d as unknown as Record<string, unknown>)[keyOf(o)];
}

/** An option as `display set` writes it: `interval 5000`, `insecure`, `expect-status 200,204`, `method head`. */
function optionText(o: HealthOption, v: unknown): string | undefined {
  const s = serviceField(o.path).schema;
  if (s.kind === 'bool') return v ? o.word : undefined;
  if (Array.isArray(v)) return `${o.word} ${v.join(',')}`;
  if (s.kind === 'enum') return `${o.word} ${String(v).toLowerCase()}`;
  if (typeof v === 'string') return `${o.word} ${o.bytes ? checkBytesWord(v) : quoteWord(v)}`;
  return `${o.word} ${String(v)}`;
}

function healthLines(h: Health, d: Health): string[] {
  if (isDeepEqual(h, d)) return [];
  const out: string[] = [];
  if (!isDeepEqual({ ...h, enabled: true }, d)) {
    const p: string[] = ['health', h.type.replace(/_/g, '-')];
    for (const o of HEALTH_OPTIONS) {
      const block = blockOf(h, o);
      if (block === undefined) continue;
      const v = block[keyOf(o)];
      if (v === undefined || (isDeepEqual(v, baseOf(o, d)) && !o.always?.(h))) continue;
      const text = optionText(o, v);
      if (text !== undefined) p.push(text);
    }
    out.push(p.join(' '));
  }
  if (!h.enabled) out.push('health disable');
  return out;
}

/**
 * A check's bytes as one word. Text with a line break or tab (which the configuration file allows) cannot be typed
 * on a command line, so it is written as the same bytes in hex (`hex:50494e470a`), which the check sends alike.
 */
export function checkBytesWord(text: string): string {
  return /[\t\n\r]/.test(text) ? `hex:${Buffer.from(text, 'utf8').toString('hex')}` : quoteWord(text);
}

/** What `no health OPTION` takes out, with what the check does then. */
const UNSET_HELP: Record<string, string> = {
  health: 'Health check setting',
  port: "Check the backend's port",
  expect: 'Any reply counts as success',
  payload: 'Send no payload',
  host: 'Host header: the backend address',
  insecure: 'Verify HTTPS certificates',
  body: 'Any response body counts',
  sni: 'Send the Host header as the TLS server name',
  rcode: 'NOERROR counts as success',
  answer: 'Any answer counts',
};
const UNSETTABLE = HEALTH_OPTIONS.filter((o) => o.word in UNSET_HELP);

const HEALTH_WORDS: readonly FieldWord[] = [{ word: 'health', path: ['health'] }, ...HEALTH_OPTIONS];

export const HEALTH_SETTING: ServiceSetting = {
  words: HEALTH_WORDS,
  commands: [
    {
      decl: `no health ${UNSETTABLE.map((o) => o.word).join('|')}$field`,
      help: UNSET_HELP,
      edits: true,
      run: (a, ctx) =>
        editCurrentService(ctx, (s) => {
          const o = UNSETTABLE.find((x) => x.word === a.field)!;
          delete blockOf(s.health, o)?.[keyOf(o)];
        }),
    },
    {
      decl: `health ${HEALTH_KEYWORDS.join('|')} ${HEALTH_OPTIONS.map(optionDecl).join(' ')}`,
      help: wordHelp(HEALTH_WORDS),
      edits: true,
      run: (a, ctx, kws) => editCurrentService(ctx, (s) => setHealth(s, a, kws)),
    },
    {
      decl: 'health disable|enable$state',
      help: { ...wordHelp(HEALTH_WORDS.slice(0, 1)), disable: 'Stop checking: backends are considered up', enable: 'Check the backends' },
      edits: true,
      run: (a, ctx) => editCurrentService(ctx, (s) => void (s.health.enabled = a.state === 'enable')),
    },
    {
      decl: 'no health',
      help: { health: 'Health check: back to the default for the protocol' },
      edits: true,
      run: (_a, ctx) => editCurrentService(ctx, (s) => void (s.health = defaultHealth(s.protocol))),
    },
  ],
  units: (s) => {
    const lines = healthLines(s.health, defaultHealth(s.protocol));
    return lines.length ? [{ key: 'health', lines, negation: ['no health'], replacing: () => ['no health', ...lines] }] : [];
  },
};
