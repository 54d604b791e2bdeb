// SO_PEERCRED on real unix sockets: a client in this process, and a client run as a second real user (nobody,
// through runuser) whose uid, gid and pid the kernel must report; clear errors for what has no peer credentials.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { peerCredentials } from '../../../engine/daemon/peercred.js';

let dir: string;
let path: string;
let server: Server;
/** Accepted connections, in order, with the credentials read at once (the peer may have exited afterwards). */
const accepted: Array<{ socket: Socket; creds: ReturnType<typeof peerCredentials> | Error }> = [];
let onAccept: (() => void) | null = null;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lbctl-peercred-'));
  path = join(dir, 'control.sock');
  server = createServer((socket) => {
    let creds: ReturnType<typeof peerCredentials> | Error;
    try {
      creds = peerCredentials(socket);
    } catch (e) {
      creds = e as Error;
    }
    accepted.push({ socket, creds });
    socket.on('error', () => {});
    socket.resume();
    onAccept?.();
  });
  await new Promise<void>((res) => server.listen(path, res));
});

after(async () => {
  for (const a of accepted) a.socket.destroy();
  await new Promise<void>((res) => server.close(() => res()));
  rmSync(dir, { recursive: true, force: true });
});

function nextAccept(): Promise<(typeof accepted)[number]> {
  const count = accepted.length;
  return new Promise((res) => {
    onAccept = () => {
      if (accepted.length > count) {
        onAccept = null;
        res(accepted[count]!);
      }
    };
  });
}

function which(cmd: string): string | null {
  for (const d of ['/usr/sbin', '/usr/bin', '/sbin', '/bin']) if (existsSync(join(d, cmd))) return join(d, cmd);
  return null;
}

describe('peerCredentials (SO_PEERCRED)', () => {
  it('a client in this process: our pid, uid and gid', async () => {
    const got = nextAccept();
    const client = createConnection(path);
    try {
      const { creds } = await got;
      assert.ok(!(creds instanceof Error), String(creds));
      assert.deepEqual(creds, { pid: process.pid, uid: process.getuid!(), gid: process.getgid!() });
    } finally {
      client.destroy();
    }
  });

  /** Runs a node client through runuser with `asArgs`; resolves the credentials read and the client's own pid. */
  async function connectThroughRunuser(runuser: string, asArgs: string[]) {
    // nobody must reach the socket: traverse the directory and write to the socket.
    chmodSync(dir, 0o755);
    chmodSync(path, 0o777);
    const got = nextAccept();
    // The client prints its own pid (runuser forks, so the connecting process is runuser's child), then connects
    // and stays until its stdin closes, so its pid is still its own while we look at /proc.
    const script = `process.stdout.write(process.pid + '\\n');
      require('net').createConnection(${JSON.stringify(path)}).on('connect', function () { process.stdin.on('end', () => this.end()).resume(); });`;
    const child = spawn(runuser, [...asArgs, '--', process.execPath, '-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
    try {
      const timeout = new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`no connection from the client; stderr: ${err}`)), 20_000).unref());
      const { creds } = await Promise.race([got, timeout]);
      assert.ok(!(creds instanceof Error), String(creds));
      while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
      const clientPid = Number(out.trim());
      assert.ok(clientPid > 0);
      // That pid is the node process runuser started, running as nobody.
      const status = readFileSync(`/proc/${clientPid}/status`, 'utf8');
      assert.match(status, new RegExp(`^PPid:\\s+${child.pid}$`, 'm'));
      assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
      return { creds, clientPid };
    } finally {
      child.stdin.end();
      const code = await exited;
      assert.equal(code, 0, `the runuser client failed: ${err}`);
    }
  }

  function runuserOrSkip(t: { skip(message?: string): void }): string | null {
    if (process.getuid!() !== 0) {
      t.skip('needs root to run a client as another user');
      return null;
    }
    const runuser = which('runuser');
    if (!runuser) t.skip('runuser (util-linux) is not installed');
    return runuser;
  }

  it("a client run as nobody: uid 65534, nobody's gid, and that process's pid", async (t) => {
    const runuser = runuserOrSkip(t);
    if (!runuser) return;
    const nobodyUid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).trim());
    const nobodyGid = Number(execFileSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).trim());
    assert.equal(nobodyUid, 65534);
    assert.notEqual(nobodyUid, process.getuid!());
    const { creds, clientPid } = await connectThroughRunuser(runuser, ['-u', 'nobody']);
    assert.deepEqual(creds, { pid: clientPid, uid: nobodyUid, gid: nobodyGid });
  });

  it('a client run as nobody with group daemon: uid and gid read from their own fields', async (t) => {
    // nobody's uid and gid are both 65534: a swapped uid/gid would pass the test above, not this one.
    const runuser = runuserOrSkip(t);
    if (!runuser) return;
    const daemonGid = Number(execFileSync('getent', ['group', 'daemon'], { encoding: 'utf8' }).split(':')[2]);
    assert.ok(daemonGid !== 65534 && daemonGid !== 0);
    const { creds, clientPid } = await connectThroughRunuser(runuser, ['-u', 'nobody', '-g', 'daemon']);
    assert.deepEqual(creds, { pid: clientPid, uid: 65534, gid: daemonGid });
  });

  it('throws a clear error on a TCP socket (no peer credentials to read)', async () => {
    const tcp = createServer();
    await new Promise<void>((res) => tcp.listen(0, '127.0.0.1', res));
    const port = (tcp.address() as { port: number }).port;
    const accepted = new Promise<Socket>((res) => tcp.once('connection', res));
    const client = createConnection(port, '127.0.0.1');
    try {
      const s = await accepted;
      assert.throws(() => peerCredentials(s), /not a unix socket \(address family 2\)/);
      s.destroy();
    } finally {
      client.destroy();
      await new Promise<void>((res) => tcp.close(() => res()));
    }
  });

  it('throws a clear error when the socket has no fd (destroyed)', async () => {
    const got = nextAccept();
    const client = createConnection(path);
    const { socket } = await got;
    client.destroy();
    socket.destroy();
    assert.throws(() => peerCredentials(socket), /peer credentials: the socket has no file descriptor/);
  });

  it('throws with the errno when getsockopt fails (an fd that is not a socket)', () => {
    const fd = openSync(join(dir, 'plain-file'), 'w');
    try {
      const fake = { _handle: { fd } } as unknown as Socket;
      assert.throws(() => peerCredentials(fake), /getsockopt\(fd \d+, SO_DOMAIN\) failed: ENOTSOCK \(88\)/);
    } finally {
      closeSync(fd);
    }
  });
});
