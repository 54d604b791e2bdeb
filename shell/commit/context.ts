// What every part of one shell session's commit workflow shares: the options the session built it with, the
// session's id, the revision store (or why there is none), and the audit trail written in the session's name.
import { randomBytes } from 'node:crypto';
import type { Store } from '../../store/store.js';
import type { AuditRecord } from '../../engine/audit.js';
import { writeAuditRecord, type AuditIdentity } from '../../engine/commit-transaction.js';
import type { EnginePort } from '../../engine/host.js';
import { recordedUser, type OperatorIdentity } from '../../config/identity.js';
import type { ShellBackend } from '../../modes/backend.js';
import { CommandError } from '../../modes/types.js';

export interface WorkflowOptions {
  stateDir: string;
  configPath: string;
  lab: boolean;
  /** The opened store (null: none; with storeError set: opened read-only, no commits), and why not writable. */
  store: Store | null;
  storeError?: string;
  /** Set when the configuration path does not exist: configure is refused with these words (nothing is written). */
  noConfiguration?: string;
  backend: ShellBackend;
  identity: OperatorIdentity;
  /** The engine commits go to: the daemon's, or this process's host. */
  engine: EnginePort;
  /**
   * The terminal face (true) or line mode (false: `-c`, a pipe, an SSH command). A script's commit refuses to
   * carry other sessions' changes of the shared candidate unless it says `commit and-others`.
   */
  interactive?: boolean;
  /** Start the commit-confirmed guard (default ensureConfirmGuard; tests point it at the build). */
  ensureGuard?: () => void;
}

export class WorkflowContext {
  readonly sessionId = `${process.pid}-${randomBytes(3).toString('hex')}`;

  constructor(readonly opts: WorkflowOptions) {}

  /** The store, or the command's error saying why there is none. */
  requireStore(): Store {
    if (!this.opts.store) throw new CommandError(`% ${this.opts.storeError ?? 'the revision store is not available'}.`);
    return this.opts.store;
  }

  auditIdentity(): AuditIdentity {
    const id = this.opts.identity;
    return { user: recordedUser(id), uid: id.uid, ...(id.sudoUser ? { sudoUser: id.sudoUser } : {}), session: this.sessionId };
  }

  /** Appends an audit record for this session; returns the warning to print when it could not be written. */
  writeAudit(record: Omit<AuditRecord, 'time' | 'user'>): string | null {
    const err = writeAuditRecord({ stateDir: this.opts.stateDir, store: this.opts.store, lab: this.opts.lab, identity: this.auditIdentity() }, record);
    return err ? auditWarning(err) : null;
  }
}

export function auditWarning(error: string): string {
  return `% Warning: the audit record could not be written: ${error}`;
}
