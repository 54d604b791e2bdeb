// Each prober against real servers on 127.0.0.1: the verdict and its words for every way a backend fails, and
// no socket or timer left behind. The transitions these results drive are in transitions.test.ts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { probe } from '../../../engine/health/probes/index.js';
import type { CheckDefinition, ProbeOptions } from '../../../engine/health/types.js';
import { DnsBackend, HttpBackend, LOOPBACK, TcpBackend, UdpEchoBackend, freePort, makeCertificates, withServer, type TestCertificates } from './servers.js';

const TIMEOUT = 150;
const base = { interval_ms: 1000, timeout_ms: TIMEOUT, fail_after: 3, recover_after: 2 };
const opts = (extra: Partial<ProbeOptions> = {}): ProbeOptions => ({ timeoutMs: TIMEOUT, ...extra });
const at = (port: number) => ({ address: LOOPBACK, port });

const tcpCheck: CheckDefinition = { ...base, type: 'tcp' };
const tcpPingCheck: CheckDefinition = { ...base, type: 'tcp', payload: 'PING', expect: 'PONG' };
const udpCheck: CheckDefinition = { ...base, type: 'udp_echo', payload: 'PING ' };
const httpCheck = (http: Partial<NonNullable<CheckDefinition['http']>> = {}, type: 'http' | 'https' = 'http'): CheckDefinition => ({
  ...base,
  type,
  http: { path: '/healthz', method: 'GET', expect_status: [200], ...http },
});
const dnsCheck = (dns: Partial<NonNullable<CheckDefinition['dns']>> = {}): CheckDefinition => ({ ...base, type: 'dns', dns: { query: 'svc.health.test', record_type: 'A', ...dns } });

let certs: TestCertificates | undefined;
before(() => {
  certs = makeCertificates();
});

/** Sockets and timers of this process, by kind. */
function resources(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

test('tcp: connect succeeds; a refused port and a closed listener fail with "connection refused"', async () => {
  await withServer(new TcpBackend(), async (tcp) => {
    assert.deepEqual(pick(await probe(at(tcp.port), tcpCheck, opts())), { ok: true });
    await tcp.stop();
    assert.deepEqual(pick(await probe(at(tcp.port), tcpCheck, opts())), { ok: false, error: 'connection refused' });
    assert.deepEqual(pick(await probe(at(await freePort()), tcpCheck, opts())), { ok: false, error: 'connection refused' });
  });
});

test('tcp with payload and expect: the reply must contain expect; silence times out; a wrong reply fails', async () => {
  await withServer(new TcpBackend(), async (tcp) => {
    assert.deepEqual(pick(await probe(at(tcp.port), tcpPingCheck, opts())), { ok: true });
    tcp.mode = 'silent';
    const stalled = await probe(at(tcp.port), tcpPingCheck, opts());
    assert.deepEqual(pick(stalled), { ok: false, error: `timed out after ${TIMEOUT} ms waiting for the reply` });
    assert.ok(stalled.latencyMs >= TIMEOUT - 1 && stalled.latencyMs < TIMEOUT + 500, `bounded by its timeout: ${stalled.latencyMs}`);
    tcp.mode = 'wrong';
    assert.deepEqual(pick(await probe(at(tcp.port), tcpPingCheck, opts())), { ok: false, error: 'reply "NOPE\\n" did not contain "PONG"' });
    // hex: payloads are bytes.
    tcp.mode = 'reply';
    assert.deepEqual(pick(await probe(at(tcp.port), { ...tcpPingCheck, payload: 'hex:50494e470d0a', expect: 'hex:504f4e47' }, opts())), { ok: true });
  });
});

test('udp_echo: an echo of the nonce passes; a wrong nonce, silence and a closed port fail', async () => {
  await withServer(new UdpEchoBackend(), async (udp) => {
    assert.deepEqual(pick(await probe(at(udp.port), udpCheck, opts())), { ok: true });
    assert.deepEqual(pick(await probe(at(udp.port), { ...udpCheck, expect: 'PING' }, opts())), { ok: true });
    assert.deepEqual(pick(await probe(at(udp.port), { ...udpCheck, expect: 'PONG' }, opts())), { ok: false, error: 'reply echoed the nonce but did not contain "PONG"' });
    udp.mode = 'wrong-nonce';
    const wrong = await probe(at(udp.port), udpCheck, opts());
    assert.equal(wrong.ok, false);
    assert.match(wrong.error ?? '', /^reply did not echo the nonce \(got "PING 0000/);
    udp.mode = 'silent';
    assert.deepEqual(pick(await probe(at(udp.port), udpCheck, opts())), { ok: false, error: `timed out after ${TIMEOUT} ms waiting for the echo` });
    const port = udp.port;
    await udp.stop();
    const closed = await probe(at(port), udpCheck, opts());
    assert.equal(closed.ok, false);
    assert.equal(closed.error, 'connection refused', 'the kernel reports ICMP port unreachable on the connected socket');
  });
});

test('udp_echo: each probe carries a fresh nonce, so a replayed reply of an earlier probe never passes', async () => {
  const udp = await new UdpEchoBackend().start();
  const seen: Buffer[] = [];
  try {
    // A proxy that remembers the first datagram and answers every later one with it (a stale reply).
    const { createSocket } = await import('node:dgram');
    const replay = createSocket('udp4');
    replay.on('message', (msg, peer) => {
      seen.push(msg);
      replay.send(seen[0], peer.port, peer.address);
    });
    await new Promise<void>((resolve) => replay.bind(0, LOOPBACK, () => resolve()));
    const port = replay.address().port;
    try {
      assert.deepEqual(pick(await probe(at(port), udpCheck, opts())), { ok: true });
      const stale = await probe(at(port), udpCheck, opts());
      assert.equal(stale.ok, false);
      assert.match(stale.error ?? '', /^reply did not echo the nonce/);
      assert.equal(seen.length, 2);
      assert.notDeepEqual(seen[0], seen[1], 'two probes, two nonces');
    } finally {
      await new Promise<void>((resolve) => replay.close(() => resolve()));
    }
  } finally {
    await udp.stop();
  }
});

test('http: status, body substring, Host header; wrong status, wrong body and a stall fail in words', async () => {
  await withServer(new HttpBackend(), async (http) => {
    assert.deepEqual(pick(await probe(at(http.port), httpCheck({ body: 'status: ok' }), opts())), { ok: true });
    assert.equal(http.hosts.at(-1), `${LOOPBACK}:${http.port}`, 'absent host = the backend address');
    assert.deepEqual(pick(await probe(at(http.port), httpCheck({ host: 'www.health.test' }), opts())), { ok: true });
    assert.equal(http.hosts.at(-1), 'www.health.test', 'the Host header is sent as configured, never looked up');
    http.mode = 'status';
    assert.deepEqual(pick(await probe(at(http.port), httpCheck(), opts())), { ok: false, error: 'status 503, expected 200' });
    assert.deepEqual(pick(await probe(at(http.port), httpCheck({ expect_status: [200, 204] }), opts())), { ok: false, error: 'status 503, expected 200 or 204' });
    assert.deepEqual(pick(await probe(at(http.port), httpCheck({ expect_status: [503] }), opts())), { ok: true });
    http.mode = 'body';
    assert.deepEqual(pick(await probe(at(http.port), httpCheck({ body: 'status: ok' }), opts())), { ok: false, error: 'body did not contain "status: ok" (read 17 bytes)' });
    assert.deepEqual(pick(await probe(at(http.port), httpCheck({ method: 'HEAD' }), opts())), { ok: true });
    http.mode = 'stall';
    assert.deepEqual(pick(await probe(at(http.port), httpCheck(), opts())), { ok: false, error: `timed out after ${TIMEOUT} ms waiting for the response` });
    const port = http.port;
    await http.stop();
    assert.deepEqual(pick(await probe(at(port), httpCheck(), opts())), { ok: false, error: 'connection refused' });
  });
});

test('https: TLS verify on and off, SNI from sni or the Host name, expired and untrusted certificates fail', async (t) => {
  if (!certs) return t.skip('openssl is not installed');
  const c = certs;
  const trust = opts({ ca: c.ca });
  await withServer(new HttpBackend(c.valid), async (https) => {
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ host: 'health.test' }, 'https'), trust)), { ok: true });
    assert.equal(https.serverNames.at(-1), 'health.test', 'SNI = the Host header when it is a name');
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ sni: 'health.test' }, 'https'), trust)), { ok: true });
    assert.equal(https.hosts.at(-1), `${LOOPBACK}:${https.port}`);
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({}, 'https'), trust)), { ok: true }, 'no name: the certificate is checked against the address');
    assert.equal(https.serverNames.at(-1), false, 'no SNI for an address');
    const wrongName = await probe(at(https.port), httpCheck({ sni: 'other.test' }, 'https'), trust);
    assert.equal(wrongName.ok, false);
    assert.match(wrongName.error ?? '', /^certificate does not match the name: .*other\.test/);
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ host: 'health.test' }, 'https'), opts())), { ok: false, error: 'certificate not trusted: its issuer is unknown' });
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ host: 'health.test', insecure: true }, 'https'), opts())), { ok: true });

    https.useCertificate(c.expired);
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ host: 'health.test' }, 'https'), trust)), { ok: false, error: 'certificate has expired' });
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ host: 'health.test', insecure: true }, 'https'), trust)), { ok: true }, 'insecure skips verification');

    https.useCertificate(c.selfSigned);
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ host: 'health.test' }, 'https'), trust)), { ok: false, error: 'self-signed certificate (not trusted)' });
    assert.deepEqual(pick(await probe(at(https.port), httpCheck({ host: 'health.test', insecure: true, body: 'status: ok' }, 'https'), opts())), { ok: true });
  });
});

test('https against a plain http port fails in words, not with a crash', async () => {
  await withServer(new HttpBackend(), async (http) => {
    assert.deepEqual(pick(await probe(at(http.port), httpCheck({ insecure: true }, 'https'), opts())), { ok: false, error: 'the backend does not speak TLS on this port' });
  });
});

test('dns: rcode and answer; NXDOMAIN, SERVFAIL, a wrong answer, a wrong id and silence fail', async () => {
  await withServer(new DnsBackend(), async (dns) => {
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck(), opts())), { ok: true });
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck({ answer: '192.0.2.1' }), opts())), { ok: true });
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck({ record_type: 'AAAA' }), opts())), { ok: true }, 'NOERROR without answers counts');
    dns.mode = 'nxdomain';
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck(), opts())), { ok: false, error: 'answered NXDOMAIN (no such name), expected NOERROR' });
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck({ rcode: 'NXDOMAIN' }), opts())), { ok: true });
    dns.mode = 'servfail';
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck(), opts())), { ok: false, error: 'answered SERVFAIL (server failure), expected NOERROR' });
    dns.mode = 'wrong-answer';
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck({ answer: '192.0.2.1' }), opts())), { ok: false, error: 'no A answer 192.0.2.1 (got 192.0.2.99)' });
    dns.mode = 'wrong-id';
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck(), opts())), { ok: false, error: 'reply did not answer this query (wrong id or question)' });
    dns.mode = 'silent';
    assert.deepEqual(pick(await probe(at(dns.port), dnsCheck(), opts())), { ok: false, error: `timed out after ${TIMEOUT} ms waiting for the answer` });
  });
});

test('an aborted probe settles at once as cancelled', async () => {
  const tcp = await new TcpBackend().start();
  tcp.mode = 'silent';
  try {
    const ac = new AbortController();
    const pending = probe(at(tcp.port), tcpPingCheck, { timeoutMs: 5000, signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const r = await pending;
    assert.deepEqual(pick(r), { ok: false, error: 'cancelled' });
    assert.ok(r.latencyMs < 2000);
  } finally {
    await tcp.stop();
  }
});

test('every probe closes its sockets and clears its timer, whichever way it ends', async (t) => {
  const tcp = await new TcpBackend().start();
  const udp = await new UdpEchoBackend().start();
  const http = await new HttpBackend().start();
  const dns = await new DnsBackend().start();
  try {
    await quiet(() => true);
    const baseline = resources();
    // Each server kind in turn through its modes (a mode holds for the whole probe), the kinds side by side.
    const through = async <M extends string>(modes: readonly M[], set: (m: M) => void, run: () => Promise<unknown>) => {
      for (const m of modes) {
        set(m);
        await run();
      }
    };
    await Promise.all([
      through(['reply', 'silent', 'wrong'] as const, (m) => (tcp.mode = m), () => probe(at(tcp.port), tcpPingCheck, opts())),
      through(['echo', 'wrong-nonce', 'silent'] as const, (m) => (udp.mode = m), () => probe(at(udp.port), udpCheck, opts())),
      through(['ok', 'status', 'body', 'stall'] as const, (m) => (http.mode = m), () => probe(at(http.port), httpCheck({ body: 'status: ok' }), opts())),
      through(['ok', 'nxdomain', 'silent'] as const, (m) => (dns.mode = m), () => probe(at(dns.port), dnsCheck(), opts())),
      freePort().then((port) => probe(at(port), tcpCheck, opts())),
    ]);
    // Sockets close on the next turns of the loop; the servers' ends follow the clients'.
    const now = await quiet((r) => (r.UDPWrap ?? 0) === (baseline.UDPWrap ?? 0) && (r.Timeout ?? 0) <= (baseline.Timeout ?? 0));
    t.diagnostic(`before ${JSON.stringify(baseline)} after ${JSON.stringify(now)}`);
    assert.equal(now.TCPSocketWrap ?? 0, 0, 'no TCP socket left');
    assert.equal(now.TLSWrap ?? 0, 0, 'no TLS socket left');
    assert.equal(now.UDPWrap ?? 0, baseline.UDPWrap ?? 0, 'no UDP socket left but the servers\'');
    assert.ok((now.Timeout ?? 0) <= (baseline.Timeout ?? 0), 'no timer left');
  } finally {
    await Promise.all([tcp.stop(), udp.stop(), http.stop(), dns.stop()]);
  }
});

/** The resources once no TCP socket is open and `also` holds, polled for at most a second. */
async function quiet(also: (r: Record<string, number>) => boolean): Promise<Record<string, number>> {
  let r = resources();
  for (let i = 0; i < 100 && ((r.TCPSocketWrap ?? 0) > 0 || !also(r)); i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    r = resources();
  }
  await tick();
  return resources();
}

function pick(r: { ok: boolean; error?: string }): { ok: boolean; error?: string } {
  return r.error === undefined ? { ok: r.ok } : { ok: r.ok, error: r.error };
}
