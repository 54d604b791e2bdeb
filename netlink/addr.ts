// IP address text <-> the 16-byte form IPVS uses (IPv4 in the first 4 bytes). Pure; canonical output
// (RFC 5952 for IPv6) so the same address always compares equal whatever spelling the caller used.
import { isIPv4, isIPv6 } from 'node:net';
import { AF_INET, AF_INET6, type AddressFamily } from './dataplane.js';

export function familyOf(addr: string): AddressFamily | null {
  if (isIPv4(addr)) return AF_INET;
  if (isIPv6(addr)) return AF_INET6;
  return null;
}

/** 4 bytes for AF_INET, 16 for AF_INET6; throws on text that is not an address of that family. */
export function addrToBytes(af: AddressFamily, addr: string): Buffer {
  if (af === AF_INET) {
    if (!isIPv4(addr)) throw new Error(`not an IPv4 address: ${JSON.stringify(addr)}`);
    return Buffer.from(addr.split('.').map(Number));
  }
  if (!isIPv6(addr)) throw new Error(`not an IPv6 address: ${JSON.stringify(addr)}`);
  return ipv6ToBytes(addr);
}

function ipv6ToBytes(addr: string): Buffer {
  let text = addr.split('%')[0];
  const out = Buffer.alloc(16);
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const b = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const [head, rest] = text.includes('::') ? text.split('::') : [text, undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest === undefined ? [] : rest ? rest.split(':') : [];
  const groups =
    rest === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - restGroups.length).fill('0'), ...restGroups];
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Text of the 4 (AF_INET) or 16 (AF_INET6) bytes from `off` (a dump decodes addresses where they lie). */
export function bytesToAddr(af: AddressFamily, bytes: Uint8Array, off = 0): string {
  if (af === AF_INET) return `${bytes[off]}.${bytes[off + 1]}.${bytes[off + 2]}.${bytes[off + 3]}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[off + i * 2] << 8) | bytes[off + i * 2 + 1]);
  // RFC 5952: compress the longest run (length >= 2) of zero groups, the first one on ties.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/** Canonical spelling of an address of the given family (throws when it is not one). */
export function canonicalAddr(af: AddressFamily, addr: string): string {
  // isIPv4 accepts only dotted quads without leading zeros, which is exactly what bytesToAddr writes: the text is
  // its own canonical form (a 10,000-service apply canonicalised 50,000 ops' addresses several times each, every
  // time through a new Buffer). It is returned as a string of its own, as bytesToAddr's was: JSON.parse and
  // String.slice return strings of 13 characters or more as slices of the text they come from, and one such
  // address kept in a cache or a table keeps all of that text alive (the shell's peak RSS grew by 10-30 MB).
  if (af === AF_INET && isIPv4(addr)) return addr.length >= 13 ? (addr + ' ').slice(0, -1) : addr;
  return bytesToAddr(af, addrToBytes(af, addr));
}

export function afName(af: number): string {
  return af === AF_INET ? 'inet' : af === AF_INET6 ? 'inet6' : `af${af}`;
}
