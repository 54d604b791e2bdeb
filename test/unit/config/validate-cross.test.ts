// Cross-field rules: one test per rule, each on a configuration that is valid but for that rule, so the test
// fails if the rule is removed. The accepted variant next to each shows the rule is not over-eager.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigError, loadConfigTexts } from '../../../config/load.js';
import { parseCheckBytes, validateConfig } from '../../../config/validate.js';
import { applyDefaults } from '../../../config/defaults.js';

/** Errors of a configuration given as a partial (defaults filled), as printed lines without files. */
function check(partial: unknown): string[] {
  return validateConfig(applyDefaults(partial)).map(formatConfigError);
}

const svc = (over: Record<string, unknown>) => ({ name: 'a', ports: [80], backends: [{ address: '192.0.2.10' }], ...over });

test('one service identity across all files: vip+protocol+port, overlapping ranges included, located in both', () => {
  const r = loadConfigTexts([
    { path: 'config.yaml', text: 'vip: 192.0.2.1\n' },
    { path: 'config.d/a.yaml', text: 'services:\n  - name: a\n    ports: [7000-7010]\n' },
    { path: 'config.d/b.yaml', text: 'services:\n  - name: b\n    ports: [443, 7005-7020]\n  - name: c\n    protocol: udp\n    ports: [7000]\n' },
  ]);
  assert.deepEqual(r.errors.map(formatConfigError), [
    'config.d/b.yaml:3:18: services[0].ports[1]: 192.0.2.1 (the default vip) tcp port 7005 is already served by service "a" (config.d/a.yaml:3:13)',
  ]);
  // The same ports on another VIP, or another protocol, are another identity.
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({}), svc({ name: 'b', vip: '192.0.2.2' }), svc({ name: 'c', protocol: 'udp', health: { type: 'none' } })] }), []);
  // IPv6 spellings are compared canonically.
  assert.deepEqual(
    check({
      services: [
        svc({ vip: '2001:db8::1', backends: [] }),
        svc({ name: 'b', vip: '2001:DB8:0::1', backends: [] }),
      ],
    }),
    ['services[1].ports[0]: 2001:DB8:0::1 tcp port 80 is already served by service "a" (services[0].ports[0])'],
  );
});

test('a port listed twice in one service', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ ports: [80, 443], port_ranges: ['440-450'] })] }), [
    'services[0].port_ranges[0]: 192.0.2.1 (the default vip) tcp port 443 is listed twice in this service (services[0].ports[1])',
  ]);
});

test('fwmark identity is unique', () => {
  assert.deepEqual(check({ services: [svc({ ports: [], fwmark: 7 }), svc({ name: 'b', ports: [], fwmark: 7 })] }), [
    'services[1].fwmark: fwmark 7 is already used by service "a" (services[0].fwmark)',
  ]);
  assert.deepEqual(check({ services: [svc({ ports: [], fwmark: 7 }), svc({ name: 'b', ports: [], fwmark: 8 })] }), []);
});

test('service names are unique', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({}), svc({ ports: [81] })] }), [
    'services[1].name: service name "a" is already used (services[0].name)',
  ]);
});

test('vip xor fwmark, and a fwmark service has no ports', () => {
  assert.deepEqual(check({ services: [svc({ vip: '192.0.2.1', fwmark: 3, ports: [] })] }), [
    'services[0].fwmark: fwmark and vip are exclusive: a fwmark service matches packets by mark, not by address',
  ]);
  assert.deepEqual(check({ services: [svc({ fwmark: 3 })] }), [
    'services[0].ports: a fwmark service has no ports: the firewall rule that sets the mark selects them',
  ]);
});

test('a service with no vip needs the top-level default vip', () => {
  assert.deepEqual(check({ services: [svc({})] }), [
    'services[0].vip: is required: this service names no vip and there is no top-level vip in config.yaml',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({})] }), []);
  const r = loadConfigTexts([{ path: 'config.d/a.yaml', text: '# no vip here\nservices:\n  - name: a\n    ports: [80]\n' }]);
  assert.deepEqual(r.errors.map(formatConfigError), [
    'config.d/a.yaml:3:5: services[0].vip: is required: this service names no vip and there is no top-level vip in config.yaml',
  ]);
});

test('a service needs a port', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ ports: [] })] }), [
    'services[0].ports: needs at least one port (ports or port_ranges), or a fwmark',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ ports: [], port_ranges: ['7000-7001'] })] }), []);
});

test('no duplicate backends; port 0 is the service port', () => {
  assert.deepEqual(
    check({ vip: '192.0.2.1', services: [svc({ backends: [{ address: '192.0.2.10' }, { address: '192.0.2.11' }, { address: '192.0.2.10', port: 80 }] })] }),
    ['services[0].backends[2].address: duplicate backend 192.0.2.10:80: already listed (services[0].backends[0].address)'],
  );
  assert.deepEqual(
    check({ vip: '192.0.2.1', services: [svc({ ports: [80, 443], backends: [{ address: '192.0.2.10' }, { address: '192.0.2.10', port: 8080 }] })] }),
    [],
  );
});

test('backends share the VIP family unless forwarding is tunnel', () => {
  const mixed = { vip: '192.0.2.1', services: [svc({ backends: [{ address: '192.0.2.10' }, { address: '2001:db8::10' }] })] };
  assert.deepEqual(check(mixed), ['services[0].backends[1].address: IPv6 backend behind an IPv4 service: mixing families needs forwarding method tunnel']);
  const tunnelled = structuredClone(mixed) as any;
  tunnelled.services[0].forwarding = { method: 'tunnel' };
  assert.deepEqual(check(tunnelled), []);
  // A fwmark service without vip takes the family of its first backend.
  assert.deepEqual(check({ services: [svc({ ports: [], fwmark: 1, backends: [{ address: '2001:db8::1' }, { address: '192.0.2.9' }] })] }), [
    'services[0].backends[1].address: IPv4 backend behind an IPv6 service: mixing families needs forwarding method tunnel',
  ]);
});

test('the health check type fits the protocol', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ health: { type: 'udp_echo' } })] }), [
    'services[0].health.type: a udp_echo check needs a udp service; this one is tcp: use tcp, http, https or none',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ protocol: 'udp', health: { type: 'http' } })] }), [
    'services[0].health.type: a http check needs a tcp service; this one is udp: use udp_echo, dns or none',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ protocol: 'sctp', health: { type: 'tcp' } })] }), [
    'services[0].health.type: a tcp check needs a tcp service; this one is sctp: use none',
  ]);
  // Defaults fit: a UDP or SCTP service without a health section gets no check.
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ protocol: 'udp' }), svc({ name: 'b', protocol: 'sctp' })] }), []);
});

test('health settings fit the check type, and a check ends before the next begins', () => {
  assert.deepEqual(
    check({
      vip: '192.0.2.1',
      services: [
        svc({ health: { type: 'tcp', interval_ms: 1000, timeout_ms: 2000, http: { path: '/' } } }),
        svc({ name: 'b', ports: [81], health: { type: 'http', payload: 'x' } }),
        svc({ name: 'c', protocol: 'udp', health: { type: 'dns' } }),
        svc({ name: 'd', protocol: 'udp', ports: [53], health: { type: 'udp_echo', dns: { query: 'x.example' } } }),
      ],
    }),
    [
      'services[0].health.timeout_ms: timeout_ms 2000 must be less than interval_ms 1000: a check ends before the next begins',
      'services[0].health.http: http settings need type http or https, not "tcp"',
      'services[1].health.payload: payload needs type udp_echo or tcp, not "http"',
      'services[2].health.dns: is required for type dns (at least dns.query)',
      'services[3].health.dns: dns settings need type dns, not "udp_echo"',
    ],
  );
});

test('a check timeout equal to its interval is refused; one just below it is accepted', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ health: { type: 'tcp', interval_ms: 1000, timeout_ms: 1000 } })] }), [
    'services[0].health.timeout_ms: timeout_ms 1000 must be less than interval_ms 1000: a check ends before the next begins',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ health: { type: 'tcp', interval_ms: 1000, timeout_ms: 999 } })] }), []);
});

test('udp_echo on a tcp service is refused at health.type', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ health: { type: 'udp_echo', payload: 'PING' } })] }), [
    'services[0].health.type: a udp_echo check needs a udp service; this one is tcp: use tcp, http, https or none',
  ]);
});

test('payload and expect are text without control characters, or hex:PAIRS; both are bounded', () => {
  const udp = (health: Record<string, unknown>) => svc({ protocol: 'udp', health: { type: 'udp_echo', ...health } });
  assert.deepEqual(
    check({
      vip: '192.0.2.1',
      services: [
        udp({ payload: 'hex:50494e4', expect: 'hex:zz' }),
        { ...udp({ payload: 'PING\u0001' }), name: 'b', ports: [81] },
        { ...udp({ payload: 'x'.repeat(1025) }), name: 'c', ports: [82] },
        { ...udp({ expect: '' }), name: 'd', ports: [83] },
        { ...udp({ payload: 'hex:' }), name: 'e', ports: [84] },
      ],
    }),
    [
      'services[0].health.payload: hex: must be followed by pairs of hex digits (hex:50494e470d0a), got "hex:50494e4"',
      'services[0].health.expect: hex: must be followed by pairs of hex digits (hex:50494e470d0a), got "hex:zz"',
      'services[1].health.payload: holds the control character U+0001 at position 4: write such bytes as hex:… (the whole value in hex)',
      'services[2].health.payload: must be at most 1024 bytes, got 1025',
      'services[3].health.expect: must not be empty',
      'services[4].health.payload: hex: must be followed by pairs of hex digits (hex:50494e470d0a), got "hex:"',
    ],
  );
  // Text with tab, CR and LF, UTF-8 text, and hex of either case are accepted.
  assert.deepEqual(
    check({ vip: '192.0.2.1', services: [udp({ payload: 'PING\r\n\tné', expect: 'hex:50494E470d0A' }), { ...svc({ health: { type: 'tcp', expect: 'SSH-' } }), name: 'b' }] }),
    [],
  );
});

test('parseCheckBytes gives the bytes a check sends', () => {
  assert.deepEqual(parseCheckBytes('hex:0d0A'), { bytes: Buffer.from([13, 10]) });
  assert.deepEqual(parseCheckBytes('PING'), { bytes: Buffer.from('PING') });
  assert.ok('problem' in parseCheckBytes('hex:0'));
});

test('https and dns settings: sni is a name and https only; an A/AAAA answer is an address of its family', () => {
  assert.deepEqual(
    check({
      vip: '192.0.2.1',
      services: [
        svc({ health: { type: 'https', http: { sni: '192.0.2.5' } } }),
        svc({ name: 'b', ports: [81], health: { type: 'http', http: { sni: 'www.example', body: '' } } }),
        svc({ name: 'f', ports: [82], health: { type: 'http', http: { method: 'HEAD', body: 'ok' } } }),
        svc({ name: 'c', protocol: 'udp', health: { type: 'dns', dns: { query: 'a.example', answer: '2001:db8::1' } } }),
        svc({ name: 'd', protocol: 'udp', ports: [81], health: { type: 'dns', dns: { query: 'a.example', record_type: 'MX', rcode: 'NXDOMAIN', answer: '10 mx.example.' } } }),
        svc({ name: 'e', protocol: 'udp', ports: [82], health: { type: 'dns', dns: { query: 'a.example', rcode: 'NOPE' } } }),
      ],
    }),
    [
      // The schema pass reports first, then the cross-field rules.
      'services[1].health.http.body: must not be empty',
      'services[5].health.dns.rcode: must be one of NOERROR, FORMERR, SERVFAIL, NXDOMAIN, NOTIMP, REFUSED, got "NOPE"',
      'services[0].health.http.sni: must be a host name, not an address (TLS sends no address as server name): leave it out to send none',
      'services[1].health.http.sni: sni needs type https, not "http"',
      'services[2].health.http.body: a HEAD response has no body to search: use method GET, or leave body out',
      'services[3].health.dns.answer: an A answer is an IPv4 address, got "2001:db8::1"',
      'services[4].health.dns.answer: a reply with rcode "NXDOMAIN" holds no answer: leave answer out or expect NOERROR',
    ],
  );
  assert.deepEqual(
    check({
      vip: '192.0.2.1',
      services: [
        svc({ health: { type: 'https', http: { sni: 'www.example', body: 'ok', insecure: false } } }),
        svc({ name: 'c', protocol: 'udp', health: { type: 'dns', dns: { query: 'a.example', rcode: 'NXDOMAIN' } } }),
        svc({ name: 'd', protocol: 'udp', ports: [81], health: { type: 'dns', dns: { query: 'a.example', record_type: 'AAAA', answer: '2001:db8::1' } } }),
      ],
    }),
    [],
  );
});

test('a non-tcp check of a fwmark service needs health.port when a backend has port 0', () => {
  const fw = (health: Record<string, unknown>, backends: unknown[] = [{ address: '192.0.2.10' }]) => svc({ ports: [], fwmark: 9, backends, health });
  assert.deepEqual(check({ services: [fw({ type: 'http' })] }), [
    'services[0].health.port: a http check of a fwmark service needs a port: backends[0] has port 0 and the service has no port to check; set health.port',
  ]);
  assert.deepEqual(check({ services: [fw({ type: 'http', port: 8080 })] }), []);
  assert.deepEqual(check({ services: [fw({ type: 'https' }, [{ address: '192.0.2.10', port: 443 }])] }), []);
  // The implicit tcp default is not refused (its port-0 backends stay unknown at run time).
  assert.deepEqual(check({ services: [fw({ type: 'tcp' })] }), []);
});

test('port range sizes and the total number of IPVS services are bounded by daemon.limits', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', daemon: { limits: { max_ports_per_range: 100 } }, services: [svc({ ports: ['1000-1100'] })] }), [
    'services[0].ports[0]: range 1000-1100 holds 101 ports, more than daemon.limits.max_ports_per_range (100)',
  ]);
  assert.deepEqual(
    check({ vip: '192.0.2.1', daemon: { limits: { max_services: 10 } }, services: [svc({ ports: ['1-6'] }), svc({ name: 'b', ports: ['10-14'] })] }),
    ['services[1]: the configuration expands to more than daemon.limits.max_services (10) IPVS services from this service on'],
  );
  assert.deepEqual(check({ vip: '192.0.2.1', daemon: { limits: { max_services: 11 } }, services: [svc({ ports: ['1-6'] }), svc({ name: 'b', ports: ['10-14'] })] }), []);
});

test('scheduler flags fit the scheduler and appear once', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ scheduler: 'mh', scheduler_flags: ['mh-port', 'sh-port', 'mh-port'] })] }), [
    'services[0].scheduler_flags[1]: flag sh-port needs scheduler sh, not mh',
    'services[0].scheduler_flags[2]: flag mh-port is listed twice',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ scheduler: 'sh', scheduler_flags: ['sh-port', 'sh-fallback'] })] }), []);
});

test('thresholds: lower not above upper, and a lower one needs an upper one', () => {
  assert.deepEqual(
    check({
      vip: '192.0.2.1',
      services: [svc({ u_threshold: 100, l_threshold: 200, backends: [{ address: '192.0.2.10', l_threshold: 5 }, { address: '192.0.2.11', u_threshold: 10, l_threshold: 5 }] })],
    }),
    [
      'services[0].backends[0].l_threshold: l_threshold needs a u_threshold: it says when to resume after the upper limit was hit',
      'services[0].l_threshold: l_threshold 200 must not exceed u_threshold 100',
    ],
  );
});

// Issue 15 point 8: validate accepted what the kernel then refused.
test('thresholds a backend gets (its own, else the service\'s) must not cross: the kernel answers ERANGE', () => {
  assert.deepEqual(
    check({
      vip: '192.0.2.1',
      services: [
        svc({
          u_threshold: 1000,
          l_threshold: 900,
          backends: [
            { address: '192.0.2.10', u_threshold: 100 },
            { address: '192.0.2.11', u_threshold: 0 },
            { address: '192.0.2.12', u_threshold: 950 },
            { address: '192.0.2.13', u_threshold: 100, l_threshold: 50 },
          ],
        }),
      ],
    }),
    [
      'services[0].backends[0].u_threshold: this backend would get l_threshold 900 (from the service) above u_threshold 100 (from this backend): set both thresholds on the backend',
      'services[0].backends[1].u_threshold: this backend would get l_threshold 900 (from the service) above u_threshold 0 (no limit, from this backend): set both thresholds on the backend',
    ],
  );
});

test('thresholds above INT_MAX are refused (the kernel says EINVAL, ipvsadm "illegal u_threshold")', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ backends: [{ address: '192.0.2.10', u_threshold: 2147483648 }] })] }), [
    'services[0].backends[0].u_threshold: must be 0..2147483647, got 2147483648',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ backends: [{ address: '192.0.2.10', u_threshold: 2147483647 }] })] }), []);
});

test('tunnel options only with tunnel forwarding; gue needs a port, ipip takes neither port nor csum', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'nat', tunnel: { type: 'gre' } } })] }), [
    'services[0].forwarding.tunnel: tunnel options need forwarding method tunnel, not "nat"',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'tunnel', tunnel: { type: 'gue' } } })] }), [
    'services[0].forwarding.tunnel.port: is required for gue tunnels (the UDP port the backends decapsulate on)',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'tunnel', tunnel: { type: 'ipip', port: 6080, csum: 'csum' } } })] }), [
    'services[0].forwarding.tunnel.port: only gue tunnels have a port, not "ipip"',
    'services[0].forwarding.tunnel.csum: only gue and gre tunnels have a checksum mode',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'tunnel', tunnel: { type: 'gue', port: 6080, csum: 'remcsum' } } })] }), []);
  // GRE encapsulation reads only the csum bit: remcsum would be stored and silently mean no checksum.
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'tunnel', tunnel: { type: 'gre', csum: 'remcsum' } } })] }), [
    'services[0].forwarding.tunnel.csum: remcsum (remote checksum offload) is a gue option: a gre tunnel takes nocsum or csum',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'tunnel', tunnel: { type: 'gre', csum: 'csum' } } })] }), []);
});

test('direct routing and tunnels cannot change the destination port', () => {
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'dr' }, backends: [{ address: '192.0.2.10', port: 8080 }] })] }), [
    'services[0].backends[0].port: dr forwarding cannot change the destination port: use 0 or 80 (the service port)',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ forwarding: { method: 'dr' }, backends: [{ address: '192.0.2.10', port: 80 }] })] }), []);
});

test('the persistence netmask fits the service family; an IPv4 service takes a prefix length 1..32 too', () => {
  for (const netmask of [1, 24, 32, '255.255.255.0']) assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ persistence: { netmask } })] }), [], String(netmask));
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ persistence: { netmask: 33 } })] }), [
    'services[0].persistence.netmask: an IPv4 service takes a prefix length 1..32 or a dotted mask (255.255.255.0), got 33',
  ]);
  // A fwmark service without backends is IPv4 to the compiler (it refused 64 while validate let it through).
  assert.deepEqual(check({ services: [{ name: 'm', fwmark: 7, persistence: { netmask: 64 } }] }), [
    'services[0].persistence.netmask: an IPv4 service takes a prefix length 1..32 or a dotted mask (255.255.255.0), got 64',
  ]);
  assert.deepEqual(check({ services: [{ name: 'm', fwmark: 7, backends: [{ address: '2001:db8::5' }], persistence: { netmask: 64 } }] }), []);
  assert.deepEqual(check({ services: [svc({ vip: '2001:db8::1', backends: [], persistence: { netmask: '255.255.255.0' } })] }), [
    'services[0].persistence.netmask: an IPv6 service takes a prefix length 1..128, not a dotted mask',
  ]);
});

test('ha: the watched instances exist, are unique, and source-specific keys match the source', () => {
  assert.deepEqual(check({ ha: { source: 'frr' } }), ['ha.instances: needs at least one VRRP instance to watch when source is frr']);
  assert.deepEqual(
    check({
      ha: {
        source: 'frr',
        instances: [
          { name: 'edge', vrid: 10, interface: 'eth0' },
          { name: 'edge', vrid: 10, interface: 'eth0', instance: 'VI_1' },
        ],
      },
    }),
    [
      'ha.instances[1].name: instance name "edge" is already used (ha.instances[0].name)',
      'ha.instances[1].vrid: vrid 10 on eth0 is already watched (ha.instances[0].vrid)',
      'ha.instances[1].instance: only applies to source keepalived, not "frr"',
    ],
  );
  assert.deepEqual(check({ ha: { source: 'keepalived', frr_pathspace: 'x', instances: [{ name: 'e', vrid: 1, interface: 'eth0', instance: 'VI_1' }] } }), [
    'ha.frr_pathspace: only applies to source frr, not "keepalived"',
  ]);
});

test('gelf needs a host when enabled', () => {
  assert.deepEqual(check({ observability: { gelf: { enabled: true } } }), ['observability.gelf.host: is required when gelf is enabled']);
  assert.deepEqual(check({ observability: { gelf: { enabled: true, host: 'graylog.example.net' } } }), []);
});

test('gelf.protocol: udp (the default) or tcp, anything else refused with the choices', () => {
  assert.equal(applyDefaults({ observability: { gelf: { enabled: true, host: 'graylog.example.net' } } }).observability.gelf.protocol, 'udp');
  assert.deepEqual(check({ observability: { gelf: { enabled: true, host: 'graylog.example.net', protocol: 'tcp' } } }), []);
  assert.deepEqual(check({ observability: { gelf: { enabled: true, host: 'graylog.example.net', protocol: 'http' } } }), [
    'observability.gelf.protocol: must be one of udp, tcp, got "http"',
  ]);
  assert.deepEqual(check({ observability: { gelf: { protocol: 7 } } }).length, 1);
});

test('several service ports: a port-0 backend is the same destination as its address on one of those ports', () => {
  // compile programs port 0 once per service port, so 198.51.100.7:81 twice: it refused what validate accepted.
  const b = (port: number) => ({ address: '198.51.100.7', port });
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ ports: [80, 81], backends: [b(0), b(81)] })] }), [
    'services[0].backends[1].address: 198.51.100.7:81 is already listed: that backend\'s port 0 sends to every service port, 81 included (services[0].backends[0].address)',
  ]);
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ ports: [{ from: 80, to: 82 }], backends: [b(81), b(0)] })] }), [
    'services[0].backends[1].address: port 0 sends to 198.51.100.7 on every service port, 81 included: 198.51.100.7:81 is already listed (services[0].backends[0].address)',
  ]);
  // A port outside the service's ports is another destination; so is the same address on a single-port service's port.
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ ports: [80, 81], backends: [b(0), b(8080)] })] }), []);
  // The sorry backend likewise.
  assert.deepEqual(check({ vip: '192.0.2.1', services: [svc({ ports: [80, 81], backends: [b(0)], sorry: '198.51.100.7:80' })] }), [
    'services[0].sorry: the sorry backend is also backends[0] (198.51.100.7:80 is already listed: that backend\'s port 0 sends to every service port, 80 included): use another server',
  ]);
});

test('a fwmark service without backends is IPv4: its sorry server too, unless tunnel', () => {
  // Found by the kernel property test: validate let an IPv6 sorry server through, the kernel refused it (EINVAL).
  assert.deepEqual(check({ services: [{ name: 'm', fwmark: 7, sorry: '2001:db8:5::eb' }] }), [
    'services[0].sorry: IPv6 sorry backend behind an IPv4 service: mixing families needs forwarding method tunnel',
  ]);
  assert.deepEqual(check({ services: [{ name: 'm', fwmark: 7, sorry: '192.0.2.9' }] }), []);
  assert.deepEqual(check({ services: [{ name: 'm', fwmark: 7, forwarding: { method: 'tunnel' }, sorry: '2001:db8:5::eb' }] }), []);
  assert.deepEqual(check({ services: [{ name: 'm', fwmark: 7, backends: [{ address: '2001:db8::5' }], sorry: '2001:db8:5::eb' }] }), []);
});
