import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig, loadConfigTexts, parseConfigText } from '../../../config/load.js';
import { renderConfigFiles, renderYaml } from '../../../config/render.js';
import { applyDefaults } from '../../../config/defaults.js';
import { configHash, configsEqual } from '../../../config/equal.js';
import type { Config } from '../../../config/model.js';
import { EXAMPLES_DIR } from './helpers.js';

const textsOf = (files: Map<string, string>) => [...files].map(([path, text]) => ({ path, text }));

function examples(): ReturnType<typeof loadConfig> & { config: Config } {
  const r = loadConfig(EXAMPLES_DIR);
  assert.deepEqual(r.errors, []);
  assert.ok(r.config);
  return r as ReturnType<typeof loadConfig> & { config: Config };
}

test('canonical YAML: schema key order, defaults omitted, ranges as written, flow lists of scalars', () => {
  const c = applyDefaults({
    services: [
      { backends: [{ weight: 5, address: '192.0.2.10' }], ports: [80, '7000-7010'], name: 'web', vip: '192.0.2.1', scheduler: 'rr', scheduler_flags: [] },
      { name: 'dns', protocol: 'udp', vip: '192.0.2.1', ports: [53], health: { type: 'dns', dns: { query: 'example.net' } } },
    ],
    vip: '203.0.113.1',
    node: { name: 'lb1' },
    daemon: { revisions_kept: 50, reconcile_interval_ms: 2000 },
  });
  assert.equal(
    renderYaml(c),
    `node:
  name: lb1
vip: 203.0.113.1
daemon:
  reconcile_interval_ms: 2000
services:
  - name: web
    vip: 192.0.2.1
    ports: [80, 7000-7010]
    scheduler: rr
    backends:
      - address: 192.0.2.10
        weight: 5

  - name: dns
    vip: 192.0.2.1
    protocol: udp
    ports: [53]
    health:
      type: dns
      dns:
        query: example.net
        record_type: A
`,
  );
});

test('canonical YAML is stable: the same model however built gives the same bytes and hash', () => {
  const a = applyDefaults({ vip: '192.0.2.1', services: [{ name: 'a', ports: ['80'], backends: [{ address: '192.0.2.9', port: 0 }] }] });
  const b = applyDefaults({
    services: [{ health: { recover_after: 2, type: 'tcp' }, enabled: true, backends: [{ enabled: true, address: '192.0.2.9' }], ports: [80], name: 'a' }],
    vip: '192.0.2.1',
    daemon: { limits: { max_services: 10000 } },
  });
  assert.equal(renderYaml(a), renderYaml(b));
  assert.ok(configsEqual(a, b));
  assert.equal(configHash(a), configHash(b));
  assert.match(configHash(a), /^[0-9a-f]{64}$/);
  const two = applyDefaults({ vip: '192.0.2.1', services: [{ name: 'a', ports: [80] }, { name: 'b', ports: [81] }] });
  const swapped = structuredClone(two);
  swapped.services.reverse();
  assert.ok(configsEqual(two, swapped), 'the order of services is no change');
  assert.notEqual(configHash(two), configHash(swapped), 'the hash is of the exact rendering');
  const c = structuredClone(a);
  c.services[0].backends[0].weight = 2;
  assert.ok(!configsEqual(a, c));
  assert.notEqual(configHash(a), configHash(c));
  // Rendering twice, or rendering what was rendered, changes nothing.
  const again = parseConfigText(renderYaml(a), 'x.yaml');
  assert.equal(renderYaml(again.config!), renderYaml(a));
});

test('withDefaults writes every field and still round-trips', () => {
  const { config } = examples();
  const full = renderYaml(config, { withDefaults: true });
  assert.match(full, /reconcile_interval_ms: 5000/);
  assert.match(full, /on_down: inhibit/);
  assert.match(full, /state_cache:\n {4}enabled: true\n {4}ttl_ms: 1000/);
  assert.deepEqual(parseConfigText(full, 'full.yaml').config, config);
});

test('round trip on the examples: load → renderYaml → load gives an equal model', () => {
  const { config } = examples();
  const back = parseConfigText(renderYaml(config), 'config.yaml');
  assert.deepEqual(back.errors, []);
  assert.deepEqual(back.config, config);
});

test('round trip on the examples through renderConfigFiles, canonical and in place', () => {
  const r = examples();
  const canonical = renderConfigFiles(r.config);
  assert.deepEqual([...canonical.keys()], ['config.yaml', 'config.d/dns-dr.yaml', 'config.d/switchboard-udp.yaml', 'config.d/postgres-cluster.yaml', 'config.d/web.yaml', 'config.d/web6.yaml']);
  assert.deepEqual(loadConfigTexts(textsOf(canonical)).config, r.config);
  const inPlace = renderConfigFiles(r.config, r.files);
  for (const f of r.files) assert.equal(inPlace.get(f.path), f.text, `${f.path} unchanged byte for byte`);
  assert.deepEqual(loadConfigTexts(textsOf(inPlace)).config, r.config);
});

test('renderConfigFiles(previous): edits in place, new services get their own file, emptied files are dropped', () => {
  const r = examples();
  const c = structuredClone(r.config);
  const web = c.services.find((s) => s.name === 'web')!;
  web.backends.push({ address: '198.51.100.14', port: 0, weight: 100, enabled: true });
  web.backends.splice(0, 1); // remove 198.51.100.11
  web.scheduler = 'rr';
  c.services = c.services.filter((s) => s.name !== 'web6' && s.name !== 'postgres-cluster');
  c.services.push({ ...structuredClone(web), name: 'api', vip: '192.0.2.11' });
  c.daemon.revisions_kept = 100;
  const files = renderConfigFiles(c, r.files);
  assert.equal(files.has('config.d/web6.yaml'), false, 'a file whose only service was removed is left out');
  assert.ok(files.has('config.d/api.yaml'));
  const webText = files.get('config.d/web.yaml')!;
  assert.match(webText, /^# A public web service/, 'the file comment stays');
  assert.match(webText, /scheduler: rr # weighted least-connection \(the default\)/, 'the inline comment stays with its key');
  assert.doesNotMatch(webText, /198\.51\.100\.11/);
  assert.match(webText, /weight: 50 # a smaller machine: half the share\n {6}- address: 198\.51\.100\.14\n {8}weight: 100\n/);
  const sb = files.get('config.d/switchboard.yaml')!;
  assert.doesNotMatch(sb, /postgres/);
  assert.match(sb, /type: udp_echo # udp_echo, tcp, \.\.\./);
  assert.match(files.get('config.yaml')!, /revisions_kept: 100 # committed revisions kept for `rollback N`/);
  assert.equal(files.get('config.d/dns-dr.yaml'), r.files.find((f) => f.path === 'config.d/dns-dr.yaml')!.text);
  const back = loadConfigTexts(textsOf(files));
  assert.deepEqual(back.errors, []);
  assert.deepEqual(back.config, c);
});

test('renderConfigFiles(previous): a new global section goes to config.yaml, created if missing; defaults stay unwritten', () => {
  const prev = loadConfigTexts([{ path: 'config.d/a.yaml', text: '# mine\nservices:\n  - {name: a, vip: 192.0.2.1, ports: [80]}\n' }]);
  assert.ok(prev.config);
  const c = structuredClone(prev.config);
  c.vip = '203.0.113.1';
  c.node.name = 'lb2';
  const files = renderConfigFiles(c, prev.files);
  assert.equal(files.get('config.yaml'), 'node:\n  name: lb2\nvip: 203.0.113.1\n');
  assert.equal(files.get('config.d/a.yaml'), '# mine\nservices:\n  - {name: a, vip: 192.0.2.1, ports: [80]}\n');
  assert.deepEqual(loadConfigTexts(textsOf(files)).config, c);
});

test('renderConfigFiles(previous): the single-file layout keeps everything in its one file', () => {
  const prev = loadConfigTexts([{ path: 'lb.yaml', text: '# all in one\nvip: 192.0.2.1\nservices:\n  - name: a # first\n    ports: [80]\n' }], 'file');
  const c = structuredClone(prev.config!);
  c.services.push(applyDefaults({ services: [{ name: 'b', ports: [81] }] }).services[0]);
  const files = renderConfigFiles(c, prev.files, { layout: prev.layout });
  assert.deepEqual([...files.keys()], ['lb.yaml']);
  assert.equal(files.get('lb.yaml'), '# all in one\nvip: 192.0.2.1\nservices:\n  - name: a # first\n    ports: [80]\n\n  - name: b\n    ports: [81]\n');
  c.services = [];
  c.vip = undefined;
  assert.deepEqual(Object.fromEntries(renderConfigFiles(c, prev.files, { layout: 'file' })), { 'lb.yaml': '# all in one\n' }, 'the one file is kept, emptied, with its leading comment');
});

test('renderConfigFiles(previous): a value changed to its default keeps its key; an absent default is not added', () => {
  const prev = loadConfigTexts([{ path: 'config.yaml', text: 'vip: 192.0.2.1\nservices:\n  - name: a\n    ports: [80]\n    scheduler: rr\n' }]);
  const c = structuredClone(prev.config!);
  c.services[0].scheduler = 'wlc';
  const text = renderConfigFiles(c, prev.files).get('config.yaml');
  assert.equal(text, 'vip: 192.0.2.1\nservices:\n  - name: a\n    ports: [80]\n    scheduler: wlc\n');
});

test('canonical files without previous: config.yaml for the globals, one file per service', () => {
  const c = applyDefaults({ services: [{ name: 'a', vip: '192.0.2.1', ports: [80] }] });
  const files = renderConfigFiles(c);
  assert.deepEqual(Object.fromEntries(files), {
    'config.yaml': '# lbctl configuration: every global setting is at its default; services are in config.d/\n',
    'config.d/a.yaml': 'services:\n  - name: a\n    vip: 192.0.2.1\n    ports: [80]\n',
  });
  assert.deepEqual(loadConfigTexts(textsOf(files)).config, c);
});

/** A small deterministic generator of valid configurations, for round trips beyond the examples. */
function* generated(count: number): Generator<Config> {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)];
  for (let i = 0; i < count; i++) {
    const services = [];
    const n = rnd(4);
    for (let j = 0; j < n; j++) {
      const protocol = pick(['tcp', 'udp'] as const);
      const v6 = rnd(3) === 0;
      const vip = v6 ? `2001:db8::${j + 1}` : `192.0.2.${j + 1}`;
      const backends = Array.from({ length: rnd(4) }, (_, k) => ({
        address: v6 ? `2001:db8:1::${k + 1}` : `198.51.100.${k + 1}`,
        port: pick([0, 8080]),
        weight: rnd(1000),
        ...(rnd(4) === 0 ? { enabled: false } : {}),
      }));
      services.push({
        name: `svc-${j}`,
        ...(rnd(2) ? { description: pick(['a: colon', '#hash', 'plain', "it's", '  spaced  ', 'yes', '123']) } : {}),
        vip,
        protocol,
        ports: rnd(2) ? [1000 + rnd(100)] : [`${2000 + j * 100}-${2050 + j * 100}`],
        scheduler: pick(['wlc', 'rr', 'lc', 'mh'] as const),
        backends,
        health: protocol === 'tcp' ? { type: pick(['tcp', 'http', 'none'] as const), interval_ms: 1000 + rnd(5) * 1000 } : { type: pick(['udp_echo', 'none'] as const), payload: 'PING' },
        ...(rnd(3) === 0 ? { persistence: { timeout: 1 + rnd(1000) } } : {}),
      });
    }
    const c = applyDefaults({ node: rnd(2) ? { name: 'lb-1' } : {}, daemon: { reconcile_interval_ms: 1000 + rnd(10) * 100 }, services });
    // Payload only fits udp_echo/tcp: drop it elsewhere, so every generated configuration is valid.
    for (const s of c.services) if (s.health.type !== 'udp_echo' && s.health.type !== 'tcp') delete s.health.payload;
    yield c;
  }
}

test('round trip on 200 generated configurations: renderYaml and both renderConfigFiles modes', () => {
  let checked = 0;
  for (const c of generated(200)) {
    const y = parseConfigText(renderYaml(c), 'c.yaml');
    assert.deepEqual(y.errors, [], renderYaml(c));
    assert.deepEqual(y.config, c);
    const files = renderConfigFiles(c);
    const loaded = loadConfigTexts(textsOf(files));
    assert.deepEqual(loaded.config, c);
    // Edit the first service and render onto the loaded files: still equal.
    const edited = structuredClone(c);
    if (edited.services[0]) edited.services[0].scheduler = edited.services[0].scheduler === 'rr' ? 'wlc' : 'rr';
    const again = loadConfigTexts(textsOf(renderConfigFiles(edited, loaded.files)));
    assert.deepEqual(again.config, edited);
    checked++;
  }
  assert.equal(checked, 200);
});

test('renderConfigFiles(previous): a file that does not parse is replaced, its content placed as if it were new', () => {
  const good = loadConfigTexts([{ path: 'config.yaml', text: '# keep\nvip: 192.0.2.1\n' }, { path: 'config.d/a.yaml', text: 'services:\n  - {name: a, ports: [80]}\n' }]);
  const broken = loadConfigTexts([good.files[0], { path: 'config.d/a.yaml', text: 'services:\n  - {name: a, ports: [80\n' }]);
  assert.notEqual(broken.errors.length, 0);
  const files = renderConfigFiles(good.config!, broken.files);
  assert.deepEqual(Object.fromEntries(files), {
    'config.yaml': '# keep\nvip: 192.0.2.1\n',
    'config.d/a.yaml': 'services:\n  - name: a\n    ports: [80]\n',
  });
});

test('renderConfigFiles(previous): `key:` with no value stays while its value is the default', () => {
  const text = 'vip: 192.0.2.1\nservices:\n  - name: a\n    ports: [80]\n    port_ranges:\n    description:\n';
  const prev = loadConfigTexts([{ path: 'config.yaml', text }]);
  assert.equal(renderConfigFiles(prev.config!, prev.files).get('config.yaml'), text);
  const c = structuredClone(prev.config!);
  c.services[0].port_ranges = [{ from: 7000, to: 7001 }];
  assert.equal(
    renderConfigFiles(c, prev.files).get('config.yaml'),
    'vip: 192.0.2.1\nservices:\n  - name: a\n    ports: [80]\n    port_ranges: [7000-7001]\n    description:\n',
  );
});

test('renderConfigFiles(previous): a comment-only file stays; a file emptied by the change is dropped', () => {
  const prev = loadConfigTexts([
    { path: 'config.yaml', text: '# globals are all default\n' },
    { path: 'config.d/a.yaml', text: 'services:\n  - {name: a, vip: 192.0.2.1, ports: [80]}\n' },
    { path: 'config.d/b.yaml', text: 'services:\n  - {name: b, vip: 192.0.2.1, ports: [81]}\n' },
  ]);
  const c = structuredClone(prev.config!);
  c.services = c.services.filter((s) => s.name !== 'b');
  assert.deepEqual([...renderConfigFiles(c, prev.files).keys()], ['config.yaml', 'config.d/a.yaml']);
  assert.equal(renderConfigFiles(c, prev.files).get('config.yaml'), '# globals are all default\n');
});

test('renderConfigFiles(previous): the header comment survives when the first section is removed', () => {
  const prev = loadConfigTexts([{ path: 'config.yaml', text: '# site A balancer\nnode:\n  name: lb1\nvip: 192.0.2.1 # VRRP\n' }]);
  const c = structuredClone(prev.config!);
  delete c.node.name;
  const text = renderConfigFiles(c, prev.files).get('config.yaml')!;
  assert.equal(text, '# site A balancer\n\nvip: 192.0.2.1 # VRRP\n');
  assert.match(text, /vip: 192\.0\.2\.1 # VRRP\n/);
  assert.deepEqual(loadConfigTexts([{ path: 'config.yaml', text }]).config, c);
});

test('80 random edit sequences on the examples render in place and load back to the edited model', () => {
  const r = examples();
  let seed = 777;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  let extra = 0;
  const edits: ((c: Config) => void)[] = [
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (s?.backends.length) s.backends[rnd(s.backends.length)].weight = rnd(500);
    },
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (!s) return;
      const v6 = s.vip?.includes(':') ?? false;
      s.backends.push({ address: v6 ? `2001:db8:9::${++extra}` : `198.51.100.${100 + (++extra % 150)}`, port: 0, weight: 1 + rnd(9), enabled: true });
    },
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (s?.backends.length) s.backends.splice(rnd(s.backends.length), 1);
    },
    (c) => void (c.services.length > 1 && c.services.splice(rnd(c.services.length), 1)),
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (!s) return;
      const v6 = s.vip?.includes(':') ?? false;
      c.services.push({ ...structuredClone(s), name: `new-${++extra}`, vip: v6 ? `2001:db8:f::${extra}` : `203.0.113.${100 + (extra % 150)}`, backends: [] });
    },
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (s) s.health.interval_ms = s.health.timeout_ms + (1 + rnd(20)) * 500;
    },
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (s) s.description = rnd(2) ? `edited #${extra}: yes` : undefined;
      if (s && s.description === undefined) delete s.description;
    },
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (s) s.persistence = s.persistence ? undefined : { timeout: 1 + rnd(600) };
      if (s && s.persistence === undefined) delete s.persistence;
    },
    (c) => void (c.daemon.reconcile_interval_ms = 1000 + rnd(10) * 1000),
    (c) => {
      c.node.name = rnd(2) ? `lb-${rnd(9)}` : undefined;
      if (c.node.name === undefined) delete c.node.name;
    },
    (c) => {
      const s = c.services[rnd(c.services.length)];
      if (s) s.scheduler = (['rr', 'wlc', 'lc', 'sh'] as const)[rnd(4)];
      if (s && s.scheduler !== 'mh') s.scheduler_flags = [];
    },
  ];
  for (let trial = 0; trial < 80; trial++) {
    let files = r.files;
    let model = r.config;
    for (let step = 0; step < 3; step++) {
      const next = structuredClone(model);
      for (let k = 0; k < 1 + rnd(3); k++) edits[rnd(edits.length)](next);
      const rendered = renderConfigFiles(next, files);
      const back = loadConfigTexts(textsOf(rendered));
      assert.deepEqual(back.errors, [], `trial ${trial} step ${step}`);
      assert.ok(configsEqual(back.config!, next), `trial ${trial} step ${step}: loads back to the edited model`);
      // Comments of files that still exist survive every edit.
      for (const [path, text] of rendered) {
        const before = r.files.find((f) => f.path === path);
        const firstComment = before?.text.split('\n').find((l) => l.startsWith('# '));
        if (firstComment) assert.ok(text.includes(firstComment), `trial ${trial}: ${path} keeps "${firstComment}"`);
      }
      files = back.files;
      model = back.config!;
    }
  }
});

test('anchors, aliases and merge keys: they load; an edit through one never leaks into another', () => {
  const text = `vip: 192.0.2.1
services:
  - name: a
    ports: [80]
    health: &hc {type: tcp, interval_ms: 5000}
  - name: b
    ports: [81]
    health: *hc
  - name: c
    ports: [82]
    health:
      <<: *hc
      fail_after: 5
`;
  const r = loadConfigTexts([{ path: 'config.yaml', text }]);
  assert.deepEqual(r.errors, []);
  assert.deepEqual(r.config!.services.map((s) => [s.health.interval_ms, s.health.fail_after]), [[5000, 3], [5000, 3], [5000, 5]]);
  assert.equal(renderConfigFiles(r.config!, r.files).get('config.yaml'), text, 'unchanged: anchors and all');
  const c = structuredClone(r.config!);
  c.services[0].health.interval_ms = 7000;
  const out = renderConfigFiles(c, r.files).get('config.yaml')!;
  const back = loadConfigTexts([{ path: 'config.yaml', text: out }]);
  assert.deepEqual(back.config!.services.map((s) => [s.health.interval_ms, s.health.fail_after]), [[7000, 3], [5000, 3], [5000, 5]]);
  assert.ok(configsEqual(back.config!, c));
});
