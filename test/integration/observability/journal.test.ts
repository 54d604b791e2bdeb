// Under systemd (JOURNAL_STREAM set) the real `lbctl daemon --lab` writes the sd-daemon priority prefix on every
// stderr line and no time of its own (journald stamps it); a commit's audit record is a `<6>` line with its
// fields, a refused reload `<3>` lines. Without JOURNAL_STREAM: ISO time and the level word.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, it } from 'node:test';
import { eventually, makeLab, shell, startDaemon, stopDaemon, type Lab } from '../../support/lab-daemon.js';

const labs: Lab[] = [];
after(() => labs.forEach((l) => rmSync(l.home, { recursive: true, force: true })));

it('JOURNAL_STREAM set: <N> on every line, the audit record with its fields, errors at priority 3', async () => {
  const lab = makeLab('');
  labs.push(lab);
  // The value only has to be present (the daemon does not check the stream's inode, as journald's clients may).
  const d = await startDaemon(lab, { JOURNAL_STREAM: '8:12345' });
  try {
    const c = shell(lab, 'configure; service web; backend 198.51.100.11 port 80 weight 7; commit comment "journal"');
    assert.equal(c.code, 0, c.out);
    assert.ok(await eventually(() => /<6>audit: commit ok/.test(d.log())), d.log());
    writeFileSync(join(lab.config, 'config.yaml'), 'node: {name: lbd}\nvip: 192.0.2.10\nbogus_key: 1\n');
    d.child.kill('SIGHUP');
    assert.ok(await eventually(() => /<3>reload: /.test(d.log())), d.log());
  } finally {
    assert.equal(await stopDaemon(d), 0);
  }
  const lines = d.log().trimEnd().split('\n');
  for (const l of lines) assert.match(l, /^<[3467]>/, `every line carries a priority: ${l}`);
  assert.match(d.log(), /^<6>lbctl daemon .* ready/m);
  assert.match(d.log(), /^<6>audit: commit ok by \S+, revision 1 → 2: "journal" action=commit result=ok user=\S+ .*revisionBefore=1 revisionAfter=2 comment=journal .*kernel=\{"ok":true,"operations":1\}$/m);
  assert.match(d.log(), /^<3>  config\.yaml:3:1: bogus_key: /m);
  assert.ok(!/\d{4}-\d\d-\d\dT\d\d:\d\d/.test(d.log()), 'no time of its own');
});

it('no JOURNAL_STREAM: ISO time and the level word', async () => {
  const lab = makeLab('');
  labs.push(lab);
  const d = await startDaemon(lab);
  assert.equal(await stopDaemon(d), 0);
  assert.match(d.log(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info    lbctl daemon .* ready/m);
  assert.match(d.log(), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info    stopping \(SIGTERM\)/m);
});
