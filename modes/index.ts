// The grammar of every mode, built once from the declarations of modes/*.ts.
import { Grammar } from '../completion/grammar.js';
import type { ValueType } from '../completion/values.js';
import { CONFIGURE_COMMANDS, CONFIGURE_HELP, LEVEL_COMMANDS, SERVICE_SHOW } from './configure.js';
import { EXEC_COMMANDS, EXEC_HELP } from './exec.js';
import { ELEMENT_TYPE } from './schema-commands.js';
import { SERVICE_COMMANDS, SERVICE_HELP } from './service.js';
import type { CommandDef, ModeContext, ModeKind } from './types.js';
import { MODE_TYPES } from './value-types.js';

export type ModeGrammar = Grammar<ModeContext, CommandDef>;

const TYPES: Record<string, ValueType<ModeContext>> = { ...MODE_TYPES, ELEMENT: ELEMENT_TYPE };

function grammar(commands: CommandDef[], help: Record<string, string>): ModeGrammar {
  return new Grammar<ModeContext, CommandDef>(
    commands.map((c) => ({ decl: c.decl, help: c.help, data: c })),
    { types: TYPES, help },
  );
}

/** The grammars of the modes, plus `do`: the exec commands that make sense from a configuration level. */
export type ModeGrammars = Record<ModeKind | 'do', ModeGrammar>;

let built: ModeGrammars | undefined;

/** The grammars, built on first use (the declarations are compiled once per process). */
export function modeGrammars(): ModeGrammars {
  built ??= {
    exec: grammar(EXEC_COMMANDS, EXEC_HELP),
    do: grammar(EXEC_COMMANDS.filter((c) => !c.noDo), EXEC_HELP),
    configure: grammar(CONFIGURE_COMMANDS, CONFIGURE_HELP),
    service: grammar([...SERVICE_COMMANDS, SERVICE_SHOW, ...LEVEL_COMMANDS], { ...CONFIGURE_HELP, ...SERVICE_HELP }),
  };
  return built;
}

export const MODE_TITLES: Record<ModeKind, string> = {
  exec: 'Exec mode (HOST#)',
  configure: 'Configuration mode (HOST(config)#)',
  service: 'Service mode (HOST(config-svc-NAME)#)',
};
