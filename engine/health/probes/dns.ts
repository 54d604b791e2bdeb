// dns: one query (`dns.query`, `dns.record_type`, recursion desired) over UDP to the backend's address and port,
// encoded and decoded by dns-packet. Only a response with the query's random id and question counts (others are
// ignored until the timeout). Its rcode must be `dns.rcode` (absent = NOERROR); with `dns.answer`, one answer
// record of the asked type must read the same as dig +short prints it (names compared without case and final dot).
import { createSocket } from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIP } from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket } from 'dns-packet';
import type { DnsCheck } from '../../../config/model.js';
import { canonicalAddress } from '../../../config/derive.js';
import type { Prober } from '../types.js';
import { bounded } from './bounded.js';

const RCODE_WORDS: Record<string, string> = {
  NOERROR: 'no error',
  FORMERR: 'format error',
  SERVFAIL: 'server failure',
  NXDOMAIN: 'no such name',
  NOTIMP: 'not implemented',
  REFUSED: 'refused',
};

const trimDot = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** An answer's data as dig +short prints it, normalised for comparison; undefined for other record types. */
export function answerText(a: Answer): string | undefined {
  const d = (a as { data?: unknown }).data;
  switch (a.type) {
    case 'A':
      return String(d);
    case 'AAAA':
      return canonicalAddress(String(d));
    case 'CNAME':
    case 'NS':
    case 'PTR':
      return trimDot(String(d));
    case 'MX': {
      const mx = d as { preference?: number; exchange: string };
      return `${mx.preference ?? 0} ${trimDot(mx.exchange)}`;
    }
    case 'SRV': {
      const srv = d as { priority?: number; weight?: number; port?: number; target: string };
      return `${srv.priority ?? 0} ${srv.weight ?? 0} ${srv.port ?? 0} ${trimDot(srv.target)}`;
    }
    case 'SOA': {
      const s = d as { mname: string; rname: string; serial?: number; refresh?: number; retry?: number; expire?: number; minimum?: number };
      return `${trimDot(s.mname)} ${trimDot(s.rname)} ${s.serial} ${s.refresh} ${s.retry} ${s.expire} ${s.minimum}`;
    }
    case 'TXT': {
      const parts = (Array.isArray(d) ? d : [d]) as Array<string | Buffer>;
      return parts.map((p) => (typeof p === 'string' ? p : p.toString('utf8'))).join('');
    }
    default:
      return undefined;
  }
}

/** `dns.answer` as written, normalised like answerText (TXT may be written with or without quotes). */
export function expectedAnswerText(recordType: DnsCheck['record_type'], answer: string): string {
  const t = answer.trim();
  switch (recordType) {
    case 'A':
      return t;
    case 'AAAA':
      return isIP(t) === 6 ? canonicalAddress(t) : t;
    case 'TXT':
      return t.replace(/^"(.*)"$/, '$1');
    default:
      return t.split(/\s+/).map(trimDot).join(' ');
  }
}

/** Why a decoded response fails the check, or undefined when it passes. */
export function judgeResponse(response: DecodedPacket, dns: DnsCheck): string | undefined {
  const rcode = (response as { rcode?: string }).rcode ?? 'NOERROR';
  const want = dns.rcode ?? 'NOERROR';
  if (rcode !== want) return `answered ${rcode} (${RCODE_WORDS[rcode] ?? 'unknown reply code'}), expected ${want}`;
  if (dns.answer === undefined) return undefined;
  const expected = expectedAnswerText(dns.record_type, dns.answer);
  const got = (response.answers ?? []).filter((a) => a.type === dns.record_type).map(answerText);
  if (got.includes(expected)) return undefined;
  const shown = got.length === 0 ? `no ${dns.record_type} answer` : got.slice(0, 4).join(', ') + (got.length > 4 ? ', …' : '');
  return `no ${dns.record_type} answer ${dns.answer} (got ${shown})`;
}

export const probeDns: Prober = (endpoint, check, options) =>
  bounded(options, (run) => {
    if (check.dns === undefined) return run.fail('no dns settings (dns.query is required)');
    const dns = check.dns;
    const id = randomInt(0, 65536);
    const query = dnsPacket.encode({
      type: 'query',
      id,
      flags: dnsPacket.RECURSION_DESIRED,
      questions: [{ type: dns.record_type, class: 'IN', name: dns.query }],
    });
    const socket = createSocket(isIP(endpoint.address) === 6 ? 'udp6' : 'udp4');
    run.onSettle(() => socket.close());
    socket.on('error', (err) => run.failWith(err));
    socket.on('message', (msg: Buffer) => {
      let response: DecodedPacket;
      try {
        response = dnsPacket.decode(msg);
      } catch {
        run.timeoutError = 'reply was not a DNS message';
        return;
      }
      const q = response.questions?.[0];
      if (response.type !== 'response' || response.id !== id || q === undefined || trimDot(q.name) !== trimDot(dns.query) || q.type !== dns.record_type) {
        run.timeoutError = 'reply did not answer this query (wrong id or question)';
        return;
      }
      if (response.flag_tc && dns.answer !== undefined && (response.answers ?? []).length === 0) return run.fail('reply was truncated (the answer needs TCP)');
      const problem = judgeResponse(response, dns);
      if (problem === undefined) run.ok();
      else run.fail(problem);
    });
    socket.connect(endpoint.port, endpoint.address, () => {
      run.phase = 'waiting for the answer';
      socket.send(query, (err) => {
        if (err) run.failWith(err);
      });
    });
  });
