// Where probes may go in the lab (`lbctl daemon --lab`): nothing leaves the machine, so only loopback
// addresses (127.0.0.0/8, ::1) are probed; every other backend stays `unknown` with reason LAB_NOT_PROBED.
import { isIP } from 'node:net';
import { canonicalAddress } from '../../config/derive.js';

export const LAB_NOT_PROBED = 'lab: not probed';

/** True for 127.0.0.0/8 and ::1: the probeAllowed predicate of a daemon in --lab. */
export function loopbackOnly(address: string): boolean {
  switch (isIP(address)) {
    case 4:
      return address.split('.')[0] === '127';
    case 6:
      return canonicalAddress(address) === '::1';
    default:
      return false;
  }
}

/** Every address: the probeAllowed predicate of a production daemon (probing the backends is the job). */
export function anyAddress(): boolean {
  return true;
}
