// Output filters after a show command: `| include RE`, `| exclude RE`, `| begin RE`, `| section RE`,
// `| count`, `| json`, `| no-more`, and for configurations `| display set` and (candidate) `| compare`.
// Stages chain left to right. Each stage is matched by the same grammar engine as commands (so `| inc`,
// TAB and `?` work after a `|`). A `|` inside a regular expression needs quotes: `| include "a|b"`.
import type { Config } from '../config/model.js';
import { defaultConfig } from '../config/defaults.js';
import { renderCompare } from '../config/diff.js';
import { describeConfigError } from '../config/errors.js';
import { validateConfig } from '../config/validate.js';
import { Grammar } from '../completion/grammar.js';
import { compareSet, displaySet } from '../modes/display-set.js';
import type { ModeContext, PipeKind } from '../modes/types.js';
import { REGEX } from '../modes/value-types.js';
import { toJson } from './format.js';

export type PipeStage =
  | { op: 'include' | 'exclude' | 'begin' | 'section'; re: RegExp }
  | { op: 'count' | 'json' | 'no-more' | 'display-set' }
  /** `| compare` (against running) or `| compare rollback N` (against revision current−N). */
  | { op: 'compare'; rollback?: number };

const HELP: Record<string, string> = {
  include: 'Lines that match',
  exclude: 'Lines that do not match',
  begin: 'From the first line that matches',
  section: 'Lines that match, with the lines indented under them',
  count: 'Count the lines',
  json: 'The same information as JSON',
  'no-more': 'Do not page the output',
  display: 'Show the configuration in another form',
  set: 'As the commands that build it',
  compare: 'Differences from the running configuration',
  rollback: 'Compare with an older revision instead',
  $rollback: 'How many revisions back (0 = running)',
  $include: 'Regular expression',
  $exclude: 'Regular expression',
  $begin: 'Regular expression',
  $section: 'Regular expression',
};

const TEXT_STAGES = ['include REGEX', 'exclude REGEX', 'begin REGEX', 'section REGEX', 'count', 'json', 'no-more'];
const DECLS: Record<PipeKind, string[]> = {
  text: TEXT_STAGES,
  config: [...TEXT_STAGES, 'display set'],
  candidate: [...TEXT_STAGES, 'display set', 'compare [rollback <0-49>]'],
};

type StageGrammar = Grammar<ModeContext, string>;
const grammars = new Map<PipeKind, StageGrammar>();

export function pipeGrammar(kind: PipeKind): StageGrammar {
  let g = grammars.get(kind);
  if (!g) {
    g = new Grammar<ModeContext, string>(
      DECLS[kind].map((decl) => ({ decl, help: HELP, data: decl.split(' ')[0] })),
      { types: { REGEX }, help: HELP },
    );
    grammars.set(kind, g);
  }
  return g;
}

/** Turn a matched stage into its operation. */
export function toStage(op: string, args: Record<string, unknown>): PipeStage {
  if (op === 'include' || op === 'exclude' || op === 'begin' || op === 'section') return { op, re: new RegExp(args[op] as string) };
  if (op === 'display') return { op: 'display-set' };
  if (op === 'compare') return args.rollback === undefined ? { op } : { op, rollback: args.rollback as number };
  return { op: op as 'count' | 'json' | 'no-more' };
}

export interface PipeInput {
  text: string;
  data?: unknown;
  /** Builds the data when `| json` asks (CommandOutput.json). */
  json?: () => unknown;
  config?: { value: Config; service?: string };
  /** The running configuration, for `| compare`. */
  running: Config;
  /** Revision current−N, for `| compare rollback N` (null when it does not exist). */
  revision?: (relative: number) => Config | null;
}

/** Apply the stages in order; returns the text and whether paging was turned off. */
export function applyPipes(input: PipeInput, stages: PipeStage[]): { text: string; noMore: boolean } {
  let text = input.text;
  let noMore = false;
  // After `| compare`, `| display set` shows the difference as commands, not the whole configuration.
  let compared: { running: Config; candidate: Config } | null = null;
  for (const st of stages) {
    switch (st.op) {
      case 'include':
        text = lines(text).filter((l) => st.re.test(l)).join('\n');
        break;
      case 'exclude':
        text = lines(text).filter((l) => !st.re.test(l)).join('\n');
        break;
      case 'begin': {
        const ls = lines(text);
        const i = ls.findIndex((l) => st.re.test(l));
        text = i < 0 ? '' : ls.slice(i).join('\n');
        break;
      }
      case 'section':
        text = section(lines(text), st.re).join('\n');
        break;
      case 'count':
        text = `Count: ${text === '' ? 0 : lines(text).length} lines`;
        break;
      case 'json':
        text = toJson(input.json?.() ?? input.data ?? input.config?.value ?? null);
        break;
      case 'no-more':
        noMore = true;
        break;
      case 'display-set':
        if (compared) text = compareSet(compared.running, compared.candidate).trimEnd() || '';
        else text = input.config ? displaySet(input.config.value, input.config.service).trimEnd() : text;
        break;
      case 'compare': {
        if (!input.config) break;
        const scope = input.config.service;
        let against = input.running;
        if (st.rollback !== undefined && st.rollback > 0) {
          const old = input.revision?.(st.rollback) ?? null;
          if (!old) {
            text = `% There is no revision current-${st.rollback} to compare with.`;
            break;
          }
          against = old;
        }
        const a = scope === undefined ? against : onlyService(against, scope);
        const b = scope === undefined ? input.config.value : onlyService(input.config.value, scope);
        compared = { running: a, candidate: b };
        text = renderCompare(a, b).trimEnd() + validationNote(input.config.value);
        break;
      }
    }
  }
  return { text, noMore };
}

/** Problems a commit would refuse, listed under the difference so the operator sees them before committing. */
function validationNote(candidate: Config): string {
  const errors = validateConfig(candidate);
  if (errors.length === 0) return '';
  const head = `Validation: ${errors.length} problem${errors.length === 1 ? '' : 's'} (a commit would refuse this candidate):`;
  return '\n\n' + [head, ...errors.map((e) => '  ' + describeConfigError(e))].join('\n');
}

function onlyService(c: Config, name: string): Config {
  return { ...defaultConfig(), services: c.services.filter((s) => s.name === name) };
}

function lines(text: string): string[] {
  return text === '' ? [] : text.split('\n');
}

/** IOS `| section`: every matching line, with the lines indented deeper than it that follow. */
function section(ls: string[], re: RegExp): string[] {
  const out: string[] = [];
  const indent = (l: string) => l.length - l.trimStart().length;
  for (let i = 0; i < ls.length; i++) {
    if (!re.test(ls[i])) continue;
    const base = indent(ls[i]);
    out.push(ls[i]);
    while (i + 1 < ls.length && ls[i + 1].trim() !== '' && indent(ls[i + 1]) > base) out.push(ls[++i]);
  }
  return out;
}
