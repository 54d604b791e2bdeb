// The grammar of every mode, built once from the declarations of modes/*.ts.
import { Grammar } from '../completion/grammar.js';
import type { ValueType } from '../completion/values.js';
import { CONFIGURE_COMMANDS, CONFIGURE_HELP, LEVEL_COMMANDS, SERVICE_SHOW } from './configure.js';
import { EXEC_COMMANDS, EXEC_HELP } from './exec.js';
import { MONITOR_COMMANDS, MONITOR_HELP } from './monitor.js';
import { COMMIT_HELP, CONFIG_COMMIT_COMMANDS, EXEC_COMMIT_COMMANDS, EXEC_COMMIT_HELP } from './commit.js';
import { ELEMENT_TYPE } from './schema-commands.js';
import { SERVICE_COMMANDS, SERVICE_HELP } from './service.js';
import { DEACTIVATE_SERVICE_COMMANDS } from './deactivate.js';
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

/** More commands per mode, on top of the built-in ones (the commit workflow plugs in here; tests too). */
export type ExtraCommands = Partial<Record<ModeKind, CommandDef[]>>;

function buildGrammars(extra: ExtraCommands = {}): ModeGrammars {
  const exec = [...EXEC_COMMANDS, ...EXEC_COMMIT_COMMANDS, ...MONITOR_COMMANDS, ...(extra.exec ?? [])];
  const execHelp = { ...EXEC_COMMIT_HELP, ...EXEC_HELP, ...MONITOR_HELP };
  return {
    exec: grammar(exec, execHelp),
    do: grammar(
      exec.filter((c) => !c.noDo),
      execHelp,
    ),
    configure: grammar([...CONFIGURE_COMMANDS, ...CONFIG_COMMIT_COMMANDS, ...(extra.configure ?? [])], { ...COMMIT_HELP, ...CONFIGURE_HELP }),
    service: grammar([...SERVICE_COMMANDS, ...DEACTIVATE_SERVICE_COMMANDS, SERVICE_SHOW, ...LEVEL_COMMANDS, ...CONFIG_COMMIT_COMMANDS, ...(extra.service ?? [])], {
      ...COMMIT_HELP,
      ...CONFIGURE_HELP,
      ...SERVICE_HELP,
    }),
  };
}

/** The grammars, built on first use (the declarations are compiled once per process); with extras, new ones. */
export function modeGrammars(extra?: ExtraCommands): ModeGrammars {
  if (extra && Object.values(extra).some((l) => l && l.length)) return buildGrammars(extra);
  built ??= buildGrammars();
  return built;
}

export const MODE_TITLES: Record<ModeKind, string> = {
  exec: 'Exec mode (HOST#)',
  configure: 'Configuration mode (HOST(config)#)',
  service: 'Service mode (HOST(config-svc-NAME)#)',
};
