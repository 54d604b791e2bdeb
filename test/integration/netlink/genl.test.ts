// Generic netlink on the host kernel: nlctrl family resolution, batching, ACK matching, timeouts, clear errors.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NLM_F_REQUEST, NLMSG_NOOP, nlmsg } from '../../../netlink/codec.js';
import { DataplaneError, DataplaneUnavailableError, NetlinkTimeoutError, NO_IPVS_MESSAGE } from '../../../netlink/errors.js';
import { getFamilyRequest, resolveFamily } from '../../../netlink/genl.js';
import { NETLINK_GENERIC } from '../../../netlink/libc.js';
import { openDataplane } from '../../../netlink/open.js';
import { NetlinkSocket } from '../../../netlink/socket.js';

const hostHasIpvs = (await import('node:fs')).existsSync('/proc/net/ip_vs');

describe('generic netlink on the host kernel', () => {
  it('resolves nlctrl itself (id 0x10) and caches the answer', async () => {
    const sock = NetlinkSocket.open(NETLINK_GENERIC);
    try {
      const f = await resolveFamily(sock, 'nlctrl');
      assert.equal(f.id, 0x10);
      assert.equal(f.name, 'nlctrl');
      assert.ok(f.mcastGroups.has('notify'));
      const sent = sock.messagesSent();
      assert.equal(await resolveFamily(sock, 'nlctrl'), f);
      assert.equal(sock.messagesSent(), sent, 'second lookup served from the cache');
    } finally {
      sock.close();
    }
  });

  it('answers ENOENT for a family the kernel lacks, naming the request', async () => {
    const sock = NetlinkSocket.open(NETLINK_GENERIC);
    try {
      await assert.rejects(resolveFamily(sock, 'no-such-family'), (e: DataplaneError) => {
        assert.ok(e instanceof DataplaneError);
        assert.equal(e.code, 'ENOENT');
        assert.match(e.message, /GETFAMILY "no-such-family"/);
        return true;
      });
    } finally {
      sock.close();
    }
  });

  it('matches ACKs to requests in one batched send, errors included', async () => {
    const sock = NetlinkSocket.open(NETLINK_GENERIC);
    try {
      const names = ['nlctrl', 'no-such-family', 'nlctrl', 'also-missing'];
      const sendsBefore = sock.sendCalls();
      const acks = await sock.batch(names.map((n) => ({ describe: n, build: (seq, flags) => getFamilyRequest(n, seq, flags) })));
      assert.deepEqual(acks.map((a) => a.code ?? 'ok'), ['ok', 'ENOENT', 'ok', 'ENOENT']);
      assert.equal(sock.sendCalls() - sendsBefore, 1, 'one send for the whole batch');
    } finally {
      sock.close();
    }
  });

  it('splits a large batch to fit the receive buffer and attributes every failure to its request', async () => {
    const sock = NetlinkSocket.open(NETLINK_GENERIC);
    try {
      const n = 5000;
      // Every third request fails (unknown family: ENOENT); the others are NOOPs the kernel accepts silently.
      const reqs = Array.from({ length: n }, (_, i) => ({
        describe: `req ${i}`,
        build: (seq: number, flags: number) =>
          i % 3 === 0 ? getFamilyRequest(`missing-${i}`, seq, flags) : nlmsg({ type: NLMSG_NOOP, flags, seq, pid: 0 }, Buffer.alloc(0)),
      }));
      const sends = sock.sendCalls();
      const acks = await sock.batch(reqs);
      assert.deepEqual(acks.map((a) => a.code ?? 'ok'), reqs.map((_, i) => (i % 3 === 0 ? 'ENOENT' : 'ok')));
      assert.equal(sock.sendCalls() - sends, Math.ceil(n / sock.maxBatch));
      assert.equal(sock.barrierMessages(), sock.sendCalls() - sends);
    } finally {
      sock.close();
    }
  });

  it('gives up with a typed timeout when the kernel never answers', async () => {
    const sock = NetlinkSocket.open(NETLINK_GENERIC, { timeoutMs: 300 });
    try {
      // NLMSG_NOOP without NLM_F_ACK: the kernel accepts it and says nothing.
      await assert.rejects(
        sock.request((seq) => nlmsg({ type: NLMSG_NOOP, flags: NLM_F_REQUEST, seq, pid: 0 }, Buffer.alloc(0)), 'silent noop'),
        (e: Error) => e instanceof NetlinkTimeoutError && /silent noop: no answer from the kernel within 300 ms/.test(e.message),
      );
    } finally {
      sock.close();
    }
  });

  it('says clearly that the kernel has no IPVS', { skip: hostHasIpvs && 'this host has IPVS' }, async () => {
    await assert.rejects(openDataplane({ kind: 'netlink' }), (e: Error) => {
      assert.ok(e instanceof DataplaneUnavailableError);
      assert.equal(e.reason, 'no-ipvs');
      assert.equal(e.message, NO_IPVS_MESSAGE);
      return true;
    });
  });
});
