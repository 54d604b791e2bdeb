// The revision store's vocabulary: revisions, pending confirmations, commit outcomes, and the typed errors a
// caller (shell, daemon, `lbctl apply`) turns into operator messages.
import type { FileLayout } from './file-layout.js';
import type { Config } from '../config/model.js';
import type { ConfigError } from '../config/errors.js';
import type { LockHolder } from '../locks/holder.js';

/** Where a revision came from. */
export type Origin =
  /** Revision 0: the built-in default configuration of a store that started with no files. */
  | 'init'
  /** A commit from the shell (or the daemon on a shell's behalf). */
  | 'shell'
  /** The configuration files on disk, recorded as they are (first use, `lbctl apply` after a hand edit). */
  | 'file'
  /** `rollback N` committed from exec mode. */
  | 'rollback'
  /** The automatic rollback of a `commit confirmed` that nobody confirmed in time. */
  | 'confirm-timeout'
  /** A commit through the daemon's control API or a library caller. */
  | 'api';

/** Who did it. Comes from the operating system (or SO_PEERCRED), never from anything the user typed. */
export interface Identity {
  user: string;
  uid?: number;
  /** SUDO_USER when run through sudo: noted beside the real user, not instead of it. */
  sudoUser?: string;
}

/** A revision without its configuration: what `show commit list` prints. */
export interface RevisionSummary {
  /** Monotonic, never reused. */
  number: number;
  /** Stable id that never changes (IOS-XR style commit id: 1000000000 + number). */
  id: string;
  /** ISO-8601. */
  time: string;
  user: string;
  uid?: number;
  sudoUser?: string;
  comment?: string;
  origin: Origin;
  session?: string;
  /** sha256 of the configuration's canonical JSON, sections then per-service digests (config/equal.ts configHash). */
  hash: string;
  /** sha256 of each configuration file (path relative to the config directory) as this revision left it. */
  files: Record<string, string>;
  /** Set when committed with `commit confirmed N`. */
  confirmMinutes?: number;
}

export interface Revision extends RevisionSummary {
  config: Config;
  /**
   * Which file holds which service and section, as this revision left the files (absent in revisions written
   * before it existed, and for a single-file configuration). A commit uses it to rewrite only what it changes.
   */
  layout?: FileLayout;
}

/** A list entry: the summary plus its relative number (0 = running) and whether it awaits confirmation. */
export interface RevisionListEntry extends RevisionSummary {
  relative: number;
  pendingConfirm: boolean;
  /** Set when this (older) revision's file cannot be read: why. The others are still listed. */
  unreadable?: string;
}

export interface PendingConfirm {
  /** The revision that must be confirmed. */
  revision: number;
  /** The revision restored if nobody confirms (the one before the first unconfirmed commit). */
  previousRevision: number;
  /** ISO-8601. */
  deadline: string;
  user: string;
  session?: string;
  minutes: number;
}

export interface CommitMeta {
  /** Defaults to the store's identity (the OS user). A daemon passes its peer's identity (SO_PEERCRED). */
  user?: string;
  uid?: number;
  sudoUser?: string;
  comment?: string;
  origin: Origin;
  session?: string;
  /** `commit confirmed N`: minutes until the automatic rollback (1..65535). */
  confirmMinutes?: number;
}

export type CommitOutcome =
  | {
      kind: 'committed';
      revision: RevisionSummary;
      previous: RevisionSummary;
      /** The pending confirmation this commit armed or extended. */
      confirm: PendingConfirm | null;
      /** A pending confirmation this commit confirmed (a plain commit confirms). */
      confirmed: PendingConfirm | null;
      /** Configuration files written and removed (relative paths). */
      filesWritten: string[];
      filesRemoved: string[];
    }
  | {
      kind: 'no-changes';
      revision: RevisionSummary;
      confirm: PendingConfirm | null;
      confirmed: PendingConfirm | null;
    };

export interface ConfirmExpiry {
  expired: PendingConfirm;
  /** The new revision (origin confirm-timeout), or null when running already equalled the previous one. */
  revision: Revision | null;
  /** What was running before the rollback: the engine re-applies `revision.config` in its place. */
  replaced: RevisionSummary;
}

export interface FileChange {
  path: string;
  change: 'modified' | 'added' | 'removed';
}

export interface HandEditReport {
  /** The files' bytes differ from what the running revision left on disk. */
  filesDiffer: boolean;
  /** The files' configuration differs from the running revision's (false for comment/format-only edits). */
  configDiffers: boolean;
  files: FileChange[];
  /** Located errors when the edited files do not load. */
  errors: ConfigError[];
  running: RevisionSummary;
  /** The files' configuration when they load. */
  config: Config | null;
}

export type RecordOutcome =
  | { kind: 'recorded'; revision: RevisionSummary; previous: RevisionSummary; confirmed: PendingConfirm | null }
  | { kind: 'no-changes'; revision: RevisionSummary }
  | { kind: 'invalid'; errors: ConfigError[] };

/** What opening the store did on the way: the caller logs it and, for a rollback, re-applies the kernel. */
export interface OpenReport {
  /** 'files': revision 1 recorded from existing files; 'default': revision 0 = default configuration. */
  initialized: 'files' | 'default' | null;
  /** A commit interrupted after its commit point was completed (files rewritten from this revision). */
  rolledForward: number | null;
  /** Temp files of a killed writer that were removed. */
  sweptTempFiles: string[];
  /** An expired `commit confirmed` rolled back at open. */
  expiredConfirm: ConfirmExpiry | null;
}

// ---------------------------------------------------------------- errors

/** The candidate's base is no longer running. The message names who committed what and when in between. */
export class StaleBaseError extends Error {
  readonly code = 'ESTALEBASE';
  constructor(
    readonly running: RevisionSummary,
    readonly base: number,
    readonly between: RevisionSummary[],
    message: string,
  ) {
    super(message);
    this.name = 'StaleBaseError';
  }
}

/** Another session holds `configure exclusive`. */
export class ExclusiveLockedError extends Error {
  readonly code = 'EEXCLUSIVE';
  constructor(
    readonly holder: LockHolder | null,
    message: string,
  ) {
    super(message);
    this.name = 'ExclusiveLockedError';
  }
}

/** The files on disk were changed by hand since the running revision; a commit would overwrite that. */
export class HandEditsPendingError extends Error {
  readonly code = 'EHANDEDITS';
  constructor(
    readonly report: HandEditReport,
    message: string,
  ) {
    super(message);
    this.name = 'HandEditsPendingError';
  }
}

/** The configuration files found at first use (or given to a commit) do not load. */
export class InvalidConfigFilesError extends Error {
  readonly code = 'EINVALIDFILES';
  constructor(
    readonly errors: ConfigError[],
    message: string,
  ) {
    super(message);
    this.name = 'InvalidConfigFilesError';
  }
}

/** The state directory holds something the store cannot read (a revision whose hash does not match …). */
export class StoreCorruptError extends Error {
  readonly code = 'ESTORECORRUPT';
  constructor(message: string) {
    super(message);
    this.name = 'StoreCorruptError';
  }
}
