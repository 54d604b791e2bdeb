// Generates docs/commands.md from the grammar: every command of every mode with the help of each token, and
// the pipes. `node build/shell/gen-docs.js` rewrites the file; a unit test fails when it is stale.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { INCOMPLETE, INVALID_INPUT, UNRECOGNIZED } from '../completion/errors.js';
import { modeGrammars, MODE_TITLES, type ModeGrammar } from '../modes/index.js';
import type { ModeKind } from '../modes/types.js';
import { pipeGrammar } from './pipes.js';
import { MODE_TYPES } from '../modes/value-types.js';
import { ELEMENT_TYPE } from '../modes/schema-commands.js';

function section(title: string, g: ModeGrammar | ReturnType<typeof pipeGrammar>, prefix = ''): string[] {
  const out = [`## ${title}`, ''];
  for (const spec of g.specs()) {
    out.push(`### \`${prefix}${shownDecl(spec.decl)}\``, '');
    out.push('| token | help |', '|---|---|');
    for (const t of (g as ModeGrammar).describe(spec as never)) out.push(`| \`${t.token.replace(/\|/g, '\\|')}\` | ${t.help.replace(/\|/g, '\\|')} |`);
    out.push('');
  }
  return out;
}

/** A declaration as operators read it: no `$bindings`, placeholders by what they show (`NAME`, `ADDRESS`). */
function shownDecl(decl: string): string {
  const types: Record<string, { display: string }> = { ...MODE_TYPES, ELEMENT: ELEMENT_TYPE };
  return decl
    .replace(/\$[A-Za-z0-9_-]+/g, '')
    .split(/([\s[\]()|]+)/)
    .map((part) => types[part]?.display ?? part)
    .join('');
}

export function renderCommandsDoc(): string {
  const g = modeGrammars();
  const lines = [
    '# lbctl shell commands',
    '',
    '<!-- Generated from the grammar by `node build/shell/gen-docs.js`; do not edit by hand (a test checks it). -->',
    '',
    'Every keyword may be shortened to a unique prefix (`sh ipv ser web`); an exact keyword beats a longer one.',
    'Optional parts in `[...]` that follow each other may be given in any order, each at most once.',
    '`?` lists what may come next (`<cr>`: the command may end here); TAB completes a keyword or a name.',
    'Values: `<a-b>` a number in that range, `<a-b>-<a-b>` a range written FROM-TO, `ADDRESS` an IPv4 or IPv6',
    'address, `TEXT` one word or several in double quotes, `LINE` the rest of the line, `NAME` a name',
    '(existing names are offered by TAB and `?`).',
    '',
    '## Modes',
    '',
    '| mode | prompt | entered with | left with |',
    '|---|---|---|---|',
    '| exec | `HOST#` (`HOST>` for a read-only user) | login | `exit`, `quit` |',
    '| configuration | `HOST(config)#` | `configure` | `exit` (up one level), `end` or Ctrl-Z (to exec; a command on the line runs first) |',
    '| service | `HOST(config-svc-NAME)#` | `service NAME` | `exit` (to configuration), `top`, `end` |',
    '',
    'HOST is the node name of the running configuration (the system host name when unset); under `--lab` it reads',
    '`HOST[lab]`. When the HA role is known, `{master}` or `{backup}` stands on the line above the prompt.',
    '`do COMMAND` runs an exec command from any configuration level. Edits go to the candidate configuration;',
    '`show | compare` shows how it differs from running.',
    '',
    '## Errors',
    '',
    'A rejected line gets exactly one of these forms:',
    '',
    '```',
    'HOST#show ipvz',
    ' '.repeat('HOST#show ipv'.length) + '^',
    INVALID_INPUT,
    'HOST(config)#s',
    '% Ambiguous command:  "s"',
    '  service',
    '  show',
    'HOST#show',
    INCOMPLETE,
    '```',
    '',
    `The caret stands under the first character that matches nothing. An unknown existing-name value adds a line`,
    '`% Unknown service "wbe": did you mean "web"?`; a value refused for a known reason adds the reason',
    '(`% 70000 is out of range: 1 to 65535.`, `% "a/b": a name holds letters, digits, _ and -; "/" is not one of them.`,',
    '`% Not a regular expression: /ab(c/: Unterminated group.`, `% Text of several words goes in double quotes: "nice change".`).',
    '`?` after a word that starts no keyword prints',
    `\`${UNRECOGNIZED}\`. A command that is understood but refused prints one line starting with \`% \``,
    '(for example `% Service "web" does not exist.`); a refused commit or `load` adds the configuration errors',
    'behind it, one per line indented by two spaces (`  services[5].ports: needs at least one port ...`). All the',
    'forms, and those of `lbctl validate`, are listed in [errors.md](errors.md).',
    '',
  ];
  for (const kind of ['exec', 'configure', 'service'] as ModeKind[]) lines.push(...section(MODE_TITLES[kind], g[kind]));
  lines.push(
    ...section('Pipes (after any show command: `show ... | STAGE | STAGE`)', pipeGrammar('candidate'), '| '),
    '`display set` applies to configurations (`show running-config`, `show` in configuration mode);',
    '`compare` to the candidate (`show` in configuration mode). Quote a regular expression that holds `|`.',
    '',
  );
  return lines.join('\n');
}

export const COMMANDS_DOC = fileURLToPath(new URL('../../docs/commands.md', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(COMMANDS_DOC, renderCommandsDoc());
  process.stdout.write(`wrote ${COMMANDS_DOC}\n`);
}
