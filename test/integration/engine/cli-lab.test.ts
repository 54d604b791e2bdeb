// `lbctl apply|status|disable|show ipvs` as child processes on the lab dataplane (temp HOME, so the lab is
// seeded from dist/examples), plus the kernel path on this host (no IPVS: a clear error, no stack trace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openMemoryDataplane } from '../../../netlink/open.js';
import { AF_INET, FWD_MASQ, IPPROTO_TCP } from '../../../netlink/dataplane.js';
import { labTableJSON } from '../../support/lab-table.js';

const MAIN = fileURLToPath(new URL('../../../cli/main.js', import.meta.url));

function lbctl(args: string[], env: Record<string, string>, input = '') {
  const script = `const { main } = await import(${JSON.stringify(MAIN)}); process.exitCode = await main(process.argv.slice(1));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    input,
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function tempHome(): string {
  return mkdtempSync(join(tmpdir(), 'lbctl-lab-home-'));
}

test('apply --dry-run --lab prints a readable plan of the dist examples and changes nothing', () => {
  const home = tempHome();
  try {
    const r = lbctl(['apply', '--dry-run', '--lab'], { HOME: home });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /lab: seeded .*\.lbctl-lab\/config from .*dist\/examples/);
    const lines = r.stdout.split('\n');
    assert.ok(lines.includes('+ service tcp 192.0.2.10:80 wlc persistence 300s  (web)'), r.stdout);
    assert.ok(lines.includes('    + dest 198.51.100.13:80 nat weight 50'));
    assert.ok(lines.includes('+ service udp 203.0.113.10:7543-7814 wlc  (switchboard-udp, 272 services)'), 'a port range reads as one block');
    assert.ok(lines.includes('+ service tcp [2001:db8::10]:443 rr persistence 300s netmask /64  (web6)'));
    assert.ok(lines.includes('+ service udp 192.0.2.53:53 mh flags mh-port  (dns-dr)'));
    assert.ok(lines.includes('564 operations: services +278 ~0 -0, destinations +286 ~0 -0'));
    assert.ok(lines.includes('dry run: nothing applied'));
    const table = join(home, '.lbctl-lab', 'state', 'lab-ipvs.json');
    assert.ok(!existsSync(table) || labTableJSON(table).services.length === 0, 'nothing applied');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('apply --lab, then status --lab: everything in sync; the revision is recorded; a second apply has nothing to do', () => {
  const home = tempHome();
  try {
    const before = lbctl(['status', '--lab'], { HOME: home });
    assert.equal(before.code, 3);
    assert.match(before.stdout, /^278 IPVS services: 0 in sync, 278 not \(564 operations pending; 'lbctl apply --lab' fixes it\); 0 foreign$/m, 'the lab names the lab\'s apply');
    const applied = lbctl(['apply', '--lab'], { HOME: home });
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^applied 564 operations in [\d.]+ ms \(564 netlink messages\)$/m);
    assert.match(applied.stdout, /revision \d+/);
    const status = lbctl(['status', '--lab'], { HOME: home });
    assert.equal(status.code, 0, status.stdout + status.stderr);
    assert.match(status.stdout, /^switchboard-udp +udp 203\.0\.113\.10:7543-7814 \(272\) +in sync +1\/1$/m);
    assert.match(status.stdout, /^web +tcp 192\.0\.2\.10:443 +in sync +3\/3$/m);
    assert.match(status.stdout, /^278 IPVS services: 278 in sync; 0 foreign$/m);
    const again = lbctl(['apply', '--lab'], { HOME: home });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /^no changes\n/);
    assert.match(again.stdout, /no changes: the kernel already matches the configuration/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a foreign service in the lab table survives apply and disable --yes, and is listed by status and show ipvs', async () => {
  const home = tempHome();
  const state = join(home, 'state');
  try {
    // A first --lab run seeds ~/.lbctl-lab/config from the examples; the state dir is our own.
    const seed = lbctl(['status', '--lab'], { HOME: home });
    assert.equal(seed.code, 3, 'nothing applied yet: not in sync');
    const env = { HOME: home, LBCTL_CONFIG: join(home, '.lbctl-lab', 'config'), LBCTL_STATE_DIR: state };
    const dp = await openMemoryDataplane(join(state, 'lab-ipvs.json'));
    const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: '172.17.0.1', port: 8443 } as const;
    const results = await dp.apply([
      { op: 'newService', service: { key, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
      { op: 'newDest', key, dest: { addr: '172.17.0.2', port: 8443, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 } },
    ]);
    assert.ok(results.every((r) => r.ok));

    const applied = lbctl(['apply', '--lab'], env);
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(applied.stdout, /^foreign services left alone: tcp 172\.17\.0\.1:8443$/m);
    const status = lbctl(['status', '--lab'], env);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^foreign \(not lbctl's, left alone\):\n  tcp 172\.17\.0\.1:8443  1 dest$/m);
    const json = JSON.parse(lbctl(['show', 'ipvs', '--json', '--lab'], env).stdout);
    assert.equal(json.services.length, 279);
    const foreign = json.services.filter((s: { owner: string }) => s.owner === 'foreign');
    assert.deepEqual(foreign.map((s: { id: string }) => s.id), ['tcp 172.17.0.1:8443']);
    assert.equal(typeof json.services[0].stats.inBytes, 'string', '64-bit counters as decimal strings');

    const refused = lbctl(['disable', '--lab'], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refusing to remove services without confirmation: not a terminal\. Pass --yes/);
    const disabled = lbctl(['disable', '--yes', '--lab'], env);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.match(disabled.stdout, /^removed 278 service\(s\); foreign services untouched$/m);
    const after = JSON.parse(lbctl(['show', 'ipvs', '--json', '--lab'], env).stdout);
    assert.deepEqual(after.services.map((s: { id: string }) => s.id), ['tcp 172.17.0.1:8443']);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('a foreign service at an identity the configuration declares: disabled → left alone; enabled → apply refused', async () => {
  // The review's H1 repro: a human's `ipvsadm -A -t 10.9.9.9:80` and a configuration service `later` with that identity.
  const home = tempHome();
  const state = join(home, 'state');
  try {
    lbctl(['status', '--lab'], { HOME: home }); // seeds ~/.lbctl-lab/config from the examples
    const env = { HOME: home, LBCTL_CONFIG: join(home, '.lbctl-lab', 'config'), LBCTL_STATE_DIR: state };
    const first = lbctl(['apply', '--lab'], env);
    assert.equal(first.code, 0, first.stderr);
    const dp = await openMemoryDataplane(join(state, 'lab-ipvs.json'));
    const key = { af: AF_INET, protocol: IPPROTO_TCP, addr: '10.9.9.9', port: 80 } as const;
    assert.ok((await dp.apply([
      { op: 'newService', service: { key, scheduler: 'rr', flags: 0, timeout: 0, netmask: 0xffffffff } },
      { op: 'newDest', key, dest: { addr: '10.9.9.10', port: 80, fwdMethod: FWD_MASQ, weight: 1, uThresh: 0, lThresh: 0 } },
    ])).every((r) => r.ok));
    const zz = join(home, '.lbctl-lab', 'config', 'config.d', 'zz.yaml');
    const later = (enabled: boolean) =>
      `services:\n  - name: later\n    enabled: ${enabled}\n    vip: 10.9.9.9\n    protocol: tcp\n    ports: [80]\n    backends:\n      - address: 10.2.2.2\n        port: 80\n        weight: 5\n`;
    const human = () => {
      const json = JSON.parse(lbctl(['show', 'ipvs', '--json', '--lab'], env).stdout);
      const svc = json.services.find((s: { id: string }) => s.id === 'tcp 10.9.9.9:80');
      return { total: json.services.length, svc: svc && `${svc.owner} ${svc.scheduler} ${svc.dests.map((d: { addr: string }) => d.addr).join(',')}` };
    };
    assert.deepEqual(human(), { total: 279, svc: 'foreign rr 10.9.9.10' });

    writeFileSync(zz, later(false));
    const off = lbctl(['apply', '--lab'], env);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /^! service tcp 10\.9\.9\.9:80 exists and is not lbctl's: left alone \(declared by service later, which is not programmed: disabled in the configuration\)$/m);
    assert.doesNotMatch(off.stdout, /^- service tcp 10\.9\.9\.9:80/m);
    assert.deepEqual(human(), { total: 279, svc: 'foreign rr 10.9.9.10' }, 'the foreign service survives the apply');
    const st = lbctl(['status', '--lab'], env);
    assert.match(st.stdout, /^later +tcp 10\.9\.9\.9:80 +not programmed .*not lbctl's/m);

    writeFileSync(zz, later(true));
    const on = lbctl(['apply', '--lab'], env);
    assert.equal(on.code, 1, 'a clash with a programmed service refuses the apply');
    assert.match(on.stdout, /^! service tcp 10\.9\.9\.9:80 exists and is not lbctl's: left alone \(declared by service later; adopt with/m);
    assert.match(on.stderr, /tcp 10\.9\.9\.9:80 exists and is not lbctl's \(declared by service later\)/);
    assert.deepEqual(human(), { total: 279, svc: 'foreign rr 10.9.9.10' }, 'nothing taken over');
    const notInSync = lbctl(['status', '--lab'], env);
    assert.equal(notInSync.code, 3, 'not in sync: the declared service cannot be programmed');
    assert.match(notInSync.stdout, /1 declared service clashes with a foreign one: .*'lbctl apply --lab --adopt'/, 'status names the way out, in the lab as the lab spells it');
    assert.doesNotMatch(notInSync.stdout, /fixes it/, 'a plain apply would not fix a clash');

    const disabled = lbctl(['disable', '--yes', '--lab'], env);
    assert.equal(disabled.code, 0, disabled.stderr);
    assert.deepEqual(human(), { total: 1, svc: 'foreign rr 10.9.9.10' }, 'disable removes only what lbctl owns');

    // --adopt takes the foreign service over as the configuration declares it; from then on it is lbctl's.
    const adopted = lbctl(['apply', '--lab', '--adopt'], env);
    assert.equal(adopted.code, 0, adopted.stderr);
    assert.deepEqual(human(), { total: 279, svc: 'lbctl wlc 10.2.2.2' }, 'adopted: scheduler and backends are the configuration\'s');
    const synced = lbctl(['status', '--lab'], env);
    assert.equal(synced.code, 0, synced.stdout);
    assert.match(synced.stdout, /^279 IPVS services: 279 in sync; 0 foreign$/m);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('without --lab on a host without IPVS: the clear error, no stack trace, exit non-zero', () => {
  const home = tempHome();
  try {
    for (const args of [['show', 'ipvs'], ['status', '--config', join(home, 'none.yaml')]]) {
      const r = lbctl(args, { HOME: home, LBCTL_STATE_DIR: join(home, 'state') });
      assert.notEqual(r.code, 0);
      assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
      if (args[0] === 'show') assert.match(r.stderr, /^lbctl: (this kernel has no IPVS|needs CAP_NET_ADMIN|the kernel dataplane)/m);
      else assert.match(r.stderr, /none\.yaml/, 'a missing configuration is reported before the dataplane is touched');
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('disable on a terminal asks first: "no" keeps everything, "yes" removes what lbctl owns', async () => {
  const { main } = await import(MAIN);
  const { Readable } = await import('node:stream');
  const home = tempHome();
  try {
    const run = async (args: string[], answer: string) => {
      let out = '';
      let err = '';
      const code = await main(args, {
        stdout: (s: string) => void (out += s),
        stderr: (s: string) => void (err += s),
        stdin: Readable.from([answer]),
        isTTY: true,
        env: { HOME: home },
      });
      return { code, out, err };
    };
    assert.equal((await run(['apply', '--lab'], '')).code, 0);
    const no = await run(['disable', '--lab'], 'no\n');
    assert.equal(no.code, 1);
    assert.match(no.out, /Remove these 278 service\(s\)\? Traffic to them stops\. \[yes\/no\] nothing removed/);
    assert.equal((await run(['status', '--lab'], '')).code, 0, 'still in sync');
    const yes = await run(['disable', '--lab'], 'yes\n');
    assert.equal(yes.code, 0, yes.err);
    assert.match(yes.out, /removed 278 service\(s\)/);
    const status = await run(['status', '--lab'], '');
    assert.equal(status.code, 3);
    assert.match(status.out, /278 IPVS services: 0 in sync/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
