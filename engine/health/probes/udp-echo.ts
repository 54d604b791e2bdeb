// udp_echo: one datagram, `payload` followed by a fresh random nonce (32 hex characters); only a reply that
// carries this nonce (and `expect`, when set) counts. Other replies are ignored while the timeout runs, and the
// probe then fails with "reply did not echo the nonce": a stale or spoofed reply never passes. The socket is
// connected, so the kernel drops datagrams from any other address and reports ICMP port unreachable.
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import type { Prober } from '../types.js';
import { bounded } from './bounded.js';
import { checkBytes, showBytes } from './bytes.js';

export const NONCE_BYTES = 16;

export const probeUdpEcho: Prober = (endpoint, check, options) =>
  bounded(options, (run) => {
    const payload = checkBytes('payload', check.payload) ?? Buffer.alloc(0);
    const expect = checkBytes('expect', check.expect);
    const nonce = Buffer.from(randomBytes(NONCE_BYTES).toString('hex'), 'ascii');
    const socket = createSocket(isIP(endpoint.address) === 6 ? 'udp6' : 'udp4');
    run.onSettle(() => socket.close());
    socket.on('error', (err) => run.failWith(err));
    socket.on('message', (msg: Buffer) => {
      if (!msg.includes(nonce)) {
        run.timeoutError = `reply did not echo the nonce (got ${showBytes(msg)})`;
        return;
      }
      if (expect !== undefined && !msg.includes(expect)) {
        run.timeoutError = `reply echoed the nonce but did not contain ${showBytes(expect)}`;
        return;
      }
      run.ok();
    });
    socket.connect(endpoint.port, endpoint.address, () => {
      run.phase = 'waiting for the echo';
      socket.send(Buffer.concat([payload, nonce]), (err) => {
        if (err) run.failWith(err);
      });
    });
  });
