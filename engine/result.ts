// An ApplyResult as a plain JSON value (no Maps, no bigints): what the audit trail writes and what the daemon's
// control socket sends to a shell.
import { describeOp } from '../netlink/describe.js';
import type { ApplyResult } from './engine.js';
import { describeFailure } from './explain.js';
import { planLines, planSummary } from './plan.js';

export interface ApplyRecord {
  ok: boolean;
  reason: ApplyResult['reason'];
  /** The plan as printed (one line per op). */
  plan: string[];
  summary: string;
  /** Operations in effect afterwards, as `newService tcp 10.0.0.10:80`. */
  applied: string[];
  failed?: { op: string; errno: number; code: string; message: string };
  dataplaneError?: string;
  rolledBack: boolean;
  restored: boolean;
  undoFailures: string[];
  racesResolved: number;
  foreign: string[];
  messagesSent: number;
  durations: ApplyResult['durations'];
}

export function applyRecord(r: ApplyResult): ApplyRecord {
  const out: ApplyRecord = {
    ok: r.ok,
    reason: r.reason,
    plan: planLines(r.plan),
    summary: planSummary(r.plan),
    applied: r.applied.map(describeOp),
    rolledBack: r.rolledBack,
    restored: r.restored,
    undoFailures: r.undoFailures.map(describeFailure),
    racesResolved: r.racesResolved,
    foreign: r.plan.foreign,
    messagesSent: r.messagesSent,
    durations: r.durations,
  };
  if (r.failed) out.failed = { op: r.failed.text, errno: r.failed.errno, code: r.failed.code, message: describeFailure(r.failed) };
  if (r.dataplaneError) out.dataplaneError = r.dataplaneError;
  return out;
}
