// What a long-lived engine host's first commit would otherwise build, built at an idle moment after the start:
// the index of the rules across services and each service's own checks (config/across-services.ts), the digests
// of the revision hash (config/equal.ts), and the comment-keeping YAML library that rewrites a file. In the kernel
// VM at 10,000 services these were 10 of the first commit's 14 seconds; on a host, half a second.
//
// Then a rehearsal: a one-weight change of one service, taken through the steps of a commit that write nothing
// (the delta, validation, the audit's difference, the store's file plan, the engine's plan). It builds what those
// steps remember of the running revision (its services by name, its layout's homes and file order, the files'
// fingerprints) and compiles their code, which the first real commit paid for instead (on the host 144 ms of CPU
// against ~35 for the commits after it; 600–850 ms against ~420 in the kernel VM). Nothing of the rehearsal is
// kept but those memos: no lock is taken, no file or kernel entry is written.
import type { Config, Service } from '../config/model.js';
import { validateConfig } from '../config/validate.js';
import { configHash } from '../config/equal.js';
import { loadYamlLibrary } from '../config/yaml-lib.js';
import { applyConfigDelta } from '../config/delta.js';
import { renderCompare } from '../config/diff.js';

/** Rehearsals: V8 optimises a function after a few calls, and the memos are built by the first. */
const REHEARSALS = 3;

/** The steps of a commit that write nothing, as the host that runs commits offers them. */
export interface CommitRehearsal {
  /** The store's plan of the files a commit of `candidate` would write (store.previewFiles). */
  previewFiles?: (candidate: Config) => unknown;
  /** The engine's plan of `candidate` from the change alone, against its cache (host.rehearseCommit). */
  plan?: (candidate: Config) => unknown;
}

/**
 * The running configuration with one service's first backend weighted differently: a candidate as a daemon
 * builds it from a client's delta (sharing every other service with `running`). Null when no service has a
 * backend to change.
 */
export function rehearsalCandidate(running: Config): Config | null {
  const services = running.services ?? [];
  const middle = Math.floor(services.length / 2);
  for (let k = 0; k < services.length; k++) {
    const s = services[(middle + k) % services.length];
    const first = s?.backends?.[0];
    if (!first) continue;
    const weight = first.weight === 1 ? 2 : 1;
    const changed: Service = { ...s, backends: [{ ...first, weight }, ...s.backends.slice(1)] };
    return applyConfigDelta(running, { set: {}, unset: [], services: [changed], removed: [] });
  }
  return null;
}

/** Builds the running configuration's memos (synchronous: call it when nothing waits). */
export function warmCommitPath(running: Config, rehearsal: CommitRehearsal = {}): void {
  validateConfig(running);
  configHash(running);
  loadYamlLibrary();
  for (let round = 0; round < REHEARSALS; round++) {
    const candidate = rehearsalCandidate(running);
    if (!candidate || validateConfig(candidate).length > 0) break;
    renderCompare(running, candidate);
    try {
      rehearsal.previewFiles?.(candidate);
      rehearsal.plan?.(candidate);
    } catch {
      break; /* a rehearsal only warms: the real commit meets and reports whatever failed here */
    }
  }
  // Last: the index of the rules across services is the running configuration's, as a first commit expects.
  validateConfig(running);
}
