// The matching engine on a small grammar of its own: it knows no lbctl command, so these tests pin its rules
// (abbreviation, exact-beats-prefix, ambiguity, optional blocks in any order, values, errors, TAB and `?`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Grammar } from '../../../completion/grammar.js';
import { parseDeclaration, DeclarationError } from '../../../completion/declaration.js';
import { dynamicType } from '../../../completion/values.js';
import { formatParseError, isDocumentedError } from '../../../completion/errors.js';

const NAMES = ['web', 'web2', 'api'];
const NAME = dynamicType<unknown>({
  display: 'NAME',
  help: 'a service',
  noun: 'service',
  strict: true,
  values: () => NAMES.map((n) => ({ value: n, help: `service ${n}` })),
});

const g = new Grammar<unknown, string>(
  [
    { decl: 'show ip route', help: { show: 'Show', ip: 'IPv4', route: 'Routes' }, data: 'ip-route' },
    { decl: 'show ipv6 route', help: { ipv6: 'IPv6' }, data: 'ipv6-route' },
    { decl: 'show service NAME [stats|rate]$view', help: { service: 'One service' }, data: 'svc' },
    { decl: 'show services', help: { services: 'All services' }, data: 'svcs' },
    { decl: 'backend A.B.C.D|X:X::X:X [port <0-65535>] [weight <0-2147483647>]', help: { backend: 'A backend' }, data: 'backend' },
    { decl: 'backend A.B.C.D|X:X::X:X [port <0-65535>] disable|enable$state', data: 'backend-state' },
    { decl: 'port <1-65535>', data: 'port' },
    { decl: 'port <1-65535>-<1-65535>', data: 'port-range' },
    { decl: 'description LINE', data: 'description' },
    { decl: 'tunnel [ipip$type | gue$type port <1-65535>]', data: 'tunnel' },
    { decl: 'shutdown', data: 'shutdown' },
  ],
  { types: { NAME }, help: { port: 'Port', weight: 'Weight' } },
);

function ok(line: string) {
  const r = g.parse(line, null);
  assert.ok(r.ok && !('empty' in r), `${line}: ${JSON.stringify(r)}`);
  return r as { command: string; args: Record<string, unknown>; keywords: string[] };
}
function fail(line: string) {
  const r = g.parse(line, null);
  assert.ok(!r.ok, `${line} parsed`);
  return r.error;
}

test('declarations: syntax errors are caught when the grammar is built', () => {
  assert.throws(() => parseDeclaration('show [ipvs'), DeclarationError);
  assert.throws(() => parseDeclaration('show UNKNOWNTYPE'), DeclarationError);
  assert.throws(() => parseDeclaration('show ]'), DeclarationError);
  assert.doesNotThrow(() => parseDeclaration('a [b | c d] (e|f) <1-5>-<1-5>'));
});

test('abbreviation; exact keyword beats a longer one (ip vs ipv6)', () => {
  assert.equal(ok('sho ip ro').command, 'ip-route');
  assert.equal(ok('show ipv6 route').command, 'ipv6-route');
  assert.equal(ok('sho ipv r').command, 'ipv6-route');
  assert.equal(ok('SHOW IP ROUTE').command, 'ip-route');
  assert.equal(ok('show service web').command, 'svc');
  assert.equal(ok('sho services').command, 'svcs');
});

test('ambiguity lists the distinct keywords; incomplete and invalid carry no or one caret', () => {
  assert.deepEqual(fail('s'), { kind: 'ambiguous', candidates: ['show', 'shutdown'] });
  assert.deepEqual(fail('show servic'), { kind: 'ambiguous', candidates: ['service', 'services'] });
  assert.deepEqual(fail('show'), { kind: 'incomplete' });
  assert.deepEqual(fail('show ip'), { kind: 'incomplete' });
  assert.deepEqual(fail('show ipx'), { kind: 'invalid', column: 7 });
  assert.deepEqual(fail('show ip route extra'), { kind: 'invalid', column: 14 });
  assert.deepEqual(fail('zork'), { kind: 'invalid', column: 0 });
  assert.equal(formatParseError(fail('show ipx'), 'show ipx', 7), ' '.repeat(14) + "^\n% Invalid input detected at '^' marker.");
  assert.equal(formatParseError(fail('s'), ' s ', 5), '% Ambiguous command:  "s"\n  show\n  shutdown');
  assert.equal(formatParseError(fail('show'), 'show', 5), '% Incomplete command.');
});

test('strict dynamic values: unknown names are refused with a did-you-mean', () => {
  assert.deepEqual(fail('show service wbe'), { kind: 'invalid', column: 13, hint: '% Unknown service "wbe": did you mean "web"?' });
  assert.deepEqual(fail('show service zzzzzz'), { kind: 'invalid', column: 13, hint: '% Unknown service "zzzzzz".' });
  assert.equal(ok('show service web2 rate').args.view, 'rate');
});

test('values: ranges, addresses, port ranges, LINE; bindings take the keyword before them', () => {
  assert.deepEqual(ok('backend 10.0.0.1 port 80 weight 5').args, { backend: '10.0.0.1', port: 80, weight: 5 });
  assert.deepEqual(ok('backend 2001:db8::1').args, { backend: '2001:db8::1' });
  assert.deepEqual(fail('backend 10.0.0.256'), { kind: 'invalid', column: 8 });
  assert.deepEqual(fail('backend 10.0.0.1 port 65536'), { kind: 'invalid', column: 22, hint: '% 65536 is out of range: 0 to 65535.' });
  assert.deepEqual(fail('backend 10.0.0.1 weight -1'), { kind: 'invalid', column: 24 });
  assert.deepEqual(ok('port 80').args, { port: 80 });
  assert.equal(ok('port 80').command, 'port');
  assert.deepEqual(ok('port 80-90').args, { port: { from: 80, to: 90 } });
  assert.deepEqual(fail('port 0'), { kind: 'invalid', column: 5, hint: '% 0 is out of range: 1 to 65535.' });
  assert.deepEqual(fail('port 90-80'), { kind: 'invalid', column: 5, hint: '% 90-80 runs backwards: write FROM-TO with FROM ≤ TO.' });
  assert.deepEqual(ok('description  two words | and "quotes" ').args, { description: 'two words | and "quotes"' });
  assert.deepEqual(ok('description "  kept  "').args, { description: '  kept  ' });
  assert.equal(ok('backend 10.0.0.1 port 8 enable').args.state, 'enable');
});

test('optional blocks may come in any order, each at most once', () => {
  assert.deepEqual(ok('backend 10.0.0.1 weight 5 port 80').args, { backend: '10.0.0.1', weight: 5, port: 80 });
  assert.deepEqual(fail('backend 10.0.0.1 port 1 port 2'), { kind: 'invalid', column: 24 });
  // alternatives of sequences inside brackets
  assert.deepEqual(ok('tunnel gue port 6080').args, { type: 'gue', port: 6080 });
  assert.deepEqual(ok('tunnel ipip').args, { type: 'ipip' });
  assert.deepEqual(fail('tunnel gue'), { kind: 'incomplete' });
  assert.deepEqual(fail('tunnel ipip port 5'), { kind: 'invalid', column: 12 });
});

test('TAB: unique prefix + space; ambiguous → common prefix + candidates; values from completers', () => {
  assert.deepEqual(g.complete('sh', null), { line: 'sh', candidates: ['show', 'shutdown'] });
  assert.deepEqual(g.complete('sho', null), { line: 'show ', candidates: [] });
  assert.deepEqual(g.complete('show ip', null), { line: 'show ip ', candidates: [] }, 'exact keyword completes');
  assert.deepEqual(g.complete('show ipv', null), { line: 'show ipv6 ', candidates: [] });
  assert.deepEqual(g.complete('show se', null), { line: 'show service', candidates: ['service', 'services'] });
  assert.deepEqual(g.complete('show service w', null), { line: 'show service web', candidates: ['web', 'web2'] });
  assert.deepEqual(g.complete('show service a', null), { line: 'show service api ', candidates: [] });
  assert.deepEqual(g.complete('show ', null), { line: 'show ', candidates: ['ip', 'ipv6', 'service', 'services'] });
  assert.deepEqual(g.complete('zork ', null), { line: 'zork ', candidates: [] });
  assert.deepEqual(g.complete('description "open quo', null), { line: 'description "open quo', candidates: [] });
});

test('?: partial word, next tokens with help, <cr>, and errors', () => {
  const h = (line: string) => g.help(line, null);
  assert.deepEqual(h('sh'), { ok: true, entries: [{ token: 'show', help: 'Show' }, { token: 'shutdown', help: '' }] });
  assert.deepEqual(h('show service web '), {
    ok: true,
    entries: [
      { token: 'rate', help: '' },
      { token: 'stats', help: '' },
      { token: '<cr>', help: '' },
    ],
  });
  const entries = (h('backend 10.0.0.1 ') as { entries: { token: string }[] }).entries.map((e) => e.token);
  assert.deepEqual(entries, ['disable', 'enable', 'port', 'weight', '<cr>']);
  assert.deepEqual((h('backend 10.0.0.1 port ') as { entries: unknown[] }).entries, [{ token: '<0-65535>', help: 'A number from 0 to 65535' }]);
  assert.deepEqual((h('show service ') as { entries: { token: string }[] }).entries.map((e) => e.token), ['NAME', 'api', 'web', 'web2']);
  assert.deepEqual((h('port 8') as { entries: { token: string }[] }).entries.map((e) => e.token), ['<1-65535>', '<1-65535>-<1-65535>']);
  assert.deepEqual(h('zz'), { ok: false, error: 'unrecognized' });
  assert.deepEqual(h('show zz '), { ok: false, error: { kind: 'invalid', column: 5 } });
  assert.deepEqual(h('s '), { ok: false, error: { kind: 'ambiguous', candidates: ['show', 'shutdown'] } });
});

test('isDocumentedError recognises exactly the documented forms', () => {
  assert.ok(isDocumentedError("   ^\n% Invalid input detected at '^' marker."));
  assert.ok(isDocumentedError("   ^\n% Invalid input detected at '^' marker.\n% Unknown service \"x\"."));
  assert.ok(isDocumentedError('% Ambiguous command:  "s"\n  show\n  shutdown'));
  assert.ok(isDocumentedError('% Incomplete command.'));
  assert.ok(isDocumentedError('% Port 81 is not configured.'));
  assert.ok(!isDocumentedError('TypeError: x is undefined'));
  assert.ok(!isDocumentedError("   ^\nsomething else"));
  assert.ok(!isDocumentedError('% Internal error: boom'));
  // A refusal with the configuration errors behind it (a commit that does not validate).
  assert.ok(isDocumentedError('% Validation failed: 1 problem; nothing was committed.\n  services[5].ports: needs at least one port'));
  assert.ok(!isDocumentedError('% Validation failed: 1 problem.\nservices[5].ports: not indented'));
  assert.ok(!isDocumentedError('% Commit refused: x\n% Internal error: boom'));
  assert.ok(!isDocumentedError('% Commit refused: x\n    at Object.<anonymous> (/x.js:1:1)'));
});
