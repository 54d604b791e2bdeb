// Child process for rtnl-stress.test.ts: runs INSIDE the test's namespace, subscribes to link events and counts
// the protodown flips of one link until it has seen `want` of them or `ms` passed, then prints the count.
// Without arguments it does nothing (a test runner may load every file under test/).
import { subscribe } from '../../../netlink/rtnetlink.js';

async function main(link: string, want: number, ms: number): Promise<void> {
  const sub = await subscribe({ groups: [1] });
  process.stdout.write('subscribed\n');
  const end = Date.now() + ms;
  const timer = setTimeout(() => sub.close(), ms);
  let flips = 0;
  let last: boolean | null = null;
  for await (const ev of sub) {
    if (ev.kind !== 'link' || ev.link.name !== link) continue;
    if (ev.link.protoDown !== last) flips++;
    last = ev.link.protoDown;
    if (flips >= want || Date.now() > end) break;
  }
  clearTimeout(timer);
  sub.close();
  process.stdout.write(`${flips}\n`);
}

const [link, want, ms] = process.argv.slice(2);
if (link) {
  main(link, Number(want), Number(ms)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
