// Issue 12 point 5, in line mode with the real `lbctl shell --lab`, exact output:
//   - a removal plan folds a port range as an addition does, and names the service it comes from;
//   - `show | compare` prints each [edit …] header once;
//   - `show | compare | display set` prints only the commands of the change (with `no` for what goes), and no
//     `port 0` for a backend on the service's port;
//   - an option the check type or the address family refuses is refused when typed;
//   - a caret error says why, when the reason is known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { lbctlCommand, makeLab } from './tmux.js';

const WEB = `services:
  - name: web
    vip: 192.0.2.10
    ports: [80-82]
    backends:
      - {address: 198.51.100.1, weight: 5}
      - {address: 198.51.100.2}
`;

function labRun(t: { after(fn: () => void): void }) {
  const lab = makeLab();
  t.after(() => lab.cleanup());
  for (const f of ['dns-dr.yaml', 'switchboard.yaml', 'web.yaml', 'web6.yaml']) rmSync(join(lab.config, 'config.d', f));
  writeFileSync(join(lab.config, 'config.d', 'web.yaml'), WEB);
  const [first, ...rest] = lbctlCommand();
  const launched = first.startsWith('LBCTL_LAUNCH=');
  const argv = launched ? rest : [first, ...rest];
  const env: NodeJS.ProcessEnv = { ...process.env, ...(launched ? { LBCTL_LAUNCH: '1' } : {}), HOME: lab.home };
  delete env.CI;
  const run = (args: string[]) => spawnSync(argv[0], [...argv.slice(1), ...args, '--lab', '--config', lab.config, '--state-dir', lab.state], { encoding: 'utf8', env, timeout: 60_000 });
  const applied = run(['apply']);
  assert.equal(applied.status, 0, applied.stderr);
  return run;
}

/** A lab with service web applied; runs `lbctl shell ARGS` and returns the whole result. */
function labShellRaw(t: { after(fn: () => void): void }) {
  const run = labRun(t);
  return (args: string[]) => run(['shell', ...args]);
}

/** A lab with service web applied; runs `lbctl shell -c SCRIPT`, which must succeed, and returns its output. */
function labShell(t: { after(fn: () => void): void }) {
  const run = labRun(t);
  return (script: string) => {
    const r = run(['shell', '-c', script]);
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
}

const EDIT = 'configure; service web; no port 80-82; port 443; backend 198.51.100.1 weight 9; description "front door"; top';

test('a removal plan folds the port range and names the service', (t) => {
  const shell = labShell(t);
  assert.equal(
    shell(`${EDIT}; commit check`),
    [
      'Entering configuration mode.',
      'Kernel operations a commit would apply (6):',
      '  - service tcp 192.0.2.10:80-82  (web, 3 services)',
      '  + service tcp 192.0.2.10:443 wlc  (web)',
      '      + dest 198.51.100.1:443 nat weight 9',
      '      + dest 198.51.100.2:443 nat weight 1',
      '% Configuration check succeeded.',
      '',
    ].join('\n'),
  );
});

test('show | compare prints each header once; | display set prints only the change, without port 0', (t) => {
  const shell = labShell(t);
  assert.equal(
    shell(`${EDIT}; service web; forwarding tunnel; quorum 1; top; show | compare; service web; backend 198.51.100.3; top; show | compare | display set`),
    [
      'Entering configuration mode.',
      '[edit services web]',
      '+   description: front door',
      '-   ports: [80-82]',
      '+   ports: [443]',
      '+   quorum: 1',
      '[edit services web forwarding]',
      '-   method: nat',
      '+   method: tunnel',
      '[edit services web backends 198.51.100.1]',
      '-   weight: 5',
      '+   weight: 9',
      'service web',
      ' no port 80-82',
      ' description front door',
      ' port 443',
      ' forwarding tunnel',
      ' quorum 1',
      ' backend 198.51.100.1 weight 9',
      ' backend 198.51.100.3 weight 1',
      ' exit',
      '',
    ].join('\n'),
  );
  assert.equal(shell('show running-config | display set').split('\n').filter((l) => l.includes('backend')).join('\n'), [' backend 198.51.100.1 weight 5', ' backend 198.51.100.2 weight 1'].join('\n'));
});

test('keys the check type or the address family refuses are refused when typed, and change nothing', (t) => {
  const shell = labShellRaw(t);
  const r = shell(['--keep-going', '-c', 'configure; service web; health http query example.org; persistence 60 netmask 64; health https insecure sni lb.example; top; show | compare']);
  assert.equal(r.status, 1);
  assert.equal(
    r.stderr,
    [
      '% command 3: lb1[lab](config-svc-web)#health http query example.org',
      '% query is a setting of dns checks, not of http.',
      '% command 4: lb1[lab](config-svc-web)#persistence 60 netmask 64',
      '% netmask 64: an IPv4 service takes a prefix length 1-32 or a dotted mask (255.255.255.0).',
      '',
    ].join('\n'),
  );
  assert.equal(
    r.stdout,
    ['Entering configuration mode.', '[edit services web health]', '-   type: tcp', '+   type: https', '+   http:', '+     path: /', '+     method: GET', '+     expect_status: [200]', '+     insecure: true', '+     sni: lb.example', ''].join('\n'),
  );
});

test('a caret error gives the reason when one is known', (t) => {
  const shell = labShellRaw(t);
  const r = shell(['--keep-going', '-c', 'show running-config | include ab(c; terminal length 100000; configure; service a/b; commit comment nice change; service web; port 90-80']);
  assert.equal(r.status, 1);
  const reasons = r.stderr.split('\n').filter((l) => l.startsWith('% ') && !l.startsWith('% command') && !l.startsWith('% Invalid input'));
  assert.deepEqual(reasons, [
    '% Not a regular expression: /ab(c/: Unterminated group.',
    '% 100000 is out of range: 0 to 512.',
    '% "a/b": a name holds letters, digits, _ and -; "/" is not one of them.',
    '% Text of several words goes in double quotes: "nice change".',
    '% 90-80 runs backwards: write FROM-TO with FROM ≤ TO.',
  ]);
  assert.equal(r.stderr.split('\n').filter((l) => l === "% Invalid input detected at '^' marker.").length, 5, 'each under its caret');
});
