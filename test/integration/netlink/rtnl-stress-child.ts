// Child process for rtnl-stress.test.ts: runs INSIDE the test's namespace.
//   LINK WANT MS     subscribes to link events and counts the protodown flips of LINK until it has seen WANT of
//                    them or MS passed, then prints the count;
//   --drain LINK     subscribes, says `subscribed`, waits for a line on stdin (the parent made its changes), then
//                    prints as JSON the protodown values drain() returned and those the iterator yielded after.
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

async function drainMode(link: string): Promise<void> {
  const sub = await subscribe({ groups: [1] });
  process.stdout.write('subscribed\n');
  await new Promise((r) => process.stdin.once('data', r));
  const drained = sub.drain().flatMap((e) => (e.kind === 'link' && e.link.name === link ? [e.link.protoDown] : []));
  const after: boolean[] = [];
  setTimeout(() => sub.close(), 700);
  for await (const e of sub) if (e.kind === 'link' && e.link.name === link) after.push(e.link.protoDown);
  process.stdout.write(`${JSON.stringify({ drained, after })}\n`);
  process.exit(0);
}

const [link, want, ms] = process.argv.slice(2);
if (link === '--drain') {
  drainMode(want).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else if (link) {
  main(link, Number(want), Number(ms)).catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
