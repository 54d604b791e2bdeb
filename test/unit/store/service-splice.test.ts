// A changed service rendered alone into its file's text (store/service-splice.ts): the rest of the file keeps
// every byte (comments, spacing, flow mappings, the other services), the service's own comments stay, and a
// file that is not laid out plainly is left to the whole-file renderer (null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { edit, loadConfigText, sections, services } from './splice-fixtures.js';
import { spliceServices } from '../../../store/service-splice.js';
import type { Service } from '../../../config/model.js';

const FILE =
  '# edge services, kept by hand\n' +
  'services:\n' +
  '  - name: web   # the public site\n' +
  '    vip: 192.0.2.1\n' +
  '    ports: [80]\n' +
  '    backends:\n' +
  '      - {address: 198.51.100.1,  port: 8080, weight: 5}   # rack 1\n' +
  '      - {address: 198.51.100.2, port: 8080, weight: 5}\n' +
  '\n' +
  '  # the API, moved here in March\n' +
  '  - name: api\n' +
  '    vip: 192.0.2.2\n' +
  '    ports: [443]\n' +
  '    persistence: {}\n' +
  '    backends: [{address: 198.51.100.3, port: 8443}]\n' +
  '  - name: mail\n' +
  '    vip: 192.0.2.3\n' +
  '    ports: [25]\n' +
  '    backends:\n' +
  '      - address: 198.51.100.4\n';


test('only the changed item is rewritten; every other byte of the file stays', () => {
  const web = edit(FILE, 'web', (s) => (s.backends[0].weight = 9));
  const out = spliceServices(FILE, 'config.d/edge.yaml', [web], sections());
  assert.ok(out !== null);
  const before = FILE.split('\n');
  const after = out.split('\n');
  // The header and the other services' lines, comments and blank line included, are the same lines.
  assert.deepEqual(after.slice(0, 2), before.slice(0, 2));
  const apiAt = (lines: string[]) => lines.indexOf('  # the API, moved here in March');
  assert.deepEqual(after.slice(apiAt(after) - 1), before.slice(apiAt(before) - 1));
  assert.match(out, /- name: web +# the public site/, 'the item keeps its own comment');
  assert.match(out, /# rack 1/);
  const loaded = services(out);
  assert.equal(loaded.find((s) => s.name === 'web')!.backends[0].weight, 9);
  assert.deepEqual(loaded.map((s) => s.name), ['web', 'api', 'mail']);
  assert.deepEqual(loaded.filter((s) => s.name !== 'web'), services(FILE).filter((s) => s.name !== 'web'));
});

test('two services of one file, the last one included', () => {
  const api = edit(FILE, 'api', (s) => (s.backends[0].weight = 3));
  const mail = edit(FILE, 'mail', (s) => (s.backends[0].weight = 4));
  const out = spliceServices(FILE, 'config.d/edge.yaml', [mail, api], sections())!;
  const loaded = services(out);
  assert.equal(loaded.find((s) => s.name === 'api')!.backends[0].weight, 3);
  assert.equal(loaded.find((s) => s.name === 'mail')!.backends[0].weight, 4);
  assert.ok(out.startsWith(FILE.slice(0, FILE.indexOf('  # the API'))), 'web and the lines before api are untouched');
  assert.match(out, /persistence: \{\}/, 'no default that nobody wrote was added');
});

test('a file not laid out plainly is left to the whole-file renderer', () => {
  const web = edit(FILE, 'web', (s) => (s.backends[0].weight = 9));
  const cases: Record<string, string> = {
    'flow sequence': 'services: [{name: web, vip: 192.0.2.1, ports: [80], backends: [{address: 198.51.100.1}]}]\n',
    'the name twice': FILE + '  - name: web\n    vip: 192.0.2.9\n    ports: [81]\n',
    'an anchor': FILE.replace('    ports: [80]\n', '    ports: &p [80]\n'),
    'a quoted name': FILE.replace('- name: web ', '- name: "web"'),
    'no such service': FILE.replace('- name: web ', '- name: www '),
  };
  for (const [why, text] of Object.entries(cases)) assert.equal(spliceServices(text, 'config.d/edge.yaml', [web], sections()), null, why);
});

test('a splice is checked item by item: what the item alone loads to is what the whole file loads to, or the check says it cannot tell', async () => {
  const { spliceServicesChecked } = await import('../../../store/service-splice.js');
  const { splicedItemsLoadBack } = await import('../../../store/changed-files.js');
  const layoutOf = (text: string) => ({ services: services(text).map((s) => s.name), sections: [] as string[] });

  // The plain file: the check says yes, and what it loaded (the item alone, with the blank and comment lines after it) is the change.
  const web = edit(FILE, 'web', (s) => (s.backends[0].weight = 9));
  const plain = spliceServicesChecked(FILE, 'config.d/edge.yaml', [web], sections())!;
  assert.deepEqual(plain.check.names, ['web', 'api', 'mail']);
  assert.equal(plain.check.endsPlainly, true);
  assert.match(plain.check.items[0].alone!, /^services:\n  - name: web +# the public site\n[\s\S]*weight: 9[\s\S]*\n\n  # the API, moved here in March\n$/);
  assert.equal(splicedItemsLoadBack('config.d/edge.yaml', plain.check, layoutOf(FILE)), true);
  // An item text already loaded as that very service (the substitution's check) is not loaded again: shown here by
  // a text that would not load at all being taken on that word, and refused without it.
  const bogus = { ...plain.check, items: [{ service: web, alone: 'services: [' }] };
  assert.equal(splicedItemsLoadBack('config.d/edge.yaml', bogus, layoutOf(FILE), new Map([['services: [', web]])), true);
  assert.equal(splicedItemsLoadBack('config.d/edge.yaml', bogus, layoutOf(FILE)), false);
  // The layout must be the file's: another order of names, and it cannot tell.
  assert.equal(splicedItemsLoadBack('config.d/edge.yaml', plain.check, { services: ['api', 'web', 'mail'], sections: [] }), false);

  // Files laid out in ways the item's lines cannot vouch for, and ones they can. Whenever the check says yes, the
  // whole spliced file must load to the candidate: the other services as they were, the changed one as asked.
  const variants: Record<string, string> = {
    plain: FILE,
    'a top-level key after the list': FILE + 'node:\n  name: lb1\n',
    'a document end after the list': FILE + '...\n',
    'a comment at column 0 inside the item': FILE.replace('    ports: [80]\n', '# rack notes\n    ports: [80]\n'),
    'a kept-trailing-lines description last': FILE.replace('      - {address: 198.51.100.2, port: 8080, weight: 5}\n', '      - {address: 198.51.100.2, port: 8080, weight: 5}\n    description: |+\n      public\n'),
    'blank lines and comments at the end of the file': FILE + '\n\n# end\n\n',
    'web last': FILE.replace(/  - name: web[\s\S]*?\n\n/, '') + '  - name: web\n    vip: 192.0.2.1\n    ports: [80]\n    backends:\n      - {address: 198.51.100.1, port: 8080, weight: 5}\n\n\n',
  };
  let vouched = 0;
  for (const [why, text] of Object.entries(variants)) {
    const before = loadConfigText(text).services;
    const changed = edit(text, 'web', (s) => (s.backends[0].weight = 7));
    const out = spliceServicesChecked(text, 'config.d/edge.yaml', [changed], sections());
    if (!out) continue;
    if (!splicedItemsLoadBack('config.d/edge.yaml', out.check, layoutOf(text))) continue;
    vouched++;
    const after = loadConfigText(out.text).services;
    assert.deepEqual(after.map((s) => s.name), before.map((s) => s.name), why);
    for (const [i, s] of after.entries()) assert.deepEqual(s, s.name === 'web' ? changed : before[i], `${why}: ${s.name}`);
  }
  assert.ok(vouched >= 3, `the check vouched for the plain layouts (${vouched})`);
  const endsAtMarker = spliceServicesChecked(variants['a document end after the list'], 'config.d/edge.yaml', [web], sections());
  assert.equal(endsAtMarker?.check.endsPlainly ?? false, false, 'a document marker after the list: not vouched for');
});

test('a few changed scalar values are put in place of the old ones, checked by the loader; anything else is rendered', async () => {
  const { spliceServicesChecked } = await import('../../../store/service-splice.js');
  const before = new Map(services(FILE).map((s) => [s.name, s]));
  const tried: string[] = [];
  const loadsAs = (alone: string, s: Service) => {
    tried.push(alone);
    const loaded = services(alone);
    return loaded.length === 1 && JSON.stringify(loaded[0]) === JSON.stringify(s);
  };
  const splice = (s: Service, check = loadsAs) => spliceServicesChecked(FILE, 'config.d/edge.yaml', [s], sections(), { before, loadsAs: check })!.text;

  // The second backend's weight: both backends say `weight: 5`, so the first place is tried, refused by the
  // loader, and the second taken. Every other byte stays, the odd spacing and the comments included (which the
  // renderer re-spaces: that is how a rendered item shows below).
  const second = edit(FILE, 'web', (s) => (s.backends[1].weight = 9));
  assert.equal(splice(second), FILE.replace('port: 8080, weight: 5}\n', 'port: 8080, weight: 9}\n'));
  assert.equal(tried.length, 2, 'the first place was tried and refused, the second taken');
  tried.length = 0;
  const first = edit(FILE, 'web', (s) => (s.backends[0].weight = 9));
  assert.equal(splice(first), FILE.replace('weight: 5}   # rack 1', 'weight: 9}   # rack 1'));
  assert.equal(tried.length, 1);
  // Two values at once, in a block mapping and a block item.
  const two = edit(FILE, 'mail', (s) => {
    s.vip = '192.0.2.33';
    s.backends[0].address = '198.51.100.44';
  });
  assert.equal(splice(two), FILE.replace('vip: 192.0.2.3\n', 'vip: 192.0.2.33\n').replace('- address: 198.51.100.4\n', '- address: 198.51.100.44\n'));

  // Rendered instead: a value nobody wrote (mail's weight is the default), a backend added, a loader that
  // refuses every place. Each result still loads to the change.
  const isRendered = (text: string) => text.includes('- name: web # the public site');
  const unwritten = splice(edit(FILE, 'mail', (s) => (s.backends[0].weight = 3)));
  assert.equal(unwritten, FILE + '        weight: 3\n', 'a default nobody wrote: the renderer adds the key');
  const added = splice(edit(FILE, 'web', (s) => s.backends.push({ ...s.backends[0], address: '198.51.100.9' })));
  assert.ok(isRendered(added), 'a backend added');
  assert.equal(services(added).find((s) => s.name === 'web')!.backends.length, 3);
  const refused = splice(first, () => false);
  assert.ok(isRendered(refused), 'no place fits');
  assert.equal(services(refused).find((s) => s.name === 'web')!.backends[0].weight, 9);
});
