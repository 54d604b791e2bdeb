// The systemd notify protocol against real AF_UNIX datagram sockets, bound here through the same libc binding
// (a path in a temporary directory and an abstract '@name'), standing in for systemd's $NOTIFY_SOCKET: every
// message's exact bytes, the monotonic timestamp against the kernel's CLOCK_MONOTONIC, one CLOEXEC socket for
// the notifier's life, sends that fail or would block never reaching the daemon, and the watchdog interval.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openNotifier, watchdogIntervalMs, type Notifier } from '../../../engine/daemon/notify.js';
import {
  AF_UNIX,
  bindUnix,
  CLOCK_MONOTONIC,
  clockGettimeNs,
  close,
  MSG_DONTWAIT,
  pollIn,
  recv,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
  sockaddrUn,
  socket,
} from '../../../netlink/libc.js';

/** A receiving datagram socket: what systemd binds for $NOTIFY_SOCKET. */
function bindReceiver(address: string): number {
  const s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert.ok(s.value >= 0, `socket() failed, errno ${s.errno}`);
  const b = bindUnix(s.value, address);
  assert.equal(b.value, 0, `bind(${address}) failed, errno ${b.errno}`);
  return s.value;
}

/** The next datagram, waiting at most timeoutMs (poll, then a non-blocking recv); null when none came. */
function receive(fd: number, timeoutMs = 2000): string | null {
  const deadline = Date.now() + timeoutMs;
  const buf = Buffer.alloc(4096);
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return null;
    const p = pollIn(fd, Math.min(left, 200));
    assert.ok(p.value >= 0, `poll failed, errno ${p.errno}`);
    if (p.value === 0) continue;
    const r = recv(fd, buf, MSG_DONTWAIT);
    if (r.value < 0) continue; // EAGAIN after a spurious wake-up: poll again
    return buf.subarray(0, r.value).toString('utf8');
  }
}

function expectNothing(fd: number, what: string): void {
  const got = receive(fd, 100);
  assert.equal(got, null, `${what}: expected no datagram, got ${JSON.stringify(got)}`);
}

/** Open fds and what each is. The listing's own directory fd is closed by the time we readlink it: skipped. */
function openFds(): Map<number, string> {
  const fds = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      fds.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      /* gone already */
    }
  }
  return fds;
}

/** Exactly the fds opened by fn (run synchronously: nothing else runs between the two listings). */
function fdsOpenedBy(fn: () => void): number[] {
  const before = openFds();
  fn();
  return [...openFds()].filter(([fd, what]) => before.get(fd) !== what).map(([fd]) => fd);
}

const O_CLOEXEC = 0o2000000;

function fdFlags(fd: number): number {
  const m = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  assert.ok(m, `no flags line for fd ${fd}`);
  return parseInt(m[1]!, 8);
}

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lbctl-notify-'));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('sockaddr_un encoding (libc.sockaddrUn)', () => {
  it('a path: family, the bytes, a trailing NUL, addrlen = offsetof(sun_path) + len + 1', () => {
    assert.deepEqual([...sockaddrUn('/run/x')], [1, 0, ...Buffer.from('/run/x'), 0]);
  });

  it("an abstract '@name': a leading NUL, the bytes, no trailing NUL, addrlen = offsetof(sun_path) + 1 + len", () => {
    assert.deepEqual([...sockaddrUn('@abc')], [1, 0, 0, ...Buffer.from('abc')]);
  });

  it('refuses what cannot fit in sun_path instead of truncating it', () => {
    assert.equal(sockaddrUn('/' + 'a'.repeat(106)).length, 2 + 108);
    assert.throws(() => sockaddrUn('/' + 'a'.repeat(107)), RangeError);
    assert.throws(() => sockaddrUn('@' + 'a'.repeat(108)), RangeError);
    assert.throws(() => sockaddrUn(''), RangeError);
  });
});

for (const kind of ['path', 'abstract'] as const) {
  describe(`notifier on a real ${kind} AF_UNIX datagram socket`, () => {
    let address: string;
    let rx: number;
    let notifier: Notifier;
    let notifierFd: number;

    before(() => {
      address = kind === 'path' ? join(dir, `notify-${kind}.sock`) : `@lbctl-test-${randomBytes(8).toString('hex')}`;
      rx = bindReceiver(address);
      const opened = fdsOpenedBy(() => {
        notifier = openNotifier(address);
      });
      assert.equal(opened.length, 1, `openNotifier should open exactly one fd, opened ${opened.join(',')}`);
      notifierFd = opened[0]!;
    });
    after(() => {
      notifier.close();
      close(rx);
    });

    it('opens one SOCK_CLOEXEC socket and is enabled', () => {
      assert.equal(notifier.enabled, true);
      assert.equal(notifier.problem, undefined);
      assert.match(readlinkSync(`/proc/self/fd/${notifierFd}`), /^socket:\[\d+\]$/);
      assert.ok((fdFlags(notifierFd) & O_CLOEXEC) !== 0, 'the notify socket must be close-on-exec');
    });

    it('READY=1, with and without STATUS', () => {
      notifier.ready('serving 3 services');
      assert.equal(receive(rx), 'READY=1\nSTATUS=serving 3 services');
      notifier.ready();
      assert.equal(receive(rx), 'READY=1');
    });

    it('STATUS= alone, newlines folded so a status cannot forge another assignment', () => {
      notifier.status('reconciling: 2 changes');
      assert.equal(receive(rx), 'STATUS=reconciling: 2 changes');
      notifier.status('evil\nREADY=1\r\nSTOPPING=1');
      assert.equal(receive(rx), 'STATUS=evil READY=1 STOPPING=1');
    });

    it('RELOADING=1 with MONOTONIC_USEC taken from CLOCK_MONOTONIC now', () => {
      const t0 = clockGettimeNs(CLOCK_MONOTONIC);
      notifier.reloading();
      const t1 = clockGettimeNs(CLOCK_MONOTONIC);
      assert.equal(t0.errno, 0);
      const msg = receive(rx);
      const m = /^RELOADING=1\nMONOTONIC_USEC=(\d+)$/.exec(msg ?? '');
      assert.ok(m, `unexpected reload message ${JSON.stringify(msg)}`);
      const usec = BigInt(m[1]!);
      assert.ok(usec >= t0.ns / 1000n && usec <= t1.ns / 1000n + 1n,
        `MONOTONIC_USEC ${usec} not within CLOCK_MONOTONIC [${t0.ns / 1000n}, ${t1.ns / 1000n}]`);
    });

    it('WATCHDOG=1 and STOPPING=1, exactly', () => {
      notifier.watchdog();
      assert.equal(receive(rx), 'WATCHDOG=1');
      notifier.stopping();
      assert.equal(receive(rx), 'STOPPING=1');
    });

    it('uses its one socket for every message (no fd per send)', () => {
      const opened = fdsOpenedBy(() => {
        for (let i = 0; i < 5; i++) notifier.watchdog(); // below net.unix.max_dgram_qlen (10 by default)
      });
      assert.deepEqual(opened, []);
      for (let i = 0; i < 5; i++) assert.equal(receive(rx), 'WATCHDOG=1');
      expectNothing(rx, 'after the 5 watchdogs');
    });
  });
}

describe('notifier lifetime and failures', () => {
  it('close() releases the socket; later calls send nothing and do not throw', () => {
    const address = join(dir, 'close.sock');
    const rx = bindReceiver(address);
    try {
      let n!: Notifier;
      const [fd] = fdsOpenedBy(() => {
        n = openNotifier(address);
      });
      assert.ok(fd !== undefined);
      n.close();
      assert.ok(!openFds().has(fd), 'the notify socket should be closed');
      n.ready('x');
      n.watchdog();
      n.stopping();
      n.close();
      expectNothing(rx, 'after close');
    } finally {
      close(rx);
    }
  });

  it('a send nobody receives (no socket at the path, or the receiver gone) never throws', () => {
    const missing = openNotifier(join(dir, 'nobody-listens.sock'));
    assert.equal(missing.enabled, true);
    missing.ready('x');
    missing.reloading();
    missing.watchdog();
    missing.status('y');
    missing.stopping();
    missing.close();

    const address = `@lbctl-test-${randomBytes(8).toString('hex')}`;
    const rx = bindReceiver(address);
    const n = openNotifier(address);
    n.watchdog();
    assert.equal(receive(rx), 'WATCHDOG=1');
    close(rx); // systemd went away
    n.watchdog();
    n.ready();
    n.close();
  });

  it('never blocks when the receiver stops reading (a full queue drops messages)', () => {
    // Run in a child: a blocking send would freeze the event loop, and only a killed child can report that.
    const address = join(dir, 'full.sock');
    const rx = bindReceiver(address);
    try {
      const notifyJs = fileURLToPath(new URL('../../../engine/daemon/notify.js', import.meta.url));
      const script = `const { openNotifier } = await import(${JSON.stringify(notifyJs)});
        const n = openNotifier(${JSON.stringify(address)});
        for (let i = 0; i < 2000; i++) n.watchdog();
        n.close();
        console.log('sent');`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(r.signal, null, `the sender hung (killed by ${r.signal}): a send blocked`);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), 'sent');
      let queued = 0;
      while (receive(rx, 100) === 'WATCHDOG=1') queued++;
      assert.ok(queued > 0 && queued < 2000, `the queue should have filled and dropped the rest, got ${queued}`);
    } finally {
      close(rx);
    }
  });

  it('NOTIFY_SOCKET unset or empty: disabled, opens nothing, every call a no-op', () => {
    for (const value of [undefined, '']) {
      let n!: Notifier;
      const opened = fdsOpenedBy(() => {
        n = openNotifier(value);
        n.ready('x');
        n.status('y');
        n.reloading();
        n.watchdog();
        n.stopping();
        n.close();
      });
      assert.equal(n.enabled, false);
      assert.equal(n.problem, undefined);
      assert.deepEqual(opened, []);
    }
  });

  it('an address it cannot use: disabled with the reason, never a throw', () => {
    for (const [value, why] of [
      ['vsock:2:9999', /neither an absolute path nor an @abstract name/],
      ['relative/notify.sock', /neither an absolute path nor an @abstract name/],
      ['/' + 'a'.repeat(200), /too long/],
    ] as const) {
      const n = openNotifier(value);
      assert.equal(n.enabled, false, value);
      assert.match(n.problem ?? '', why);
      n.ready();
      n.close();
    }
  });
});

describe('watchdogIntervalMs', () => {
  const pid = 4242;
  it('half of WATCHDOG_USEC, in ms, when WATCHDOG_PID is absent or ours', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000' }, pid), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '4242' }, pid), 15_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '3000' }, pid), 1);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '1' }, pid), 1, 'never 0: a 0 ms timer would spin');
  });

  it('null when the watchdog is meant for another process', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' }, pid), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '' }, pid), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: 'x' }, pid), null);
  });

  it('null without a usable WATCHDOG_USEC', () => {
    assert.equal(watchdogIntervalMs({}, pid), null);
    assert.equal(watchdogIntervalMs({ WATCHDOG_PID: '4242' }, pid), null);
    for (const v of ['', '0', '-5', 'abc', '1.5', '99999999999999999999']) {
      assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: v }, pid), null, JSON.stringify(v));
    }
  });
});
