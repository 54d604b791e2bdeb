// The shell fuzz corpus: seed lines (one or more of every kind of command, in every mode) and the mutations
// made of them. Shared by the unit fuzz test (test/unit/shell/fuzz.test.ts, 12,000 lines on a static backend)
// and the fuzz runner (test/fuzz/run.ts, real sessions with commits and the lbctl binary).
import { type Rnd, int, pick } from './prng.js';

export const SEEDS = [
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

export function mutate(line: string, rnd: () => number): string {
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

/**
 * Lines the runner adds to SEEDS: the commit workflow, history and the commands with side effects on the state
 * directory (the unit test keeps to SEEDS so that its lines stay what they were).
 */
export const WORKFLOW_SEEDS = [
  'commit', 'commit check', 'commit comment "fuzz run"', 'commit and-quit', 'commit confirmed 5', 'commit confirmed',
  'rollback 0', 'rollback 1', 'rollback 3', 'update', 'abort', 'status', 'load merge /dev/null', 'load override /etc/hostname',
  'load merge /nonexistent.yaml', 'show commit list', 'show system commit', 'show configuration commit changes 1',
  'show configuration sessions', 'show audit last 5 detail', 'show audit', 'show health', 'show health service web',
  'show vrrp', 'show ha', 'show terminal', 'show system status', 'monitor', 'request backend 10.0.0.1 health down',
  'request backend 10.0.0.1 port 8080 service web health auto', 'terminal exec-timeout 5', 'terminal length 24',
  'system banner-motd "hello"', 'no system banner-motd', 'system exec-timeout-s 60', 'observability audit keep 3',
  'observability audit max-bytes 1099511627776', 'ha instance v9 interface eth0', 'no ha instance v9',
  'slow-start 30', 'quorum 2', 'sorry 10.0.0.99 port 80', 'no sorry', 'l-threshold 5', 'no l-threshold',
  'health dns query example.org record-type aaaa', 'health https host example.org insecure', 'no health expect',
  'backend 10.0.0.2 port 80 u-threshold 10 l-threshold 20', 'no backend 10.0.0.2 port 80 u-threshold',
  'persistence 60 netmask 64', 'scheduler mh mh-port mh-fallback', 'forwarding tunnel ipip csum nocsum',
  'show | compare rollback 1', 'show running-config | section service | count', 'rollback',
];

const ADDRESSES = ['192.0.2.', '198.51.100.', '10.0.0.', '2001:db8::', 'fe80::'];

/** A random but mostly valid edit session: configure, a service with a VIP, ports and backends, then commit. */
export function scenario(rnd: Rnd): string[] {
  const name = `fz${int(rnd, 0, 40)}`;
  const six = rnd() < 0.2;
  const addr = (host: number) => (six ? `2001:db8::${host.toString(16)}` : `${pick(rnd, ['192.0.2.', '198.51.100.', '203.0.113.'])}${host}`);
  const lines = [pick(rnd, ['configure', 'configure private', 'configure exclusive', 'conf t']), `service ${name}`];
  if (rnd() < 0.9) lines.push(`vip ${addr(int(rnd, 1, 254))}`);
  for (let i = int(rnd, 0, 3); i > 0; i--) {
    const from = int(rnd, 1, 65000);
    // Mostly short ranges: a range over the limit is refused (and covered), but a candidate of 30,000 ports is slow.
    lines.push(rnd() < 0.7 ? `port ${from}` : `port ${from}-${from + (rnd() < 0.95 ? int(rnd, 0, 64) : int(rnd, 4000, 5000))}`);
  }
  if (rnd() < 0.3) lines.push(`protocol ${pick(rnd, ['tcp', 'udp', 'sctp'])}`);
  if (rnd() < 0.3) lines.push(pick(rnd, ['forwarding dr', 'forwarding nat', 'forwarding tunnel gue port 6080', 'scheduler wrr', 'persistence 300']));
  for (let i = int(rnd, 0, 4); i > 0; i--) {
    lines.push(`backend ${rnd() < 0.1 ? pick(rnd, ADDRESSES) + int(rnd, 1, 300) : addr(int(rnd, 1, 254))}${rnd() < 0.5 ? ` port ${int(rnd, 0, 65535)}` : ''}${rnd() < 0.3 ? ` weight ${int(rnd, 0, 100)}` : ''}`);
  }
  if (rnd() < 0.3) lines.push(pick(rnd, ['health tcp interval 1000 timeout 500', 'health http path /hz', 'health udp-echo payload PING expect PONG', 'health none']));
  if (rnd() < 0.2) lines.push(`no service fz${int(rnd, 0, 40)}`);
  if (rnd() < 0.5) lines.push('show | compare');
  lines.push(pick(rnd, ['commit', 'commit', 'commit check', 'commit comment "fuzz"', 'commit and-quit', 'abort', 'rollback 0', 'end']));
  if (rnd() < 0.1) lines.push(pick(rnd, ['rollback 1', 'rollback 2']), pick(rnd, ['yes', 'no']));
  if (rnd() < 0.5) lines.push('end');
  return lines;
}

/** The runner's lines: seeds, mutations of seeds, and whole edit scenarios (fed line by line). */
export function* shellLines(rnd: Rnd): Generator<string> {
  const all = [...SEEDS, ...WORKFLOW_SEEDS];
  for (;;) {
    const r = rnd();
    if (r < 0.06) {
      // A scenario, some of whose lines are mutated.
      for (const l of scenario(rnd)) yield rnd() < 0.1 ? mutate(l, rnd) : l;
      continue;
    }
    const base = pick(rnd, all);
    yield r < 0.2 ? base : mutate(mutate(base, rnd), rnd);
  }
}
