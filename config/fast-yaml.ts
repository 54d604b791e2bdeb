// The fast way to read configuration files that are valid: js-yaml, with a schema made to resolve plain scalars
// exactly as the `yaml` library's YAML 1.2 core schema does (the one load.ts parses with). Why two YAML libraries:
// `yaml` keeps comments, key order and the position of every node, which rewriting files in place and locating
// errors need; reading 10,000 services with it costs about 3 s, js-yaml about a tenth of that. So a load reads
// with js-yaml first, and only a file set that does not read cleanly or does not validate is read again with
// `yaml` to locate every error (config/load.ts). A unit test holds the two to the same data.
import jsYaml from 'js-yaml';

const { Type, FAILSAFE_SCHEMA, load } = jsYaml;
// js-yaml's merge-key type (in its runtime, not in its type declarations).
const mergeType = (jsYaml as unknown as { types: { merge: InstanceType<typeof Type> } }).types.merge;

// The tests below are those of yaml/dist/schema/core (bool, int, float) and common/null.
const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  resolve: (s: string) => /^(?:~|[Nn]ull|NULL)?$/.test(s),
  construct: () => null,
  predicate: (v: unknown) => v === null,
  represent: () => 'null',
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (s: string) => /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/.test(s),
  construct: (s: string) => s[0] === 't' || s[0] === 'T',
  predicate: (v: unknown) => typeof v === 'boolean',
});

const INT = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (s: string) => INT.test(s) || INT_OCT.test(s) || INT_HEX.test(s),
  construct: (s: string) => (INT_OCT.test(s) ? parseInt(s.slice(2), 8) : INT_HEX.test(s) ? parseInt(s.slice(2), 16) : parseInt(s, 10)),
  predicate: (v: unknown) => Number.isInteger(v),
});

const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;
const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (s: string) => FLOAT_NAN.test(s) || FLOAT_EXP.test(s) || FLOAT.test(s),
  construct: (s: string) => (FLOAT_NAN.test(s) ? (s.slice(-3).toLowerCase() === 'nan' ? NaN : s[0] === '-' ? -Infinity : Infinity) : parseFloat(s)),
  predicate: (v: unknown) => typeof v === 'number',
});

// Merge keys (`<<: *common`), which load.ts enables in `yaml` too.
const SCHEMA = FAILSAFE_SCHEMA.extend({ implicit: [nullType, boolType, intType, floatType, mergeType] });

/** The data of one YAML document, or `failed` when js-yaml will not read it (then `yaml` says why, located). */
export function readYamlData(text: string): { data: unknown } | { failed: true } {
  try {
    // json: false refuses duplicate keys, as `yaml` (uniqueKeys) does.
    return { data: load(text, { schema: SCHEMA, json: false }) };
  } catch {
    return { failed: true };
  }
}
