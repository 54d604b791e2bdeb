// The logger: the `log(level, message, fields?)` every module calls; pino's rendering of awkward fields (BigInt,
// Error, names that clash with its own keys); the same record on stderr and to GELF; GELF following settings
// (unchanged settings keep the sender, a change rebuilds it, the counters never go back); audit records
// repeated with their fields.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { appendAudit, observeAudit, type AuditRecord } from '../../../engine/audit.js';
import { auditFields, auditLevel, auditMessage, LOG_DIFF_MAX } from '../../../engine/observe/audit-log.js';
import { startDaemonLogging } from '../../../engine/observe/daemon-logging.js';
import type { GelfSender, GelfSettings } from '../../../engine/observe/gelf-sender.js';
import type { LogRecord } from '../../../engine/observe/log-format.js';
import { Logger } from '../../../engine/observe/logger.js';
import { applyDefaults } from '../../../config/defaults.js';

const T = Date.parse('2026-11-30T13:20:11.123Z');

class FakeSender implements GelfSender {
  records: LogRecord[] = [];
  closed = false;
  constructor(readonly settings: GelfSettings, public dropped = 0) {}
  send(r: LogRecord) {
    this.records.push(r);
  }
  stats() {
    return { sent: this.records.length, dropped: this.dropped, queued: 0 };
  }
  close() {
    this.closed = true;
  }
}

function harness(journal = false) {
  const out: string[] = [];
  const senders: FakeSender[] = [];
  const logger = new Logger({
    journal,
    write: (t) => out.push(t),
    now: () => T,
    host: 'lb1',
    openGelf: (s) => {
      const f = new FakeSender(s, 3);
      senders.push(f);
      return f;
    },
  });
  return { out, senders, logger };
}

const udp = (port = 12201): GelfSettings => ({ protocol: 'udp', host: '127.0.0.1', port, facility: 'lbctl' });

test('old call sites work unchanged; fields are optional and printed as key=value', () => {
  const { out, logger } = harness();
  logger.log('info', 'ready');
  logger.log('warning', 'drift repaired', { operations: 2 });
  assert.deepEqual(out, ['2026-11-30T13:20:11.123Z info    ready\n', '2026-11-30T13:20:11.123Z warning drift repaired operations=2\n']);
  assert.equal(logger.stats().records, 2);
});

test('journald form from the logger: <N> prefix per level, debug included', () => {
  const { out, logger } = harness(true);
  for (const level of ['error', 'warning', 'info', 'debug'] as const) logger.log(level, level);
  assert.deepEqual(out, ['<3>error\n', '<4>warning\n', '<6>info\n', '<7>debug\n']);
});

test('awkward fields are rendered once, the same for stderr and GELF: BigInt, Error, names pino keeps for itself', () => {
  const { out, senders, logger } = harness(true);
  logger.useGelf(udp());
  logger.log('error', 'boom %s', { packets: 12345678901234567890n, err: new Error('no route'), time: 'mine', level: 'x', message: 'y' });
  const r = senders[0].records.at(-1)!;
  assert.equal(r.message, 'boom %s', 'no printf-style formatting of the message');
  assert.equal(r.level, 'error');
  assert.equal(r.time, T);
  assert.equal(r.fields.packets, '12345678901234567890', 'a 64-bit counter keeps its digits');
  assert.deepEqual({ type: (r.fields.err as { type: string }).type, message: (r.fields.err as { message: string }).message }, { type: 'Error', message: 'no route' });
  assert.equal(r.fields.field_time, 'mine');
  assert.equal(r.fields.field_level, 'x');
  assert.equal(r.fields.field_message, 'y');
  assert.match(out.at(-1)!, /^<3>boom %s packets=12345678901234567890 err=\{"type":"Error","message":"no route"/);
});

test('GELF follows its settings: same settings keep the sender, a change rebuilds it, off closes it; counters are totals', () => {
  const { senders, logger } = harness();
  assert.equal(logger.stats().gelf.enabled, false);
  logger.log('info', 'before gelf');
  logger.useGelf(udp());
  logger.useGelf({ ...udp() });
  assert.equal(senders.length, 1, 'unchanged settings keep the sender (and its connection)');
  logger.log('info', 'one');
  logger.useGelf(udp(12202));
  assert.equal(senders.length, 2);
  assert.equal(senders[0].closed, true);
  logger.log('info', 'two');
  assert.deepEqual(logger.stats().gelf, { enabled: true, protocol: 'udp', target: '127.0.0.1:12202', sent: 4, dropped: 6, queued: 0 });
  logger.useGelf(null);
  assert.equal(senders[1].closed, true);
  logger.log('info', 'after');
  // Each sender's first record says where the logs go from now on.
  assert.deepEqual(senders.map((s) => s.records.map((r) => r.message)), [
    ['gelf: sending to udp 127.0.0.1:12201', 'one'],
    ['gelf: sending to udp 127.0.0.1:12202', 'two'],
  ]);
  assert.equal(logger.stats().gelf.dropped, 6, 'a Prometheus counter never goes back');
  assert.equal(logger.stats().gelf.enabled, false);
});

test("a transport's trouble is written on stderr at most once per interval, never sent to GELF", () => {
  let now = T;
  const out: string[] = [];
  let note: ((m: string) => void) | null = null;
  const sent: LogRecord[] = [];
  const logger = new Logger({
    journal: true,
    write: (t) => out.push(t),
    now: () => now,
    noteIntervalMs: 60_000,
    openGelf: (_s, o) => {
      note = o.note;
      return { send: (r) => sent.push(r), stats: () => ({ sent: 0, dropped: 0, queued: 0 }), close() {} };
    },
  });
  logger.useGelf(udp());
  out.length = 0;
  sent.length = 0;
  note!('gelf: down 1');
  note!('gelf: down 2');
  now += 59_000;
  note!('gelf: down 3');
  now += 2_000;
  note!('gelf: down 4');
  assert.deepEqual(out, ['<4>gelf: down 1\n', '<4>gelf: down 4\n']);
  assert.equal(sent.length, 0);
});

const commit: AuditRecord = {
  time: '2026-11-30T13:20:11.000Z',
  pid: 42,
  user: 'alice',
  uid: 1000,
  session: 's1',
  action: 'commit',
  result: 'ok',
  revisionBefore: 4,
  revisionAfter: 5,
  comment: 'raise web weight\nsecond line',
  diff: '+ weight 7\n',
  kernel: { ok: true, applied: ['newDest tcp 1', 'editDest tcp 2'] },
};

test('an audit record as a log record: the same fields under the same names, the kernel summarised', () => {
  assert.equal(auditMessage(commit), 'audit: commit ok by alice, revision 4 → 5: "raise web weight"');
  assert.equal(auditLevel(commit), 'info');
  assert.equal(auditLevel({ ...commit, result: 'refused' }), 'warning');
  assert.equal(auditLevel({ ...commit, action: 'confirm-timeout' }), 'warning');
  assert.equal(auditLevel({ ...commit, result: 'failed' }), 'error');
  assert.equal(auditLevel({ ...commit, kernel: { ok: false, applied: [] } }), 'error');
  assert.deepEqual(auditFields(commit), {
    action: 'commit',
    result: 'ok',
    user: 'alice',
    pid: 42,
    uid: 1000,
    session: 's1',
    revisionBefore: 4,
    revisionAfter: 5,
    comment: 'raise web weight\nsecond line',
    diff: '+ weight 7\n',
    kernel: { ok: true, operations: 2 },
  });
  const health: AuditRecord = { ...commit, action: 'health', health: { target: 'web/10.0.0.1:80', from: 'up', to: 'down', backends: ['web/10.0.0.1:80'], reason: 'refused' } };
  assert.deepEqual(auditFields(health).health, health.health);
  const big = auditFields({ ...commit, diff: 'x'.repeat(LOG_DIFF_MAX + 5) });
  assert.equal((big.diff as string).length, LOG_DIFF_MAX);
  assert.equal(big.diffChars, LOG_DIFF_MAX + 5);
});

test('the daemon wiring: an appended audit record reaches the logger; GELF follows the configuration; close says what GELF did', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-logging-'));
  const out: string[] = [];
  const senders: FakeSender[] = [];
  const logging = startDaemonLogging({ journal: true, write: (t) => out.push(t), now: () => T, openGelf: (s) => (senders.push(new FakeSender(s)), senders.at(-1)!) });
  try {
    logging.onRunningConfig(applyDefaults({ observability: { gelf: { enabled: true, host: '127.0.0.1', protocol: 'tcp' } } }));
    assert.deepEqual(senders[0].settings, { protocol: 'tcp', host: '127.0.0.1', port: 12201, facility: 'lbctl' });
    const { time: _t, ...rest } = commit;
    appendAudit(join(dir, 'audit.jsonl'), rest);
    assert.match(out.at(-1)!, /^<6>audit: commit ok by alice, revision 4 → 5: "raise web weight" action=commit result=ok user=alice pid=42 uid=1000/);
    assert.equal(senders[0].records.at(-1)!.fields.revisionAfter, 5);
    logging.onRunningConfig(applyDefaults({}));
    assert.equal(senders[0].closed, true);
    assert.equal(out.at(-1), '<6>gelf: off gelf=off\n');
  } finally {
    logging.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(out.at(-1)!, /^<6>gelf: 2 record\(s\) sent, 0 dropped since start/);
  // Closed: the observer is gone, a later audit record is not logged.
  const before = out.length;
  const d2 = mkdtempSync(join(tmpdir(), 'lbctl-logging-'));
  appendAudit(join(d2, 'audit.jsonl'), { user: 'bob', action: 'check', result: 'ok' });
  rmSync(d2, { recursive: true, force: true });
  assert.equal(out.length, before);
});

test('audit observers: one that throws fails neither the append nor the others; removed ones hear nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-observers-'));
  try {
    const heard: string[] = [];
    const offBad = observeAudit(() => {
      throw new Error('observer bug');
    });
    const offGood = observeAudit((r) => heard.push(r.user));
    const rec = appendAudit(join(dir, 'audit.jsonl'), { user: 'carol', action: 'commit', result: 'ok' });
    assert.equal(rec.user, 'carol');
    assert.deepEqual(heard, ['carol']);
    offBad();
    offGood();
    appendAudit(join(dir, 'audit.jsonl'), { user: 'dave', action: 'commit', result: 'ok' });
    assert.deepEqual(heard, ['carol']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a sender that cannot be built is logged as an error; logging goes on', () => {
  const out: string[] = [];
  const logger = new Logger({
    journal: true,
    write: (t) => out.push(t),
    openGelf: () => {
      throw new Error('bad port');
    },
  });
  logger.useGelf(udp(1));
  logger.log('info', 'still here');
  assert.deepEqual(out, ['<3>gelf: cannot send to udp 127.0.0.1:1: bad port\n', '<6>still here\n']);
});
