// The configuration files' fingerprints for a long-lived store (the daemon's), told by the kernel's file events
// instead of a stat of every file at every commit. A commit checks that the files on disk are still the ones
// the running revision recorded: at 10,000 services that was 101 stats and two listings of config.d a commit
// (under emulation ~0.1–0.3 ms of system call and fs binding apiece, about a tenth of the daemon's commit).
//
// Two inotify watches (fs.watch, one on the configuration directory and one on config.d) say which names changed.
// A file with no event since it was last stated keeps the hash its identity was last given; a file with an event,
// a symbolic link (its target's changes make no event here), or any file after the watch could not vouch, is
// stated again (store/file-fingerprints.ts decides whether to read it). The listing is kept until a name is
// created, removed or renamed.
//
// What the watch cannot vouch for, it hands back to the stats:
//  - a watch that failed to start or reported an error, an event without a name, config.d itself created,
//    removed or renamed, the configuration directory moved or deleted: everything is forgotten and watched anew;
//  - a directory replaced behind a symbolic link (no event reaches the old watch): both directories' identities
//    are stated at every look (two stats instead of 101), and a new identity starts anew;
//  - events queued by the kernel but not yet handed to this process: `settle()` turns the event loop twice (the
//    store does it under its lock before a locked operation looks), so every edit finished before the operation
//    began has been heard. An edit that lands during the operation is the same race a stat has (it would have
//    been after the stat): the next look sees it, and a file the commit rewrites is hashed from its bytes anyway
//    (Store.planFromLayout).
// The store tells the watch what it wrote itself (`wrote`), so that its next look does not wait for the events.
import { readdirSync, statSync, watch, type Dirent, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import type { FileFingerprints } from './file-fingerprints.js';
import { fingerprintFiles, type ConfigLocation } from './store-files.js';

const TOP_FILES = ['config.yaml', 'config.yml'];
const isConfigDName = (name: string) => /\.ya?ml$/.test(name) && !name.startsWith('.');

interface Listed {
  rel: string;
  /** The file's path (joined once per listing, not at every look: path.join is not free under emulation). */
  abs: string;
  /** A regular file (not a symbolic link): its own events say when it changed. */
  regular: boolean;
}

/** fs.watch as this module uses it (tests give one that fails or reports errors). */
export type WatchFn = (path: string, listener: (event: string, name: string | Buffer | null) => void) => FSWatcher;

const nodeWatch: WatchFn = (path, listener) => watch(path, { persistent: false }, listener);

export class ConfigFilesWatch {
  private watchers: FSWatcher[] = [];
  private active = false;
  /** Both directories' identities when the watches were set (a symbolic link repointed changes them). */
  private dirIdentity = '';
  private listed: Listed[] | null = null;
  /** Files with no event since they were last stated. */
  private readonly quiet = new Set<string>();
  /**
   * The last look's answer, while every file it covered is still quiet and nothing was listed since (frozen: the
   * store keeps it in revisions). Null: the next look goes through the files.
   */
  private lastAnswer: Readonly<Record<string, string>> | null = null;
  private closed = false;
  /** How many times the watches were set (the tests read it). */
  starts = 0;

  constructor(
    private readonly loc: ConfigLocation,
    private readonly hashes: FileFingerprints,
    private readonly watchFn: WatchFn = nodeWatch,
  ) {}

  /** sha256 of each configuration file's bytes, keyed by relative path: what `fingerprintFiles` returns. */
  fingerprints(): Record<string, string> {
    if (this.loc.singleFile) return fingerprintFiles(this.loc, this.hashes);
    if (this.active && this.identityOfDirs() !== this.dirIdentity) this.reset();
    if (!this.active && !this.start()) return fingerprintFiles(this.loc, this.hashes);
    if (this.lastAnswer) return this.lastAnswer;
    this.listed ??= this.list();
    const out: Record<string, string> = {};
    let allQuiet = true;
    for (const { rel, abs, regular } of this.listed) {
      let sum = regular && this.quiet.has(rel) ? this.hashes.trusted(abs) : null;
      if (sum === null) {
        sum = this.hashes.of(abs);
        if (sum !== null && regular && this.hashes.trusted(abs) !== null) this.quiet.add(rel);
        else this.quiet.delete(rel);
      }
      if (!this.quiet.has(rel)) allQuiet = false;
      if (sum !== null) out[rel] = sum;
    }
    // Every file quiet with a hash it may give again: the same answer until an event, a write or a reset.
    if (allQuiet) this.lastAnswer = Object.freeze(out);
    return out;
  }

  /** Lets the event loop hand over every event the kernel queued before now (see the top of this file). */
  async settle(): Promise<void> {
    if (!this.active) return;
    await new Promise<void>((r) => setImmediate(r));
    await new Promise<void>((r) => setImmediate(r));
  }

  /** The store wrote or removed `rel` itself: state it at the next look, and list the directory again. */
  wrote(rel: string): void {
    this.quiet.delete(rel);
    this.listed = null;
    this.lastAnswer = null;
  }

  /** `rel`'s bytes are not what its hash says (a look raced an edit): state it at the next look. */
  forget(rel: string): void {
    this.quiet.delete(rel);
    this.lastAnswer = null;
  }

  /** Stops watching; later looks state every file (as a store without a watch does). */
  close(): void {
    this.reset();
    this.closed = true;
  }

  private start(): boolean {
    if (this.closed) return false;
    const configD = join(this.loc.dir, 'config.d');
    try {
      this.watchers.push(this.watchOne(this.loc.dir, (event, name) => this.onTop(event, name)));
      if (this.identityOf(configD) !== 'none') this.watchers.push(this.watchOne(configD, (event, name) => this.onConfigD(event, name)));
    } catch {
      // No inotify (a limit reached, a file system without it): the stats, as without a watch.
      this.reset();
      return false;
    }
    // After the watches are set: a change between the two stats and the watches is then heard as an event.
    this.dirIdentity = this.identityOfDirs();
    this.active = true;
    this.starts++;
    return true;
  }

  private watchOne(path: string, listener: (event: string, name: string | null) => void): FSWatcher {
    const w = this.watchFn(path, (event, name) => listener(event, name === null ? null : String(name)));
    w.on('error', () => this.reset());
    return w;
  }

  private onTop(event: string, name: string | null): void {
    if (name !== null && TOP_FILES.includes(name)) return this.changed(name, event);
    // config.d created, removed or replaced; the directory itself moved or deleted (its own name); no name at all.
    if (name === null || name === 'config.d' || name === basename(this.loc.dir)) this.reset();
  }

  private onConfigD(event: string, name: string | null): void {
    if (name === null || name === 'config.d') return this.reset(); // the directory's own move or removal
    if (isConfigDName(name)) this.changed(`config.d/${name}`, event);
  }

  private changed(rel: string, event: string): void {
    this.quiet.delete(rel);
    this.lastAnswer = null;
    if (event === 'rename') this.listed = null; // created, removed or renamed: the listing may differ
  }

  private reset(): void {
    for (const w of this.watchers) {
      try {
        w.close();
      } catch {
        /* already closed */
      }
    }
    this.watchers = [];
    this.active = false;
    this.listed = null;
    this.quiet.clear();
    this.lastAnswer = null;
  }

  /** The files `listConfigFiles` lists, in its order, each with whether it is a regular file. */
  private list(): Listed[] {
    const out: Listed[] = [];
    const entries = (dir: string): Dirent[] => {
      try {
        return readdirSync(dir, { withFileTypes: true });
      } catch {
        return [];
      }
    };
    const top = entries(this.loc.dir);
    for (const name of TOP_FILES) {
      const e = top.find((x) => x.name === name);
      if (e) out.push({ rel: name, abs: join(this.loc.dir, name), regular: e.isFile() });
    }
    const names = entries(join(this.loc.dir, 'config.d')).filter((e) => isConfigDName(e.name));
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const configD = join(this.loc.dir, 'config.d');
    for (const e of names) out.push({ rel: `config.d/${e.name}`, abs: join(configD, e.name), regular: e.isFile() });
    return out;
  }

  private identityOf(path: string): string {
    try {
      const st = statSync(path);
      return `${st.dev}:${st.ino}`;
    } catch {
      return 'none';
    }
  }

  private identityOfDirs(): string {
    return `${this.identityOf(this.loc.dir)} ${this.identityOf(join(this.loc.dir, 'config.d'))}`;
  }
}
