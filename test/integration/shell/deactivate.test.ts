// Junos deactivate / activate, as an operator meets it: the real bin/lbctl with --lab. A deactivated service or
// backend keeps its statement (`inactive: true`, `deactivate …` in display set) and leaves the kernel; activate
// brings it back. Every output compared line by line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { shell, type Lab } from '../../support/lab-daemon.js';
import { labWith, shellLines, WEB_TWO_BACKENDS } from '../../support/lab-shell.js';

const SERVICES = `${WEB_TWO_BACKENDS}  - name: api
    protocol: tcp
    ports: [8080]
    backends:
      - {address: 198.51.100.21, port: 8080, weight: 10}
`;

const lab = (t: { after(fn: () => void): void }): Lab => labWith(t, SERVICES);

const ok = shellLines;

test('deactivate keeps the statement and takes it out of the kernel; activate puts it back', (t) => {
  const l = lab(t);
  assert.deepEqual(ok(l, 'configure; deactivate service api; service web; deactivate backend 198.51.100.12; top; show | compare; show | display set; commit'), [
    'Entering configuration mode.',
    '[edit services web backends 198.51.100.12:80]',
    '+   inactive: true',
    '[edit services api]',
    '+   inactive: true',
    'hostname lbd',
    'vip 192.0.2.10',
    'service web',
    ' port 80',
    ' backend 198.51.100.11 port 80 weight 100',
    ' backend 198.51.100.12 port 80 weight 50',
    ' deactivate backend 198.51.100.12 port 80',
    ' exit',
    'service api',
    ' port 8080',
    ' backend 198.51.100.21 port 8080 weight 10',
    ' exit',
    'deactivate service api',
    'Kernel operations applied (2):',
    '  + service tcp 192.0.2.10:80 wlc  (web)',
    '      + dest 198.51.100.11:80 nat weight 100',
    '% Configuration committed successfully (revision 2).',
  ]);
  assert.deepEqual(ok(l, 'show services'), [
    'Name  VIP         Proto  Ports  Sched  Fwd  Backends  State     Kernel',
    '----  ----------  -----  -----  -----  ---  --------  --------  --------------',
    'web   192.0.2.10  tcp    80     wlc    nat       2/2  enabled   in sync',
    'api   192.0.2.10  tcp    8080   wlc    nat       1/1  inactive  not programmed',
  ]);
  assert.deepEqual(ok(l, 'show service web').slice(-4), [
    'Address        Port  Weight  State     Kernel',
    '-------------  ----  ------  --------  --------------',
    '198.51.100.11    80     100  enabled   in sync',
    '198.51.100.12    80      50  inactive  not programmed',
  ]);
  assert.equal(ok(l, 'show service api')[0], 'Service api, inactive (deactivated)');
  // The statement is kept in the file, with everything set on it.
  const file = readFileSync(join(l.config, 'config.d', 'web.yaml'), 'utf8');
  assert.match(file, /- \{address: 198\.51\.100\.12, port: 80, weight: 50, inactive: true\}|weight: 50\n +inactive: true/);
  assert.match(file, /- name: api\n(?: +.*\n)*? +inactive: true/);

  assert.deepEqual(ok(l, 'configure; activate service api; service web; activate backend 198.51.100.12 port 80; commit'), [
    'Entering configuration mode.',
    'Kernel operations applied (3):',
    '    service tcp 192.0.2.10:80  (web)',
    '      + dest 198.51.100.12:80 nat weight 50',
    '  + service tcp 192.0.2.10:8080 wlc  (api)',
    '      + dest 198.51.100.21:8080 nat weight 10',
    '% Configuration committed successfully (revision 3).',
  ]);
  assert.doesNotMatch(readFileSync(join(l.config, 'config.d', 'web.yaml'), 'utf8'), /inactive/);
});

test('deactivate names what is not configured', (t) => {
  const l = lab(t);
  const backend = shell(l, 'configure; service web; deactivate backend 198.51.100.99');
  assert.equal(backend.code, 1);
  assert.match(backend.out, /^% Backend 198\.51\.100\.99 is not configured in service web\.$/m);
  const service = shell(l, 'configure; activate service nope');
  assert.equal(service.code, 1);
  assert.match(service.out, /^% Unknown service "nope"\.$/m);
});
