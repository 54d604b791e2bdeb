// Addresses IPVS cannot use: zone ids, broadcast, multicast, unspecified, IPv4-mapped IPv6. Each is a located
// validation error (never a crash), and only where IPVS uses the address (a listen address may be 0.0.0.0).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigError, loadConfigTexts } from '../../../config/load.js';
import { validateConfig } from '../../../config/validate.js';
import { applyDefaults } from '../../../config/defaults.js';
import { backendKey, canonicalAddress } from '../../../config/derive.js';
import type { Config } from '../../../config/model.js';

function validOne(): Config {
  return applyDefaults({ vip: '192.0.2.1', services: [{ name: 'a', ports: [80], backends: [{ address: '192.0.2.10' }] }] });
}

function errorsAfter(mutate: (c: any) => void): string[] {
  const c = validOne() as any;
  mutate(c);
  return validateConfig(c).map(formatConfigError);
}

test('an IPv6 zone id is a located error in validate, not a crash', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].vip = '2001:db8::5';
      c.services[0].backends = [{ address: 'fe80::1%eth0', port: 80, weight: 1 }];
    }),
    ['services[0].backends[0].address: zone ids are not allowed in IPVS addresses: write fe80::1, not "fe80::1%eth0"'],
  );
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].vip = 'fe80::5%lo';
      c.services[0].backends = [{ address: 'fe80::1%eth0' }, { address: '2001:db8::1' }];
    }),
    [
      'services[0].vip: zone ids are not allowed in IPVS addresses: write fe80::5, not "fe80::5%lo"',
      'services[0].backends[0].address: zone ids are not allowed in IPVS addresses: write fe80::1, not "fe80::1%eth0"',
    ],
  );
  const text = 'services:\n  - name: web6\n    vip: 2001:db8::5\n    ports: [80]\n    backends:\n      - address: fe80::1%eth0\n        port: 80\n';
  const r = loadConfigTexts([{ path: 'config.d/web6.yaml', text }]);
  assert.equal(r.config, null);
  assert.deepEqual(r.errors.map(formatConfigError), [
    'config.d/web6.yaml:6:18: services[0].backends[0].address: zone ids are not allowed in IPVS addresses: write fe80::1, not "fe80::1%eth0"',
  ]);
});

test('canonical spellings never throw on zone ids and keep the zone', () => {
  assert.equal(canonicalAddress('FE80:0::1%eth0'), 'fe80::1%eth0');
  assert.equal(backendKey({ address: 'fe80::1%eth0', port: 80 }), '[fe80::1%eth0]:80');
  assert.equal(canonicalAddress('2001:DB8:0::1'), '2001:db8::1');
});

test('broadcast, multicast and unspecified backends are refused with located errors', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].backends = [
        { address: '10.0.0.1' },
        { address: '255.255.255.255' },
        { address: '224.0.0.1' },
        { address: '239.255.255.250' },
        { address: '0.0.0.0' },
        { address: '0.1.2.3' },
      ];
    }),
    [
      'services[0].backends[1].address: 255.255.255.255 is the broadcast address: IPVS cannot use it as a backend',
      'services[0].backends[2].address: 224.0.0.1 is a multicast address (224.0.0.0/4): IPVS cannot use it as a backend',
      'services[0].backends[3].address: 239.255.255.250 is a multicast address (224.0.0.0/4): IPVS cannot use it as a backend',
      'services[0].backends[4].address: 0.0.0.0 is the unspecified address (0.0.0.0/8): IPVS cannot use it as a backend',
      'services[0].backends[5].address: 0.1.2.3 is in 0.0.0.0/8 ("this network"): IPVS cannot use it as a backend',
    ],
  );
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].vip = '2001:db8::5';
      c.services[0].backends = [{ address: '::' }, { address: 'ff02::1' }, { address: '0:0::0', port: 81 }, { address: 'fe80::1' }, { address: '2001:db8::1' }];
    }),
    [
      'services[0].backends[0].address: :: is the unspecified address: IPVS cannot use it as a backend',
      'services[0].backends[1].address: ff02::1 is a multicast address (ff00::/8): IPVS cannot use it as a backend',
      'services[0].backends[2].address: 0:0::0 is the unspecified address: IPVS cannot use it as a backend',
      'services[0].backends[3].address: fe80::1 is a link-local address (fe80::/10): IPVS cannot use it as a backend (the kernel refuses link-local destinations)',
    ],
  );
});

test('broadcast, multicast, unspecified and IPv4-mapped VIPs are refused; the default vip too', () => {
  for (const [vip, why] of [
    ['255.255.255.255', '255.255.255.255 is the broadcast address'],
    ['224.0.0.5', '224.0.0.5 is a multicast address (224.0.0.0/4)'],
    ['0.0.0.0', '0.0.0.0 is the unspecified address (0.0.0.0/8)'],
    ['::', ':: is the unspecified address'],
    ['ff05::2', 'ff05::2 is a multicast address (ff00::/8)'],
  ]) {
    assert.deepEqual(
      errorsAfter((c) => {
        c.vip = vip;
        c.services[0].backends = [{ address: vip.includes(':') ? '2001:db8::1' : '192.0.2.10' }];
      }),
      [`vip: ${why}: IPVS cannot use it as a VIP`],
      vip,
    );
  }
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].vip = '::ffff:1.2.3.4';
    }),
    [
      'services[0].vip: ::ffff:1.2.3.4 is an IPv4-mapped IPv6 address: IPv4 traffic never matches an IPv6 service; write the IPv4 address 1.2.3.4',
    ],
  );
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].vip = '::FFFF:c000:020a';
    }),
    [
      'services[0].vip: ::FFFF:c000:020a is an IPv4-mapped IPv6 address: IPv4 traffic never matches an IPv6 service; write the IPv4 address 192.0.2.10',
    ],
  );
});

test('an IPv4-mapped backend is refused with the IPv4 address to write', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].vip = '2001:db8::5';
      c.services[0].backends = [{ address: '::ffff:192.0.2.10' }];
    }),
    [
      'services[0].backends[0].address: ::ffff:192.0.2.10 is an IPv4-mapped IPv6 address: an IPv6 packet to it never reaches an IPv4 host; write the IPv4 address 192.0.2.10',
    ],
  );
});

test('addresses that are not IPVS addresses keep their freedom: a listen address may be 0.0.0.0 or ::', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.observability.prometheus.bind = '0.0.0.0';
    }),
    [],
  );
  assert.deepEqual(
    errorsAfter((c) => {
      c.observability.prometheus.bind = '::';
    }),
    [],
  );
});

test('a range over the per-range limit is refused once, without a second max_services error', () => {
  assert.deepEqual(
    errorsAfter((c) => {
      c.services[0].port_ranges = [{ from: 1, to: 65535 }];
      c.services[0].ports = undefined;
    }),
    ['services[0].port_ranges[0]: range 1-65535 holds 65535 ports, more than daemon.limits.max_ports_per_range (4096)'],
  );
  // Ranges within the per-range limit still add up against max_services.
  assert.deepEqual(
    errorsAfter((c) => {
      c.daemon.limits.max_services = 5000;
      c.services[0].ports = undefined;
      c.services[0].port_ranges = [{ from: 1000, to: 4000 }, { from: 5000, to: 8000 }];
    }),
    ['services[0]: the configuration expands to more than daemon.limits.max_services (5000) IPVS services from this service on'],
  );
});
