// The service that service mode edits, and the one way its commands change it: a copy of that service in the
// candidate, with a note for the operator when the edit did more than asked (a fwmark took the vip out).
import type { Service } from '../config/model.js';
import { editService } from './edit.js';
import { CommandError, type ModeContext } from './types.js';

/** The service this mode edits. */
export function serviceName(ctx: ModeContext): string {
  const f = ctx.frames[ctx.frames.length - 1];
  if (f.kind !== 'service') throw new CommandError('% Not in a service.');
  return f.name;
}

/** Applies `fn` to the current service of the candidate; a string it returns is printed as a note. */
export function editCurrentService(ctx: ModeContext, fn: (s: Service) => string | void): { text?: string } | void {
  let note: string | undefined;
  ctx.setCandidate(
    editService(ctx.candidate(), serviceName(ctx), (s) => {
      const r = fn(s);
      if (typeof r === 'string') note = r;
    }),
  );
  return note !== undefined ? { text: note } : undefined;
}
