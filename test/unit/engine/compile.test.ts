import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  AF_INET,
  AF_INET6,
  FWD_DROUTE,
  FWD_MASQ,
  FWD_TUNNEL,
  IPPROTO_UDP,
  SVC_F_PERSISTENT,
  SVC_F_SCHED1,
  SVC_F_SCHED2,
  TUN_GUE,
} from '../../../netlink/dataplane.js';
import { compile, CompileError, netmaskValue } from '../../../engine/compile.js';
import { backendRef, NO_INPUTS, type EngineInputs, type HealthVerdict } from '../../../engine/inputs.js';
import { config, service, web } from './helpers.js';

const only = (c: ReturnType<typeof compile>) => {
  assert.equal(c.services.size, 1);
  return [...c.services.values()][0];
};

const withVerdicts = (v: Record<string, HealthVerdict>, extra: Partial<EngineInputs> = {}): EngineInputs => ({
  ...NO_INPUTS,
  verdicts: new Map(Object.entries(v)),
  ...extra,
});

test('a plain TCP service maps to wrr, MASQ, backend weights and the id the plan prints', () => {
  const s = only(compile(config({ services: [web()] })));
  assert.equal(s.id, 'tcp 10.0.0.10:80');
  assert.equal(s.service.scheduler, 'wrr');
  assert.equal(s.service.flags, 0);
  assert.equal(s.service.netmask, 0xffffffff, 'kernel default netmask for a non-persistent IPv4 service');
  assert.equal(s.service.timeout, 0);
  assert.deepEqual([...s.dests.keys()], ['10.0.1.1:8080', '10.0.1.2:8080']);
  const d = s.dests.get('10.0.1.1:8080')!.dest;
  assert.equal(d.fwdMethod, FWD_MASQ);
  assert.equal(d.weight, 100);
  assert.equal(d.tunType, undefined);
});

test('scheduler flags: sh-fallback/mh-fallback = SCHED1, sh-port/mh-port = SCHED2', () => {
  const sh = only(compile(config({ services: [web({ scheduler: 'sh', scheduler_flags: ['sh-fallback', 'sh-port'] })] })));
  assert.equal(sh.service.flags, SVC_F_SCHED1 | SVC_F_SCHED2);
  const mh = only(compile(config({ services: [web({ scheduler: 'mh', scheduler_flags: ['mh-port'] })] })));
  assert.equal(mh.service.flags, SVC_F_SCHED2);
});

test('persistence: PERSISTENT flag, timeout, IPv4 dotted mask as u32, IPv6 prefix length', () => {
  const v4 = only(compile(config({ services: [web({ persistence: { timeout: 600, netmask: '255.255.255.0' } })] })));
  assert.equal(v4.service.flags & SVC_F_PERSISTENT, SVC_F_PERSISTENT);
  assert.equal(v4.service.timeout, 600);
  assert.equal(v4.service.netmask, 0xffffff00);
  const v6 = only(
    compile(
      config({
        services: [service('v6', { vip: '2001:DB8:0::10', persistence: { timeout: 60, netmask: 64 }, backends: [{ address: '2001:db8::1:2', port: 80, weight: 1 }] })],
      }),
    ),
  );
  assert.equal(v6.id, 'tcp [2001:db8::10]:80', 'address canonicalised');
  assert.equal(v6.service.key.af, AF_INET6);
  assert.equal(v6.service.netmask, 64);
  const v6plain = only(compile(config({ services: [service('v6', { vip: '2001:db8::10', backends: [] })] })));
  assert.equal(v6plain.service.netmask, 128, 'kernel default for IPv6 without persistence');
});

test('netmaskValue refuses what is not a mask and accepts prefix lengths', () => {
  assert.equal(netmaskValue(AF_INET, '255.0.255.0'), null);
  assert.equal(netmaskValue(AF_INET, '255.255.255.256'), null);
  assert.equal(netmaskValue(AF_INET, 24), 0xffffff00);
  assert.equal(netmaskValue(AF_INET, '255.255.255.255'), 0xffffffff);
  assert.equal(netmaskValue(AF_INET6, 129), null);
  assert.throws(
    () => compile(config({ services: [web({ persistence: { timeout: 10, netmask: '255.0.255.0' } })] })),
    (e: unknown) => e instanceof CompileError && /persistence netmask "255.0.255.0"/.test(e.message),
  );
});

test('forwarding: dr = DROUTE, tunnel = TUNNEL with gue port and checksum flags; port 0 = service port', () => {
  const dr = only(compile(config({ services: [web({ forwarding: { method: 'dr' }, backends: [{ address: '10.0.1.1', port: 0, weight: 5 }] })] })));
  const d = [...dr.dests.values()][0].dest;
  assert.equal(d.fwdMethod, FWD_DROUTE);
  assert.equal(d.port, 80, 'port 0 means the service port');
  const tun = only(
    compile(config({ services: [web({ forwarding: { method: 'tunnel', tunnel: { type: 'gue', port: 6080, csum: 'csum' } } })] })),
  );
  const t = [...tun.dests.values()][0].dest;
  assert.equal(t.fwdMethod, FWD_TUNNEL);
  assert.equal(t.tunType, TUN_GUE);
  assert.equal(t.tunPort, 6080);
  assert.equal(t.tunFlags, 1);
});

test('thresholds: the backend overrides the service; absent = 0', () => {
  const s = only(
    compile(
      config({
        services: [
          web({
            u_threshold: 1000,
            l_threshold: 10,
            backends: [
              { address: '10.0.1.1', port: 8080, weight: 1, u_threshold: 50 },
              { address: '10.0.1.2', port: 8080, weight: 1 },
            ],
          }),
        ],
      }),
    ),
  );
  assert.equal(s.dests.get('10.0.1.1:8080')!.dest.uThresh, 50);
  assert.equal(s.dests.get('10.0.1.1:8080')!.dest.lThresh, 10);
  assert.equal(s.dests.get('10.0.1.2:8080')!.dest.uThresh, 1000);
});

test('port ranges become one IPVS service per port, merged with ports and without repeats', () => {
  const c = compile(
    config({
      vip: '192.0.2.1',
      services: [
        { name: 'voice', protocol: 'udp', ports: [{ from: 7543, to: 7546 }, 7000], port_ranges: [{ from: 7545, to: 7547 }], backends: [{ address: '192.168.94.22', port: 0, weight: 1 }] },
      ],
    }),
  );
  assert.deepEqual([...c.services.keys()], [7000, 7543, 7544, 7545, 7546, 7547].map((p) => `udp 192.0.2.1:${p}`));
  const s = c.services.get('udp 192.0.2.1:7544')!;
  assert.equal((s.service.key as { protocol: number }).protocol, IPPROTO_UDP);
  assert.equal([...s.dests.values()][0].dest.port, 7544, 'backend port 0 follows each port of the range');
});

test('limits: too many services and too large a range are clear errors', () => {
  assert.throws(
    () => compile(config({ vip: '192.0.2.1', daemon: { limits: { max_services: 10 } }, services: [service('r', { ports: [{ from: 1000, to: 1010 }] })] })),
    (e: unknown) => e instanceof CompileError && /expands to 11 IPVS services.*max_services is 10/.test(e.message),
  );
  assert.throws(
    () => compile(config({ vip: '192.0.2.1', daemon: { limits: { max_ports_per_range: 100 } }, services: [service('r', { ports: [{ from: 1000, to: 1200 }] })] })),
    (e: unknown) => e instanceof CompileError && /port range 1000-1200 has 201 ports; daemon.limits.max_ports_per_range is 100/.test(e.message),
  );
});

test('the top-level vip serves services that name none; neither vip nor fwmark is an error', () => {
  const c = compile(config({ vip: '198.51.100.7', services: [service('a', { backends: [] })] }));
  assert.deepEqual([...c.services.keys()], ['tcp 198.51.100.7:80']);
  assert.throws(() => compile(config({ services: [service('a')] })), /service a: no vip/);
});

test('two services claiming one IPVS identity is an error naming both', () => {
  assert.throws(
    () => compile(config({ vip: '192.0.2.1', services: [service('a'), service('b')] })),
    /service b: tcp 192.0.2.1:80 is also declared by service a/,
  );
});

test('fwmark services are keyed by mark and family', () => {
  const c = compile(config({ services: [service('fw', { fwmark: 7, ports: [], backends: [{ address: '2001:db8::5', port: 0, weight: 1 }] })] }));
  const s = only(c);
  assert.equal(s.id, 'fwmark 7 inet6');
  assert.deepEqual(s.service.key, { af: AF_INET6, fwmark: 7 });
  // The top-level vip is not the fwmark service's: its family still comes from the first backend (found by the
  // random configurations: an IPv4 top-level vip made it IPv4, and its IPv6 netmask 128 and backend unprogrammable).
  const withVip = only(compile(config({ vip: '192.0.2.1', services: [service('fw', { fwmark: 7, ports: [], persistence: { timeout: 60, netmask: 128 }, backends: [{ address: '2001:db8::5', port: 0, weight: 1 }] })] })));
  assert.deepEqual(withVip.service.key, { af: AF_INET6, fwmark: 7 });
  assert.equal(withVip.service.netmask, 128);
});

test('an IPv4 persistence netmask written as a prefix length is programmed as the dotted mask', () => {
  const s = only(compile(config({ vip: '192.0.2.1', services: [service('p', { backends: [], persistence: { timeout: 60, netmask: 24 } })] })));
  assert.equal(s.service.netmask, 0xffffff00);
});

test('health: down → weight 0 with on_down inhibit (default), absent with on_down remove', () => {
  const ref = backendRef('web', '10.0.1.1', 8080);
  const inhibit = only(compile(config({ services: [web()] }), withVerdicts({ [ref]: { state: 'down' } })));
  assert.equal(inhibit.dests.get('10.0.1.1:8080')!.dest.weight, 0);
  assert.equal(inhibit.dests.get('10.0.1.2:8080')!.dest.weight, 100);
  const remove = only(compile(config({ services: [web({ on_down: 'remove' })] }), withVerdicts({ [ref]: { state: 'down' } })));
  assert.deepEqual([...remove.dests.keys()], ['10.0.1.2:8080']);
});

test('health: recovering programs a slow-start fraction of the weight, at least 1', () => {
  const ref = backendRef('web', '10.0.1.1', 8080);
  const quarter = only(compile(config({ services: [web()] }), withVerdicts({ [ref]: { state: 'recovering', fraction: 0.25 } })));
  assert.equal(quarter.dests.get('10.0.1.1:8080')!.dest.weight, 25);
  const tiny = only(compile(config({ services: [web()] }), withVerdicts({ [ref]: { state: 'recovering', fraction: 0.001 } })));
  assert.equal(tiny.dests.get('10.0.1.1:8080')!.dest.weight, 1);
});

test('health verdicts are ignored for a service whose health check is disabled', () => {
  const ref = backendRef('web', '10.0.1.1', 8080);
  const s = only(compile(config({ services: [web({ health: { enabled: false } })] }), withVerdicts({ [ref]: { state: 'down' } })));
  assert.equal(s.dests.get('10.0.1.1:8080')!.dest.weight, 100);
});

test('admin state: a disabled backend disappears, a drained one gets weight 0, a disabled service is not programmed', () => {
  const c = config({
    services: [
      web({ backends: [{ address: '10.0.1.1', port: 8080, weight: 9, enabled: false }, { address: '10.0.1.2', port: 8080, weight: 9 }, { address: '10.0.1.3', port: 8080, weight: 9 }] }),
      service('off', { vip: '10.0.0.11', enabled: false }),
    ],
  });
  const out = compile(c, { ...NO_INPUTS, admin: { drainedBackends: new Set([backendRef('web', '10.0.1.3', 8080)]) } });
  const s = out.services.get('tcp 10.0.0.10:80')!;
  assert.deepEqual([...s.dests.keys()], ['10.0.1.2:8080', '10.0.1.3:8080']);
  assert.equal(s.dests.get('10.0.1.3:8080')!.dest.weight, 0);
  assert.equal(out.services.has('tcp 10.0.0.11:80'), false);
  assert.equal(out.declared.get('tcp 10.0.0.11:80')?.name, 'off', 'still declared (named in plans and status; owned only if recorded)');
  const adminOff = compile(c, { ...NO_INPUTS, admin: { disabledServices: new Set(['web']) } });
  assert.equal(adminOff.services.size, 0);
  assert.match(adminOff.notProgrammed.get('web')!, /operator/);
});

test('HA: with program master-only a Backup instance programs nothing of its VIPs; with always everything is programmed', () => {
  const ha = { source: 'keepalived' as const, instances: [{ name: 'vi1', vrid: 10, interface: 'eth0', vips: ['10.0.0.10'] }] };
  const masterOnly = config({ ha: { ...ha, program: 'master-only' }, services: [web()] });
  const backup = { ...NO_INPUTS, vrrp: new Map([['vi1', 'backup' as const]]) };
  assert.equal(compile(masterOnly, backup).services.size, 0);
  assert.equal(compile(masterOnly, backup).declared.size, 1);
  assert.match(compile(masterOnly, backup).notProgrammed.get('web')!, /ha backup: instance vi1 \(program: master-only\)/);
  assert.equal(compile(masterOnly, { ...NO_INPUTS, vrrp: new Map([['vi1', 'master' as const]]) }).services.size, 1);
  const always = config({ ha: { ...ha, program: 'always' }, services: [web()] });
  assert.equal(compile(always, backup).services.size, 1);
});

test('mixed families: an IPv6 backend of an IPv4 tunnel service carries its own family', () => {
  const s = only(
    compile(config({ services: [web({ forwarding: { method: 'tunnel', tunnel: { type: 'ipip' } }, backends: [{ address: '2001:db8::9', port: 80, weight: 1 }] })] })),
  );
  const d = [...s.dests.values()][0];
  assert.equal(d.id, '[2001:db8::9]:80');
  assert.equal(d.dest.af, AF_INET6);
});

test('compileServices of a few names from a frozen list of many (looked up by name) is what walking the list gives', async () => {
  const { compileServices } = await import('../../../engine/compile.js');
  const services = Array.from({ length: 200 }, (_, i) => service(`s${i}`, { vip: `192.0.2.${1 + (i % 200)}`, ports: [80 + (i % 7)] }));
  // Two services claim one identity (s3 and s203 would, were there 204): s5 is given s6's vip and port here.
  services[5] = service('s5', { vip: '192.0.2.7', ports: [80 + (6 % 7)] });
  const open = config({ services });
  const frozen = { ...open, services: Object.freeze([...open.services]) as typeof open.services };
  const show = (names: string[], c: typeof open) => {
    try {
      const d = compileServices(c, NO_INPUTS, new Set(names));
      return JSON.stringify({ services: [...d.services.keys()], declared: [...d.declared.entries()], notProgrammed: [...d.notProgrammed] });
    } catch (e) {
      return (e as Error).message;
    }
  };
  for (const names of [['s150', 's3'], ['s6', 's5'], ['s5', 's6', 's7'], ['nobody', 's199'], [], ['s0']]) {
    assert.equal(show(names, frozen), show(names, open), names.join(' '));
  }
  assert.match(show(['s6', 's5'], frozen), /service s6: tcp 192.0.2.7:86 is also declared by service s5/, 'in list order, whatever the order of the names');
  // The same name twice: names do not identify services, and the list is walked.
  const twice = { ...open, services: Object.freeze([...open.services, open.services[9]]) as typeof open.services };
  assert.match(show(['s9'], twice), /service s9: .* is also declared by service s9/);
});
