// The shared candidate with two real sessions on one state directory (issue 12 point 1, issue 15 point 7b):
// leaving never discards another session's changes, a script that stops on an error leaves the candidate as it
// found it, a commit that would carry another session's changes lists them (and a script refuses unless it says
// `commit and-others`), a refused item names its service and who left it, with a way out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { userInfo } from 'node:os';
import { openStore } from '../../../store/store.js';
import { runCommandString } from '../../../shell/line-mode.js';
import type { ShellSession } from '../../../shell/session-api.js';
import { cliEntry, makeLab, openLabSession, out, run, type Lab } from './helpers.js';

const CONFIG = 'vip: 192.0.2.10\nservices:\n  - name: web\n    ports: [80]\n    backends:\n      - address: 10.0.0.1\n';
const ME = userInfo().username;

function sharedFile(lab: Lab): { config: { services: { name: string; description?: string }[] }; edits?: Record<string, { touches: { session: string }[] }> } | null {
  try {
    return JSON.parse(readFileSync(join(lab.ctx.stateDir, 'candidate-shared.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** The sessions recorded for one item of the shared candidate. */
function editorsOf(lab: Lab, item: string): string[] {
  return (sharedFile(lab)?.edits?.[item]?.touches ?? []).map((t) => t.session);
}

/** Runs a script as `lbctl shell -c` does, on its own session; returns the exit code and the two streams. */
async function script(lab: Lab, text: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const s = await openLabSession(lab);
  let stdout = '';
  let stderr = '';
  const code = await runCommandString(s, text, { stdout: (x) => void (stdout += x), stderr: (x) => void (stderr += x) });
  return { code, stdout, stderr };
}

/**
 * A lab with two interactive sessions: B has changed `bLines` (default: web's description) in the shared
 * candidate, A has not touched it yet. Closes both and removes the lab afterwards.
 */
async function withB(
  body: (s: { lab: Lab; a: ShellSession; b: ShellSession; bId: string }) => Promise<void>,
  bLines = ['service web', 'description from-b', 'top'],
): Promise<void> {
  const lab = makeLab(CONFIG);
  try {
    const b = await openLabSession(lab, { interactive: true });
    const a = await openLabSession(lab, { interactive: true });
    await run(b, 'configure', ...bLines);
    const [bId] = editorsOf(lab, 'service web');
    try {
      await body({ lab, a, b, bId });
    } finally {
      await a.close();
      await b.close();
    }
  } finally {
    lab.cleanup();
  }
}

async function runningRevision(lab: Lab): Promise<number> {
  return (await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath })).running().number;
}

test('leaving: a session without changes leaves without a question and B keeps its edit', () =>
  withB(async ({ lab, a, b, bId }) => {
    await run(a, 'configure');
    // The registry marks B (only B) as having uncommitted changes.
    assert.equal((await run(a, 'show configuration sessions')).output.match(/, uncommitted changes$/gm)?.length, 1);
    const end = await a.execute('end');
    assert.equal(end.question, undefined, 'A made no changes: nothing to ask');
    assert.equal(end.output, `% The shared candidate keeps these uncommitted changes:\n  service web: ${ME} (session ${bId}, editing now)\n`);
    assert.match((await run(b, 'show | compare')).output, /\+ {3}description: from-b/);
    assert.equal(sharedFile(lab)?.config.services[0].description, 'from-b');
  }));

test('leaving with "no": only this session\'s changes go; another session\'s stay, named', () =>
  withB(async ({ lab, a, b, bId }) => {
    await run(a, 'configure', 'service api', 'port 81', 'backend 10.0.0.2', 'top', 'vip 192.0.2.11');
    const q = await a.execute('end');
    assert.equal(q.question?.prompt, 'Uncommitted changes found, commit them before exiting? [yes/no/cancel]');
    const no = await q.question!.answer('no');
    assert.equal(
      no.output,
      [
        '% Your uncommitted changes were discarded (service api, vip).',
        '% The shared candidate keeps these uncommitted changes:',
        `  service web: ${ME} (session ${bId}, editing now)`,
        '',
      ].join('\n'),
    );
    assert.doesNotMatch(a.prompt(), /config/, 'A left configuration mode');
    const compare = (await run(b, 'show | compare')).output;
    assert.match(compare, /\+ {3}description: from-b/, "B's edit is still there");
    assert.doesNotMatch(compare, /api|192\.0\.2\.11/, "A's edits are gone");
    assert.deepEqual(Object.keys(sharedFile(lab)?.edits ?? {}), ['service web']);
  }));

test('a script that stops on an error leaves the shared candidate exactly as it found it', () =>
  withB(async ({ lab, a, b, bId }) => {
    const before = sharedFile(lab);
    const r = await script(lab, 'configure; service broken; vip 192.0.2.99; commit');
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      [
        `% command 4: ${b.prompt().replace('(config)#', '')}(config-svc-broken)#commit`,
        '% Commit refused: the shared candidate holds uncommitted changes of other sessions:',
        `  service web: ${ME} (session ${bId}, editing now)`,
        `% Commit them too with "commit and-others", or take them out first ("rollback session ${bId}").`,
        '% The run stopped: its uncommitted changes were taken out of the shared candidate (service broken).',
        '',
      ].join('\n'),
    );
    assert.deepEqual(sharedFile(lab), before, 'the file holds what it held before the script');
    // Also when the error is the validation's (the script's own broken service): nothing of it stays.
    const r2 = await script(lab, 'configure; service broken2; top; commit and-others');
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /^  service "broken2" \(services\[1\]\.ports\): needs at least one port/m);
    assert.match(r2.stderr, /^% The run stopped: its uncommitted changes were taken out of the shared candidate \(service broken2\)\.$/m);
    assert.deepEqual(sharedFile(lab), before);
    assert.equal(await runningRevision(lab), 1, 'nothing was committed');
  }));

test("a script's commit refuses to carry another session's change; `commit and-others` carries it and says whose", () =>
  withB(async ({ lab, a, b, bId }) => {
    const refused = await script(lab, 'configure; service api; port 81; backend 10.0.0.2; top; commit');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, new RegExp(`^  service web: ${ME} \\(session ${bId}, editing now\\)$`, 'm'));
    assert.equal(await runningRevision(lab), 1, 'nothing committed');
    const taken = await script(lab, 'configure; service api; port 81; backend 10.0.0.2; top; commit and-others');
    assert.equal(taken.code, 0, taken.stderr);
    assert.match(
      taken.stdout,
      new RegExp(`^% This commit also carries uncommitted changes of other sessions:\\n  service web: ${ME} \\(session ${bId}, editing now\\)\\n`, 'm'),
    );
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().config.services.find((s) => s.name === 'web')?.backends[0].weight, 7);
    assert.equal(sharedFile(lab), null, 'the shared candidate was committed whole');
  }, ['service web', 'backend 10.0.0.1 weight 7', 'top']));

test('an interactive commit that carries another session\'s change lists it', () =>
  withB(async ({ lab, a, b, bId }) => {
    await run(a, 'configure', 'vip 192.0.2.11');
    const r = await run(a, 'commit');
    assert.match(r.output, new RegExp(`^% This commit also carries uncommitted changes of other sessions:\\n  service web: ${ME} \\(session ${bId}, editing now\\)$`, 'm'));
    assert.match(r.output, /committed successfully \(revision 2\)/);
  }));

test('15.7b: a half-built service of a gone session is named with who left it; rollback session takes it out', async () => {
  const lab = makeLab(CONFIG);
  try {
    // The abandoned session: a real lbctl process that ends inside configuration mode without committing.
    const entry = join(lab.dir, 'lbctl.mjs');
    writeFileSync(entry, `const { main } = await import(${JSON.stringify(cliEntry())});\nprocess.exitCode = await main(process.argv.slice(2));\n`);
    const left = spawnSync(process.execPath, [entry, 'shell', '--lab', '--config', lab.ctx.configPath, '--state-dir', lab.ctx.stateDir, '-c', 'configure; service test1; description half'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
    assert.equal(left.status, 0, left.stderr);
    const [goneId] = editorsOf(lab, 'service test1');
    assert.match(goneId, new RegExp(`^${left.pid}-`));
    const a = await openLabSession(lab, { interactive: true });
    await run(a, 'configure', 'vip 192.0.2.11');
    const refused = await a.execute('commit');
    assert.equal(
      refused.error,
      [
        '% Validation failed: 1 problem; nothing was committed.',
        '  service "test1" (services[1].ports): needs at least one port (ports or port_ranges), or a fwmark',
        `% service "test1" is an uncommitted change of ${ME} (session ${goneId}, gone); "rollback session ${goneId}" takes it out.`,
      ].join('\n'),
    );
    const status = (await run(a, 'show configuration sessions')).output;
    assert.match(status, new RegExp(`^Uncommitted changes in the shared candidate:\\n  service test1: ${ME} \\(session ${goneId}, gone\\)\\n  vip: ${ME} \\(session [0-9a-f-]+, editing now\\)\\n\\(in configuration mode, "rollback session ID" takes one session's changes out\\)$`, 'm'));
    assert.equal(a.complete('rollback session ' + goneId.slice(0, -2)).line, `rollback session ${goneId} `);
    assert.equal((await run(a, `rollback session ${goneId}`)).output, `% Took out the changes of ${ME} (session ${goneId}, gone): service test1.\n`);
    assert.match((await run(a, 'commit')).output, /committed successfully \(revision 2\)/);
    await a.close();
  } finally {
    lab.cleanup();
  }
});

test('an old shared candidate file (no record of who edits) reads as changes of an unknown session', async () => {
  const lab = makeLab(CONFIG);
  try {
    const a = await openLabSession(lab, { interactive: true });
    await run(a, 'configure', 'service web', 'description old-file', 'top');
    const file = sharedFile(lab)!;
    delete file.edits;
    await a.close();
    writeFileSync(join(lab.ctx.stateDir, 'candidate-shared.json'), JSON.stringify(file) + '\n');
    const r = await script(lab, 'configure; vip 192.0.2.11; commit');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^  service web: an unknown session \(made before lbctl recorded who edits\)$/m);
    assert.match(r.stderr, /"rollback session unknown"/);
    const b = await openLabSession(lab);
    assert.match(await out(b, 'configure'), /service web: an unknown session/);
    assert.equal((await run(b, 'rollback session unknown', 'show | compare')).output, '');
    await b.close();
  } finally {
    lab.cleanup();
  }
});

test('configure private is unchanged: its commit carries only its own candidate, the shared one stays', () =>
  withB(async ({ lab, a, b, bId }) => {
    const r = await script(lab, 'configure private; vip 192.0.2.11; commit');
    assert.equal(r.code, 0, r.stderr);
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().config.vip, '192.0.2.11');
    assert.equal(store.running().config.services[0].description, undefined);
    assert.equal(sharedFile(lab)?.config.services[0].description, 'from-b');
  }));

test('B is told when its uncommitted changes leave the shared candidate by another session\'s doing', () =>
  withB(async ({ lab, a, b, bId }) => {
    b.takeNotices();
    await run(a, 'configure', `rollback session ${bId}`);
    await run(b, 'show | compare');
    assert.deepEqual(b.takeNotices(), ['% Your uncommitted changes to service web were taken out of the shared candidate by another session.']);
    await run(b, 'service web', 'description again', 'top');
    await run(a, 'commit');
    assert.equal((await run(b, 'show | compare')).output, '');
    assert.deepEqual(b.takeNotices(), [
      '% Your uncommitted changes to service web are no longer in the shared candidate: another session committed (revision 2, "show commit list") or took them out.',
    ]);
    await run(b, 'show | compare');
    assert.deepEqual(b.takeNotices(), [], 'told once');
  }));
