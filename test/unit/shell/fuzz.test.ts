// Fuzzing the session in line mode: 12,000 random and mutated command lines from a seeded PRNG (the same lines
// on every run). The session must never throw or hang, every rejection must be one of the documented error
// forms (completion/errors.ts), and TAB and `?` must answer every prefix without throwing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isDocumentedError } from '../../../completion/errors.js';
import { fixture, RICH_CONFIG } from './session-fixture.js';
import { prng } from '../../support/prng.js';

const SEEDS = [
  'show ipvs', 'show ipvs service web stats', 'sh ipv ser web rate', 'show services', 'show service web', 'show running-config',
  'show running-config service web | display set', 'show running-config | include name | count', 'show version | json',
  'configure', 'conf t', 'configure private', 'configure exclusive', 'terminal length 0', 'terminal width 100', 'help',
  'hostname edge2', 'no hostname', 'vip 192.0.2.99', 'service web', 'service fuzz-1', 'no service fuzz-1', 'show | compare',
  'show | display set | include port', 'daemon reconcile-interval-ms 1000', 'no daemon limits max-services',
  'ha instance v1 vrid 5', 'ha instance v1 vip 10.0.0.1', 'observability gelf host "a b"', 'observability prometheus enabled false',
  'vip 10.0.0.10', 'fwmark 42', 'no fwmark', 'protocol udp', 'port 80', 'port 7000-7010', 'no port 80', 'port-range 9000-9001',
  'scheduler sh sh-port sh-fallback', 'persistence 300 netmask 255.255.255.0', 'forwarding tunnel gue port 6080 csum remcsum',
  'forwarding dr', 'backend 10.0.0.1 port 8080 weight 5', 'backend 2001:db8::1 disable', 'no backend 10.0.0.1',
  'health http path /hz interval 2000 expect-status 200,204', 'health udp-echo payload "PING" expect PONG', 'health disable',
  'no health', 'description some "text" | with pipe', 'shutdown', 'no shutdown', 'on-down remove', 'u-threshold 5',
  'do show services | include web', 'do show ipvs', 'exit', 'end', 'top', 'quit',
];
const VOCAB = [...new Set(SEEDS.flatMap((s) => s.split(' ')))];
const CHARS = [...'abcdefghijklmnopqrstuvwxyz0123456789 -_./:|"\\?$[]()<>*^%\t'];

function mutate(line: string, rnd: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const words = line.split(' ');
  switch (Math.floor(rnd() * 9)) {
    case 0: {
      const i = Math.floor(rnd() * (line.length + 1));
      return line.slice(0, i) + pick(CHARS) + line.slice(i);
    }
    case 1: {
      const i = Math.floor(rnd() * line.length);
      return line.slice(0, i) + line.slice(i + 1);
    }
    case 2:
      return line.slice(0, Math.floor(rnd() * line.length));
    case 3:
      words[Math.floor(rnd() * words.length)] = pick(VOCAB);
      return words.join(' ');
    case 4:
      return words.map((w) => (rnd() < 0.5 && w.length > 1 ? w.slice(0, 1 + Math.floor(rnd() * (w.length - 1))) : w)).join(' ');
    case 5:
      return `${line} | ${pick(['include', 'exclude', 'begin', 'section', 'count', 'json', 'no-more', 'display set', 'compare', 'inc ('])} ${pick(VOCAB)}`;
    case 6: {
      const n = 1 + Math.floor(rnd() * 6);
      return Array.from({ length: n }, () => pick(VOCAB)).join(' ');
    }
    case 7:
      return Array.from({ length: Math.floor(rnd() * 40) }, () => pick(CHARS)).join('');
    default:
      return `${pick(['', 'no ', 'do ', 'do show '])}${line}${pick(['', ' ', '  x', ' 99999999999', ' "', ' |'])}`;
  }
}

test('12,000 random and mutated lines: no throw, no hang, every rejection a documented form', { timeout: 300_000 }, async () => {
  const rnd = prng(0x5eed);
  const f = fixture({ config: RICH_CONFIG });
  const s = f.session;
  let rejected = 0;
  let accepted = 0;
  const undocumented: string[] = [];
  for (let i = 0; i < 12_000; i++) {
    const base = SEEDS[Math.floor(rnd() * SEEDS.length)];
    const line = rnd() < 0.15 ? base : mutate(mutate(base, rnd), rnd);
    // TAB and ? on the line and on a prefix of it.
    const cut = line.slice(0, Math.floor(rnd() * (line.length + 1)));
    for (const l of [line, cut]) {
      const c = s.complete(l);
      assert.equal(typeof c.line, 'string');
      assert.ok(c.line.startsWith(l.slice(0, Math.max(0, l.lastIndexOf(' ')))), `TAB lost the line: ${JSON.stringify(l)} → ${JSON.stringify(c.line)}`);
      const h = s.help(l);
      if (!h.ok && !isDocumentedError(h.error)) undocumented.push(`? ${JSON.stringify(l)} → ${h.error}`);
    }
    const r = await s.execute(line);
    assert.equal(typeof r.output, 'string');
    if (r.error !== undefined) {
      rejected++;
      if (!isDocumentedError(r.error)) undocumented.push(`${JSON.stringify(line)} → ${r.error}`);
    } else accepted++;
    // Leave the mode sometimes so every level gets its share of lines.
    if (rnd() < 0.02) await s.execute('end');
  }
  assert.deepEqual(undocumented.slice(0, 20), []);
  // The corpus exercises both sides.
  assert.ok(accepted > 1000, `accepted ${accepted}`);
  assert.ok(rejected > 1000, `rejected ${rejected}`);
});
