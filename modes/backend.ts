// What the shell's modes need from the running system: the one small interface between modes/ and the engine
// (DESIGN.md: `modes → engine` through one small interface). Two hosts implement it: the in-process lab
// (shell/session-lab.ts) and, later, the daemon client. Issue 6 adds commit, rollback and sessions here.
import type { Config } from '../config/model.js';
import type { Dataplane } from '../netlink/dataplane.js';

export interface RevisionInfo {
  number: number;
  /** ISO-8601 time of the commit. */
  time?: string;
  user?: string;
  comment?: string;
}

export interface ShellBackend {
  /** The running configuration (defaults filled in). */
  running(): Config;
  /** Its revision number in the store (0 = the default configuration, nothing committed yet). */
  runningRevision(): number;
  /** The IPVS table the engine programs (the kernel, or the in-memory one under --lab). */
  dataplane(): Dataplane;
  /** lbctl version string. */
  readonly version: string;
  /** True when a daemon hosts the engine; false when the engine runs inside this shell process. */
  readonly daemonAttached: boolean;
  /** The VRRP role when HA is configured and known. */
  role(): 'master' | 'backup' | null;
  /** The system host name (the prompt when the configuration names no node). */
  systemHostname(): string;
  /** Revisions for `?` on revision numbers (issue 6 fills this in; may be empty). */
  revisions?(): RevisionInfo[];
  /** Re-read the running configuration if another process committed (called before each command). */
  refresh?(): void;
  close(): Promise<void>;
}
