// A subscriber that lives through a steady stream of link events: the HA watcher's event socket waits on a worker
// thread (libc.pollInAsync) between events, thousands of times a minute. This found a SIGSEGV (the pollfd buffer
// collected while the worker still used it, netlink/libc.ts); it runs the host kernel, in its own namespace.
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const NS = `vwst${randomBytes(3).toString('hex')}`;
const child = fileURLToPath(new URL('./rtnl-stress-child.js', import.meta.url));
const canNetns = process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;
const FLIPS = 20000;

describe('rtnetlink subscription under a stream of events (host kernel, own namespace)', { skip: !canNetns && 'needs root and iproute2' }, () => {
  before(() => {
    execFileSync('ip', ['netns', 'add', NS]);
    const ip = (...a: string[]) => execFileSync('ip', ['-n', NS, ...a]);
    ip('link', 'add', 'vwp', 'type', 'veth', 'peer', 'name', 'vwq');
    ip('link', 'add', 'link', 'vwp', 'name', 'vwm', 'type', 'macvlan', 'mode', 'bridge');
    for (const l of ['vwp', 'vwq', 'vwm']) ip('link', 'set', l, 'up');
  });
  after(() => {
    spawnSync('ip', ['netns', 'del', NS]);
  });

  it(`sees ${FLIPS} protodown flips without crashing`, { timeout: 120_000 }, async () => {
    const c = spawn('ip', ['netns', 'exec', NS, process.execPath, child, 'vwm', String(FLIPS), '60000'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => c.on('exit', (code, signal) => r({ code, signal })));
    for (let i = 0; i < 200 && !out.includes('subscribed'); i++) await new Promise((r) => setTimeout(r, 50));
    // One `ip -batch` process flips protodown back and forth, as fast as the kernel takes it.
    const batch = Array.from({ length: FLIPS / 2 + 10 }, () => 'link set vwm protodown on\nlink set vwm protodown off').join('\n');
    const gen = spawnSync('ip', ['-n', NS, '-batch', '-'], { input: batch, timeout: 90_000 });
    assert.equal(gen.status, 0, String(gen.stderr));
    const { code, signal } = await exited;
    assert.equal(signal, null, `the subscriber died by ${signal}: ${err}`);
    assert.equal(code, 0, err);
    const seen = Number(out.trim().split('\n').at(-1));
    console.log(`flips seen: ${seen}`);
    assert.ok(seen >= FLIPS * 0.9, `saw ${seen} of ${FLIPS} flips (some may coalesce)`);
  });

  it('drain() returns the events already delivered, in order, without waiting; the iterator does not repeat them', { timeout: 30_000 }, async () => {
    const c = spawn('ip', ['netns', 'exec', NS, process.execPath, child, '--drain', 'vwm'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const exited = new Promise<number | null>((r) => c.on('exit', (code) => r(code)));
    for (let i = 0; i < 200 && !out.includes('subscribed'); i++) await new Promise((r) => setTimeout(r, 50));
    execFileSync('ip', ['-n', NS, '-batch', '-'], { input: 'link set vwm protodown on\nlink set vwm protodown off\nlink set vwm protodown on\n' });
    c.stdin.write('go\n');
    assert.equal(await exited, 0, err);
    const { drained, after } = JSON.parse(out.trim().split('\n').at(-1)!) as { drained: boolean[]; after: boolean[] };
    console.log('drained protodown values:', JSON.stringify(drained), 'yielded after:', JSON.stringify(after));
    // Each flip also brings a carrier event with the same flag: compare the flips.
    const flips = drained.filter((v, i) => i === 0 || v !== drained[i - 1]);
    assert.deepEqual(flips, [true, false, true]);
    assert.deepEqual(after, []);
  });
});
