// A drain request changes two durable things beside the kernel: STATE/drains.json and the audit trail. A process
// killed between them must leave a state the next start finishes (engine/drain/drain-file.ts): the kernel gets the
// drain on file, the owed audit line is written exactly once, and drains.json owes nothing afterwards.
// The kill is placed by the test hook on a disk step's label (store/atomic.ts), found in a traced dry run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HOOKED_LBCTL, hookArgs, type TestHooks } from '../../support/hooks.js';
import type { Lab } from '../../support/lab-daemon.js';
import { labWith, shellLines, WEB_TWO_BACKENDS } from '../../support/lab-shell.js';
import { labTableJSON } from '../../support/lab-table.js';

const DRAIN = 'request backend 198.51.100.11 drain';

function hooked(l: Lab, commands: string, hooks: TestHooks) {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: l.home };
  delete env.CI;
  return spawnSync(process.execPath, [HOOKED_LBCTL, ...hookArgs(hooks), 'shell', '--lab', '--config', l.config, '--state-dir', l.state, '-c', commands], {
    env,
    encoding: 'utf8',
    timeout: 60_000,
  });
}

interface LabJson {
  services: Array<{ dests: Array<{ dest: { addr: string; port: number; weight: number }; activeConns?: number }> }>;
}
const tablePath = (l: Lab) => join(l.state, 'lab-ipvs.json');
const dests = (l: Lab) =>
  labTableJSON<LabJson>(tablePath(l)).services.flatMap((s) => s.dests.map((d) => `${d.dest.addr}:${d.dest.port} w${d.dest.weight}`));
function setConnections(l: Lab, addr: string, active: number): void {
  const table = labTableJSON<LabJson>(tablePath(l));
  for (const s of table.services) for (const d of s.dests) if (d.dest.addr === addr) d.activeConns = active;
  writeFileSync(tablePath(l), JSON.stringify(table));
}
const drainLines = (l: Lab) => {
  let text = '';
  try {
    text = readFileSync(join(l.state, 'audit.jsonl'), 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { action: string; comment: string })
    .filter((r) => r.action === 'drain')
    .map((r) => r.comment);
};
const drainsFile = (l: Lab) => JSON.parse(readFileSync(join(l.state, 'drains.json'), 'utf8')) as { drains: Array<{ state: string }>; unaudited?: unknown[] };

/** A lab whose kernel holds web, with 3 connections on .11 (so a drain stays `draining`). */
function ready(t: { after(fn: () => void): void }): Lab {
  const l = labWith(t, WEB_TWO_BACKENDS);
  shellLines(l, 'show ipvs'); // the lab table exists
  assert.equal(hooked(l, 'configure; commit full', {}).status, 0);
  setConnections(l, '198.51.100.11', 3);
  return l;
}

/** The traced steps of the drain request on a fresh lab: `step N LABEL` lines. */
function traceOfDrain(t: { after(fn: () => void): void }): string[] {
  const l = ready(t);
  const r = hooked(l, DRAIN, { traceSteps: true });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((line) => /^step \d+ /.test(line));
}

function stepNumber(line: string): number {
  return Number(/^step (\d+)/.exec(line)![1]);
}

test('a drain killed after drains.json is written, before the kernel and the trail: the next start finishes both', (t) => {
  const trace = traceOfDrain(t);
  const firstRename = trace.find((line) => /rename .*drains\.json$/.test(line));
  assert.ok(firstRename, `no drains.json rename in:\n${trace.join('\n')}`);

  const l = ready(t);
  const r = hooked(l, DRAIN, { crashAtStep: stepNumber(firstRename) });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  // What the kill left: the drain and the line it owes on file; the kernel untouched; no line in the trail.
  assert.equal(drainsFile(l).drains[0]?.state, 'draining');
  assert.equal(drainsFile(l).unaudited?.length, 1);
  assert.deepEqual(dests(l), ['198.51.100.11:80 w100', '198.51.100.12:80 w50']);
  assert.deepEqual(drainLines(l), []);

  // The next start that looks at the drains finishes the request.
  assert.deepEqual(shellLines(l, 'show drains'), ['web 198.51.100.11:80: draining, 3 active connections; configured weight 100']);
  assert.deepEqual(dests(l), ['198.51.100.11:80 w0', '198.51.100.12:80 w50']);
  assert.deepEqual(drainLines(l), ['drain web/198.51.100.11:80: draining (finished after an interrupted request)']);
  assert.equal(drainsFile(l).unaudited, undefined);
  // And only once.
  shellLines(l, 'show drains');
  assert.equal(drainLines(l).length, 1);
});

test('a drain killed after its audit line, before drains.json is rewritten: the line is not written twice', (t) => {
  const trace = traceOfDrain(t);
  const renames = trace.filter((line) => /rename .*drains\.json$/.test(line));
  assert.equal(renames.length, 2, `expected the note and its removal:\n${trace.join('\n')}`);
  // The last step before the second write of drains.json begins (its temporary file) is the audit append.
  const secondCreate = trace.findIndex((line, i) => i > trace.indexOf(renames[0]) && /create .*\.drains\.json\.lbctl-tmp/.test(line));
  assert.ok(secondCreate > 0, `no second drains.json write in:\n${trace.join('\n')}`);
  assert.match(trace[secondCreate - 1], /audit\.jsonl/, `the step before the rewrite is not the audit append:\n${trace.join('\n')}`);

  const l = ready(t);
  const r = hooked(l, DRAIN, { crashAtStep: stepNumber(trace[secondCreate - 1]) });
  assert.equal(r.signal, 'SIGKILL', r.stderr);
  assert.deepEqual(dests(l), ['198.51.100.11:80 w0', '198.51.100.12:80 w50']);
  assert.deepEqual(drainLines(l), ['drain web/198.51.100.11:80: draining']);
  assert.equal(drainsFile(l).unaudited?.length, 1);

  assert.deepEqual(shellLines(l, 'show drains'), ['web 198.51.100.11:80: draining, 3 active connections; configured weight 100']);
  assert.deepEqual(drainLines(l), ['drain web/198.51.100.11:80: draining']);
  assert.equal(drainsFile(l).unaudited, undefined);
});
