// `| display set` renders a configuration as the commands that build it: feeding them into a fresh session
// must rebuild an equal configuration (the round trip), for a configuration with every kind of field set.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applyDefaults } from '../../../config/defaults.js';
import { configsEqual } from '../../../config/equal.js';
import { diffConfig } from '../../../config/diff.js';
import { loadConfig } from '../../../config/load.js';
import { SCHEDULER_FLAGS, type Config } from '../../../config/model.js';
import { checkBytesWord, compareSet, displaySet } from '../../../modes/display-set.js';
import { prng, randomValidConfig } from '../../support/random-config.js';
import { splitCommands } from '../../../shell/split-commands.js';
import { fixture, RICH_CONFIG } from '../shell/session-fixture.js';


async function candidateOf(lines: string): Promise<Config> {
  const f = fixture();
  await f.run('configure');
  for (const l of lines.split('\n')) if (l.trim() !== '') await f.run(l);
  await f.run('top');
  return JSON.parse(await f.out('show | json')) as Config;
}

test('display set of a rich configuration rebuilds an equal configuration', async () => {
  const original = applyDefaults(RICH_CONFIG);
  const text = displaySet(original);
  const rebuilt = await candidateOf(text);
  assert.deepEqual(diffConfig(original, rebuilt), []);
  assert.ok(configsEqual(original, rebuilt), 'renderings differ');
  // The rebuilt configuration renders the same commands again.
  assert.equal(displaySet(rebuilt), text);
});

test('display set survives being a script: split into commands as `lbctl shell -c` does, it rebuilds the same', async () => {
  const original = applyDefaults(RICH_CONFIG);
  const script = 'configure; ' + displaySet(original).split('\n').join('; ');
  const f = fixture();
  for (const c of splitCommands(script)) await f.run(c.text);
  await f.run('top');
  const rebuilt = JSON.parse(await f.out('show | json')) as Config;
  assert.deepEqual(diffConfig(original, rebuilt), []);
});

test('display set of the defaults is empty, and of one service starts with "service NAME"', () => {
  assert.equal(displaySet(applyDefaults({})), '');
  const text = displaySet(applyDefaults(RICH_CONFIG), 'echo');
  assert.equal(text.split('\n')[0], 'service echo');
  assert.ok(!text.includes('service web'));
  assert.match(text, / payload "PING me"/);
  assert.match(text, / expect "PONG \\"x\\""/);
});

test('display set of the shipped examples rebuilds them', { skip: !existsSync(fileURLToPath(new URL('../../../../dist/examples', import.meta.url))) }, async () => {
  const loaded = loadConfig(fileURLToPath(new URL('../../../../dist/examples', import.meta.url)));
  assert.ok(loaded.config, loaded.errors.map((e) => e.message).join('\n'));
  const rebuilt = await candidateOf(displaySet(loaded.config!));
  assert.deepEqual(diffConfig(loaded.config!, rebuilt), []);
});


// `show | compare | display set` prints only the commands that turn running into the candidate. The property:
// replayed in configuration mode on top of running, they rebuild the candidate exactly, for random pairs of valid
// configurations (services of the same name differ in every field the generator varies) and for one-field edits.
/** Check bytes with line breaks as display set writes them (the same bytes in hex: see checkBytesWord). */
function typable(c: Config): Config {
  const hex = (v: string | undefined) => (v === undefined || !/[\t\n\r]/.test(v) ? v : checkBytesWord(v));
  for (const s of c.services) {
    if (s.health.payload !== undefined) s.health.payload = hex(s.health.payload);
    if (s.health.expect !== undefined) s.health.expect = hex(s.health.expect);
  }
  return c;
}

/** Some services and backends made inactive (Junos deactivate), so the pairs also turn it on and off. */
function deactivateSome(r: () => number, c: Config): Config {
  for (const s of c.services) {
    if (r() < 0.25) s.inactive = true;
    for (const b of s.backends) if (r() < 0.15) b.inactive = true;
  }
  return c;
}

async function replayedOnto(running: Config, script: string): Promise<Config> {
  const f = fixture({ config: running });
  await f.run('configure');
  for (const l of script.split('\n')) if (l.trim() !== '') await f.run(l);
  await f.run('top');
  return JSON.parse(await f.out('show | json')) as Config;
}

test('compare | display set replayed on running rebuilds the candidate (60 random pairs)', async () => {
  for (let seed = 1; seed <= 60; seed++) {
    const r = prng(seed);
    const running = deactivateSome(r, typable(applyDefaults(randomValidConfig(r, '/tmp/unused-audit.log'))));
    const candidate = deactivateSome(r, typable(applyDefaults(randomValidConfig(r, '/tmp/unused-audit.log'))));
    const script = compareSet(running, candidate);
    const rebuilt = await replayedOnto(running, script).catch((e: Error) => assert.fail(`seed ${seed}: ${e.message}\n${script}`));
    // Services in name order; scheduler flags and ports as sets (the shell's commands keep them in one order).
    const asSet = <T>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    const byName = (c: Config) => ({
      ...c,
      services: [...c.services]
        .sort((x, y) => x.name.localeCompare(y.name))
        .map((x) => ({ ...x, scheduler_flags: asSet(x.scheduler_flags), ports: asSet(x.ports), port_ranges: asSet(x.port_ranges) })),
    });
    assert.deepEqual(diffConfig(byName(candidate), byName(rebuilt)), [], `seed ${seed}:\n${script}`);
  }
});

test('compare | display set shows only what changed, with `no` for what goes', () => {
  const running = applyDefaults(RICH_CONFIG);
  assert.equal(compareSet(running, running), '');
  const candidate = structuredClone(running);
  const web = candidate.services.find((s) => s.name === 'web')!;
  web.backends[0].weight = 42;
  web.description = 'changed';
  candidate.services = candidate.services.filter((s) => s.name !== 'echo');
  const b = web.backends[0];
  assert.equal(
    compareSet(running, candidate),
    ['no service echo', 'service web', ' description changed', ` ${displaySet(candidate, 'web').split('\n').find((l) => l.startsWith(` backend ${b.address}`))!.trim()}`, ' exit', ''].join('\n'),
  );
});

test('display set leaves out port 0 unless a backend at the same address comes first', () => {
  const c = applyDefaults({ services: [{ name: 'a', vip: '192.0.2.1', ports: [80], backends: [{ address: '198.51.100.1' }, { address: '198.51.100.2', port: 8080 }, { address: '198.51.100.2' }] }] });
  assert.deepEqual(displaySet(c).split('\n').filter((l) => l.includes('backend')), [
    ' backend 198.51.100.1 weight 1',
    ' backend 198.51.100.2 port 8080 weight 1',
    ' backend 198.51.100.2 port 0 weight 1',
  ]);
});

// Every setting of a service renders its own lines (modes/service-settings.ts): typed into a fresh candidate,
// the lines of random complete services (every scheduler, forwarding, tunnel, persistence, threshold, sorry and
// health option the generator knows) give back the same services.
test('display set of random configurations, typed into a fresh candidate, gives them back (40 seeds)', async () => {
  // `scheduler sh sh-fallback sh-port` keeps the flags in the one order the shell knows them.
  const shellOrder = (c: Config) => {
    for (const s of c.services) s.scheduler_flags.sort((x, y) => SCHEDULER_FLAGS.indexOf(x) - SCHEDULER_FLAGS.indexOf(y));
    return c;
  };
  for (let seed = 101; seed <= 140; seed++) {
    const original = shellOrder(deactivateSome(prng(seed), typable(applyDefaults(randomValidConfig(prng(seed), '/tmp/unused-audit.log')))));
    const text = displaySet(original);
    const rebuilt = await candidateOf(text).catch((e: Error) => assert.fail(`seed ${seed}: ${e.message}\n${text}`));
    assert.deepEqual(diffConfig(original, rebuilt), [], `seed ${seed}:\n${text}`);
    assert.equal(displaySet(rebuilt), text, `seed ${seed}: the rebuilt configuration renders the same lines`);
  }
});
