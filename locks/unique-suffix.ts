// A suffix no other name made by this or another live process has: `PID-NONCE` + a counter, the nonce drawn once
// per process (and per worker thread: each has its own copy of this module). Temp files, lock directories set
// aside and lock tokens need only be distinct: exclusive creation and rename catch the rest, and the sweeps read
// the pid from the name (`-PID-` then hex digits). A random draw for each name was a crypto call, about seven a
// commit, each ~0.5 ms under emulation.
import { randomBytes } from 'node:crypto';

const nonce = randomBytes(4).toString('hex');
let counter = 0;

/** `PID-HEX`: unique to this process and this call. */
export function uniqueSuffix(): string {
  counter++;
  return `${process.pid}-${nonce}${counter.toString(16)}`;
}

/** Hex digits unique to this process and this call (a lock holder's token). */
export function uniqueToken(): string {
  counter++;
  return `${nonce}${counter.toString(16).padStart(8, '0')}`;
}
