// Apply: send a plan's operations through the dataplane as one batch, check every result, and make the whole
// thing all-or-nothing.
//
// Transaction design:
//  - Before sending, the inverse of every operation is computed from the actual-state cache (the old service,
//    the old destination, the destinations a deleted service took with it).
//  - If the kernel refuses an operation for a real reason (a missing scheduler module, a bad weight), the inverses
//    of everything that succeeded are applied in reverse order: the kernel ends as it was, and the failing op is
//    reported with the kernel's errno.
//  - EEXIST / ESRCH / ENOENT that only mean "someone changed this object by hand a moment ago" are not failures:
//    the object is re-read, its operations are planned again against what is really there, and sent in a next
//    round. A delete of something already gone is simply done.
//  - If the undo itself fails, or the dataplane throws (no answer: the outcome of the batch is unknown), the
//    table is read again in full and the touched services are restored from a snapshot taken before the batch.
import type { AddressFamily, Dataplane, IpvsDest, IpvsOp, IpvsService, OpResult, ServiceKey } from '../netlink/dataplane.js';
import { describeOp } from '../netlink/describe.js';
import { ActualState, type ActualService } from './actual.js';
import type { DesiredService } from './compile.js';
import { destId, serviceId } from './identity.js';
import { planService, type PlanStep } from './plan.js';

const ENOENT = 2;
const ESRCH = 3;
const EEXIST = 17;
/** errno of "already exists" (for a refusal lbctl makes itself: a clash with a foreign service). */
export const EEXIST_ERRNO = EEXIST;

export interface OpFailure {
  op: IpvsOp;
  /** `newService tcp 10.0.0.10:80`. */
  text: string;
  errno: number;
  code: string;
  message: string;
}

export interface TransactionResult {
  ok: boolean;
  /** Operations the kernel accepted and that are still in effect (none after a rollback). */
  applied: IpvsOp[];
  /** The operation that made the transaction fail, with the kernel's reason. */
  failed?: OpFailure;
  /** Set when the dataplane itself failed (no answer, socket error): the outcome was unknown. */
  dataplaneError?: string;
  rolledBack: boolean;
  /** Undo operations the kernel refused; the engine then re-read the table and restored from the snapshot. */
  undoFailures: OpFailure[];
  /** False only when even the snapshot restore could not put the touched services back. */
  restored: boolean;
  /** Objects re-read after a concurrent hand edit (EEXIST/ENOENT/ESRCH) instead of failing. */
  racesResolved: number;
  rounds: number;
  applyMs: number;
  undoMs: number;
}

export interface TransactionContext {
  dataplane: Dataplane;
  actual: ActualState;
  /** The operations one service needs, planned again against the (re-read) actual state. */
  replan(serviceId: string): IpvsOp[];
  /** Replace the whole actual state with a full read (after an unknown outcome). */
  fullRead(): Promise<void>;
  maxRounds?: number;
}

type Verdict = 'ok' | 'gone' | 'race' | 'fail';

/** What a failed result means for this op: already done, a concurrent change, or a real refusal. */
export function classify(op: IpvsOp, r: OpResult): Verdict {
  if (r.ok) return 'ok';
  switch (op.op) {
    case 'delService':
      return r.errno === ESRCH ? 'gone' : 'fail';
    case 'delDest':
      return r.errno === ENOENT || r.errno === ESRCH ? 'gone' : 'fail';
    case 'newService':
      return r.errno === EEXIST ? 'race' : 'fail'; // ENOENT here = no such scheduler: real
    case 'setService':
      return r.errno === ESRCH ? 'race' : 'fail';
    case 'newDest':
      return r.errno === EEXIST || r.errno === ESRCH ? 'race' : 'fail';
    case 'setDest':
      return r.errno === ENOENT || r.errno === ESRCH ? 'race' : 'fail';
  }
}

export function opServiceKey(op: IpvsOp): ServiceKey {
  return op.op === 'newService' || op.op === 'setService' ? op.service.key : op.key;
}

const bare = (s: IpvsService): IpvsService => {
  const out: IpvsService = { key: s.key, scheduler: s.scheduler, flags: s.flags, timeout: s.timeout, netmask: s.netmask };
  if (s.peName) out.peName = s.peName;
  return out;
};

const bareDest = (d: IpvsDest): IpvsDest => {
  const out: IpvsDest = { addr: d.addr, port: d.port, fwdMethod: d.fwdMethod, weight: d.weight, uThresh: d.uThresh, lThresh: d.lThresh };
  if (d.af !== undefined) out.af = d.af;
  if (d.tunType !== undefined) out.tunType = d.tunType;
  if (d.tunPort !== undefined) out.tunPort = d.tunPort;
  if (d.tunFlags !== undefined) out.tunFlags = d.tunFlags;
  return out;
};

/** The operations that undo `op`, given the state before it (in order). */
export function inverseOf(op: IpvsOp, actual: ActualState): IpvsOp[] {
  switch (op.op) {
    case 'newService':
      return [{ op: 'delService', key: op.service.key }];
    case 'setService': {
      const old = actual.get(serviceId(op.service.key));
      return old ? [{ op: 'setService', service: bare(old.service) }] : [{ op: 'delService', key: op.service.key }];
    }
    case 'delService': {
      const old = actual.get(serviceId(op.key));
      if (!old) return [];
      return [
        { op: 'newService', service: bare(old.service) },
        ...[...old.dests.values()].map((d): IpvsOp => ({ op: 'newDest', key: old.service.key, dest: bareDest(d) })),
      ];
    }
    case 'newDest':
      return [{ op: 'delDest', key: op.key, dest: { addr: op.dest.addr, port: op.dest.port, af: op.dest.af } }];
    case 'setDest': {
      const old = actual.get(serviceId(op.key))?.dests.get(destId(op.key.af as AddressFamily, op.dest));
      return old ? [{ op: 'setDest', key: op.key, dest: bareDest(old) }] : [{ op: 'delDest', key: op.key, dest: { addr: op.dest.addr, port: op.dest.port, af: op.dest.af } }];
    }
    case 'delDest': {
      const old = actual.get(serviceId(op.key))?.dests.get(destId(op.key.af as AddressFamily, op.dest));
      return old ? [{ op: 'newDest', key: op.key, dest: bareDest(old) }] : [];
    }
  }
}

function failure(op: IpvsOp, r: Extract<OpResult, { ok: false }>): OpFailure {
  return { op, text: describeOp(op), errno: r.errno, code: r.code, message: r.message };
}

function snapshotOf(actual: ActualState, ids: Iterable<string>): Map<string, ActualService | null> {
  const out = new Map<string, ActualService | null>();
  for (const id of ids) {
    const e = actual.get(id);
    out.set(id, e ? { id, service: bare(e.service), dests: new Map([...e.dests].map(([k, d]) => [k, bareDest(d)])) } : null);
  }
  return out;
}

/** Operations that bring the touched services back to the snapshot. */
export function restoreOps(snapshot: Map<string, ActualService | null>, actual: ActualState): IpvsOp[] {
  const steps: PlanStep[] = [];
  const ops: IpvsOp[] = [];
  for (const [id, before] of snapshot) {
    const now = actual.get(id);
    if (!before) {
      if (now) ops.push({ op: 'delService', key: now.service.key });
      continue;
    }
    const want: DesiredService = {
      id,
      name: '',
      service: before.service,
      dests: new Map([...before.dests].map(([k, d]) => [k, { id: k, ref: '', dest: d }])),
    };
    planService(want, now, steps);
  }
  return [...ops, ...steps.map((s) => s.op)];
}

export async function runTransaction(ctx: TransactionContext, ops: IpvsOp[]): Promise<TransactionResult> {
  const { dataplane, actual } = ctx;
  const maxRounds = ctx.maxRounds ?? 3;
  const result: TransactionResult = {
    ok: true,
    applied: [],
    rolledBack: false,
    undoFailures: [],
    restored: true,
    racesResolved: 0,
    rounds: 0,
    applyMs: 0,
    undoMs: 0,
  };
  if (ops.length === 0) return result;
  const touched = new Set(ops.map((op) => serviceId(opServiceKey(op))));
  const snapshot = snapshotOf(actual, touched);
  /** Inverses of accepted ops, one group per op, in the order they were accepted. */
  const undoLog: IpvsOp[][] = [];
  const started = performance.now();
  let pending = ops;

  while (pending.length) {
    result.rounds++;
    for (const op of pending) {
      const id = serviceId(opServiceKey(op));
      if (!snapshot.has(id)) {
        touched.add(id);
        for (const [k, v] of snapshotOf(actual, [id])) snapshot.set(k, v);
      }
    }
    const inverses = pending.map((op) => inverseOf(op, actual));
    let results: OpResult[];
    try {
      results = await dataplane.apply(pending);
    } catch (e) {
      result.applyMs = performance.now() - started;
      result.ok = false;
      result.dataplaneError = (e as Error).message;
      await restoreFromSnapshot(ctx, snapshot, result);
      return result;
    }
    const raced = new Set<string>();
    let realFailure: OpFailure | undefined;
    pending.forEach((op, i) => {
      const r = results[i];
      const verdict = classify(op, r);
      if (verdict === 'ok') {
        actual.applyOp(op);
        undoLog.push(inverses[i]);
        result.applied.push(op);
      } else if (verdict === 'gone') {
        actual.applyOp(op); // what we wanted gone is gone; nothing to undo
        result.racesResolved++;
      } else if (verdict === 'race') {
        raced.add(serviceId(opServiceKey(op)));
      } else if (!realFailure && !r.ok) {
        realFailure = failure(op, r);
      }
    });
    if (!realFailure && raced.size && result.rounds >= maxRounds) {
      const op = pending.find((o, i) => classify(o, results[i]) === 'race')!;
      const r = results[pending.indexOf(op)] as Extract<OpResult, { ok: false }>;
      realFailure = { ...failure(op, r), message: `${r.message} (still conflicting after ${maxRounds} re-reads: the object keeps changing)` };
    }
    if (realFailure) {
      result.applyMs = performance.now() - started;
      result.ok = false;
      result.failed = realFailure;
      await rollback(ctx, undoLog, snapshot, result);
      return result;
    }
    if (raced.size === 0) break;
    // A concurrent hand edit: re-read just those services and plan them again against what is really there.
    for (const id of raced) {
      const key = snapshot.get(id)?.service.key ?? keyFromOps(pending, id);
      const service = await dataplane.getService(key);
      const dests = service ? await dataplane.listDests(key, { counters: false }) : [];
      actual.putService(service, dests, id);
    }
    result.racesResolved += raced.size;
    pending = [...raced].flatMap((id) => ctx.replan(id));
  }
  result.applyMs = performance.now() - started;
  return result;
}

function keyFromOps(ops: IpvsOp[], id: string): ServiceKey {
  return opServiceKey(ops.find((op) => serviceId(opServiceKey(op)) === id)!);
}

async function rollback(ctx: TransactionContext, undoLog: IpvsOp[][], snapshot: Map<string, ActualService | null>, result: TransactionResult) {
  const t0 = performance.now();
  const undo = undoLog.reverse().flat();
  result.rolledBack = true;
  result.applied = [];
  if (undo.length) {
    try {
      const results = await ctx.dataplane.apply(undo);
      undo.forEach((op, i) => {
        const r = results[i];
        const verdict = classify(op, r);
        if (verdict === 'ok' || verdict === 'gone') ctx.actual.applyOp(op);
        else if (!r.ok) result.undoFailures.push(failure(op, r));
      });
    } catch (e) {
      result.undoFailures.push({ op: undo[0], text: 'undo batch', errno: 0, code: 'EDATAPLANE', message: (e as Error).message });
    }
    if (result.undoFailures.length) await restoreFromSnapshot(ctx, snapshot, result);
  }
  result.undoMs = performance.now() - t0;
}

/** Unknown outcome: read everything again, then put the touched services back as they were. */
async function restoreFromSnapshot(ctx: TransactionContext, snapshot: Map<string, ActualService | null>, result: TransactionResult) {
  result.rolledBack = true;
  result.applied = [];
  try {
    await ctx.fullRead();
    const ops = restoreOps(snapshot, ctx.actual);
    if (ops.length === 0) return;
    const results = await ctx.dataplane.apply(ops);
    ops.forEach((op, i) => {
      if (results[i].ok || classify(op, results[i]) === 'gone') ctx.actual.applyOp(op);
      else result.restored = false;
    });
    if (!result.restored) await ctx.fullRead();
  } catch {
    result.restored = false;
  }
}
