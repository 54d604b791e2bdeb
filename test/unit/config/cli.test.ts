// `lbctl validate` and `lbctl show config` through the real argument router, with an IO that records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { main } from '../../../cli/main.js';
import { EXAMPLES_DIR, FIVE_MISTAKES, FIVE_MISTAKES_ERRORS, recordingIO, tempConfigDir } from './helpers.js';

test('validate on the shipped examples: exit 0 and a one-line summary', async () => {
  const io = recordingIO();
  assert.equal(await main(['validate', '--config', EXAMPLES_DIR], io), 0);
  assert.deepEqual(io.out, [`configuration OK: 5 services, 10 backends (${EXAMPLES_DIR.replace(/\/$/, '')})\n`]);
  assert.deepEqual(io.err, []);
  const quiet = recordingIO();
  assert.equal(await main(['validate', '-q', EXAMPLES_DIR], quiet), 0);
  assert.deepEqual(quiet.out, []);
});

test('validate takes the directory from LBCTL_CONFIG when no flag is given', async () => {
  const io = recordingIO({ LBCTL_CONFIG: EXAMPLES_DIR });
  assert.equal(await main(['validate'], io), 0);
  assert.match(io.out.join(''), /^configuration OK: 5 services/);
});

test('validate on a broken directory: every error on its own line on stderr, a summary, exit 1', async (t) => {
  const { dir, cleanup } = tempConfigDir({
    'config.yaml': 'vip: 192.0.2.1\ndaemon:\n  reconcile_intervall_ms: 100\n',
    'config.d/web.yaml': 'services:\n  - name: web\n    ports: [80]\n    backends:\n      - {address: 192.0.2.9, weight: -5}\n',
  });
  t.after(cleanup);
  const io = recordingIO();
  assert.equal(await main(['validate', '--config', dir], io), 1);
  assert.deepEqual(io.out, []);
  assert.deepEqual(io.err.join('').split('\n'), [
    'config.yaml:3:3: daemon.reconcile_intervall_ms: unknown key "reconcile_intervall_ms" (did you mean "reconcile_interval_ms"?)',
    'config.d/web.yaml:5:38: services[0].backends[0].weight: must be 0..2147483647, got -5',
    `2 errors (${dir})`,
    '',
  ]);
});

test('validate: unknown flags, extra words and a missing directory', async () => {
  const bad = recordingIO();
  assert.equal(await main(['validate', '--frobnicate'], bad), 2);
  assert.deepEqual(bad.err, ["lbctl: validate: unknown option '--frobnicate'. Run 'lbctl help validate' for the options.\n"]);
  const extra = recordingIO();
  assert.equal(await main(['validate', 'a', 'b'], extra), 2);
  assert.match(extra.err.join(''), /unexpected argument 'b'/);
  const both = recordingIO();
  assert.equal(await main(['validate', '--config', 'a', 'b'], both), 2);
  const missing = recordingIO();
  assert.equal(await main(['validate', '--config', '/nonexistent/lbctl'], missing), 1);
  assert.deepEqual(missing.err, ['/nonexistent/lbctl: cannot read: no such file or directory\n', '1 error (/nonexistent/lbctl)\n']);
});

test('validate --help and lbctl help validate print the usage', async () => {
  const io = recordingIO();
  assert.equal(await main(['help', 'validate'], io), 0);
  assert.match(io.out.join(''), /^usage: lbctl validate \[--config DIR\|FILE\]/);
});

test('show config: canonical YAML, JSON with defaults, errors exit 1, bad format exit 2', async (t) => {
  const { dir, cleanup } = tempConfigDir({ 'config.yaml': '# c\nvip: 192.0.2.1\nservices:\n  - {name: a, ports: [80, 7000-7001], scheduler: wlc}\n' });
  t.after(cleanup);
  const yaml = recordingIO();
  assert.equal(await main(['show', 'config', '--config', dir], yaml), 0);
  assert.equal(yaml.out.join(''), 'vip: 192.0.2.1\nservices:\n  - name: a\n    ports: [80, 7000-7001]\n');
  const json = recordingIO();
  assert.equal(await main(['show', 'config', '--config', dir, '--format', 'json'], json), 0);
  const model = JSON.parse(json.out.join(''));
  assert.deepEqual(model.services[0].ports, [80, { from: 7000, to: 7001 }]);
  assert.equal(model.services[0].scheduler, 'wlc');
  assert.equal(model.daemon.revisions_kept, 50);
  const full = recordingIO();
  assert.equal(await main(['show', 'config', '--config', dir, '--defaults'], full), 0);
  assert.match(full.out.join(''), /revisions_kept: 50/);
  const fmt = recordingIO();
  assert.equal(await main(['show', 'config', '--config', dir, '--format', 'xml'], fmt), 2);
  assert.deepEqual(fmt.err, ["lbctl: show config: --format must be yaml or json, got 'xml'\n"]);
  const { dir: badDir, cleanup: c2 } = tempConfigDir({ 'config.yaml': 'vip: 300.1.1.1\n' });
  t.after(c2);
  const bad = recordingIO();
  assert.equal(await main(['show', 'config', '--config', badDir], bad), 1);
  assert.deepEqual(bad.err, ['config.yaml:1:6: vip: must be an IPv4 or IPv6 address, got "300.1.1.1"\n', `1 error (${badDir})\n`]);
});

test('validate on a file with five different mistakes: five located errors, exit 1', async (t) => {
  const { dir, cleanup } = tempConfigDir({ 'config.d/web.yaml': FIVE_MISTAKES });
  t.after(cleanup);
  const io = recordingIO();
  assert.equal(await main(['validate', '--config', dir], io), 1);
  assert.deepEqual(io.err.join('').split('\n'), [...FIVE_MISTAKES_ERRORS, `5 errors (${dir})`, '']);
});

test('validate --json: one object on stdout, the same exit codes', async (t) => {
  const ok = recordingIO();
  assert.equal(await main(['validate', '--json', EXAMPLES_DIR], ok), 0);
  const good = JSON.parse(ok.out.join(''));
  assert.equal(good.ok, true);
  assert.deepEqual([good.services, good.backends, good.errors], [5, 10, []]);
  const { dir, cleanup } = tempConfigDir({ 'config.d/web.yaml': FIVE_MISTAKES });
  t.after(cleanup);
  const bad = recordingIO();
  assert.equal(await main(['validate', '--json', '--config', dir], bad), 1);
  const report = JSON.parse(bad.out.join(''));
  assert.equal(report.ok, false);
  assert.deepEqual(report.errors[1], { file: 'config.d/web.yaml', line: 14, column: 17, path: 'services[0].backends[2].weight', message: 'must be 0..2147483647, got -5' });
  assert.deepEqual(bad.err, []);
});

test('validate --lab and show config --lab seed a fresh lab as the other --lab commands do', async (t) => {
  const { dir: home, cleanup } = tempConfigDir({});
  t.after(cleanup);
  const io = recordingIO({ HOME: home });
  assert.equal(await main(['validate', '--lab'], io), 0, io.err.join(''));
  assert.match(io.err.join(''), /^lab: seeded .*\.lbctl-lab\/config from /);
  assert.match(io.out.join(''), /^configuration OK: 5 services, 10 backends \(.*\.lbctl-lab\/config\)/);

  const { dir: home2, cleanup: cleanup2 } = tempConfigDir({});
  t.after(cleanup2);
  const show = recordingIO({ HOME: home2 });
  assert.equal(await main(['show', 'config', '--lab'], show), 0, show.err.join(''));
  assert.match(show.out.join(''), /^services:|\nservices:/);
  // Seeded once: a second run says nothing about seeding.
  const again = recordingIO({ HOME: home2 });
  assert.equal(await main(['show', 'config', '--lab'], again), 0);
  assert.deepEqual(again.err, []);
});
