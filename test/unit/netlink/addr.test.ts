// canonicalAddr answers an IPv4 text with the same text (it is its own canonical form): the same answer as the round trip
// through bytes for every dotted quad, and spellings that are no IPv4 address (leading zeros, short forms) refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addrToBytes, bytesToAddr, canonicalAddr } from '../../../netlink/addr.js';
import { AF_INET, AF_INET6 } from '../../../netlink/dataplane.js';

test('canonicalAddr (IPv4) equals the round trip through bytes', () => {
  let x = 12345;
  const next = () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) & 255;
  for (let i = 0; i < 2000; i++) {
    const b = [next(), next(), next(), next()];
    if (i % 7 === 0) b[i % 4] = [0, 255, 9, 10, 99, 100][i % 6];
    const text = b.join('.');
    assert.equal(canonicalAddr(AF_INET, text), bytesToAddr(AF_INET, addrToBytes(AF_INET, text)));
    assert.equal(canonicalAddr(AF_INET, text), text);
    assert.equal(canonicalAddr(AF_INET, text).length, text.length);
  }
  for (const bad of ['010.0.0.1', '1.2.3', '1.2.3.4.5', '256.1.1.1', ' 1.2.3.4', '1.2.3.4 ', '::1', '', '1.2.3.04'])
    assert.throws(() => canonicalAddr(AF_INET, bad), /not an IPv4 address/, bad);
  assert.equal(canonicalAddr(AF_INET6, '2001:DB8:0::1'), '2001:db8::1');
});
