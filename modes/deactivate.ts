// Junos `deactivate` / `activate`: a service or a backend stays in the configuration (with everything set on it)
// but is left out of the kernel while it is inactive (`inactive: true` in YAML; compile skips it). Unlike
// `shutdown` / `backend … disable`, it is the Junos word for "keep the statement, take it out".
import type { Backend, Config, Service } from '../config/model.js';
import { editConfig, editService, findBackend } from './edit.js';
import { serviceName } from './service-edit.js';
import { BACKEND_PORT } from './service-settings.js';
import { CommandError, type Args, type CommandDef, type ModeContext } from './types.js';

const HELP = {
  deactivate: 'Keep the statement in the configuration but leave it out of the kernel (Junos inactive:)',
  activate: 'Put a deactivated statement back into the kernel',
};

function setInactive(target: Service | Backend, inactive: boolean): void {
  if (inactive) target.inactive = true;
  else delete target.inactive;
}

function serviceOf(config: Config, name: string): Service {
  const s = config.services.find((x) => x.name === name);
  if (!s) throw new CommandError(`% Service ${name} is not configured.`);
  return s;
}

function backendIn(s: Service, a: Args): Backend {
  const address = a.backend as string;
  const port = a.port as number | undefined;
  const b = findBackend(s, address, port);
  if (!b) throw new CommandError(`% Backend ${address}${port === undefined ? '' : ` port ${port}`} is not configured in service ${s.name}.`);
  return b;
}

function configureCommand(inactive: boolean): CommandDef {
  const verb = inactive ? 'deactivate' : 'activate';
  return {
    decl: `${verb} service SERVICE`,
    help: { ...HELP, service: inactive ? 'A service: kept, but not programmed' : 'A deactivated service' },
    edits: true,
    run: (a, ctx) => {
      serviceOf(ctx.candidate(), a.service as string);
      ctx.setCandidate(editService(ctx.candidate(), a.service as string, (s) => setInactive(s, inactive)));
    },
  };
}

function serviceCommand(inactive: boolean): CommandDef {
  const verb = inactive ? 'deactivate' : 'activate';
  return {
    decl: `${verb} backend BACKEND ${BACKEND_PORT.decl}`,
    help: { ...HELP, ...BACKEND_PORT.help, backend: inactive ? 'A backend: kept, but not programmed' : 'A deactivated backend' },
    edits: true,
    run: (a, ctx: ModeContext) => {
      backendIn(serviceOf(ctx.candidate(), serviceName(ctx)), a);
      ctx.setCandidate(editService(ctx.candidate(), serviceName(ctx), (s) => setInactive(backendIn(s, a), inactive)));
    },
  };
}

/** Configure mode: `deactivate service NAME`, `activate service NAME`. */
export const DEACTIVATE_CONFIGURE_COMMANDS: CommandDef[] = [configureCommand(true), configureCommand(false)];

/** Service mode: `deactivate backend ADDRESS [port N]`, `activate backend ADDRESS [port N]`. */
export const DEACTIVATE_SERVICE_COMMANDS: CommandDef[] = [serviceCommand(true), serviceCommand(false)];
