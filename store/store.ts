// The revision store: the running configuration's history, committed by compare-and-swap under the commit
// lock, written so that a process killed between any two system calls leaves the running revision wholly old
// or wholly new, with the configuration files agreeing with it after the next open. docs/store.md has the
// layout, the crash-safety argument and the recovery rules.
//
// API shape: `openStore` and every method that changes state are async (they take the commit lock, which may
// have to wait); reads (`running`, `list`, `get`, `pendingConfirm`) are synchronous, lock-free and always read
// the disk, so they see commits made by other processes.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import type { Config, Service } from '../config/model.js';
import { replacedFrom } from '../config/delta.js';
import { defaultConfig } from '../config/defaults.js';
import { sudoInvoker } from '../config/identity.js';
import { assertTrustedPath } from './dir-safety.js';
import { markKernelPending } from './kernel-pending.js';
import { ensureDir, fsyncDir, readIfExists, renameDurable, sweepTempFiles, unlinkDurable, writeFileAtomic } from './atomic.js';
import { checkpointInPrefix, decodeRevision, encodeRevision, encodeWhole, planPrune, resolveDelta, summaryOfRecord } from './revision-format.js';
import {
  fingerprintFiles,
  fingerprintsOfPlan,
  sortedFingerprints,
  sha256,
  loadPlanBack,
  hashConfig,
  locateConfig,
  planFiles,
  readDiskConfig,
  type ConfigLocation,
  type DiskConfig,
  type FilePlan,
} from './store-files.js';
import type { LoadedFile } from '../config/load.js';
import { layoutOfDocuments, type FileLayout } from './file-layout.js';
import { completeConfig } from './complete-config.js';
import { FileFingerprints } from './file-fingerprints.js';
import { ConfigFilesWatch } from './config-files-watch.js';
import { decodeIntent, encodeIntent, type Intent } from './intent.js';
import { planChangedFiles, type ChangedFilesPlan } from './changed-files.js';
import { sameData } from '../config/same-data.js';
import { describeFileChanges, staleBaseMessage } from './store-format.js';
import {
  ExclusiveLockedError,
  HandEditsPendingError,
  InvalidConfigFilesError,
  StaleBaseError,
  StoreCorruptError,
  type CommitMeta,
  type CommitOutcome,
  type ConfirmExpiry,
  type FileChange,
  type HandEditReport,
  type Identity,
  type OpenReport,
  type PendingConfirm,
  type RecordOutcome,
  type Revision,
  type RevisionListEntry,
  type RevisionSummary,
} from './store-types.js';
import { withCommitLock } from '../locks/commit-lock.js';
import { exclusiveLockHolder, exclusiveLockMessage } from '../locks/exclusive-lock.js';
import { formatClock } from '../locks/holder.js';
import { formatConfigError } from '../config/errors.js';
import { CONFIRM_FILE, HIDDEN_CHECKPOINT_FILE, INTENT_FILE, REVISION_FILE, hiddenCheckpointName, revisionFileName } from './state-names.js';
import { configsEqual } from '../config/equal.js';

export * from './store-types.js';

export const DEFAULT_REVISIONS_KEPT = 50;
const REVISION_ID_BASE = 1_000_000_000;

export interface StoreOptions {
  stateDir: string;
  /** The configuration directory (config.yaml + config.d/) or one YAML file. */
  configPath: string;
  /**
   * Revisions kept (≥ 1). Default: the running configuration's `daemon.revisions_kept` (itself 50 by default).
   * A revision awaiting confirmation and the one it would roll back to are never pruned.
   */
  keep?: number;
  /** The clock (tests inject one). */
  now?: () => Date;
  /** Who is committing when a commit's meta names nobody; defaults to the OS user. Tests inject one. */
  identity?: () => Identity;
  /** How long a commit waits for another commit's lock (default 30 s). */
  lockWaitMs?: number;
  /**
   * Open without writing anything (no lock, no recovery, no confirm expiry): for users who may read but not
   * write the state directory. Reads still see an interrupted commit correctly (they read its intent record).
   */
  readOnly?: boolean;
  /**
   * Keep the running revision parsed, frozen and shared by every reader, for a long-lived process (the daemon):
   * it is read once per revision instead of once per read (10 MB of JSON at 10,000 services), and commits reuse
   * its service objects. Off by default: freezing costs a one-shot command more than the one read it saves, and
   * each read then returns a configuration the caller may change.
   */
  keepRunning?: boolean;
  /**
   * The configuration the caller has just loaded from the files (`lbctl apply`), with the fingerprints of the
   * bytes it loaded: first use records it as revision 1 when the files still have exactly those fingerprints,
   * instead of loading them a second time (a second YAML load, 1 s of CPU at 10,000 services).
   */
  loadedFiles?: { config: Config; fingerprints: Record<string, string>; files: LoadedFile[] };
  /**
   * Tell the configuration files' changes by file events instead of a stat of every file at every commit, for a
   * long-lived process (the daemon; store/config-files-watch.ts). `close()` stops the watch.
   */
  watchConfigFiles?: boolean;
}

export interface CommitOptions {
  /** Commit even though the files on disk carry uncommitted hand edits (they are overwritten). */
  overwriteHandEdits?: boolean;
  /**
   * The caller hands the candidate over and never touches it again (the daemon's decoded request): the store
   * keeps it as the running revision's configuration without copying it (a copy costs ~0.1 s at 10,000 services).
   */
  handOver?: boolean;
}

export interface Store {
  readonly stateDir: string;
  readonly configPath: string;
  /** What opening did: first-use initialisation, roll-forward of an interrupted commit, confirm expiry. */
  readonly openReport: OpenReport;
  running(): Revision;
  /** The running revision's number alone: a directory listing, without reading the revision (cheap at scale). */
  runningNumber(): number;
  list(): RevisionListEntry[];
  get(number: number): Revision | null;
  /** `rollback N`: the revision current−N (0 = running), or null when it was pruned or never existed. */
  getRelative(k: number): Revision | null;
  pendingConfirm(): PendingConfirm | null;
  commit(candidate: Config, baseRevision: number, meta: CommitMeta, opts?: CommitOptions): Promise<CommitOutcome>;
  /**
   * The files a commit of `candidate` on the running revision would write, when only the touched files would
   * change (null: the commit would look at the whole directory). Reads, never writes, takes no lock: a daemon
   * rehearses its first commit with it (engine/warm-up.ts).
   */
  previewFiles(candidate: Config): ChangedFilesPlan | null;
  /** Confirms a pending `commit confirmed` (a `commit check` does this); returns what was pending. */
  confirm(user?: string): Promise<PendingConfirm | null>;
  /** Rolls back an expired pending confirmation (a new revision, origin confirm-timeout). */
  expireConfirmIfDue(now?: Date): Promise<ConfirmExpiry | null>;
  detectHandEdits(): Promise<HandEditReport>;
  /**
   * Records the files' configuration as a new revision (origin `file`), as `lbctl apply` does. By default it reads
   * the files again; `opts.loaded` records a configuration the caller already loaded (and applied) instead.
   */
  recordFileRevision(meta?: Omit<CommitMeta, 'origin' | 'confirmMinutes'>, opts?: RecordOptions): Promise<RecordOutcome>;
  /** Stops watching the configuration files (watchConfigFiles); the store still reads and writes after it. */
  close(): void;
}

/** How `recordFileRevision` records (both optional; additive). */
export interface RecordOptions {
  /**
   * The configuration the caller loaded from the files, with the fingerprints of exactly the bytes it loaded:
   * recorded as it is, without reading the files again (an edit made since then stays a hand edit).
   */
  loaded?: { config: Config; fingerprints: Record<string, string>; files?: LoadedFile[] };
  /** Compare-and-swap: refuse (StaleBaseError) unless this is still the running revision. */
  baseRevision?: number;
}

let injectedClock: (() => Date) | null = null;

/**
 * Tests only: the clock of every store this process opens from now on (captured when the store is opened), so a
 * test launcher can make a `commit confirmed 1` end in seconds. Production never calls it, and no environment
 * variable reaches it.
 */
export function setStoreClock(now: (() => Date) | null): void {
  injectedClock = now;
}

/** Now, by the clock the stores of this process use (the real one unless a test set another): ms since 1970. */
export function storeClockNow(): number {
  return injectedClock ? injectedClock().getTime() : Date.now();
}

/** The identity of this process: the OS user; a verified sudo invoker is noted separately, never substituted. */
export function osIdentity(): Identity {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = `uid${process.getuid?.() ?? ''}`;
  }
  const sudoUser = sudoInvoker();
  return { user, uid: process.getuid?.(), ...(sudoUser && sudoUser !== user ? { sudoUser } : {}) };
}

/** The current files as the renderer's `previous` (for their comments); none when they do not even load. */
function previousFilesFor(disk: DiskConfig): LoadedFile[] {
  return disk.errors.length === 0 ? disk.files : [];
}

function summaryOf(rev: Revision): RevisionSummary {
  const { config: _config, layout: _layout, ...summary } = rev;
  return summary;
}

/**
 * Lists frozen alone that deepFreeze has since frozen deeply (their items too). A list deepFreeze froze itself is
 * not noted (every array of every service would be): a list built from one is walked once, then noted.
 */
const deeplyFrozenLists = new WeakSet<object>();

/**
 * A configuration frozen deeply, as the store freezes a running revision it keeps: for a shell that takes its own
 * committed candidate as the running configuration (shell/session-backend.ts), so that it is shared and compared
 * like one read from the store.
 */
export function freezeConfig(config: Config): Config {
  return deepFreeze(config);
}

/**
 * Freezes a revision the store keeps and hands out to every reader: a caller that changed it would change what
 * the next reader is told is running, so a change throws instead (ES modules are strict).
 */
function deepFreeze<T>(v: T): T {
  if (!v || typeof v !== 'object') return v;
  if (!Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  } else if (Array.isArray(v) && !deeplyFrozenLists.has(v)) {
    // A list frozen alone (config/delta.ts freezes a services list it builds, to remember its index by name) may
    // hold new items: those are frozen here. Built from a list frozen deeply here before, only the services it
    // replaced can be new (a daemon's commit: one, not a walk of 10,000); otherwise every item is looked at.
    const built = replacedFrom(v as Service[]);
    if (built && deeplyFrozenLists.has(built.base)) for (const i of built.replaced) deepFreeze(v[i]);
    else for (const x of v) if (x && typeof x === 'object' && !Object.isFrozen(x)) deepFreeze(x);
    deeplyFrozenLists.add(v);
  }
  return v;
}


/** The first bytes of a file (null when it does not exist): enough to see a revision file's format and checkpoint. */
function readPrefix(path: string, bytes = 64): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  try {
    const buf = Buffer.alloc(bytes);
    return buf.toString('utf8', 0, readSync(fd, buf, 0, bytes, 0));
  } finally {
    closeSync(fd);
  }
}

class RevisionStore implements Store {
  readonly stateDir: string;
  readonly configPath: string;
  openReport: OpenReport = { initialized: null, rolledForward: null, sweptTempFiles: [], expiredConfirm: null };
  private readonly loc: ConfigLocation;
  private readonly keep?: number;
  private readonly now: () => Date;
  private readonly identity: () => Identity;
  private readonly lockWaitMs?: number;
  private readonly revisionsDir: string;
  private readonly intentPath: string;
  private readonly confirmPath: string;
  /**
   * The running revision as last read, with the revision file's identity when it was read: revision files are
   * written once and never changed, so the running one is parsed once per revision, not once per read (10 MB
   * of JSON at 10,000 services). Frozen: every reader shares it.
   */
  private cached: { key: string; rev: Revision } | null = null;
  /** keepRunning: the whole revision the running one is stored against, kept beside it (the next commit's base). */
  private cachedCheckpoint: { key: string; rev: Revision } | null = null;
  /**
   * The whole revision each revision read or written is rebuilt from (itself when it is whole): the next commit
   * writes its difference from the running revision's.
   */
  private readonly checkpoints = new WeakMap<Revision, Revision>();
  /**
   * Each revision file's checkpoint number (null: whole) as pruning read it from the file's first bytes. A
   * revision's file never changes: its number is written once (running + 1, under the commit lock) and leaves only
   * by pruning, which keeps the newest; so a number seen once need not be read again at every commit (50 reads).
   */
  private readonly checkpointNumbers = new Map<number, number | null>();
  private readonly keepRunning: boolean;
  private readonly loadedFiles?: StoreOptions['loadedFiles'];
  /** The configuration files' hashes, taken again only for a file whose identity changed (store/file-fingerprints.ts). */
  private readonly fileHashes: FileFingerprints;
  /** watchConfigFiles: which files changed, told by file events (null: every look states every file). */
  private readonly configFiles: ConfigFilesWatch | null;
  /**
   * The revision first use just wrote from a configuration the caller loaded (`loadedFiles`), by its file's
   * identity: given to the first read of that file instead of parsing back what was just serialised (`lbctl
   * apply`'s first use at 10,000 services: 10 MB of JSON). Given once: a store that keeps nothing hands every
   * reader its own copy, and this one is a copy no one else holds.
   */
  private justWritten: { key: string; rev: Revision } | null = null;
  /** Revision files read during the current locked operation (see `locked`), by file identity. */
  private operationReads: Map<string, Revision> | null = null;
  /**
   * What the current locked operation saw of the state directory, kept until it changes that part itself: under
   * the store lock nobody else writes the intent, the revision files or the confirmation, and a commit asks about
   * them a dozen times (each look a system call or five; under emulation ~0.3 ms of fs bindings apiece).
   * `intentAbsent`: no intent record (the usual case); `revisionNames`: the revisions folder's listing;
   * `confirmText`: the confirmation file's text (null: absent).
   */
  private operationSaw: { intentAbsent?: true; revisionNames?: string[]; confirmText?: string | null } | null = null;

  constructor(opts: StoreOptions) {
    this.stateDir = resolve(opts.stateDir);
    this.configPath = resolve(opts.configPath);
    this.loc = locateConfig(this.configPath);
    this.keep = opts.keep;
    this.now = opts.now ?? injectedClock ?? (() => new Date());
    this.identity = opts.identity ?? osIdentity;
    this.lockWaitMs = opts.lockWaitMs;
    this.keepRunning = opts.keepRunning === true;
    this.loadedFiles = opts.loadedFiles;
    this.revisionsDir = join(this.stateDir, 'revisions');
    this.intentPath = join(this.stateDir, INTENT_FILE);
    this.confirmPath = join(this.stateDir, CONFIRM_FILE);
    // The store's clock: the real one but in tests (a hash is trusted once the clock is a second past the file's change).
    this.fileHashes = new FileFingerprints(() => this.now().getTime());
    this.configFiles = opts.watchConfigFiles && !opts.readOnly ? new ConfigFilesWatch(this.loc, this.fileHashes) : null;
  }

  close(): void {
    this.configFiles?.close();
  }

  /** The configuration files' fingerprints now (see `configFiles`). */
  private filesOnDisk(): Record<string, string> {
    return this.configFiles ? this.configFiles.fingerprints() : fingerprintFiles(this.loc, this.fileHashes);
  }

  private readDisk(): DiskConfig {
    return readDiskConfig(this.loc, this.filesOnDisk());
  }

  // ------------------------------------------------------------------ reading (lock-free)

  private readIntent(): Intent | null {
    if (this.operationSaw?.intentAbsent) return null;
    const text = readIfExists(this.intentPath);
    if (text === null) {
      if (this.operationSaw) this.operationSaw.intentAbsent = true;
      return null;
    }
    try {
      const intent = decodeIntent(text, (n) => this.readRevisionFile(n)?.config ?? null, (n) => this.readRevisionFile(n)?.layout);
      intent.revision.config = completeConfig(intent.revision.config);
      return intent;
    } catch (err) {
      // The revision its delta applies to was pruned while this lock-free read looked: the commit completed and
      // removed the record meanwhile, and the revision files say it.
      if (!existsSync(this.intentPath)) return null;
      // Written by rename, so never torn: unreadable means damaged by something else.
      throw new StoreCorruptError(`${this.intentPath}: cannot read the commit intent record: ${(err as Error).message}`);
    }
  }

  private revisionDirNames(): string[] {
    const seen = this.operationSaw?.revisionNames;
    if (seen) return seen;
    let names: string[];
    try {
      names = readdirSync(this.revisionsDir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      names = [];
    }
    if (this.operationSaw) this.operationSaw.revisionNames = names;
    return names;
  }

  /** This operation is about to change the part of the state directory named: what it saw there is forgotten. */
  private changing(part: 'intent' | 'revisions' | 'confirm'): void {
    const saw = this.operationSaw;
    if (!saw) return;
    if (part === 'intent') delete saw.intentAbsent;
    else if (part === 'revisions') delete saw.revisionNames;
    else delete saw.confirmText;
  }

  private revisionNumbersOnDisk(): number[] {
    return this.revisionDirNames()
      .filter((n) => REVISION_FILE.test(n))
      .map((n) => Number(n.slice(0, 10)))
      .sort((a, b) => b - a);
  }

  /** Every revision number, newest first, counting a committed-but-not-yet-completed intent. */
  private revisionNumbers(): number[] {
    const intent = this.readIntent();
    const numbers = this.revisionNumbersOnDisk();
    if (intent && !numbers.includes(intent.revision.number)) numbers.unshift(intent.revision.number);
    return numbers.sort((a, b) => b - a);
  }

  /** The identity of a revision file as read (a key for the caches; revision files are never rewritten). */
  private fileKey(n: number, path: string): string | null {
    try {
      const st = statSync(path);
      return `${n}:${st.size}:${st.mtimeMs}:${st.ino}`;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  /**
   * Revision n from its file, rebuilt on its checkpoint when it is a difference. `asCheckpoint`: also look among
   * the hidden checkpoints (a pruned revision that a kept one is stored against); a listed read never does, so a
   * pruned revision stays pruned for `get`.
   */
  private readRevisionFile(n: number, asCheckpoint = false): Revision | null {
    const names = asCheckpoint ? [revisionFileName(n), hiddenCheckpointName(n)] : [revisionFileName(n)];
    for (const name of names) {
      const path = join(this.revisionsDir, name);
      const key = this.fileKey(n, path);
      if (key === null) continue;
      if (this.cached?.key === key) return this.cached.rev;
      if (this.cachedCheckpoint?.key === key) return this.cachedCheckpoint.rev;
      const mine = this.operationReads?.get(key);
      if (mine) return mine;
      if (this.justWritten?.key === key) {
        const rev = this.justWritten.rev;
        this.justWritten = null;
        this.operationReads?.set(key, rev);
        return rev;
      }
      const text = readIfExists(path);
      if (text === null) continue; // pruned (or hidden) between the stat and the read: look at the next name
      const rev = this.decodeRevisionFile(n, path, text);
      if (rev === null) return null;
      this.operationReads?.set(key, rev);
      return rev;
    }
    return null;
  }

  /** A revision file's text as the revision (null: pruned with its checkpoint while this lock-free read looked). */
  private decodeRevisionFile(n: number, path: string, text: string): Revision | null {
    let decoded;
    try {
      decoded = decodeRevision(text);
    } catch (err) {
      throw new StoreCorruptError(`${path}: cannot read revision ${n}: ${(err as Error).message}`);
    }
    if (decoded.kind === 'whole') {
      const rev = decoded.revision;
      rev.config = completeConfig(rev.config);
      this.checkpoints.set(rev, rev);
      return rev;
    }
    const c = decoded.record.base;
    const checkpoint = this.readRevisionFile(c, true);
    if (!checkpoint) {
      if (!existsSync(path)) return null;
      throw new StoreCorruptError(`${path}: cannot read revision ${n}: revision ${c}, which it is stored as the difference from, is missing`);
    }
    let rev: Revision;
    try {
      rev = resolveDelta(decoded.record, checkpoint);
    } catch (err) {
      throw new StoreCorruptError(`${path}: cannot read revision ${n}: ${(err as Error).message}`);
    }
    rev.config = completeConfig(rev.config);
    this.checkpoints.set(rev, this.checkpoints.get(checkpoint) ?? checkpoint);
    return rev;
  }

  /** Revision n without its configuration, rebuilding nothing (listing: a difference is read alone). */
  private readRevisionSummary(n: number): RevisionSummary | null {
    const path = join(this.revisionsDir, revisionFileName(n));
    const key = this.fileKey(n, path);
    if (key === null) return null;
    const known = this.cached?.key === key ? this.cached.rev : this.operationReads?.get(key);
    if (known) return summaryOf(known);
    const text = readIfExists(path);
    if (text === null) return null;
    let decoded;
    try {
      decoded = decodeRevision(text);
    } catch (err) {
      throw new StoreCorruptError(`${path}: cannot read revision ${n}: ${(err as Error).message}`);
    }
    return decoded.kind === 'whole' ? summaryOf(decoded.revision) : summaryOfRecord(decoded.record);
  }

  /** The whole revision `rev` is rebuilt from (itself when whole); null when it cannot be told or read. */
  private checkpointOf(rev: Revision): Revision | null {
    const known = this.checkpoints.get(rev);
    if (known) return known;
    const onDisk = this.readRevisionFile(rev.number);
    return onDisk ? (this.checkpoints.get(onDisk) ?? null) : null;
  }

  /** Keeps `rev` (frozen) as the running revision read from its file, and its checkpoint (see `cached`). */
  private remember(rev: Revision): Revision {
    if (!this.keepRunning) return rev;
    const key = this.fileKey(rev.number, join(this.revisionsDir, revisionFileName(rev.number)));
    this.cached = key === null ? null : { key, rev: deepFreeze(rev) };
    const checkpoint = this.checkpoints.get(rev);
    this.cachedCheckpoint = null;
    if (checkpoint && checkpoint !== rev) {
      for (const name of [revisionFileName(checkpoint.number), hiddenCheckpointName(checkpoint.number)]) {
        const k = this.fileKey(checkpoint.number, join(this.revisionsDir, name));
        if (k !== null) {
          this.cachedCheckpoint = { key: k, rev: deepFreeze(checkpoint) };
          break;
        }
      }
    }
    return rev;
  }

  get(n: number): Revision | null {
    const intent = this.readIntent();
    if (intent && intent.revision.number === n) return intent.revision;
    return this.readRevisionFile(n);
  }

  running(): Revision {
    const intent = this.readIntent();
    const newestOnDisk = this.revisionNumbersOnDisk()[0];
    if (intent && (newestOnDisk === undefined || intent.revision.number >= newestOnDisk)) return intent.revision;
    if (newestOnDisk === undefined) throw new StoreCorruptError(`${this.revisionsDir}: no revisions (the store was not opened)`);
    const rev = this.readRevisionFile(newestOnDisk);
    if (!rev) throw new StoreCorruptError(`revision ${newestOnDisk} disappeared while reading`);
    return this.cached?.rev === rev ? rev : this.remember(rev);
  }

  runningNumber(): number {
    const n = this.revisionNumbers()[0];
    if (n === undefined) throw new StoreCorruptError(`${this.revisionsDir}: no revisions (the store was not opened)`);
    return n;
  }

  pendingConfirm(): PendingConfirm | null {
    const intent = this.readIntent();
    if (intent) return intent.confirm;
    const saw = this.operationSaw;
    const text = saw && saw.confirmText !== undefined ? saw.confirmText : readIfExists(this.confirmPath);
    if (saw) saw.confirmText = text;
    if (text === null) return null;
    try {
      return JSON.parse(text) as PendingConfirm;
    } catch (err) {
      throw new StoreCorruptError(`${this.confirmPath}: cannot read the pending confirmation: ${(err as Error).message}`);
    }
  }

  list(): RevisionListEntry[] {
    const pending = this.pendingConfirm();
    const intent = this.readIntent();
    const out: RevisionListEntry[] = [];
    for (const n of this.revisionNumbers()) {
      let rev: RevisionSummary | null;
      try {
        // Summaries only: a difference is listed without reading its checkpoint.
        rev = intent?.revision.number === n ? summaryOf(intent.revision) : this.readRevisionSummary(n);
      } catch (e) {
        // One damaged old revision must not hide the others (the running one is read on its own path, and its
        // damage is said there). It is listed with the reason instead of its details.
        if (!(e instanceof StoreCorruptError)) throw e;
        out.push({ number: n, id: String(1_000_000_000 + n), time: '', user: '', origin: 'shell', hash: '', files: {}, relative: out.length, pendingConfirm: false, unreadable: e.message });
        continue;
      }
      if (!rev) continue; // pruned between listing and reading
      out.push({ ...rev, relative: out.length, pendingConfirm: pending?.revision === n });
    }
    return out;
  }

  getRelative(k: number): Revision | null {
    if (!Number.isInteger(k) || k < 0) return null;
    const n = this.revisionNumbers()[k];
    return n === undefined ? null : this.get(n);
  }

  // ------------------------------------------------------------------ writing (under the commit lock)

  private async locked<T>(fn: () => T): Promise<T> {
    return withCommitLock(
      this.stateDir,
      async () => {
        // Every file event queued before the lock was taken is heard before the operation looks at the files.
        await this.configFiles?.settle();
        // One operation reads a revision file once, however many of its steps ask (recovery, the CAS, the
        // commit, pruning): the store's own steps never change what they read. Callers outside get their own copy.
        this.operationReads = new Map();
        this.operationSaw = {};
        try {
          return fn();
        } finally {
          this.operationReads = null;
          this.operationSaw = null;
        }
      },
      { waitMs: this.lockWaitMs },
    );
  }

  /**
   * Revision `rev`'s file: its difference from the whole revision its predecessor (the running one it was
   * committed on) is rebuilt from, or whole (store/revision-format.ts decides). Notes which one it builds on.
   */
  private revisionFile(rev: Revision, predecessor: Revision | null): { text: string; whole: boolean } {
    const checkpoint = predecessor ? this.checkpointOf(predecessor) : null;
    const { text, base } = encodeRevision(rev, checkpoint);
    this.checkpoints.set(rev, base !== null && checkpoint ? checkpoint : rev);
    return { text, whole: base === null };
  }

  /**
   * Carries out a durable intent. Idempotent: recovery runs it again from the top after a crash (the revision
   * file is then encoded again, on the same predecessor, which is on disk for as long as the intent is).
   */
  private applyIntent(intent: Intent, recovering = false, revisionText?: string): void {
    ensureDir(this.revisionsDir, 0o755);
    const text = revisionText ?? this.revisionFile(intent.revision, this.readRevisionFile(intent.revision.number - 1)).text;
    this.changing('revisions');
    writeFileAtomic(join(this.revisionsDir, revisionFileName(intent.revision.number)), text + '\n', 0o644);
    this.changing('confirm');
    if (intent.confirm) writeFileAtomic(this.confirmPath, JSON.stringify(intent.confirm) + '\n', 0o644);
    else unlinkDurable(this.confirmPath);
    for (const rel of Object.keys(intent.plan.writes).sort()) {
      const abs = join(intent.configDir, rel);
      // A file already holding exactly its planned bytes is left alone (fewer fsyncs; same result on replay). A
      // commit made its plan under this lock from the files as they are, so it knows them; a replay reads them.
      if (recovering ? readIfExists(abs) === intent.plan.writes[rel] : intent.plan.unchanged.includes(rel)) continue;
      ensureDir(dirname(abs));
      writeFileAtomic(abs, intent.plan.writes[rel]);
      if (intent.configDir === this.loc.dir) this.configFiles?.wrote(rel);
    }
    for (const rel of intent.plan.deletes) {
      unlinkDurable(join(intent.configDir, rel));
      if (intent.configDir === this.loc.dir) this.configFiles?.wrote(rel);
    }
    if (recovering) {
      // The dead writer may have renamed or unlinked without its directory fsync: make those durable now.
      for (const dir of [intent.configDir, join(intent.configDir, 'config.d')]) if (existsSync(dir)) fsyncDir(dir);
    }
    this.changing('intent');
    unlinkDurable(this.intentPath);
  }

  private sweepTemps(): string[] {
    const dirs = [this.stateDir, this.revisionsDir, this.loc.dir, join(this.loc.dir, 'config.d')];
    const intent = this.readIntent();
    if (intent && intent.configDir !== this.loc.dir) dirs.push(intent.configDir, join(intent.configDir, 'config.d'));
    return dirs.flatMap((d) => sweepTempFiles(d).map((name) => join(d, name)));
  }

  /** Completes an interrupted commit (if any) and removes a killed writer's temp files. Lock held. */
  private recoverLocked(): { rolledForward: number | null; swept: string[] } {
    const swept = this.sweepTemps();
    const intent = this.readIntent();
    if (!intent) return { rolledForward: null, swept };
    this.applyIntent(intent, true);
    this.prune();
    return { rolledForward: intent.revision.number, swept };
  }

  /** `keep` from the options, else the running configuration's daemon.revisions_kept, else 50. */
  private revisionsKept(): number {
    const configured = this.keep ?? this.running().config.daemon?.revisions_kept ?? DEFAULT_REVISIONS_KEPT;
    return Math.max(1, Math.floor(configured));
  }

  /**
   * Removes the revisions beyond `keep` (never a pending confirmation's two). One a kept revision is stored as the
   * difference from is hidden instead (renamed out of the list) until nothing needs it: every step leaves each
   * kept revision readable, so a crash anywhere in here needs no recovery (the next prune finishes it).
   */
  private prune(): void {
    const keep = this.revisionsKept();
    const numbers = this.revisionNumbersOnDisk();
    const pending = this.pendingConfirm();
    const protect = new Set(pending ? [pending.revision, pending.previousRevision] : []);
    const kept = new Set(numbers.filter((n, i) => i < keep || protect.has(n)));
    // A number above the newest on disk means the directory was replaced under us: nothing remembered holds.
    const newest = numbers[0] ?? 0;
    if ([...this.checkpointNumbers.keys()].some((n) => n > newest)) this.checkpointNumbers.clear();
    const plan = planPrune(numbers, kept, this.hiddenCheckpointsOnDisk(), (n) => {
      const known = this.checkpointNumbers.get(n);
      if (known !== undefined) return known;
      const prefix = readPrefix(join(this.revisionsDir, revisionFileName(n)));
      if (prefix === null) return null; // gone: not remembered
      const checkpoint = checkpointInPrefix(prefix);
      this.checkpointNumbers.set(n, checkpoint);
      return checkpoint;
    });
    for (const n of this.checkpointNumbers.keys()) if (!kept.has(n)) this.checkpointNumbers.delete(n);
    if (plan.hide.length + plan.remove.length + plan.removeHidden.length > 0) this.changing('revisions');
    for (const n of plan.hide) renameDurable(join(this.revisionsDir, revisionFileName(n)), join(this.revisionsDir, hiddenCheckpointName(n)));
    for (const n of plan.remove) unlinkDurable(join(this.revisionsDir, revisionFileName(n)));
    for (const n of plan.removeHidden) unlinkDurable(join(this.revisionsDir, hiddenCheckpointName(n)));
  }

  private hiddenCheckpointsOnDisk(): number[] {
    return this.revisionDirNames().filter((n) => HIDDEN_CHECKPOINT_FILE.test(n)).map((n) => Number(n.slice(0, 10)));
  }

  /** First use: revision 1 from the existing files, or revision 0 = the default configuration. Lock held. */
  private initializeLocked(): 'files' | 'default' | null {
    if (this.revisionNumbers().length > 0) return null;
    const given = this.loadedFiles;
    const fromGiven: DiskConfig | null =
      given && Object.keys(given.fingerprints).length > 0 && sameData(this.filesOnDisk(), given.fingerprints)
        ? { present: true, config: given.config, errors: [], files: given.files, fingerprints: given.fingerprints }
        : null;
    const disk: DiskConfig = fromGiven ?? this.readDisk();
    let rev: Revision;
    if (disk.present) {
      if (!disk.config) {
        throw new InvalidConfigFilesError(
          disk.errors,
          `the configuration files in ${this.loc.path} do not load, so the store cannot record them as revision 1:\n` +
            disk.errors.map(formatConfigError).join('\n'),
        );
      }
      // Handed over, not copied: `rev` is only serialised here and then dropped (a copy of 10,000 services took
      // longer than parsing back the text); readers get the file's own copy.
      rev = this.newRevision(1, disk.config, { origin: 'file', comment: 'configuration files found at first use' }, disk.fingerprints, this.layoutOf(disk.files), true);
    } else {
      rev = this.newRevision(0, defaultConfig(), { origin: 'init', comment: 'default configuration (no configuration files)' }, {});
    }
    ensureDir(this.stateDir, 0o755);
    ensureDir(this.revisionsDir, 0o755);
    // A single atomic write: before it there is no revision (open initialises again), after it there is one.
    this.changing('revisions');
    const path = join(this.revisionsDir, revisionFileName(rev.number));
    const text = encodeWhole(rev) + '\n';
    writeFileAtomic(path, text, 0o644);
    if (disk === fromGiven) {
      // `lbctl apply` reads the running revision next: what a read of the file gives, from the text in hand.
      const key = this.fileKey(rev.number, path);
      const written = key === null ? null : this.decodeRevisionFile(rev.number, path, text);
      this.justWritten = key === null || written === null ? null : { key, rev: written };
    }
    return disk.present ? 'files' : 'default';
  }

  /** Who a commit is by: meta.user (a daemon's SO_PEERCRED peer) or else this store's identity (the OS user). */
  private resolveIdentity(meta: CommitMeta): Identity {
    if (meta.user !== undefined) return { user: meta.user, uid: meta.uid, sudoUser: meta.sudoUser };
    const who = this.identity();
    return { user: who.user, uid: meta.uid ?? who.uid, sudoUser: meta.sudoUser ?? who.sudoUser };
  }

  /** The layout of files as loaded, for a directory configuration (a single file needs none). */
  private layoutOf(files: { path: string; doc: LoadedFile['doc'] }[]): FileLayout | undefined {
    if (this.loc.singleFile) return undefined;
    return layoutOfDocuments(files) ?? undefined;
  }

  private newRevision(number: number, config: Config, meta: CommitMeta, files: Record<string, string>, layout?: FileLayout, handOver = false): Revision {
    const { user, uid, sudoUser } = this.resolveIdentity(meta);
    return {
      number,
      id: String(REVISION_ID_BASE + number),
      time: this.now().toISOString(),
      user,
      ...(uid !== undefined ? { uid } : {}),
      ...(sudoUser ? { sudoUser } : {}),
      ...(meta.comment ? { comment: meta.comment } : {}),
      origin: meta.origin,
      ...(meta.session ? { session: meta.session } : {}),
      hash: hashConfig(config),
      files,
      ...(meta.confirmMinutes ? { confirmMinutes: meta.confirmMinutes } : {}),
      config: handOver ? config : structuredClone(config),
      ...(layout ? { layout } : {}),
    };
  }

  private handEditReport(running: Revision, disk: DiskConfig = this.readDisk()): HandEditReport {
    const files: FileChange[] = [];
    const before = running.files ?? {};
    for (const [rel, sum] of Object.entries(disk.fingerprints)) {
      if (!(rel in before)) files.push({ path: rel, change: 'added' });
      else if (before[rel] !== sum) files.push({ path: rel, change: 'modified' });
    }
    for (const rel of Object.keys(before)) if (!(rel in disk.fingerprints)) files.push({ path: rel, change: 'removed' });
    files.sort((a, b) => a.path.localeCompare(b.path));
    let configDiffers: boolean;
    if (!disk.present) configDiffers = running.origin !== 'init' || !configsEqual(running.config, defaultConfig());
    else configDiffers = disk.config === null || !configsEqual(disk.config, running.config);
    return {
      filesDiffer: files.length > 0,
      configDiffers: files.length > 0 && configDiffers,
      files,
      errors: disk.errors,
      running: summaryOf(running),
      config: disk.config,
    };
  }

  private checkExclusive(session: string | undefined): void {
    const holder = exclusiveLockHolder(this.stateDir);
    if (holder && (session === undefined || holder.session !== session)) {
      throw new ExclusiveLockedError(holder, `${exclusiveLockMessage(holder, this.now())}; commit refused`);
    }
  }

  private deadlineAfter(minutes: number): string {
    return new Date(this.now().getTime() + minutes * 60_000).toISOString();
  }

  private writeConfirm(pending: PendingConfirm | null): void {
    this.changing('confirm');
    if (pending) writeFileAtomic(this.confirmPath, JSON.stringify(pending) + '\n', 0o644);
    else unlinkDurable(this.confirmPath);
  }

  /**
   * The commit itself, lock held. `files: 'render'` writes the configuration files from the candidate;
   * 'record' takes the files on disk as they are (their fingerprints go into the revision).
   */
  private commitLocked(
    candidate: Config,
    meta: CommitMeta,
    how: {
      files: 'render' | 'record' | 'planned';
      fingerprints?: Record<string, string>;
      previousFiles?: LoadedFile[];
      /** Commit even if the files do not load back (an automatic rollback to a once-running configuration). */
      mustCommit?: boolean;
      /** 'planned': the plan of only the files the change touches (store/changed-files.ts). */
      planned?: ChangedFilesPlan;
      /** 'record': the layout of the recorded files, when the caller knows it. */
      layout?: FileLayout;
      handOver?: boolean;
    },
  ): CommitOutcome {
    const running = this.running();
    const pending = this.pendingConfirm();
    const user = this.resolveIdentity(meta).user;
    if (meta.confirmMinutes !== undefined && !(Number.isInteger(meta.confirmMinutes) && meta.confirmMinutes >= 1 && meta.confirmMinutes <= 65535)) {
      throw new RangeError(`commit confirmed: minutes must be 1..65535, got ${meta.confirmMinutes}`);
    }
    let plan: FilePlan = { writes: {}, unchanged: [], deletes: [] };
    let fingerprints: Record<string, string> = how.fingerprints ?? {};
    let committed = candidate;
    let layout: FileLayout | undefined = how.layout;
    let handOver = how.handOver === true;
    if (how.files === 'planned' && how.planned) {
      // Only the touched files change: the others keep the fingerprints the running revision recorded.
      plan = how.planned.plan;
      committed = how.planned.committed;
      layout = how.planned.layout;
      fingerprints = { ...running.files };
      for (const rel of plan.deletes) delete fingerprints[rel];
      Object.assign(fingerprints, fingerprintsOfPlan(plan));
      fingerprints = sortedFingerprints(fingerprints);
    } else if (how.files === 'render') {
      plan = planFiles(this.loc, candidate, how.previousFiles ?? previousFilesFor(this.readDisk()));
      fingerprints = fingerprintsOfPlan(plan);
      const back = loadPlanBack(this.loc, plan, candidate);
      if (back.config) {
        committed = back.config;
        handOver = true; // loaded back: a new object nobody else holds
        layout = this.layoutOf(back.files);
      } else if (!how.mustCommit) {
        throw new InvalidConfigFilesError(back.errors, `the candidate configuration does not validate; nothing was committed:\n${back.errors.map(formatConfigError).join('\n')}`);
      }
      // else: the configuration ran before; a stricter validator (an upgrade) must not stop the rescue rollback.
    }
    if (configsEqual(committed, running.config)) {
      // Nothing to commit. A plain commit still confirms a pending one; `commit confirmed` again extends it.
      let confirm: PendingConfirm | null = null;
      let confirmed: PendingConfirm | null = null;
      if (pending && meta.confirmMinutes) {
        confirm = { ...pending, deadline: this.deadlineAfter(meta.confirmMinutes), minutes: meta.confirmMinutes };
        this.writeConfirm(confirm);
      } else if (pending) {
        confirmed = pending;
        this.writeConfirm(null);
      }
      return { kind: 'no-changes', revision: summaryOf(running), confirm, confirmed };
    }
    const number = running.number + 1;
    const revision = this.newRevision(number, committed, meta, fingerprints, layout, handOver);
    const confirm: PendingConfirm | null = meta.confirmMinutes
      ? {
          revision: number,
          // Successive unconfirmed commits roll back to the last confirmed configuration.
          previousRevision: pending ? pending.previousRevision : running.number,
          deadline: this.deadlineAfter(meta.confirmMinutes),
          user,
          ...(meta.session ? { session: meta.session } : {}),
          minutes: meta.confirmMinutes,
        }
      : null;
    const intent: Intent = { format: 2, configDir: this.loc.dir, revision, plan, confirm };
    ensureDir(this.stateDir);
    // The intent holds the difference from the running revision (store/intent.ts), the revision file the
    // difference from the running revision's checkpoint (store/revision-format.ts): the whole configuration (10 MB
    // at 10,000 services) is serialised only for a whole revision file, or an intent no delta describes.
    const file = this.revisionFile(revision, running);
    const intentText = encodeIntent(intent, running.config, () => (file.whole ? file.text : encodeWhole(revision)), running.layout);
    // The commit point: once this rename is durable the new revision is running (recovery completes the rest).
    this.changing('intent');
    writeFileAtomic(this.intentPath, intentText + '\n', 0o644);
    this.applyIntent(intent, false, file.text);
    this.remember(revision);
    this.prune();
    return {
      kind: 'committed',
      revision: summaryOf(revision),
      previous: summaryOf(running),
      confirm,
      confirmed: confirm ? null : pending,
      filesWritten: Object.keys(plan.writes).filter((rel) => !plan.unchanged.includes(rel)).sort(),
      filesRemoved: plan.deletes,
    };
  }

  async commit(candidate: Config, baseRevision: number, meta: CommitMeta, opts: CommitOptions = {}): Promise<CommitOutcome> {
    return this.locked(() => {
      this.recoverLocked();
      const running = this.running();
      if (running.number !== baseRevision) {
        const between = this.revisionNumbers()
          .filter((n) => n > baseRevision)
          .map((n) => this.get(n))
          .filter((r): r is Revision => r !== null)
          .map(summaryOf);
        throw new StaleBaseError(summaryOf(running), baseRevision, between, staleBaseMessage(summaryOf(running), baseRevision, between, this.now()));
      }
      this.checkExclusive(meta.session);
      const planned = this.planFromLayout(running, candidate);
      if (planned) return this.commitLocked(candidate, meta, { files: 'planned', planned, handOver: opts.handOver });
      const disk = this.readDisk();
      const report = this.handEditReport(running, disk);
      if (report.configDiffers && !opts.overwriteHandEdits) {
        throw new HandEditsPendingError(
          report,
          `the configuration files were edited by hand since revision ${running.number}: ${describeFileChanges(report.files)}; ` +
            `record them first ('lbctl apply'), or commit with overwrite to replace them`,
        );
      }
      return this.commitLocked(candidate, meta, { files: 'render', previousFiles: previousFilesFor(disk) });
    });
  }

  previewFiles(candidate: Config): ChangedFilesPlan | null {
    return this.planFromLayout(this.running(), candidate);
  }

  /**
   * The plan of only the files a change touches, when the running revision's layout describes the files on
   * disk: their fingerprints are exactly the ones it recorded (so there is no hand edit either, and nothing else
   * needs to be read). Null: the whole-directory path decides (hand edits, a single file, an old revision).
   */
  private planFromLayout(running: Revision, candidate: Config): ChangedFilesPlan | null {
    if (this.loc.singleFile || !running.layout) return null;
    const onDisk = this.filesOnDisk();
    if (!sameData(onDisk, running.files) || !sameData(Object.keys(running.layout).sort(), Object.keys(onDisk).sort())) return null;
    let raced = false;
    const readFile = (rel: string) => {
      const bytes = readFileSync(join(this.loc.dir, rel));
      if (sha256(bytes) !== onDisk[rel]) {
        raced = true; // edited since fingerprinted: let the full path look
        this.configFiles?.forget(rel);
      }
      return bytes.toString('utf8');
    };
    const planned = planChangedFiles(running.config, running.layout, candidate, readFile);
    if (planned === null || raced) return null;
    if ('errors' in planned) {
      throw new InvalidConfigFilesError(planned.errors, `the candidate configuration does not validate; nothing was committed:\n${planned.errors.map(formatConfigError).join('\n')}`);
    }
    return planned;
  }

  async confirm(_user?: string): Promise<PendingConfirm | null> {
    return this.locked(() => {
      this.recoverLocked();
      const pending = this.pendingConfirm();
      if (pending) this.writeConfirm(null);
      return pending;
    });
  }

  async expireConfirmIfDue(now: Date = this.now()): Promise<ConfirmExpiry | null> {
    return this.locked(() => {
      this.recoverLocked();
      return this.expireLocked(now);
    });
  }

  private expireLocked(now: Date): ConfirmExpiry | null {
    const pending = this.pendingConfirm();
    if (!pending || new Date(pending.deadline).getTime() > now.getTime()) return null;
    const running = this.running();
    const previous = this.get(pending.previousRevision);
    if (!previous) {
      throw new StoreCorruptError(`revision ${pending.previousRevision} (to restore after an unconfirmed commit) is missing`);
    }
    const comment =
      `automatic rollback: commit ${pending.revision} by ${pending.user} was not confirmed by ` +
      `${formatClock(pending.deadline, now)}; restoring revision ${previous.number}`;
    // The kernel follows in a second step (engine/confirm-rollback.ts), which clears this record once done: a
    // kill between the two leaves it for the next start (engine/recover.ts) to set the kernel back.
    markKernelPending(this.stateDir, { why: 'confirm-rollback', pid: process.pid, user: pending.user, since: now.toISOString(), base: running.number, comment });
    // The rollback overrides `configure exclusive` and hand edits: it exists to rescue a locked-out operator.
    const outcome = this.commitLocked(previous.config, { origin: 'confirm-timeout', comment }, { files: 'render', mustCommit: true });
    if (outcome.kind === 'no-changes') {
      this.writeConfirm(null);
      return { expired: pending, revision: null, replaced: summaryOf(running) };
    }
    return { expired: pending, revision: this.get(outcome.revision.number), replaced: summaryOf(running) };
  }

  async detectHandEdits(): Promise<HandEditReport> {
    return this.locked(() => {
      this.recoverLocked();
      return this.handEditReport(this.running());
    });
  }

  async recordFileRevision(meta: Omit<CommitMeta, 'origin' | 'confirmMinutes'> = {}, opts: RecordOptions = {}): Promise<RecordOutcome> {
    return this.locked((): RecordOutcome => {
      this.recoverLocked();
      const running = this.running();
      if (opts.baseRevision !== undefined && running.number !== opts.baseRevision) {
        const base = opts.baseRevision;
        const between = this.revisionNumbers()
          .filter((n) => n > base)
          .map((n) => this.get(n))
          .filter((r): r is Revision => r !== null)
          .map(summaryOf);
        throw new StaleBaseError(summaryOf(running), base, between, staleBaseMessage(summaryOf(running), base, between, this.now()));
      }
      const disk: Pick<DiskConfig, 'present' | 'config' | 'errors' | 'fingerprints' | 'files'> = opts.loaded
        ? { present: true, config: opts.loaded.config, errors: [], fingerprints: opts.loaded.fingerprints, files: opts.loaded.files ?? [] }
        : this.readDisk();
      if (!disk.present) {
        return { kind: 'invalid', errors: [{ file: '', line: 0, column: 0, path: '', message: `no configuration files in ${this.loc.path}` }] };
      }
      if (!disk.config) return { kind: 'invalid', errors: disk.errors };
      if (configsEqual(disk.config, running.config)) return { kind: 'no-changes', revision: summaryOf(running) };
      this.checkExclusive(meta.session);
      // The layout only when the loaded files are exactly the fingerprinted ones (else the next commit re-reads all).
      const layout = disk.files.length > 0 && disk.files.length === Object.keys(disk.fingerprints).length ? this.layoutOf(disk.files) : undefined;
      const outcome = this.commitLocked(disk.config, { ...meta, origin: 'file' }, { files: 'record', fingerprints: disk.fingerprints, layout });
      if (outcome.kind !== 'committed') return { kind: 'no-changes', revision: outcome.revision };
      return { kind: 'recorded', revision: outcome.revision, previous: outcome.previous, confirmed: outcome.confirmed };
    });
  }

  /** Open-time work, lock held: initialise, complete an interrupted commit, expire a due confirmation. */
  openLocked(): void {
    const recovered = this.recoverLocked();
    const initialized = this.initializeLocked();
    const expiredConfirm = this.expireLocked(this.now());
    this.openReport = {
      initialized,
      rolledForward: recovered.rolledForward,
      sweptTempFiles: recovered.swept,
      expiredConfirm,
    };
  }
}

/**
 * Opens (and on first use creates) the store. Under the commit lock it completes a commit interrupted by a
 * crash, records the configuration files as revision 1 (or the default configuration as revision 0 when there
 * are none), and rolls back a `commit confirmed` whose deadline passed. Throws InvalidConfigFilesError when
 * first use finds files that do not load.
 */
export async function openStore(opts: StoreOptions): Promise<Store> {
  // Before anything is read from them or written into them: see store/dir-safety.ts.
  assertTrustedPath(opts.stateDir, 'state directory');
  if (opts.configPath) assertTrustedPath(opts.configPath, 'configuration');
  const store = new RevisionStore(opts);
  if (opts.readOnly) return store;
  ensureDir(store.stateDir, 0o755);
  await withCommitLock(store.stateDir, () => store.openLocked(), { waitMs: opts.lockWaitMs });
  return store;
}

/** Reads a revision file's configuration without opening a store (diagnostics, the confirm rollback). */
export function readRevisionConfig(stateDir: string, n: number): Config | null {
  const dir = join(stateDir, 'revisions');
  const read = (m: number, asCheckpoint: boolean): Revision | null => {
    const text = readIfExists(join(dir, revisionFileName(m))) ?? (asCheckpoint ? readIfExists(join(dir, hiddenCheckpointName(m))) : null);
    if (text === null) return null;
    const decoded = decodeRevision(text);
    if (decoded.kind === 'whole') return decoded.revision;
    const checkpoint = read(decoded.record.base, true);
    if (!checkpoint) throw new Error(`revision ${decoded.record.base}, which revision ${m} is stored as the difference from, is missing`);
    return resolveDelta(decoded.record, { ...checkpoint, config: completeConfig(checkpoint.config) });
  };
  const rev = read(n, false);
  return rev === null ? null : completeConfig(rev.config);
}
