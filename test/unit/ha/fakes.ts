// Fakes for the HA watcher's unit tests: a kernel whose events the test delivers, a vtysh whose answers the test
// sets, a clock the test moves. What they produce is built from the same shapes the real kernel and FRR give
// (test/fixtures/ha holds captured ones).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Ha } from '../../../config/model.js';
import type { HaKernel } from '../../../engine/ha/driver.js';
import type { CommandResult, CommandRunner } from '../../../engine/ha/vtysh.js';
import { IFF_RUNNING, IFF_UP, type AddrInfo, type LinkInfo, type RtEvent, type Subscription } from '../../../netlink/rtnetlink.js';

export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/ha/', import.meta.url));
export const fixture = (name: string) => readFileSync(FIXTURES + name, 'utf8');

/** `show vrrp json` as FRR 8.4 printed it in the lab, with the v4 status (and priority) changed. */
export function frrJson(status: 'Master' | 'Backup' | 'Initialize', priority = 200): string {
  const doc = JSON.parse(fixture('show-vrrp-master.json'));
  doc[0].interface = 'eth0';
  doc[0].v4.status = status;
  doc[0].v4.effectivePriority = priority;
  return JSON.stringify(doc);
}

export const ok = (stdout: string): CommandResult => ({ code: 0, stdout, stderr: '', timedOut: false });
export const NOT_RUNNING: CommandResult = {
  code: 1,
  stdout: '',
  stderr: "% Can't open configuration file /etc/frr/x/vtysh.conf due to 'No such file or directory'.\nvrrpd is not running\n",
  timedOut: false,
};

/** A vtysh whose next answers the test sets; `during` runs while it "answers" (an event arriving meanwhile). */
export class FakeVtysh {
  answer: CommandResult = ok(frrJson('Master'));
  during: (() => void) | null = null;
  calls: { file: string; args: readonly string[]; timeoutMs: number }[] = [];
  readonly run: CommandRunner = async (file, args, timeoutMs) => {
    this.calls.push({ file, args, timeoutMs });
    const d = this.during;
    this.during = null;
    d?.();
    return this.answer;
  };
}

export function link(ifindex: number, name: string, o: { mac?: string; parent?: number; protoDown?: boolean; up?: boolean; mtu?: number } = {}): LinkInfo {
  const up = o.up ?? true;
  const l: LinkInfo = {
    ifindex,
    name,
    operState: up ? 'up' : 'down',
    adminUp: up,
    protoDown: o.protoDown ?? false,
    flags: up ? IFF_UP | IFF_RUNNING : 0,
    mtu: o.mtu ?? 1500,
  };
  if (o.mac) l.mac = o.mac;
  if (o.parent !== undefined) l.parent = o.parent;
  return l;
}

export const linkEv = (l: LinkInfo): RtEvent => ({ kind: 'link', action: 'new', link: l });

export function addr(ifindex: number, ifname: string, address: string): AddrInfo {
  return { ifindex, ifname, family: address.includes(':') ? 10 : 2, address, prefixLen: 24, scope: 0, flags: 0x80 };
}

/**
 * A subscription: `deliver` puts an event "in the socket"; the iterator yields it on a later macrotask (as the
 * real one does after its poll worker wakes), and `drain` takes whatever is still queued.
 */
export class FakeSubscription implements Subscription {
  private queued: RtEvent[] = [];
  private wake: (() => void) | null = null;
  closed = false;

  deliver(ev: RtEvent): void {
    this.queued.push(ev);
    setImmediate(() => this.wake?.());
  }
  drain(): RtEvent[] {
    const out = this.queued;
    this.queued = [];
    return out;
  }
  close(): void {
    this.closed = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<RtEvent> {
    while (!this.closed) {
      if (this.queued.length) {
        yield this.queued.shift()!;
        continue;
      }
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
  }
}

export class FakeKernel implements HaKernel {
  links: LinkInfo[] = [];
  addrs: AddrInfo[] = [];
  sub: FakeSubscription | null = null;
  groups: number[] = [];
  failSubscribe: Error | null = null;
  async subscribe(groups: number[]): Promise<Subscription> {
    if (this.failSubscribe) throw this.failSubscribe;
    this.groups = groups;
    this.sub = new FakeSubscription();
    return this.sub;
  }
  async dumpLinks(): Promise<LinkInfo[]> {
    return this.links.map((l) => ({ ...l }));
  }
  async dumpAddrs(): Promise<AddrInfo[]> {
    return this.addrs.map((a) => ({ ...a }));
  }
}

export function frrHa(over: Partial<Ha> = {}): Ha {
  return {
    source: 'frr',
    program: 'master-only',
    instances: [{ name: 'web', vrid: 10, interface: 'eth0', vips: ['192.0.2.100'] }],
    poll_interval_ms: 3_600_000, // the tests poll by hand
    ...over,
  };
}

/** eth0 (2) and its VRRP macvlan (3) for VRID 10, IPv4. */
export const ETH0 = link(2, 'eth0', { mac: '52:54:00:00:00:01' });
export const MACVLAN = (protoDown: boolean) => link(3, 'vrrp4-2-10', { mac: '00:00:5e:00:01:0a', parent: 2, protoDown });

/** Let pending events reach the watcher (the fake iterator yields on macrotasks). */
export const settle = () => new Promise((r) => setTimeout(r, 5));

/** A clock the test moves. */
export class FakeClock {
  t = Date.parse('2026-01-01T00:00:00Z');
  readonly now = () => this.t;
}
