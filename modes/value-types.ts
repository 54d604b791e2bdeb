// The dynamic placeholders of lbctl's grammar: names and addresses that exist now, with their help, so TAB and
// `?` can offer them and a misspelt existing name gets "did you mean".
import { isIP } from 'node:net';
import type { Config, Service } from '../config/model.js';
import { BACKEND_SCHEMA, HOST_NAME_PATTERN, NAME_MAX, NAME_PATTERN, SERVICE_SCHEMA, fieldsOf } from '../config/schema.js';
import { LINE, type ValueChoice, type ValueType, dynamicType } from '../completion/values.js';
import type { ModeContext } from './types.js';

const nameSets = new WeakMap<Config, Set<string>>();
function namesOf(config: Config): Set<string> {
  let s = nameSets.get(config);
  if (!s) {
    s = new Set(config.services.map((x) => x.name));
    nameSets.set(config, s);
  }
  return s;
}

const choiceCache = new WeakMap<Config, ValueChoice[]>();
function serviceChoices(config: Config): ValueChoice[] {
  let c = choiceCache.get(config);
  if (!c) {
    c = config.services.map((s) => ({ value: s.name, help: serviceSummary(s) }));
    choiceCache.set(config, c);
  }
  return c;
}

export function serviceSummary(s: Service): string {
  const where = s.fwmark !== undefined ? `fwmark ${s.fwmark}` : `${s.protocol} ${s.vip ?? '(default vip)'}`;
  return s.description ? `${s.description} (${where})` : where;
}

function candidateOrRunning(ctx: ModeContext): Config {
  return ctx.frames.length > 1 ? ctx.candidate() : ctx.backend.running();
}

const isName = (w: string) => NAME_PATTERN.test(w) && w.length <= NAME_MAX;

/** Why a word is no name: its length or the first character a name cannot hold. */
function whyNotName(w: string, allowed: string, pattern: RegExp): string | undefined {
  if (w.length > NAME_MAX) return `"${w.slice(0, 20)}…" is ${w.length} characters long: a name has at most ${NAME_MAX}.`;
  const bad = [...w].find((c) => !pattern.test(c));
  return bad === undefined ? undefined : `"${w}": a name holds ${allowed}; ${JSON.stringify(bad)} is not one of them.`;
}

/** An existing service of the running configuration (exec) or of the candidate (configure modes). */
export const SERVICE: ValueType<ModeContext> = dynamicType<ModeContext>({
  display: 'NAME',
  help: 'an existing service',
  noun: 'service',
  strict: true,
  values: (ctx) => serviceChoices(candidateOrRunning(ctx)),
  has: (ctx, w) => namesOf(candidateOrRunning(ctx)).has(w),
});

/** An existing service of the running configuration, whatever the mode (show commands run from `do`). */
export const RUNNING_SERVICE: ValueType<ModeContext> = dynamicType<ModeContext>({
  display: 'NAME',
  help: 'a service of the running configuration',
  noun: 'service',
  strict: true,
  values: (ctx) => serviceChoices(ctx.backend.running()),
  has: (ctx, w) => namesOf(ctx.backend.running()).has(w),
});

/** A service name, existing (offered) or new. */
export const SERVICE_NAME: ValueType<ModeContext> = dynamicType<ModeContext>({
  display: 'NAME',
  help: fieldsOf(SERVICE_SCHEMA).name.doc,
  noun: 'service',
  values: (ctx) => serviceChoices(ctx.candidate()),
  accept: isName,
  why: (w) => whyNotName(w, 'letters, digits, _ and -', /[A-Za-z0-9_-]/),
});

function currentService(ctx: ModeContext): Service | undefined {
  const f = ctx.frames[ctx.frames.length - 1];
  if (f?.kind !== 'service') return undefined;
  return ctx.candidate().services.find((s) => s.name === f.name);
}

/** A backend address: any IPv4/IPv6 address; the current service's backends are offered. */
export const BACKEND_ADDRESS: ValueType<ModeContext> = {
  display: 'ADDRESS',
  help: fieldsOf(BACKEND_SCHEMA).address.doc,
  match: (w) => (isIP(w) ? 'full' : /^[0-9a-fA-F:.]*$/.test(w) ? 'partial' : 'none'),
  values: (ctx) => {
    const seen = new Set<string>();
    const out: ValueChoice[] = [];
    for (const b of currentService(ctx)?.backends ?? []) {
      if (seen.has(b.address)) continue;
      seen.add(b.address);
      out.push({ value: b.address, help: `port ${b.port} weight ${b.weight}${b.enabled ? '' : ' (disabled)'}` });
    }
    return out;
  },
};

export const ADDRESS: ValueType<ModeContext> = {
  display: 'ADDRESS',
  help: 'IPv4 or IPv6 address',
  match: (w) => (isIP(w) ? 'full' : /^[0-9a-fA-F:.]*$/.test(w) ? 'partial' : 'none'),
};

export const HOSTNAME: ValueType<ModeContext> = {
  display: 'NAME',
  help: 'host name: letters, digits, ., _ and -, at most 64 characters',
  match: (w) => (HOST_NAME_PATTERN.test(w) && w.length <= NAME_MAX ? 'full' : w === '' ? 'partial' : 'none'),
  why: (w) => whyNotName(w, 'letters, digits, ., _ and -', /[A-Za-z0-9._-]/),
};

/** A regular expression for `| include` and friends: the rest of the pipe stage. */
export const REGEX: ValueType<ModeContext> = {
  display: 'REGEX',
  help: 'a regular expression (JavaScript syntax); quote it to use |',
  rest: true,
  match: (w) => {
    if (w === '') return 'partial';
    try {
      new RegExp(w);
      return 'full';
    } catch {
      return 'partial';
    }
  },
  why: (w) => {
    try {
      new RegExp(w);
      return undefined;
    } catch (e) {
      return `Not a regular expression: ${(e as Error).message.replace(/^Invalid regular expression: /, '')}.`;
    }
  },
};

/** Free text: one word, or several in double quotes. */
export const TEXT: ValueType<ModeContext> = {
  display: 'TEXT',
  help: 'text: one word, or "several words" in double quotes',
  match: (w) => (w.length > 0 ? 'full' : 'partial'),
};

export const LIST_OF_CODES: ValueType<ModeContext> = {
  display: 'CODES',
  help: 'HTTP status codes separated by commas: 200,204',
  match: (w) => {
    if (/^([1-5][0-9][0-9])(,[1-5][0-9][0-9])*$/.test(w)) return 'full';
    return /^[0-9,]*$/.test(w) ? 'partial' : 'none';
  },
  convert: (w) => w.split(',').map(Number),
};

/**
 * A revision number of the store, offered with its date, user and comment (for `rollback N`, `show | compare
 * rollback N` and friends, which the commit workflow adds). Any number is accepted; the handler says when it
 * does not exist.
 */
export const REVISION: ValueType<ModeContext> = dynamicType<ModeContext>({
  display: '<0-2147483647>',
  help: 'a revision number',
  noun: 'revision',
  values: (ctx) =>
    (ctx.backend.revisions?.() ?? []).map((r) => ({
      value: String(r.number),
      help: [r.time, r.user, r.comment].filter((x) => x !== undefined && x !== '').join('  '),
    })),
  accept: (w) => /^[0-9]{1,10}$/.test(w) && Number(w) <= 2147483647,
  convert: (w) => Number(w),
});

/**
 * How many revisions back (`rollback N`: 0 = running, 1 = the one before, …), offered by `?` and TAB with the
 * revision's number, time, user and comment as Junos lists them. Any N in range is accepted; the handler says
 * when that revision does not exist.
 */
function revisionsBack(min: number, max: number): ValueType<ModeContext> {
  return dynamicType<ModeContext>({
    display: `<${min}-${max}>`,
    help: 'how many revisions back',
    noun: 'revision',
    values: (ctx) =>
      [...(ctx.backend.revisions?.() ?? [])]
        .sort((a, b) => b.number - a.number)
        .map((r, back) => ({ back, r }))
        .filter(({ back }) => back >= min && back <= max)
        .map(({ back, r }) => ({
          value: String(back),
          help: [`Revision ${r.number}`, r.time?.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC'), r.user, r.comment].filter((x) => x !== undefined && x !== '').join('  '),
        })),
    accept: (w) => /^[0-9]{1,2}$/.test(w) && Number(w) >= min && Number(w) <= max,
    convert: (w) => Number(w),
  });
}

/** A session with uncommitted changes in the shared candidate (`rollback session ID`); any id is accepted. */
export const EDITOR: ValueType<ModeContext> = dynamicType<ModeContext>({
  display: 'SESSION',
  help: 'a session with changes in the shared candidate',
  noun: 'session',
  values: (ctx) => ctx.backend.commit?.sharedEditors() ?? [],
  accept: (w) => /^[A-Za-z0-9-]{1,64}$/.test(w),
});

export const MODE_TYPES: Record<string, ValueType<ModeContext>> = {
  NAME: SERVICE_NAME,
  SERVICE,
  RSERVICE: RUNNING_SERVICE,
  ADDRESS,
  BACKEND: BACKEND_ADDRESS,
  HOST: HOSTNAME,
  REGEX,
  TEXT,
  CODES: LIST_OF_CODES,
  REVISION,
  EDITOR,
  BACK: revisionsBack(0, 49),
  BACK1: revisionsBack(1, 49),
  LINE: LINE as ValueType<ModeContext>,
};
