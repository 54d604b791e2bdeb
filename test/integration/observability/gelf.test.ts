// GELF from a real `lbctl daemon --lab` (bin/lbctl in a temporary HOME) to collectors in this test, on loopback:
//  - UDP: a commit with a long, incompressible comment arrives in several chunks (0x1e 0x0f, one message id,
//    sequence numbers 0..n-1) that reassemble and gunzip into the commit's audit record with its fields;
//  - a commit that switches observability.gelf to tcp and another port is followed: the next commit's record
//    arrives over TCP as NUL-terminated JSON;
//  - a dead collector (a closed TCP port, a UDP port nobody listens on): commits still succeed, the daemon says
//    so once on stderr, and at stop it reports the records it dropped.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { probeDaemon } from '../../../engine/daemon/client.js';
import { closedPort, tcpCollector, udpCollector } from '../../support/gelf-collectors.js';

const LBCTL = fileURLToPath(new URL('../../../../bin/lbctl', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function eventually(check: () => boolean, ms = 10_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end && !check()) await sleep(25);
  return check();
}

const SERVICES = `services:
  - name: web
    protocol: tcp
    ports: [80]
    backends:
      - {address: 198.51.100.11, port: 80, weight: 100}
`;

interface Lab {
  home: string;
  config: string;
  state: string;
}

function makeLab(gelf: string): Lab {
  const home = mkdtempSync(join(tmpdir(), 'lbctl-gelf-'));
  const lab = { home, config: join(home, 'config'), state: join(home, 'state') };
  mkdirSync(join(lab.config, 'config.d'), { recursive: true });
  mkdirSync(lab.state);
  writeFileSync(join(lab.config, 'config.yaml'), `node: {name: lbd}\nvip: 192.0.2.10\nobservability:\n  gelf: ${gelf}\n`);
  writeFileSync(join(lab.config, 'config.d', 'web.yaml'), SERVICES);
  return lab;
}

function shell(lab: Lab, commands: string) {
  const r = spawnSync(process.execPath, [LBCTL, 'shell', '--lab', '--config', lab.config, '--state-dir', lab.state, '-c', commands], {
    env: { ...process.env, HOME: lab.home },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

interface Running {
  child: ChildProcess;
  log: () => string;
}

async function startDaemon(lab: Lab): Promise<Running> {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: lab.home };
  delete env.JOURNAL_STREAM;
  const child = spawn(process.execPath, [LBCTL, 'daemon', '--lab', '--config', lab.config, '--state-dir', lab.state], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout!.on('data', (d) => (text += d));
  child.stderr!.on('data', (d) => (text += d));
  for (let i = 0; i < 200; i++) {
    if (await probeDaemon(lab.state, 500)) return { child, log: () => text };
    if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${text}`);
    await sleep(50);
  }
  child.kill('SIGKILL');
  throw new Error(`daemon did not answer: ${text}`);
}

async function stopDaemon(d: Running): Promise<number | null> {
  if (d.child.exitCode !== null || d.child.signalCode !== null) return d.child.exitCode;
  const done = new Promise<number | null>((r) => d.child.once('exit', (code) => r(code)));
  d.child.kill('SIGTERM');
  return done;
}

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
    const lab = makeLab(`{enabled: true, host: 127.0.0.1, port: ${udp.port}, facility: lbctl-test}`);
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
      const lab = makeLab(`{enabled: true, host: 127.0.0.1, port: ${port}, protocol: ${kind}}`);
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
