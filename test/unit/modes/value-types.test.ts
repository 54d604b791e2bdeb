// The dynamic placeholders: revision numbers offered with date, user and comment; service names from the
// running configuration or the candidate depending on the mode.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Grammar } from '../../../completion/grammar.js';
import { applyDefaults } from '../../../config/defaults.js';
import { REVISION, RUNNING_SERVICE, SERVICE } from '../../../modes/value-types.js';
import type { ModeContext } from '../../../modes/types.js';

function ctx(over: Partial<ModeContext> & { revisions?: () => { number: number; time?: string; user?: string; comment?: string }[] }): ModeContext {
  const running = applyDefaults({ services: [{ name: 'run1' }] });
  const candidate = applyDefaults({ services: [{ name: 'cand1' }] });
  return {
    backend: { running: () => running, revisions: over.revisions } as never,
    frames: [{ kind: 'exec' }],
    candidate: () => candidate,
    ...over,
  } as ModeContext;
}

test('revision numbers: offered in numeric order with date, user and comment; converted to numbers', () => {
  const g = new Grammar<ModeContext, string>([{ decl: 'rollback REVISION', help: { rollback: 'Load a revision' }, data: 'rb' }], { types: { REVISION } });
  const c = ctx({
    revisions: () => [
      { number: 10, time: '2026-11-25 16:00', user: 'ana', comment: 'web port' },
      { number: 2, time: '2026-11-24 09:00', user: 'bob' },
    ],
  });
  const h = g.help('rollback ', c);
  assert.deepEqual(h, {
    ok: true,
    entries: [
      { token: '<0-2147483647>', help: 'A revision number' },
      { token: '2', help: '2026-11-24 09:00  bob' },
      { token: '10', help: '2026-11-25 16:00  ana  web port' },
    ],
  });
  const r = g.parse('rollback 10', c);
  assert.ok(r.ok && !('empty' in r));
  assert.equal((r as unknown as { args: { rollback: unknown } }).args.rollback, 10);
  assert.equal(g.parse('rollback x', c).ok, false);
  assert.deepEqual(g.complete('rollback 1', c), { line: 'rollback 10 ', candidates: [] });
});

test('service names: running in exec mode, the candidate in configuration modes', () => {
  const g = new Grammar<ModeContext, string>([{ decl: 'x SERVICE', data: 'x' }, { decl: 'y RSERVICE', data: 'y' }], { types: { SERVICE, RSERVICE: RUNNING_SERVICE } });
  const exec = ctx({});
  const conf = ctx({ frames: [{ kind: 'exec' }, { kind: 'configure' }] });
  assert.equal(g.parse('x run1', exec).ok, true);
  assert.equal(g.parse('x cand1', exec).ok, false);
  assert.equal(g.parse('x cand1', conf).ok, true);
  assert.equal(g.parse('y run1', conf).ok, true, 'RSERVICE is always the running configuration');
  assert.equal(g.parse('y cand1', conf).ok, false);
});
