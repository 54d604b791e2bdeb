// The fuzz corpora's draws, on the tests' one seeded PRNG (test/support/prng.ts): the same seed gives the same
// lines and files on every machine.
import type { Rand } from '../support/prng.js';

export { prng } from '../support/prng.js';
export type Rnd = Rand;

export const pick = <T>(rnd: Rnd, xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
export const int = (rnd: Rnd, lo: number, hi: number): number => lo + Math.floor(rnd() * (hi - lo + 1));
