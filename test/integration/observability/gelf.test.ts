// GELF from a real `lbctl daemon --lab` (bin/lbctl in a temporary HOME) to collectors in this test, on loopback:
//  - UDP: a commit with a long, incompressible comment arrives in several chunks (0x1e 0x0f, one message id,
//    sequence numbers 0..n-1) that reassemble and gunzip into the commit's audit record with its fields;
//  - a commit that switches observability.gelf to tcp and another port is followed: the next commit's record
//    arrives over TCP as NUL-terminated JSON;
//  - a dead collector (a closed TCP port, a UDP port nobody listens on): commits still succeed, the daemon says
//    so once on stderr, and at stop it reports the records it dropped.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { after, describe, it } from 'node:test';
import { closedPort, tcpCollector, udpCollector } from '../../support/gelf-collectors.js';
import { eventually, makeLab, shell, startDaemon, stopDaemon, type Lab } from '../../support/lab-daemon.js';

const gelfLab = (gelf: string) => makeLab(`observability:\n  gelf: ${gelf}\n`);

/** 60 KB of hex from a pseudo-random sequence: gzip halves it at best, far more than one 8 KB datagram. */
function incompressible(): string {
  let text = '';
  for (let x = 12345; text.length < 60_000; ) text += (x = (x * 48271) % 2147483647).toString(16);
  return text;
}

const labs: Lab[] = [];
after(() => labs.forEach((l) => rmSync(l.home, { recursive: true, force: true })));

describe('GELF from lbctl daemon --lab', () => {
  it("a commit's record over UDP arrives chunked and decodes; a commit switching to TCP is followed", async () => {
    const udp = await udpCollector();
    const tcp = await tcpCollector();
    const lab = gelfLab(`{enabled: true, host: 127.0.0.1, port: ${udp.port}, facility: lbctl-test}`);
    labs.push(lab);
    const d = await startDaemon(lab);
    try {
      const comment = incompressible();
      const c = shell(lab, `configure; service web; backend 198.51.100.11 port 80 weight 7; commit comment "${comment}"`);
      assert.equal(c.code, 0, c.out);
      assert.match(c.out, /committed successfully \(revision 2\)/);
      assert.ok(await eventually(() => udp.messages.some((m) => m._action === 'commit')), `no commit record over UDP; got ${udp.messages.map((m) => m.short_message).join(' | ')}\n${d.log()}`);
      const m = udp.messages.find((x) => x._action === 'commit')!;
      console.log(`UDP: the commit record arrived in ${m.chunks} chunks (${JSON.stringify(m).length} bytes of JSON)`);
      assert.ok(m.chunks >= 3, `chunked: ${m.chunks}`);
      assert.equal(m.version, '1.1');
      assert.equal(m.host, hostname());
      assert.equal(m.short_message, `audit: commit ok by ${userInfo().username}, revision 1 → 2: "${comment.slice(0, 120)}…"`);
      assert.equal(m.level, 6);
      assert.equal(typeof m.timestamp, 'number');
      assert.ok(Math.abs((m.timestamp as number) - Date.now() / 1000) < 120);
      assert.equal(m._facility, 'lbctl-test');
      assert.equal(m._user, userInfo().username);
      assert.equal(m._uid, userInfo().uid);
      assert.equal(m._result, 'ok');
      assert.equal(m._revisionBefore, 1);
      assert.equal(m._revisionAfter, 2);
      assert.equal(m._comment, comment);
      assert.equal(m._kernel_ok, 'true');
      assert.equal(m._kernel_operations, 1);
      assert.match(m._diff as string, /weight/);
      assert.ok(!('_id' in m));
      // The daemon's own lines go there too (one datagram each).
      assert.ok(udp.messages.some((x) => /^lbctl daemon .* ready/.test(x.short_message as string) && x.chunks === 1));

      // Switch to TCP by a commit: the daemon follows the running configuration.
      const s = shell(lab, `configure; observability gelf protocol tcp; observability gelf port ${tcp.port}; commit comment "to tcp"`);
      assert.equal(s.code, 0, s.out);
      assert.ok(await eventually(() => d.log().includes(`gelf: sending to tcp 127.0.0.1:${tcp.port}`)), d.log());
      const w = shell(lab, 'configure; service web; backend 198.51.100.11 port 80 weight 9; commit comment "over tcp"');
      assert.equal(w.code, 0, w.out);
      assert.ok(await eventually(() => tcp.messages.some((x) => x._action === 'commit' && x._comment === 'over tcp')), `no TCP record: ${JSON.stringify(tcp.messages)}`);
      const t = tcp.messages.find((x) => x._comment === 'over tcp')!;
      console.log(`TCP: ${tcp.messages.length} message(s), the commit: ${t.short_message}`);
      assert.equal(t.version, '1.1');
      assert.equal(t.level, 6);
      assert.equal(t._revisionBefore, 3);
      assert.equal(t._revisionAfter, 4);
      assert.equal(t._user, userInfo().username);
      assert.ok(!udp.messages.some((x) => x._comment === 'over tcp'), 'no longer over UDP');
    } finally {
      assert.equal(await stopDaemon(d), 0, d.log());
      await udp.close();
      await tcp.close();
    }
  });

  for (const kind of ['tcp', 'udp'] as const) {
    it(`a dead collector (${kind === 'tcp' ? 'a closed TCP port' : 'a UDP port nobody listens on'}): commits succeed, drops are counted and reported`, async () => {
      const port = await closedPort(kind);
      const lab = gelfLab(`{enabled: true, host: 127.0.0.1, port: ${port}, protocol: ${kind}}`);
      labs.push(lab);
      const d = await startDaemon(lab);
      let code: number | null = null;
      try {
        for (const w of [7, 8, 9]) {
          const c = shell(lab, `configure; service web; backend 198.51.100.11 port 80 weight ${w}; commit comment "w${w}"`);
          assert.equal(c.code, 0, c.out);
          assert.match(c.out, new RegExp(`committed successfully \\(revision ${w - 5}\\)`));
        }
      } finally {
        code = await stopDaemon(d);
      }
      assert.equal(code, 0, d.log());
      const log = d.log();
      const notes = log.split('\n').filter((l) => /warning gelf: /.test(l));
      assert.equal(notes.length, 1, `one rate-limited line about the dead collector:\n${log}`);
      assert.match(notes[0], kind === 'tcp' ? /unreachable \(ECONNREFUSED\); records are dropped/ : /ECONNREFUSED \(nothing listens there\); records are dropped/);
      const summary = /gelf: (\d+) record\(s\) sent, (\d+) dropped since start/.exec(log);
      assert.ok(summary, log);
      console.log(`${kind} dead collector: ${summary[0]}`);
      // Three commit records at least, plus the daemon's own lines.
      assert.ok(Number(summary[2]) >= 3, summary[0]);
      assert.match(log, /audit: commit ok .* revision 3 → 4: "w9"/, 'the records still reach stderr');
    });
  }
});
