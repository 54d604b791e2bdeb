// The drains of one state directory, kept by the engine host that programs it (the daemon's, or an in-process
// one): requests to drain and resume, the step from draining to drained as the connections end, the file that
// keeps them across restarts, and the audit records. The decisions are engine/drain/decide.ts's; the host lends
// the table, the running configuration and the way to program an AdminState.
import { fileIdentity } from '../file-identity.js';
import type { Config } from '../../config/model.js';
import type { IpvsTableEntry } from '../../netlink/dataplane.js';
import type { AdminState } from '../inputs.js';
import type { ApplyResult } from '../engine.js';
import type { AuditIdentity } from '../commit-transaction.js';
import { randomBytes } from 'node:crypto';
import { appendAudit, auditPath, auditRotation, kernelOfApply, readAudit } from '../audit.js';
import { activeConnections, drainAdmin, drainRef, drainStep, matchBackends, type DrainRecord, type DrainRequest } from './decide.js';
import { drainsPath, readDrains, writeDrains, type UnauditedDrain } from './drain-file.js';

/** A drain as the operator sees it: the record, the configured weight it keeps, its active connections now. */
export interface DrainRow extends DrainRecord {
  /** The configured weight (what `resume` gives back); null when the backend left the configuration. */
  weight: number | null;
  /** Active connections in the table now; null when it has no destination there. */
  active: number | null;
}

export interface DrainResult {
  action: 'drain' | 'resume';
  /** The backends the request named, after it (resumed ones with state `resumed`). */
  rows: (DrainRow | (Omit<DrainRow, 'state'> & { state: 'resumed' }))[];
  /** Refs the request named that were already so (drained again, or not drained). */
  unchanged: string[];
}

export interface DrainsHost {
  stateDir: string;
  lab: boolean;
  /** The running configuration (the store's for an in-process host), null when there is none. */
  config(): Config | null;
  table(): Promise<IpvsTableEntry[]>;
  /** Program the running configuration with `admin`; null when nothing is programmed (disabled). */
  apply(admin: AdminState): Promise<ApplyResult | null>;
  /** Run `f` so that no commit interleaves (the commit transaction lock). */
  exclusive<T>(f: () => Promise<T>): Promise<T>;
  /** Names the configuration's kernel services (serviceId → service name). */
  declared(config: Config): Map<string, string>;
  now(): Date;
}

/** A request the operator must reword: the message is the sentence (without `% `). */
export class DrainRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DrainRefusedError';
  }
}

export class Drains {
  private records: DrainRecord[] = [];
  /** Audit lines a killed process owed (drain-file.ts); the next move of the drains writes them. */
  private unaudited: UnauditedDrain[] = [];
  private signature: string | null = null;

  constructor(private readonly host: DrainsHost) {}

  /** What the engine must program for the drains on file (re-read when another process wrote it). */
  admin(): AdminState {
    this.reload();
    return drainAdmin(this.records);
  }

  /** True when the file changed since this host last read it. */
  changed(): boolean {
    return fileIdentity(drainsPath(this.host.stateDir)) !== this.signature;
  }

  /** True when some drain still waits for its connections (the daemon then advances them on a timer). */
  waiting(): boolean {
    return this.records.some((r) => r.state === 'draining');
  }

  /** True when a process was killed in the middle of a drain request (the daemon then finishes it on a timer). */
  interrupted(): boolean {
    this.reload();
    return this.unaudited.length > 0;
  }

  async request(req: DrainRequest, who: AuditIdentity): Promise<DrainResult> {
    return this.host.exclusive(async () => {
      this.reload();
      await this.finishInterrupted();
      const config = this.host.config();
      const named = config ? matchBackends(config, req) : [];
      if (named.length === 0) throw new DrainRefusedError(noBackendSentence(req));
      const now = this.host.now();
      const unchanged: string[] = [];
      const refs = new Set(named.map((b) => drainRef(b)));
      const kept = this.records.filter((r) => !refs.has(drainRef(r)));
      const next = [...kept];
      for (const b of named) {
        const had = this.records.find((r) => drainRef(r) === drainRef(b));
        if (req.action === 'resume') {
          if (!had) unchanged.push(drainRef(b));
          continue;
        }
        if (had) unchanged.push(drainRef(b));
        next.push(
          had ?? {
            service: b.service,
            address: b.address,
            port: b.port,
            state: 'draining',
            then: req.then ?? 'hold',
            ...(req.timeoutS !== undefined ? { timeoutS: req.timeoutS } : {}),
            since: now.toISOString(),
            user: who.user,
          },
        );
      }
      const before = this.records;
      const changedRefs = named.map((b) => drainRef(b)).filter((ref) => !unchanged.includes(ref));
      if (changedRefs.length) {
        const note = unauditedNote(who, req.action, changedRefs, req.action === 'drain' ? 'draining' : 'resumed');
        this.save(next, [note]);
        const result = await this.host.apply(drainAdmin(next));
        this.save(next, this.audit([note], config, result));
      }
      // A backend with no connections is drained at once: the answer says where it ended.
      // Judged at the request's time: a short timeout cannot expire while the request itself is being applied.
      if (req.action === 'drain') await this.advanceLocked(who, now);
      const rows = await this.rows(config);
      return {
        action: req.action,
        rows: named.map((b) => {
          const row = rows.find((r) => drainRef(r) === drainRef(b));
          if (row) return row;
          const old = before.find((r) => drainRef(r) === drainRef(b));
          return { ...(old ?? { then: 'hold', since: now.toISOString(), user: who.user }), service: b.service, address: b.address, port: b.port, weight: b.weight, active: null, state: 'resumed' as const };
        }),
        unchanged,
      };
    });
  }

  /** Move the drains whose connections ended (or whose timeout expired) to drained; audited. The transitions. */
  advance(who: AuditIdentity): Promise<DrainRow[]> {
    return this.host.exclusive(() => this.advanceLocked(who));
  }

  /** The drains with their configured weight and active connections now (advanced first). */
  async report(who: AuditIdentity, service?: string): Promise<DrainRow[]> {
    // A reader that may not move them on (a read-only operator without a daemon cannot write the state
    // directory) still sees them as they are: the next request, or the daemon, moves them.
    await this.advance(who).catch(() => []);
    const rows = await this.rows(this.host.config());
    return service === undefined ? rows : rows.filter((r) => r.service === service);
  }

  private async advanceLocked(who: AuditIdentity, at?: Date): Promise<DrainRow[]> {
    this.reload();
    await this.finishInterrupted();
    if (!this.waiting()) return [];
    const config = this.host.config();
    const active = await this.connections(config);
    const now = at ?? this.host.now();
    const moved: DrainRecord[] = [];
    const next = this.records.map((r) => {
      const step = drainStep(r, active.get(drainRef(r)) ?? null, now);
      if (!step) return r;
      const done: DrainRecord = { ...r, state: step.state, why: step.why, drainedAt: now.toISOString() };
      moved.push(done);
      return done;
    });
    if (moved.length === 0) return [];
    const notes = moved.map((r) => unauditedNote(who, 'drained', [drainRef(r)], `drained (${r.why})${r.then === 'remove' ? ', removed' : ', held at weight 0'}`));
    this.save(next, notes);
    // Only a removal changes the kernel: a held backend is at weight 0 already.
    const result = moved.some((r) => r.then === 'remove') ? await this.host.apply(drainAdmin(next)) : null;
    this.save(next, this.audit(notes, config, result));
    return moved.map((r) => ({ ...r, weight: configuredWeight(config, r), active: active.get(drainRef(r)) ?? null }));
  }

  private async rows(config: Config | null): Promise<DrainRow[]> {
    if (this.records.length === 0) return [];
    const active = await this.connections(config);
    return this.records.map((r) => ({ ...r, weight: configuredWeight(config, r), active: active.get(drainRef(r)) ?? null }));
  }

  private async connections(config: Config | null): Promise<Map<string, number | null>> {
    if (!config) return new Map();
    return activeConnections(this.records, await this.host.table(), this.host.declared(config));
  }

  private reload(): void {
    const signature = fileIdentity(drainsPath(this.host.stateDir));
    if (signature === this.signature) return;
    const file = readDrains(this.host.stateDir);
    this.records = file.drains;
    this.unaudited = file.unaudited;
    this.signature = signature;
  }

  private save(records: DrainRecord[], unaudited: UnauditedDrain[] = []): void {
    writeDrains(this.host.stateDir, records, unaudited);
    this.records = records;
    this.unaudited = unaudited;
    this.signature = fileIdentity(drainsPath(this.host.stateDir));
  }

  /**
   * What a process killed in the middle of a request left (drain-file.ts): the kernel is given the drains on file,
   * and each owed line is written, unless the trail has it already (killed after the append, before the rewrite).
   */
  private async finishInterrupted(): Promise<void> {
    if (this.unaudited.length === 0) return;
    const config = this.host.config();
    const result = await this.host.apply(drainAdmin(this.records));
    const path = auditPath({ stateDir: this.host.stateDir, config, lab: this.host.lab });
    const written = new Set(readAudit(path, { last: AUDIT_LINES_SEARCHED }).records.map((r) => r.drain?.id).filter(Boolean));
    const owed = this.unaudited.filter((n) => !written.has(n.id));
    this.save(this.records, this.audit(owed, config, result, ' (finished after an interrupted request)'));
  }

  /** Appends a line per note; returns the notes it could not write (kept on file: the next move tries again). */
  private audit(notes: UnauditedDrain[], config: Config | null, result: ApplyResult | null, suffix = ''): UnauditedDrain[] {
    const left: UnauditedDrain[] = [];
    for (const note of notes) {
      try {
        appendAudit(
          auditPath({ stateDir: this.host.stateDir, config, lab: this.host.lab }),
          {
            user: note.user,
            ...(note.uid !== undefined ? { uid: note.uid } : {}),
            ...(note.sudoUser !== undefined ? { sudoUser: note.sudoUser } : {}),
            ...(note.session !== undefined ? { session: note.session } : {}),
            action: 'drain',
            result: result && !result.ok ? 'failed' : 'ok',
            comment: `${note.verb} ${note.refs.join(', ')}: ${note.to}${suffix}`,
            drain: { backends: note.refs, to: note.to, id: note.id },
            ...(result ? { kernel: kernelOfApply(result) } : {}),
          },
          auditRotation(config),
        );
      } catch {
        // The drain stands; the line is owed until a later move can write it (and the next commit says the
        // trail is unwritable, since it must write it).
        left.push(note);
      }
    }
    return left;
  }
}

/** How far back the trail is searched for an owed line: the lines written since the note, with room to spare. */
const AUDIT_LINES_SEARCHED = 1000;

function unauditedNote(who: AuditIdentity, verb: string, refs: string[], to: string): UnauditedDrain {
  return {
    id: randomBytes(8).toString('hex'),
    user: who.user,
    ...(who.uid !== undefined ? { uid: who.uid } : {}),
    ...(who.sudoUser !== undefined ? { sudoUser: who.sudoUser } : {}),
    ...(who.session !== undefined ? { session: who.session } : {}),
    verb,
    refs,
    to,
  };
}

function configuredWeight(config: Config | null, r: DrainRecord): number | null {
  const b = config ? matchBackends(config, { address: r.address, port: r.port, service: r.service })[0] : undefined;
  return b?.weight ?? null;
}

function noBackendSentence(req: DrainRequest): string {
  const narrowed = [req.port !== undefined ? `port ${req.port}` : '', req.service !== undefined ? `in service ${req.service}` : ''].filter(Boolean).join(' ');
  return `No enabled backend ${req.address}${narrowed ? ` ${narrowed}` : ''} in the running configuration.`;
}

/** Identity and size of the drains file, or null when it does not exist: tells a host another process wrote it. */
