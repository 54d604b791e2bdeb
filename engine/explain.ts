// What a kernel refusal most likely means, in the operator's words. The errno stays in the message; the hint
// says where to look.
import type { OpFailure } from './apply.js';

const EPERM = 1;
const ENOENT = 2;
const ERANGE = 34;
const EINVAL = 22;
const ENOMEM = 12;

export function failureHint(f: Pick<OpFailure, 'op' | 'errno'>): string | null {
  const svcOp = f.op.op === 'newService' || f.op.op === 'setService';
  const destOp = f.op.op === 'newDest' || f.op.op === 'setDest';
  if (f.errno === ENOENT && svcOp) return 'the kernel lacks this scheduler or persistence engine (module ip_vs_<name> not available)';
  if (f.errno === ERANGE && destOp) return 'weight or connection thresholds out of range (l_threshold must not exceed u_threshold)';
  if (f.errno === EINVAL && destOp) return 'the kernel refused the destination (address family, forwarding method or tunnel settings)';
  if (f.errno === EINVAL && svcOp) return 'the kernel refused the service settings (netmask, flags or persistence)';
  if (f.errno === EPERM) return 'needs CAP_NET_ADMIN: run as root or grant the capability';
  if (f.errno === ENOMEM) return 'the kernel is out of memory for IPVS objects';
  return null;
}

/** One line: `newService tcp 10.0.0.13:80: ENOENT (…) — hint`. */
export function describeFailure(f: OpFailure): string {
  const hint = failureHint(f);
  const msg = f.message.startsWith(f.text) ? f.message : `${f.text}: ${f.message}`;
  return hint ? `${msg} (${hint})` : msg;
}
