// Counters for everything the engine does. A plain object so any host can read it; the Prometheus export
// (prom-client) maps these names one to one.

export interface EngineMetrics {
  /** Full reads of the kernel table (start, periodic drift check, recovery after an unknown outcome). */
  fullReads: number;
  /** Plans computed. */
  plans: number;
  /** Transactions run (commit, sync, reconcile, disable) that had at least one operation. */
  applies: number;
  applyFailures: number;
  /** Operations the kernel accepted (undo operations included). */
  opsApplied: number;
  /** Operations the kernel refused for a real reason. */
  opsFailed: number;
  rollbacks: number;
  undoFailures: number;
  /** Objects re-read after a concurrent hand edit instead of failing. */
  racesResolved: number;
  /** Operations sent by the periodic full read to heal drift. */
  driftRepairs: number;
  /** Retries scheduled after the kernel kept failing. */
  retries: number;
  lastApplyMs: number;
  lastFullReadMs: number;
}

export function newMetrics(): EngineMetrics {
  return {
    fullReads: 0,
    plans: 0,
    applies: 0,
    applyFailures: 0,
    opsApplied: 0,
    opsFailed: 0,
    rollbacks: 0,
    undoFailures: 0,
    racesResolved: 0,
    driftRepairs: 0,
    retries: 0,
    lastApplyMs: 0,
    lastFullReadMs: 0,
  };
}
