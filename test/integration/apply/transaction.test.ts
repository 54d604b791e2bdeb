// `lbctl apply` and the shell's `commit` run one commit transaction (engine/commit-transaction.ts; review H2, L1):
// apply is refused BEFORE the kernel is touched while another session holds `configure exclusive`, undoes the
// kernel when the store still refuses after the kernel changed, records exactly the configuration it applied, and
// the shell prints the plan folded as apply does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CliIO } from '../../../cli/command.js';
import { runApply } from '../../../cli/commands/apply.js';
import { examplesDir, openContextDataplane } from '../../../cli/lab.js';
import { openStore } from '../../../store/store.js';
import { readAudit } from '../../../engine/audit.js';
import { acquireExclusiveLock } from '../../../locks/exclusive-lock.js';
import { describeHolder } from '../../../locks/holder.js';
import type { Dataplane, IpvsOp, OpResult } from '../../../netlink/dataplane.js';
import { makeLab, openLabSession, run, type Lab } from '../commit-wiring/helpers.js';
import { labTableText } from '../../support/lab-table.js';

const MAIN = fileURLToPath(new URL('../../../cli/main.js', import.meta.url));

const WEB = (weight: number) =>
  `vip: 192.0.2.10\nservices:\n  - name: web\n    ports: [80]\n    backends:\n      - address: 10.0.0.1\n        port: 80\n        weight: ${weight}\n`;

function lbctl(lab: Lab, args: string[]) {
  const script = `const { main } = await import(${JSON.stringify(MAIN)}); process.exitCode = await main(process.argv.slice(1));`;
  const r = spawnSync(
    process.execPath,
    ['--input-type=module', '-e', script, ...args, '--lab', '--config', lab.ctx.configPath, '--state-dir', lab.ctx.stateDir],
    { env: { PATH: process.env.PATH ?? '', HOME: lab.dir }, encoding: 'utf8', timeout: 60_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function labTable(lab: Lab): string {
  return labTableText(join(lab.ctx.stateDir, 'lab-ipvs.json'));
}

function captureIO(): CliIO & { out: string; err: string } {
  const io = {
    out: '',
    err: '',
    stdout: (s: string) => void (io.out += s),
    stderr: (s: string) => void (io.err += s),
    stdin: process.stdin,
    isTTY: false,
    env: process.env,
  };
  return io;
}

/** The lab dataplane, with `before` run once, just before the first batch of operations reaches the table. */
function hookedDataplane(lab: Lab, before: () => Promise<void> | void): () => Promise<Dataplane> {
  let done = false;
  return async () => {
    const real = await openContextDataplane(lab.ctx);
    const apply = async (ops: IpvsOp[]): Promise<OpResult[]> => {
      if (!done) {
        done = true;
        await before();
      }
      return real.apply(ops);
    };
    return new Proxy(real, { get: (t, k) => (k === 'apply' ? apply : (t as never)[k]) }) as Dataplane;
  };
}

function auditOf(lab: Lab) {
  return readAudit(join(lab.ctx.stateDir, 'audit.jsonl')).records;
}

test('configure exclusive held by a shell: lbctl apply is refused before the kernel is touched, naming the holder', async () => {
  const lab = makeLab(WEB(1));
  try {
    const first = lbctl(lab, ['apply']);
    assert.equal(first.code, 0, first.stderr);
    const tableBefore = labTable(lab);
    assert.match(tableBefore, /10\.0\.0\.1/);

    const shell = await openLabSession(lab);
    await run(shell, 'configure exclusive');
    writeFileSync(join(lab.ctx.configPath, 'config.yaml'), WEB(77)); // a hand edit, then apply
    const r = lbctl(lab, ['apply']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /configuration locked exclusively by \S+ \(pid \d+\)/, 'names the holder');
    assert.match(r.stderr, /apply refused, nothing applied: the kernel was not touched/);
    assert.doesNotMatch(r.stdout, /applied \d+ operation/);
    assert.equal(labTable(lab), tableBefore, 'the lab table is byte for byte unchanged');
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    assert.equal(store.running().config.services[0].backends[0].weight, 1, 'running is unchanged');
    const last = auditOf(lab).at(-1)!;
    assert.equal(`${last.action}:${last.result}`, 'apply:refused');
    assert.match(last.error ?? '', /locked exclusively/);

    await shell.close(); // releases the exclusive lock: now apply goes through
    const after = lbctl(lab, ['apply']);
    assert.equal(after.code, 0, after.stderr);
    assert.match(after.stdout, /~ dest 10\.0\.0\.1:80 weight 1→77/);
    assert.match(labTable(lab), /"weight": ?77/);
    assert.equal(`${auditOf(lab).at(-1)!.action}:${auditOf(lab).at(-1)!.result}`, 'apply:ok');
  } finally {
    lab.cleanup();
  }
});

test('the store refuses after the kernel changed (configure exclusive taken meanwhile): apply undoes the kernel', async () => {
  const lab = makeLab(WEB(1));
  try {
    assert.equal(await runApply(lab.ctx, captureIO()), 0);
    const tableBefore = JSON.parse(labTable(lab));
    writeFileSync(join(lab.ctx.configPath, 'config.yaml'), WEB(5));
    let held: { release(): Promise<void> } | null = null;
    const io = captureIO();
    const code = await runApply(lab.ctx, io, {
      // Inside the window between the checks and the store: another session enters `configure exclusive`.
      openDataplane: hookedDataplane(lab, async () => {
        held = await acquireExclusiveLock(lab.ctx.stateDir, describeHolder({ session: 'someone-else' }));
      }),
    });
    try {
      assert.equal(code, 1, io.out + io.err);
      assert.match(io.out, /~ dest 10\.0\.0\.1:80 weight 1→5/, 'the kernel was really changed first');
      assert.match(io.err, /recording the revision was refused after the kernel was changed: configuration locked exclusively/);
      assert.match(io.err, /the kernel changes were undone/);
      assert.deepEqual(JSON.parse(labTable(lab)), tableBefore, 'the kernel runs the running revision again');
      const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
      assert.equal(store.running().config.services[0].backends[0].weight, 1);
      const last = auditOf(lab).at(-1)!;
      assert.equal(`${last.action}:${last.result}`, 'apply:refused');
      assert.ok(last.kernel?.applied.some((op) => /setDest/.test(op)), 'the audit names what was applied (then undone)');
    } finally {
      await held!.release();
    }
  } finally {
    lab.cleanup();
  }
});

test('apply records exactly the configuration it applied, even when the files change during the apply', async () => {
  const lab = makeLab(WEB(1));
  try {
    const io0 = captureIO();
    assert.equal(await runApply(lab.ctx, io0), 0, io0.err);
    writeFileSync(join(lab.ctx.configPath, 'config.yaml'), WEB(5));
    const io = captureIO();
    const code = await runApply(lab.ctx, io, {
      // While the kernel is being changed to weight 5, someone edits the file again (weight 9).
      openDataplane: hookedDataplane(lab, () => writeFileSync(join(lab.ctx.configPath, 'config.yaml'), WEB(9))),
    });
    assert.equal(code, 0, io.err);
    assert.match(io.out, /recorded revision 2 \(origin file\)/);
    assert.match(labTable(lab), /"weight": ?5/, 'the kernel got the configuration that was loaded');
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    const running = store.running();
    assert.equal(running.origin, 'file');
    assert.equal(running.config.services[0].backends[0].weight, 5, 'the revision is what was applied, not a re-read');
    const edits = await store.detectHandEdits();
    assert.equal(edits.configDiffers, true, 'the later edit is still a hand edit, not silently recorded');
    assert.deepEqual(edits.files, [{ path: 'config.yaml', change: 'modified' }]);
    // The next apply takes it.
    const io2 = captureIO();
    assert.equal(await runApply(lab.ctx, io2), 0, io2.err);
    assert.match(io2.out, /weight 5→9/);
    assert.equal((await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath })).running().config.services[0].backends[0].weight, 9);
  } finally {
    lab.cleanup();
  }
});

test('apply repairs a drifted kernel even when the files equal the running revision, and is audited', async () => {
  const lab = makeLab(WEB(1));
  try {
    assert.equal(await runApply(lab.ctx, captureIO()), 0);
    const dp = await openContextDataplane(lab.ctx);
    const entry = (await dp.readAll())[0];
    await dp.apply([{ op: 'delService', key: entry.service.key }]); // somebody deletes lbctl's service
    await dp.close();
    const io = captureIO();
    assert.equal(await runApply(lab.ctx, io), 0, io.err);
    assert.match(io.out, /\+ service tcp 192\.0\.2\.10:80/);
    assert.match(io.out, /running revision 1 already holds these files/);
    assert.match(labTable(lab), /10\.0\.0\.1/);
    const last = auditOf(lab).at(-1)!;
    assert.equal(`${last.action}:${last.result}`, 'apply:ok');
    assert.equal(last.revisionAfter, 1);
  } finally {
    lab.cleanup();
  }
});

test('a shell commit of the examples prints the plan folded like lbctl apply (a port range is one block)', async () => {
  const lab = makeLab();
  try {
    const examples = join(lab.dir, 'examples');
    cpSync(examplesDir(), examples, { recursive: true });
    const s = await openLabSession(lab);
    await run(s, 'configure private', `load override ${examples}`);
    const r = await run(s, 'commit');
    const lines = r.output.trimEnd().split('\n');
    assert.match(lines[0], /^Kernel operations applied \(564\):$/);
    assert.ok(lines.includes('  + service udp 203.0.113.10:7543-7814 wlc  (switchboard-udp, 272 services)'), r.output);
    assert.ok(lines.includes('      + dest 192.168.94.22:7543-7814 nat weight 1'), r.output);
    assert.ok(!lines.some((l) => /:7600\b/.test(l)), 'no single port of the range is listed on its own');
    assert.ok(lines.length < 60, `${lines.length} lines (unfolded: 566)`);
    assert.match(lines.at(-1)!, /% Configuration committed successfully \(revision 2\)\./);
    // The audit still keeps every operation.
    assert.equal(auditOf(lab).at(-1)!.kernel?.applied.length, 564);
    await s.close();
  } finally {
    lab.cleanup();
  }
});

test('apply waits for the commit lock a shell commit holds: it never programs the kernel alongside a commit', async () => {
  const lab = makeLab(WEB(1));
  try {
    const { acquireLock } = await import('../../../locks/lock.js');
    const { commitTransactionLockPath } = await import('../../../engine/commit-transaction.js');
    const lock = await acquireLock({ name: 'shell commit', path: commitTransactionLockPath(lab.ctx.stateDir), holder: describeHolder({ session: 'a-shell' }), waitMs: 1000 });
    let settled = false;
    const io = captureIO();
    const pending = runApply(lab.ctx, io).finally(() => void (settled = true));
    await new Promise((r) => setTimeout(r, 300));
    // Whatever the timing, apply cannot have touched the kernel while the lock is held.
    assert.equal(settled, false, io.out + io.err);
    assert.equal(labTable(lab).includes('10.0.0.1'), false, 'the kernel is untouched while a commit holds the lock');
    await lock.release();
    assert.equal(await pending, 0, io.err);
    assert.match(labTable(lab), /10\.0\.0\.1/);
  } finally {
    lab.cleanup();
  }
});

test('store.recordFileRevision with a loaded configuration records it as given, under compare-and-swap', async () => {
  const lab = makeLab(WEB(1));
  try {
    const store = await openStore({ stateDir: lab.ctx.stateDir, configPath: lab.ctx.configPath });
    const { loadConfig } = await import('../../../config/load.js');
    const { fingerprintFiles, locateConfig } = await import('../../../store/store-files.js');
    writeFileSync(join(lab.ctx.configPath, 'config.yaml'), WEB(3));
    const loaded = { config: loadConfig(lab.ctx.configPath).config!, fingerprints: fingerprintFiles(locateConfig(lab.ctx.configPath)) };
    writeFileSync(join(lab.ctx.configPath, 'config.yaml'), WEB(4)); // changed again after loading
    await assert.rejects(store.recordFileRevision({}, { loaded, baseRevision: 0 }), { name: 'StaleBaseError' });
    const o = await store.recordFileRevision({ comment: 'x' }, { loaded, baseRevision: 1 });
    assert.equal(o.kind, 'recorded');
    assert.equal(store.running().config.services[0].backends[0].weight, 3, 'not a re-read (the file says 4)');
    assert.equal(store.running().origin, 'file');
  } finally {
    lab.cleanup();
  }
});
