// The scheduler against real servers on 127.0.0.1: for every way a backend fails, the target goes down after
// exactly fail_after failed probes and back up after exactly recover_after good ones. Probes are counted from
// the scheduler's result events (each result carries the state after it); no assertion is about time.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { on } from 'node:events';
import { HealthScheduler } from '../../../engine/health/scheduler.js';
import { probe } from '../../../engine/health/probes/index.js';
import type { CheckDefinition, ProbeResult } from '../../../engine/health/types.js';
import type { HealthState, Transition } from '../../../engine/health/verdict.js';
import { loopbackOnly } from '../../../engine/health/lab.js';
import { DnsBackend, HttpBackend, LOOPBACK, TcpBackend, UdpEchoBackend, freePort, makeCertificates, withServer, type TestCertificates } from './servers.js';

const INTERVAL = 100;
const TIMEOUT = 80;
/** No phase of a test waits for more probes than this; a test that would is a failure, not a hang. */
const MAX_PROBES = 40;

interface Logged {
  ok: boolean;
  error?: string;
  state: HealthState;
}

/** One scheduler on one target, with its results in order. */
class Drive {
  readonly log: Logged[] = [];
  readonly transitions: Transition[] = [];
  readonly scheduler: HealthScheduler;
  private readonly events: AsyncIterator<[string, ProbeResult, { state: HealthState }]>;
  private readonly ac = new AbortController();

  constructor(
    readonly port: number,
    readonly check: CheckDefinition,
    ca?: string,
  ) {
    this.scheduler = new HealthScheduler({ random: () => 0, probeAllowed: loopbackOnly, probeOptions: ca ? { ca } : {} });
    this.scheduler.on('verdict', (_key, _v, t) => this.transitions.push(t));
    this.events = on(this.scheduler, 'result', { signal: this.ac.signal }) as AsyncIterator<[string, ProbeResult, { state: HealthState }]>;
    this.scheduler.update([{ key: 'target', address: LOOPBACK, port, check }]);
  }

  /** Reads results until the state is `state`; returns the index of the result that made it so. */
  async until(state: HealthState): Promise<number> {
    for (let n = 0; n < MAX_PROBES; n++) {
      const next = await this.events.next();
      assert.ok(!next.done, 'the scheduler stopped early');
      const [, result, verdict] = next.value;
      this.log.push({ ok: result.ok, ...(result.error === undefined ? {} : { error: result.error }), state: verdict.state });
      if (verdict.state === state) return this.log.length - 1;
    }
    assert.fail(`not ${state} after ${MAX_PROBES} probes: ${JSON.stringify(this.log.slice(-6))}`);
  }

  /** The results in a row, ending at `index`, that had `ok` (the streak that caused the transition there). */
  streak(index: number, ok: boolean): Logged[] {
    let i = index;
    while (i > 0 && this.log[i - 1].ok === ok) i--;
    return this.log.slice(i, index + 1);
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.scheduler.stop();
  }
}

/**
 * up → (break) → down after exactly fail_after failures, each in `words` → (fix) → up after exactly
 * recover_after successes. The state before each transition is asserted too: no early flip.
 */
async function cycle(
  drive: Drive,
  breakIt: () => unknown,
  fixIt: () => unknown,
  words: RegExp,
  startsUp = true,
): Promise<void> {
  const { fail_after, recover_after } = drive.check;
  if (startsUp) {
    const upAt = await drive.until('up');
    assert.equal(drive.log[upAt].ok, true);
    assert.equal(drive.transitions[0]?.from, 'unknown', 'the first success brings an unknown target up');
  }
  await breakIt();
  const downAt = await drive.until('down');
  const failures = drive.streak(downAt, false);
  assert.equal(failures.length, fail_after, `down after exactly fail_after=${fail_after} failures: ${JSON.stringify(failures)}`);
  for (const f of failures.slice(0, -1)) assert.notEqual(f.state, 'down', 'not down before the fail_after-th failure');
  for (const f of failures) assert.match(f.error ?? '', words);
  await fixIt();
  const upAgain = await drive.until('up');
  const successes = drive.streak(upAgain, true);
  assert.equal(successes.length, recover_after, `up after exactly recover_after=${recover_after} successes: ${JSON.stringify(successes)}`);
  for (const s of successes.slice(0, -1)) assert.equal(s.state, 'down', 'still down before the recover_after-th success');
  const last = drive.transitions.at(-1);
  assert.deepEqual([last?.from, last?.to, last?.streak], ['down', 'up', recover_after]);
}

/** Starts `server`, drives a scheduler on `check` against it, runs `body`; stops both whatever happened. */
async function driven<S extends { start(): Promise<S>; stop(): Promise<void>; port: number }>(
  server: S,
  check: CheckDefinition,
  body: (drive: Drive, server: S) => Promise<void>,
  ca?: string,
): Promise<void> {
  await withServer(server, async () => {
    const drive = new Drive(server.port, check, ca);
    try {
      await body(drive, server);
    } finally {
      await drive.stop();
    }
  });
}

const timing = (fail_after: number, recover_after: number) => ({ interval_ms: INTERVAL, timeout_ms: TIMEOUT, fail_after, recover_after });

let certs: TestCertificates | undefined;
before(() => {
  certs = makeCertificates();
});

test('tcp: listener closed → down after exactly fail_after; reopened → up after exactly recover_after', async () => {
  await driven(new TcpBackend(), { type: 'tcp', ...timing(3, 2) }, (drive, tcp) =>
    cycle(drive, () => tcp.stop(), () => tcp.start(), /^connection refused$/),
  );
});

test('tcp: a port that refuses from the start goes unknown → down after fail_after; a listener brings it up', async () => {
  const port = await freePort();
  const tcp = new TcpBackend();
  const drive = new Drive(port, { type: 'tcp', ...timing(2, 3) });
  try {
    await cycle(drive, () => {}, () => tcp.start(port), /^connection refused$/, false);
    assert.deepEqual(drive.transitions.map((t) => `${t.from}→${t.to}`), ['unknown→down', 'down→up']);
  } finally {
    await drive.stop();
    await tcp.stop();
  }
});

test('tcp with payload/expect: a stall past the timeout → down; replies again → up', async () => {
  await driven(new TcpBackend(), { type: 'tcp', payload: 'PING', expect: 'PONG', ...timing(3, 2) }, (drive, tcp) =>
    cycle(drive, () => (tcp.mode = 'silent'), () => (tcp.mode = 'reply'), new RegExp(`^timed out after ${TIMEOUT} ms waiting for the reply$`)),
  );
});

test('udp_echo: replies with the wrong nonce → down; a true echo → up', async () => {
  await driven(new UdpEchoBackend(), { type: 'udp_echo', payload: 'PING ', ...timing(3, 2) }, (drive, udp) =>
    cycle(drive, () => (udp.mode = 'wrong-nonce'), () => (udp.mode = 'echo'), /^reply did not echo the nonce/),
  );
});

test('udp_echo: silence past the timeout → down; echoes again → up', async () => {
  await driven(new UdpEchoBackend(), { type: 'udp_echo', ...timing(2, 2) }, (drive, udp) =>
    cycle(drive, () => (udp.mode = 'silent'), () => (udp.mode = 'echo'), new RegExp(`^timed out after ${TIMEOUT} ms waiting for the echo$`)),
  );
});

const httpCheck = (type: 'http' | 'https', http: Partial<NonNullable<CheckDefinition['http']>> = {}): CheckDefinition => ({
  type,
  ...timing(3, 2),
  http: { path: '/healthz', method: 'GET', expect_status: [200], body: 'status: ok', ...http },
});

for (const [mode, words] of [
  ['status', /^status 503, expected 200$/],
  ['body', /^body did not contain "status: ok" \(read 17 bytes\)$/],
  ['stall', new RegExp(`^timed out after ${TIMEOUT} ms waiting for the response$`)],
] as const) {
  test(`http: ${mode === 'stall' ? 'a stall past the timeout' : `wrong ${mode}`} → down after exactly fail_after; fixed → up after exactly recover_after`, async () => {
    await driven(new HttpBackend(), httpCheck('http'), (drive, http) => cycle(drive, () => (http.mode = mode), () => (http.mode = 'ok'), words));
  });
}

test('http: the listener closed → down after exactly fail_after refused connections', async () => {
  await driven(new HttpBackend(), httpCheck('http', { body: undefined }), async (drive, http) => {
    await drive.until('up');
    await http.stop();
    const downAt = await drive.until('down');
    assert.equal(drive.streak(downAt, false).length, 3);
    assert.match(drive.log[downAt].error ?? '', /^connection refused$/);
  });
});

test('https with verification on: an expired certificate → down after exactly fail_after; a valid one → up', async (t) => {
  if (!certs) return t.skip('openssl is not installed');
  const c = certs;
  await driven(
    new HttpBackend(c.valid),
    httpCheck('https', { host: 'health.test' }),
    (drive, https) => cycle(drive, () => https.useCertificate(c.expired), () => https.useCertificate(c.valid), /^certificate has expired$/),
    c.ca,
  );
});

test('https: a self-signed certificate with insecure: true is up; wrong status → down; fixed → up', async (t) => {
  if (!certs) return t.skip('openssl is not installed');
  await driven(new HttpBackend(certs.selfSigned), httpCheck('https', { insecure: true, sni: 'health.test' }), async (drive, https) => {
    await cycle(drive, () => (https.mode = 'status'), () => (https.mode = 'ok'), /^status 503, expected 200$/);
    assert.ok(https.serverNames.every((n) => n === 'health.test'), 'every probe sent the configured SNI');
  });
});

for (const [mode, words] of [
  ['nxdomain', /^answered NXDOMAIN \(no such name\), expected NOERROR$/],
  ['servfail', /^answered SERVFAIL \(server failure\), expected NOERROR$/],
  ['wrong-answer', /^no A answer 192\.0\.2\.1 \(got 192\.0\.2\.99\)$/],
  ['silent', new RegExp(`^timed out after ${TIMEOUT} ms waiting for the answer$`)],
] as const) {
  test(`dns: ${mode} → down after exactly fail_after; answers again → up after exactly recover_after`, async () => {
    const check: CheckDefinition = { type: 'dns', ...timing(2, 3), dns: { query: 'svc.health.test', record_type: 'A', answer: '192.0.2.1' } };
    await driven(new DnsBackend(), check, (drive, dns) => cycle(drive, () => (dns.mode = mode), () => (dns.mode = 'ok'), words));
  });
}

test('lab guard: a non-loopback backend is never probed and stays unknown (lab: not probed)', async () => {
  const probed: string[] = [];
  const scheduler = new HealthScheduler({
    random: () => 0,
    probeAllowed: loopbackOnly,
    probe: (endpoint, check, options) => {
      probed.push(endpoint.address);
      return probe(endpoint, check, options);
    },
  });
  const tcp = await new TcpBackend().start();
  try {
    const check: CheckDefinition = { type: 'tcp', ...timing(1, 1) };
    scheduler.update([
      { key: 'doc', address: '192.0.2.10', port: tcp.port, check },
      { key: 'local', address: LOOPBACK, port: tcp.port, check },
    ]);
    const ac = new AbortController();
    const results = on(scheduler, 'result', { signal: ac.signal });
    for (let n = 0; n < 3; n++) await results.next();
    ac.abort();
    assert.deepEqual([...new Set(probed)], [LOOPBACK]);
    assert.deepEqual(
      { state: scheduler.verdict('doc')?.state, reason: scheduler.verdict('doc')?.reason, probes: scheduler.verdict('doc')?.probes },
      { state: 'unknown', reason: 'lab: not probed', probes: 0 },
    );
    assert.equal(scheduler.verdict('local')?.state, 'up');
  } finally {
    await scheduler.stop();
    await tcp.stop();
  }
});
