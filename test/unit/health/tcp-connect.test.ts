// The connect-only tcp probe runs on an internal of Node (tcp_wrap): it is trusted only once it has told a
// listening loopback port from a closed one. This Node passes; a handle that says "connected" to everything, or
// "refused" to everything, does not (the probes then keep net.connect, never marking healthy backends down).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectOnly, connectOnlyReady, selfTest, type TcpWrap } from '../../../engine/health/probes/tcp-connect.js';

function fakeWrap(status: number): TcpWrap {
  class TCP {
    connect(req: { oncomplete: (s: number) => void }) {
      setImmediate(() => req.oncomplete(status));
      return 0;
    }
    connect6(req: { oncomplete: (s: number) => void }) {
      return this.connect(req);
    }
    close() {}
  }
  class TCPConnectWrap {
    oncomplete: (s: number) => void = () => {};
  }
  return { TCP, TCPConnectWrap, constants: { SOCKET: 0 } } as unknown as TcpWrap;
}

test('this Node: the binding passes its self-test, and plain tcp probes then use it', async () => {
  assert.equal(await connectOnlyReady, true);
  assert.equal(typeof connectOnly(), 'function');
});

test('a handle that connects to everything, or to nothing, fails the self-test', async () => {
  assert.equal(await selfTest(fakeWrap(0)), false);
  assert.equal(await selfTest(fakeWrap(-111)), false); // ECONNREFUSED even for the listening port
});
