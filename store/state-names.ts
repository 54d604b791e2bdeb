// The names of the files in the state directory that more than the store reads: the revision files, the
// intent record, the pending confirmation. Kept apart from store.ts (and free of imports) so that a plain reader
// (running-peek.ts, unsettled.ts) names them without loading the store.

export const INTENT_FILE = 'intent.json';
export const CONFIRM_FILE = 'confirm.json';

/** A listed revision: ten digits and `.json`. */
export const REVISION_FILE = /^\d{10}\.json$/;
/** A hidden checkpoint (see hiddenCheckpointName). */
export const HIDDEN_CHECKPOINT_FILE = /^\d{10}\.base\.json$/;

export function revisionFileName(n: number): string {
  return `${String(n).padStart(10, '0')}.json`;
}

/**
 * A pruned revision kept only because a kept one is stored as its difference from it (its checkpoint): out of
 * the list (the name does not match NNNNNNNNNN.json), still read as a checkpoint.
 */
export function hiddenCheckpointName(n: number): string {
  return `${String(n).padStart(10, '0')}.base.json`;
}
