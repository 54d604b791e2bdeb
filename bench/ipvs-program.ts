// Benchmark (figures only, never pass/fail): program 10,000 services x 4 destinations into an empty IPVS table
// with lbctl's netlink dataplane and with `ipvsadm -R`, then make one change on the full table with each, and
// read the full table back with each. Each tool starts from a table that never held these entries: lbctl in the
// guest's own namespace (the boot is fresh), ipvsadm in a fresh network namespace (the kernel keeps deleted
// destinations a while, so restoring into a namespace that just held and flushed the table costs ipvsadm about 4x).
// Run it where the kernel has IPVS, as root: `node build/bench/run.js ipvs-program` (boots the kernel-test VM
// when this host lacks IPVS). Timings inside the emulated guest are not comparable with native ones; the ratio
// between the two tools is.
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { AF_INET, FWD_MASQ, IPPROTO_TCP, type IpvsOp, type ServiceKey } from '../netlink/dataplane.js';
import { NetlinkDataplane } from '../netlink/ipvs.js';

const SERVICES = Number(process.env.LBCTL_BENCH_SERVICES ?? 10_000);
const DESTS = 4;

const keyOf = (i: number): ServiceKey => ({ af: AF_INET, protocol: IPPROTO_TCP, addr: `10.${100 + (i >> 16)}.${(i >> 8) & 0xff}.${i & 0xff}`, port: 80 });
const destAddr = (i: number, j: number) => `172.${16 + j}.${(i >> 8) & 0xff}.${i & 0xff}`;

function lbctlOps(): IpvsOp[] {
  const ops: IpvsOp[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const key = keyOf(i);
    ops.push({ op: 'newService', service: { key, scheduler: 'wrr', flags: 0, timeout: 0, netmask: 0xffffffff } });
    for (let j = 0; j < DESTS; j++) ops.push({ op: 'newDest', key, dest: { addr: destAddr(i, j), port: 8080, fwdMethod: FWD_MASQ, weight: 1 + j, uThresh: 0, lThresh: 0 } });
  }
  return ops;
}

function ipvsadmRules(): string {
  const lines: string[] = [];
  for (let i = 0; i < SERVICES; i++) {
    const k = keyOf(i) as { addr: string };
    lines.push(`-A -t ${k.addr}:80 -s wrr`);
    for (let j = 0; j < DESTS; j++) lines.push(`-a -t ${k.addr}:80 -r ${destAddr(i, j)}:8080 -m -w ${1 + j}`);
  }
  return lines.join('\n') + '\n';
}

const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmt = (x: number) => `${x.toFixed(1)} ms`;

export async function main(): Promise<void> {
  execFileSync('modprobe', ['ip_vs']);
  const dp = await NetlinkDataplane.open({ timeoutMs: 60_000 });
  const ops = lbctlOps();
  const rules = ipvsadmRules();
  const mid = Math.floor(SERVICES / 2);
  const changeKey = keyOf(mid);
  const lines: string[] = [];
  const say = (s: string) => {
    lines.push(s);
    console.log(s);
  };
  say(`ipvs-program: ${SERVICES} services x ${DESTS} destinations (${ops.length} operations), kernel ${execFileSync('uname', ['-r']).toString().trim()}`);

  // lbctl: program from empty.
  await dp.flush();
  let m0 = dp.messagesSent();
  let s0 = dp.sendCalls();
  let t0 = process.hrtime.bigint();
  const results = await dp.apply(ops);
  const lbctlProgram = ms(t0);
  const failed = results.filter((r) => !r.ok).length;
  say(`lbctl   program from empty : ${fmt(lbctlProgram)}  (${dp.messagesSent() - m0} netlink messages + ${dp.sendCalls() - s0} ACK barriers in ${dp.sendCalls() - s0} send() calls, ${failed} failed)`);

  // lbctl: one change on the full table (the engine keeps the table it read, so a change is one message).
  m0 = dp.messagesSent();
  t0 = process.hrtime.bigint();
  await dp.apply([{ op: 'setDest', key: changeKey, dest: { addr: destAddr(mid, 0), port: 8080, fwdMethod: FWD_MASQ, weight: 9, uThresh: 0, lThresh: 0 } }]);
  const lbctlChange = ms(t0);
  say(`lbctl   one change          : ${fmt(lbctlChange)}  (${dp.messagesSent() - m0} netlink message)`);

  // lbctl: read the whole table (what a drift check costs).
  m0 = dp.messagesSent();
  t0 = process.hrtime.bigint();
  const table = await dp.readAll();
  const lbctlRead = ms(t0);
  say(`lbctl   read full table     : ${fmt(lbctlRead)}  (${dp.messagesSent() - m0} netlink messages; ${table.length} services, ${table.reduce((n, e) => n + e.dests.length, 0)} destinations)`);

  await dp.flush();
  await dp.close();

  // ipvsadm: the same from empty, one change, one full read, in a fresh namespace (not the one lbctl just flushed).
  const ns = `lbctl-bench-prog-${process.pid}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    // With lo down the kernel calls every destination "not unicast" (EINVAL) in a fresh namespace. No traffic.
    execFileSync('ip', ['netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up']);
    const ipvsadm = (args: string[], input?: string) =>
      execFileSync('ip', ['netns', 'exec', ns, 'ipvsadm', ...args], { maxBuffer: 1 << 28, ...(input !== undefined ? { input } : {}) }).toString();
    // What `ip netns exec` adds to each ipvsadm figure (lbctl's run in this process): measured, then subtracted.
    const wrap: number[] = [];
    for (let k = 0; k < 3; k++) {
      t0 = process.hrtime.bigint();
      execFileSync('ip', ['netns', 'exec', ns, 'true']);
      wrap.push(ms(t0));
    }
    const overhead = wrap.sort((a, b) => a - b)[1];
    t0 = process.hrtime.bigint();
    ipvsadm(['-R'], rules);
    const ipvsadmProgram = ms(t0) - overhead;
    say(`ipvsadm program from empty : ${fmt(ipvsadmProgram)}  (ipvsadm -R, in a fresh network namespace)`);
    t0 = process.hrtime.bigint();
    ipvsadm(['-e', '-t', `${(changeKey as { addr: string }).addr}:80`, '-r', `${destAddr(mid, 0)}:8080`, '-m', '-w', '9']);
    const ipvsadmChange = ms(t0) - overhead;
    say(`ipvsadm one change          : ${fmt(ipvsadmChange)}  (ipvsadm -e, one process)`);
    t0 = process.hrtime.bigint();
    const saved = ipvsadm(['-Sn']);
    const ipvsadmRead = ms(t0) - overhead;
    say(`ipvsadm read full table     : ${fmt(ipvsadmRead)}  (ipvsadm -Sn, ${saved.trim().split('\n').length} lines)`);
    say(`ratio lbctl/ipvsadm: program ${(lbctlProgram / ipvsadmProgram).toFixed(2)}, one change ${(lbctlChange / ipvsadmChange).toFixed(3)}, full read ${(lbctlRead / ipvsadmRead).toFixed(2)}`);
    say(`(ipvsadm figures less ${fmt(overhead)}, the median time of \`ip netns exec NS true\`)`);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
