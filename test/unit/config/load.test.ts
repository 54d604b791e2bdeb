import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatConfigError, loadConfig, loadConfigTexts, parseConfigText } from '../../../config/load.js';
import { renderConfigFiles } from '../../../config/render.js';
import { effectiveVip, expandPorts } from '../../../config/derive.js';
import { ISSUE_EXAMPLE, tempConfigDir } from './helpers.js';

const CONFIG_WITH_VIP = '# the pair\'s VIP, held by VRRP\nvip: 203.0.113.10\n';

test('the issue example in config.d/ beside a config.yaml with a default VIP loads unchanged and validates', (t) => {
  const { dir, cleanup } = tempConfigDir({ 'config.yaml': CONFIG_WITH_VIP, 'config.d/libraflux.yaml': ISSUE_EXAMPLE });
  t.after(cleanup);
  const r = loadConfig(dir);
  assert.deepEqual(r.errors.map(formatConfigError), []);
  assert.ok(r.config);
  assert.deepEqual(r.files.map((f) => f.path), ['config.yaml', 'config.d/libraflux.yaml']);
  assert.equal(r.layout, 'directory');
  const [udp, pg] = r.config.services;
  assert.equal(udp.name, 'switchboard-udp');
  assert.equal(udp.protocol, 'udp');
  assert.deepEqual(udp.ports, [{ from: 7543, to: 7814 }]);
  assert.equal(expandPorts(udp).length, 272);
  assert.equal(udp.vip, undefined, 'the service names no vip: the model keeps it absent');
  assert.equal(effectiveVip(r.config, udp), '203.0.113.10');
  assert.deepEqual(udp.backends, [{ address: '192.168.94.22', port: 0, weight: 1, enabled: true }]);
  assert.equal(udp.health.type, 'udp_echo');
  assert.equal(udp.health.payload, 'PING');
  assert.equal(udp.health.expect, 'PING');
  assert.equal(udp.scheduler, 'wlc', 'default scheduler');
  assert.equal(pg.name, 'postgres-cluster');
  assert.deepEqual(pg.ports, [5432]);
  assert.deepEqual(pg.port_ranges, []);
  assert.equal(pg.scheduler, 'lc');
  assert.deepEqual(
    pg.backends.map((b) => [b.address, b.port, b.weight]),
    [
      ['192.168.1.101', 5432, 100],
      ['192.168.1.102', 5432, 100],
    ],
  );
  assert.deepEqual(pg.health, { enabled: true, type: 'tcp', port: 5432, interval_ms: 10000, timeout_ms: 3000, fail_after: 3, recover_after: 2 });
});

test("the issue example's comments survive renderConfigFiles(previous), unchanged and after an edit", (t) => {
  const { dir, cleanup } = tempConfigDir({ 'config.yaml': CONFIG_WITH_VIP, 'config.d/libraflux.yaml': ISSUE_EXAMPLE });
  t.after(cleanup);
  const r = loadConfig(dir);
  assert.ok(r.config);
  // Unchanged: the exact bytes come back.
  const same = renderConfigFiles(r.config, r.files);
  assert.equal(same.get('config.d/libraflux.yaml'), ISSUE_EXAMPLE);
  assert.equal(same.get('config.yaml'), CONFIG_WITH_VIP);
  // Edited: the comment, the flow maps and the quoting stay; only the weight changes.
  const edited = structuredClone(r.config);
  edited.services[1].backends[0].weight = 50;
  const files = renderConfigFiles(edited, r.files);
  const text = files.get('config.d/libraflux.yaml') ?? '';
  assert.match(text, /type: udp_echo # udp_echo, tcp, \.\.\./);
  assert.match(text, /payload: "PING"/);
  assert.match(text, /- \{ ?address: 192\.168\.1\.101, port: 5432, weight: 50 ?\}/);
  assert.match(text, /port_ranges: \[\]/);
  assert.equal(files.get('config.yaml'), CONFIG_WITH_VIP, 'a file with no change keeps its bytes');
  const again = loadConfigTexts([...files].map(([path, text]) => ({ path, text })));
  assert.deepEqual(again.errors, []);
  assert.deepEqual(again.config, edited);
});

test('a single YAML file is a configuration too; parseConfigText reads one document', (t) => {
  const { dir, cleanup } = tempConfigDir({ 'lb.yaml': CONFIG_WITH_VIP + ISSUE_EXAMPLE });
  t.after(cleanup);
  const r = loadConfig(`${dir}/lb.yaml`);
  assert.deepEqual(r.errors, []);
  assert.equal(r.layout, 'file');
  assert.deepEqual(r.files.map((f) => f.path), ['lb.yaml']);
  assert.equal(r.config?.services.length, 2);
  const p = parseConfigText('vip: 192.0.2.1\nservices:\n  - {name: a, ports: [80], backends: [{address: 192.0.2.9}]}\n', 'inline.yaml');
  assert.deepEqual(p.errors, []);
  assert.equal(p.config?.services[0].backends[0].weight, 1);
});

test('services of all files merge in file-name order; error paths index within their own file', (t) => {
  const { dir, cleanup } = tempConfigDir({
    'config.yaml': 'vip: 192.0.2.1\nservices:\n  - {name: top, ports: [1]}\n',
    'config.d/b.yaml': 'services:\n  - {name: b1, ports: [3]}\n  - {name: b2, ports: [4], backends: [{address: 192.0.2.5, weight: -1}]}\n',
    'config.d/a.yaml': 'services:\n  - {name: a1, ports: [2]}\n',
    'config.d/notes.txt': 'not yaml: ignored',
  });
  t.after(cleanup);
  const r = loadConfig(dir);
  assert.deepEqual(r.files.map((f) => f.path), ['config.yaml', 'config.d/a.yaml', 'config.d/b.yaml']);
  assert.deepEqual(r.errors.map(formatConfigError), ['config.d/b.yaml:3:68: services[1].backends[0].weight: must be 0..2147483647, got -1']);
  assert.equal(r.config, null);
  const fixed = loadConfigTexts(r.files.map((f) => ({ path: f.path, text: f.text.replace('weight: -1', 'weight: 1') })));
  assert.deepEqual(fixed.config?.services.map((s) => s.name), ['top', 'a1', 'b1', 'b2']);
});

test('a section may appear in one file only', () => {
  const r = loadConfigTexts([
    { path: 'config.yaml', text: 'daemon:\n  revisions_kept: 60\n' },
    { path: 'config.d/x.yaml', text: 'services: []\ndaemon:\n  revisions_kept: 70\n' },
  ]);
  assert.deepEqual(r.errors.map(formatConfigError), [
    'config.d/x.yaml:2:1: daemon: is already set in config.yaml:1:1; each section may appear in one file only',
  ]);
});

test('YAML syntax errors are located and every file is still checked', () => {
  const r = loadConfigTexts([
    { path: 'config.yaml', text: 'vip: 192.0.2.1\nvip: 192.0.2.2\n' },
    { path: 'config.d/a.yaml', text: 'services:\n  - name: a\n    ports: [80\n' },
    { path: 'config.d/b.yaml', text: 'services:\n  - {name: b, ports: [80], protocol: tcpp}\n' },
  ]);
  assert.deepEqual(r.errors.map(formatConfigError), [
    'config.yaml:2:1: duplicate key "vip": each key may appear once in a mapping',
    'config.d/a.yaml:4:1: Flow sequence in block collection must be sufficiently indented and end with a ]',
    'config.d/b.yaml:2:38: services[0].protocol: must be one of tcp, udp, sctp, got "tcpp" (did you mean "tcp"?)',
  ]);
});

test('file-level shape errors: a list at the top, services not a list', () => {
  const r = loadConfigTexts([
    { path: 'config.yaml', text: '- 1\n- 2\n' },
    { path: 'config.d/a.yaml', text: '# web\nservices: {name: a}\n' },
  ]);
  assert.deepEqual(r.errors.map(formatConfigError), [
    'config.yaml:1:1: must be a mapping of sections (services:, daemon:, ...), not a list or a scalar',
    'config.d/a.yaml:2:11: services: must be a list of services',
  ]);
});

test('a missing path is an error naming it; an existing empty directory is an empty configuration', (t) => {
  const missing = loadConfig('/nonexistent/lbctl-config-test');
  assert.equal(missing.config, null);
  assert.deepEqual(missing.errors.map(formatConfigError), ['/nonexistent/lbctl-config-test: cannot read: no such file or directory']);
  const { dir, cleanup } = tempConfigDir({});
  t.after(cleanup);
  const empty = loadConfig(dir);
  assert.deepEqual(empty.errors, []);
  assert.deepEqual(empty.config?.services, []);
  assert.equal(empty.files.length, 0);
});

test('empty files, null sections and `key:` with no value load as absent', () => {
  const r = loadConfigTexts([
    { path: 'config.yaml', text: '' },
    { path: 'config.d/a.yaml', text: 'services:\n  - name: a\n    vip: 192.0.2.1\n    description:\n    ports: [80]\n    port_ranges:\n    health:\n' },
    { path: 'config.d/b.yaml', text: '# only a comment\n' },
  ]);
  assert.deepEqual(r.errors, []);
  const s = r.config!.services[0];
  assert.equal('description' in s, false);
  assert.deepEqual(s.port_ranges, []);
  assert.equal(s.health.type, 'tcp');
});

test('YAML that parses but is no data (a merge key on a scalar) is an error, not a silently empty file', () => {
  const r = loadConfigTexts([{ path: 'config.d/a.yaml', text: 'services:\n  - name: a\n    <<: 5\n' }]);
  assert.equal(r.config, null);
  assert.deepEqual(r.errors.map(formatConfigError), ['config.d/a.yaml:1:1: cannot be read as data: Merge sources must be maps or map aliases']);
});
