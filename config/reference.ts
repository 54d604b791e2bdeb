// The field reference, derived from the schema and the defaults: one row per leaf field with its type or
// range, default and purpose. docs/config.md's tables are this list (a unit test keeps them equal), and the
// shell can use it for `?` help on configuration keys.
import { DEFAULT_DNS_RECORD_TYPE, DEFAULT_HTTP_CHECK, DEFAULT_PERSISTENCE_TIMEOUT, DEFAULT_TUNNEL_TYPE, defaultBackend, defaultConfig, defaultService } from './defaults.js';
import { CONFIG_SCHEMA, type Schema } from './schema.js';
import { formatPortSpec } from './derive.js';

export interface FieldReference {
  /** `services[].backends[].weight` */
  path: string;
  /** `0..2147483647`, `tcp \| udp \| sctp`, `IPv4 or IPv6 address`, … */
  type: string;
  /** The default as written in YAML; '' when the field has none (absent unless set). */
  default: string;
  required: boolean;
  /** True when `default` is a sentence (a default that depends on other fields), not a value. */
  defaultIsNote: boolean;
  doc: string;
}

/** A type in words. */
export function describeSchema(s: Schema): string {
  switch (s.kind) {
    case 'int':
      return `integer ${s.min}..${s.max}`;
    case 'bool':
      return 'true or false';
    case 'string':
      return s.pattern ? `string matching ${s.pattern.source}${s.maxLength ? `, ≤ ${s.maxLength} chars` : ''}` : s.maxLength ? `string, ≤ ${s.maxLength} chars` : 'string';
    case 'enum':
      return s.values.join(' \\| ');
    case 'ip':
      return 'IPv4 or IPv6 address';
    case 'port-spec':
      return 'port 1..65535 or range FROM-TO';
    case 'netmask':
      return 'IPv4 mask, or prefix length 1..32 (IPv4) / 1..128 (IPv6)';
    case 'array':
      return `list of ${s.items.kind === 'object' ? 'mappings' : describeSchema(s.items)}`;
    case 'object':
      return 'mapping';
  }
}

function show(v: unknown): string {
  if (v === undefined) return '';
  if (Array.isArray(v)) return `[${v.map((x) => (typeof x === 'object' && x !== null ? formatPortSpec(x as { from: number; to: number }) : String(x))).join(', ')}]`;
  return String(v);
}

/** Defaults of the parts that have no single default object: items of lists and optional sections. */
const SECTION_DEFAULTS: Record<string, unknown> = {
  'services[]': (() => {
    const s: Record<string, unknown> = { ...defaultService('', 'tcp') };
    delete s.name;
    return s;
  })(),
  'services[].backends[]': (() => {
    const b: Record<string, unknown> = { ...defaultBackend() };
    delete b.address;
    return b;
  })(),
  'services[].health.http': { ...DEFAULT_HTTP_CHECK },
  'services[].health.dns': { record_type: DEFAULT_DNS_RECORD_TYPE },
  'services[].persistence': { timeout: DEFAULT_PERSISTENCE_TIMEOUT },
  'services[].forwarding.tunnel': { type: DEFAULT_TUNNEL_TYPE },
  'ha.instances[]': { vips: [] },
};

/** Notes on defaults that depend on other fields. */
const DEFAULT_NOTES: Record<string, string> = {
  'services[].health.type': 'tcp on tcp services, none on udp and sctp',
};

export function fieldReference(): FieldReference[] {
  const out: FieldReference[] = [];
  const walk = (s: Schema, path: string, defaults: unknown) => {
    if (s.kind === 'object') {
      for (const [k, f] of Object.entries(s.fields)) {
        const p = path === '' ? k : `${path}.${k}`;
        const d = SECTION_DEFAULTS[p] ?? (typeof defaults === 'object' && defaults !== null ? (defaults as Record<string, unknown>)[k] : undefined);
        const inner = f.schema.kind === 'array' ? f.schema.items : f.schema;
        if (inner.kind === 'object') {
          const itemPath = f.schema.kind === 'array' ? `${p}[]` : p;
          out.push({ path: itemPath, type: describeSchema(f.schema), default: '', required: Boolean(f.required), defaultIsNote: false, doc: f.doc });
          walk(inner, itemPath, SECTION_DEFAULTS[itemPath] ?? (f.schema.kind === 'array' ? undefined : d));
        } else {
          out.push({ path: p, type: describeSchema(f.schema), default: DEFAULT_NOTES[p] ?? show(d), required: Boolean(f.required), defaultIsNote: p in DEFAULT_NOTES, doc: f.doc });
        }
      }
    }
  };
  walk(CONFIG_SCHEMA, '', defaultConfig());
  return out;
}

/** The reference as Markdown table rows (the body of docs/config.md's tables). */
export function referenceMarkdown(): string {
  const rows = fieldReference().map((f) => `| \`${f.path}\` | ${f.type} | ${f.required ? '**required**' : f.default === '' ? '—' : f.defaultIsNote ? f.default : `\`${f.default}\``} | ${f.doc.replace(/\|/g, '\\|')} |`);
  return ['| key | type / range | default | meaning |', '|---|---|---|---|', ...rows].join('\n') + '\n';
}
