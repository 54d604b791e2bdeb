// Child process for rtnetlink.test.ts: runs INSIDE a network namespace the test created (`ip netns exec`),
// subscribes to link/address events, makes changes with `ip`, and prints what it saw as JSON on stdout.
// It acts only when LBT_RTNL_CHILD=1, so a test runner that loads every file under test/ does nothing here.
import { execFileSync } from 'node:child_process';
import { dumpAddrs, dumpLinks, subscribe, type RtEvent } from '../../../netlink/rtnetlink.js';

async function main() {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  const sub = await subscribe();
  const seen: RtEvent[] = [];
  const collecting = (async () => {
    for await (const ev of sub) seen.push(ev);
  })();
  ip('link', 'set', 'lo', 'up');
  ip('link', 'add', 'lbtv0', 'type', 'veth', 'peer', 'name', 'lbtv1');
  ip('link', 'set', 'lbtv0', 'up');
  ip('link', 'set', 'lbtv1', 'up');
  ip('link', 'add', 'link', 'lbtv0', 'name', 'lbtmv0', 'type', 'macvlan', 'mode', 'bridge');
  ip('link', 'set', 'lbtmv0', 'protodown', 'on');
  ip('link', 'set', 'lbtmv0', 'up');
  ip('addr', 'add', '192.0.2.1/24', 'dev', 'lbtmv0');
  ip('addr', 'add', '2001:db8::1/64', 'dev', 'lbtmv0', 'nodad');
  ip('addr', 'del', '192.0.2.1/24', 'dev', 'lbtmv0');
  ip('link', 'set', 'lbtmv0', 'protodown', 'off');
  const links = await dumpLinks();
  const addrs = await dumpAddrs();
  const ipLinks = JSON.parse(execFileSync('ip', ['-j', 'link', 'show']).toString()) as { ifname: string; address: string }[];
  // Let the last events arrive (bounded: at most 3 s).
  for (let i = 0; i < 30 && !seen.some((e) => e.kind === 'link' && e.link.name === 'lbtmv0' && !e.link.protoDown && e.link.operState === 'up'); i++)
    await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
  sub.close();
  await collecting;
  process.stdout.write(JSON.stringify({ seen, links, addrs, ipLinks }));
}

if (process.env.LBT_RTNL_CHILD === '1') {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
