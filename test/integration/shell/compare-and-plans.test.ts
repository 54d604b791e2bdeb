// Issue 12 point 5, in line mode with the real `lbctl shell --lab`: what `commit check` and `show | compare` print
// for a change that removes a port range and edits a backend. Exact output:
//   - a removal plan folds a port range as an addition does, and names the service it comes from;
//   - `show | compare` prints each [edit …] header once;
//   - `show | compare | display set` prints only the commands of the change (with `no` for what goes), and no
//     `port 0` for a backend on the service's port.
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

function labShell(t: { after(fn: () => void): void }) {
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
