// tcp: connect within the timeout. With `payload`, send it; with `expect`, the reply must contain those bytes
// (read up to 64 KiB); with a payload and no expect, any reply byte counts.
import { connect } from 'node:net';
import type { Prober } from '../types.js';
import { bounded } from './bounded.js';
import { READ_MAX, appendBounded, checkBytes, showBytes } from './bytes.js';
import { connectOnly } from './tcp-connect.js';

export const probeTcp: Prober = (endpoint, check, options) =>
  bounded(options, (run) => {
    const payload = checkBytes('payload', check.payload);
    const expect = checkBytes('expect', check.expect);
    // Nothing to send or read: the handshake is the whole check, done without a stream (tcp-connect.ts).
    const fast = payload === undefined && expect === undefined ? connectOnly() : undefined;
    if (fast) return fast(endpoint, run);
    const socket = connect({ host: endpoint.address, port: endpoint.port, noDelay: true });
    run.onSettle(() => socket.destroy());
    socket.on('error', (err) => run.failWith(err));
    socket.on('connect', () => {
      if (payload === undefined && expect === undefined) return run.ok();
      run.phase = 'waiting for the reply';
      if (payload !== undefined) socket.write(payload);
      let reply: Buffer = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        reply = appendBounded(reply, chunk);
        if (expect === undefined || reply.includes(expect)) return run.ok();
        if (reply.length >= READ_MAX) run.fail(`reply did not contain ${showBytes(expect)} in its first ${READ_MAX / 1024} KiB`);
      });
      socket.on('end', () => {
        if (expect === undefined) return run.fail('connection closed without a reply');
        run.fail(reply.length === 0 ? `connection closed without a reply (expected ${showBytes(expect)})` : `reply ${showBytes(reply)} did not contain ${showBytes(expect)}`);
      });
    });
  });
