// `lbctl disable`: take lbctl out of the kernel: remove every IPVS service lbctl owns (declared by the
// configuration or recorded as created by lbctl). Foreign services stay. Asks first unless --yes.
import { createInterface } from 'node:readline';
import type { CliCommand, CliIO } from '../command.js';
import { UserError } from '../command.js';
import { resolveContext } from '../../config/context.js';
import { ensureLab, openContextDataplane } from '../lab.js';
import { connectEngine } from '../../engine/connect.js';
import { describeInVoice } from '../../present/refusals.js';
import { parseCommandArgs } from './validate.js';
import { loadConfig } from '../../config/load.js';
import { describeFailure } from '../../engine/explain.js';
import type { Plan, PlanStep } from '../../engine/plan.js';
import { formatPlan } from '../../present/plan.js';
import { canConfigure, DEFAULT_ADMIN_GROUP, operatorIdentity } from '../../config/identity.js';

const USAGE = `usage: lbctl disable [--yes] [--dry-run] [--config DIR|FILE] [--state-dir DIR] [--lab]

Removes every IPVS service lbctl owns: those the configuration declares and those lbctl recorded as created.
Services that are not lbctl's (Docker, kube-proxy, a human's ipvsadm) stay. Traffic to the removed virtual
services stops. The configuration files are not changed: 'lbctl apply' programs them again.

Options:
  --yes, -y           do not ask for confirmation (required when not on a terminal)
  --dry-run           print what would be removed; change nothing
  --config DIR|FILE   configuration (default /etc/lbctl, env LBCTL_CONFIG)
  --state-dir DIR     state directory holding the ownership record (default /var/lib/lbctl)
  --lab               the lab's in-memory IPVS (~/.lbctl-lab)

Exit status: 0 removed (or nothing to remove), 1 refused or failed (kernel restored), 2 bad usage.
`;

/** What the plan shows for a service the ownership record lists and the configuration does not name. */
export const UNNAMED_LABEL = 'recorded as lbctl\'s';

/**
 * The plan as the operator reads it. Without a loaded configuration no step has a service name, and the plan
 * formatter folds only named port ranges: a 272-port range would print 272 lines. So steps without a name get
 * one saying why they are removed, and are shown in address and port order so the ports of one range meet.
 * Display only: the steps executed are the engine's own.
 */
export function disablePlanForDisplay(plan: Plan): Plan {
  const portOf = (s: PlanStep) => {
    const key = s.op.op === 'newService' || s.op.op === 'setService' ? s.op.service.key : s.op.key;
    return 'port' in key ? key.port : -1;
  };
  // `udp 203.0.113.10:7543` → `udp 203.0.113.10`: the service without its port.
  const base = (s: PlanStep) => (portOf(s) < 0 ? s.serviceId : s.serviceId.slice(0, s.serviceId.lastIndexOf(':')));
  // Group by name and address (groups in order of first appearance), ports ascending within a group; the sort
  // is stable, so a service's destination steps stay behind it.
  const groups = new Map<string, PlanStep[]>();
  for (const step of plan.steps) {
    const s = step.name ? step : { ...step, name: UNNAMED_LABEL };
    const key = `${s.name}|${base(s)}`;
    const group = groups.get(key);
    if (group) group.push(s);
    else groups.set(key, [s]);
  }
  return { ...plan, steps: [...groups.values()].flatMap((g) => g.sort((a, b) => portOf(a) - portOf(b))) };
}

/** A refusal can list thousands of services: the terminal gets its start and a count; the audit trail keeps it all. */
export function summarize(text: string, max = 400): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters; 'show audit last 1 detail' has all of it)`;
}

async function ask(io: CliIO, question: string): Promise<string> {
  io.stdout(question);
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    rl.close();
  }
}

const disable: CliCommand = {
  name: 'disable',
  summary: 'remove every IPVS service lbctl owns (foreign services stay); asks first',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parseCommandArgs('disable', argv, { yes: { type: 'boolean', short: 'y' }, 'dry-run': { type: 'boolean' } }, 0);
    const ctx = resolveContext(values, io.env);
    // Said before anything is read or planned: a user who may not configure gets no kernel error to puzzle over.
    const me = operatorIdentity();
    if (!ctx.lab && !values['dry-run'] && !canConfigure(me))
      throw new UserError(`disable: ${me.user} (uid ${me.uid}) may not change the kernel: only root and members of ${DEFAULT_ADMIN_GROUP} may (--dry-run shows what would go)`);
    await ensureLab(ctx);
    // The configuration only adds to what is owned; an unreadable one must not stop an operator from disabling.
    const loaded = loadConfig(ctx.configPath);
    if (!loaded.config) io.stderr(`lbctl: note: configuration not loaded (${loaded.errors.length} error(s)); removing what the ownership record lists\n`);
    const host = await connectEngine({ stateDir: ctx.stateDir, lab: ctx.lab, store: null, describe: describeInVoice, openDataplane: () => openContextDataplane(ctx) });
    try {
      const desired = loaded.config;
      const plan = await host.planDisable(desired);
      if (plan.steps.length === 0) {
        io.stdout('nothing to remove: lbctl owns no service in the kernel\n');
        if (plan.foreign.length) io.stdout(`${plan.foreign.length} foreign service(s) left alone\n`);
        return 0;
      }
      const n = plan.steps.length;
      io.stdout(formatPlan(disablePlanForDisplay(plan)));
      if (values['dry-run']) {
        io.stdout('dry run: nothing removed\n');
        return 0;
      }
      if (!values.yes) {
        if (!io.isTTY) throw new UserError('disable: refusing to remove services without confirmation: not a terminal. Pass --yes to confirm.');
        const answer = await ask(io, `Remove these ${n} service(s)? Traffic to them stops. [yes/no] `);
        if (!/^y(es)?$/i.test(answer)) {
          io.stdout('nothing removed\n');
          return 1;
        }
      }
      const result = await host.disable(desired);
      if (!result.ok) {
        if (result.failed) io.stderr(`lbctl: the kernel refused: ${summarize(describeFailure(result.failed))}\n`);
        if (result.dataplaneError) io.stderr(`lbctl: the dataplane failed: ${summarize(result.dataplaneError)}\n`);
        // Nothing applied means nothing to restore: "could not be fully restored" would frighten for no reason.
        const unchanged = result.restored || result.applied.length === 0;
        io.stderr(unchanged ? 'lbctl: nothing was removed: the kernel is as it was\n' : 'lbctl: WARNING: the kernel could not be fully restored\n');
        return 1;
      }
      io.stdout(`removed ${result.applied.length} service(s); foreign services untouched\n`);
      return 0;
    } finally {
      await host.close();
    }
  },
};

export default disable;
