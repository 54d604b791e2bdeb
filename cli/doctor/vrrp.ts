// `lbctl doctor`'s VRRP checks (issue 10), when `ha.source` names one. Pure over the HostProbe, like checks.ts:
//   vrrp-sysctl  ARP on every instance's interface: arp_ignore >= 1 and arp_announce >= 2 (the kernel uses the
//                larger of `all` and the interface's value). Without them the parent interface answers ARP for a
//                VIP it holds on a macvlan (FRR keeps the VIP on both nodes) and clients send VIP traffic to the
//                Backup (shared/reference/frr-vrrp.md, trap 4). An error with FRR, a warning with keepalived (which
//                removes the VIP from the Backup, so only stray ARP for other addresses is at stake).
//   vrrp-source  the source answers: `vtysh -c 'show vrrp json'` parses and lists each configured (interface,
//                VRID); keepalived: each instance's interface exists and its VIPs are there (Master) or not
//                (Backup), which is what the watcher reads too.
//   vrrp-state   the daemon's watcher (the `ha` request): split brain is an error, unknown a warning/error.
import type { Config, Ha, VrrpInstance } from '../../config/model.js';
import type { HaSnapshot } from '../../engine/ha/types.js';
import type { Finding, FindingStatus, HostProbe } from './checks.js';

const COMMAND_TIMEOUT_MS = 5000;

/** The value the kernel applies for an ARP setting on `iface`: the larger of `all` and the interface's own. */
async function effective(probe: HostProbe, key: 'arp_ignore' | 'arp_announce', iface: string): Promise<{ all: number | null; own: number | null }> {
  const read = async (path: string) => {
    const t = (await probe.readFile(path))?.trim();
    return t === undefined || t === '' || Number.isNaN(Number(t)) ? null : Number(t);
  };
  return { all: await read(`/proc/sys/net/ipv4/conf/all/${key}`), own: await read(`/proc/sys/net/ipv4/conf/${iface}/${key}`) };
}

const WANT = { arp_ignore: 1, arp_announce: 2 } as const;

export async function checkVrrpSysctls(probe: HostProbe, config: Config | null): Promise<Finding[]> {
  const ha = config?.ha;
  if (!ha || ha.source === 'none' || ha.instances.length === 0) return [];
  const status: FindingStatus = ha.source === 'frr' ? 'error' : 'warning';
  const out: Finding[] = [];
  const interfaces = [...new Set(ha.instances.map((i) => i.interface))];
  for (const iface of interfaces) {
    if (!(await probe.exists(`/proc/sys/net/ipv4/conf/${iface}`))) {
      out.push({ check: 'vrrp-sysctl', status: 'warning', detail: `interface ${iface} (ha.instances) does not exist in this network namespace: ARP settings not checked`, fix: [`ip link show ${iface}`, 'correct ha.instances[].interface'] });
      continue;
    }
    const bad: string[] = [];
    const fix: string[] = [];
    for (const key of ['arp_ignore', 'arp_announce'] as const) {
      const v = await effective(probe, key, iface);
      const value = Math.max(v.all ?? 0, v.own ?? 0);
      if (value >= WANT[key]) continue;
      bad.push(`${key} = ${value} on ${iface} (all ${v.all ?? '?'}, ${iface} ${v.own ?? '?'}), want ${WANT[key]}`);
      fix.push(`sysctl -w net.ipv4.conf.all.${key}=${WANT[key]}`);
    }
    if (bad.length === 0) {
      out.push({ check: 'vrrp-sysctl', status: 'ok', detail: `${iface}: arp_ignore >= 1 and arp_announce >= 2 (the VIP is answered only by the node that holds it)` });
      continue;
    }
    fix.push(`printf 'net.ipv4.conf.all.arp_ignore = 1\\nnet.ipv4.conf.all.arp_announce = 2\\n' > /etc/sysctl.d/91-lbctl-vrrp.conf  (keeps it across reboots)`);
    out.push({
      check: 'vrrp-sysctl',
      status,
      detail: `${bad.join('; ')}: ${iface} answers ARP for VIPs it holds only on another interface, so clients may send VIP traffic to the Backup`,
      fix,
    });
  }
  return out;
}

/** FRR's `show vrrp json` entry for one instance: per family `status` and `effectivePriority`. */
interface FrrVrrp {
  vrid: number;
  interface: string;
  v4?: { status?: string; effectivePriority?: number };
  v6?: { status?: string; effectivePriority?: number };
}

export async function checkVrrpSource(probe: HostProbe, config: Config | null): Promise<Finding[]> {
  const ha = config?.ha;
  if (!ha || ha.source === 'none' || ha.instances.length === 0) return [];
  return ha.source === 'frr' ? [await checkFrr(probe, ha)] : checkKeepalived(probe, ha);
}

async function checkFrr(probe: HostProbe, ha: Ha): Promise<Finding> {
  const check = 'vrrp-source';
  const args = [...(ha.frr_pathspace ? ['-N', ha.frr_pathspace] : []), '-c', 'show vrrp json'];
  const cmd = `vtysh ${args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}`;
  const r = await probe.run('vtysh', args, COMMAND_TIMEOUT_MS);
  const status: FindingStatus = ha.program === 'master-only' ? 'error' : 'warning';
  if (r.code !== 0) {
    const why = r.error ?? (r.stderr.trim().split('\n')[0] || `exit ${r.code}`);
    return { check, status, detail: `${cmd} does not answer: ${why}: every instance is unknown (its services are kept as they are)`, fix: ['systemctl restart frr', 'journalctl -u frr  (why vrrpd does not answer)'] };
  }
  let list: FrrVrrp[];
  try {
    list = JSON.parse(r.stdout) as FrrVrrp[];
    if (!Array.isArray(list)) throw new Error('not a JSON array');
  } catch (e) {
    return { check, status, detail: `${cmd} printed something that is not FRR's VRRP JSON (${(e as Error).message})`, fix: ['vtysh --version  (FRR 8.4 or later)'] };
  }
  const missing: VrrpInstance[] = [];
  const seen: string[] = [];
  for (const inst of ha.instances) {
    const e = list.find((x) => x.vrid === inst.vrid && x.interface === inst.interface);
    if (!e) missing.push(inst);
    else seen.push(`${inst.name} v4 ${e.v4?.status ?? '?'} v6 ${e.v6?.status ?? '?'}${e.v4?.effectivePriority !== undefined ? ` priority ${e.v4.effectivePriority}` : ''}`);
  }
  if (missing.length)
    return {
      check,
      status,
      detail: `${cmd} answers, but FRR has no ${missing.map((i) => `vrrp ${i.vrid} on ${i.interface} (${i.name})`).join(', ')}: those instances stay unknown`,
      fix: missing.map((i) => `vtysh -c 'configure terminal' -c 'interface ${i.interface}' -c 'vrrp ${i.vrid}'${i.vips.map((v) => ` -c 'vrrp ${i.vrid} ${v.includes(':') ? 'ipv6' : 'ip'} ${v}'`).join('')}`),
    };
  return { check, status: 'ok', detail: `${cmd} answers: ${seen.join('; ')}` };
}

/** keepalived has no query interface the watcher uses: its state is where the VIPs are, so that is what answers. */
async function checkKeepalived(probe: HostProbe, ha: Ha): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const inst of ha.instances) {
    const check = 'vrrp-source';
    const r = await probe.run('ip', ['-o', 'addr', 'show', 'dev', inst.interface], COMMAND_TIMEOUT_MS);
    if (r.code !== 0) {
      out.push({ check, status: 'error', detail: `${inst.name}: interface ${inst.interface} cannot be read (${r.error ?? r.stderr.trim()}): the instance stays unknown`, fix: [`ip link show ${inst.interface}`, 'correct ha.instances[].interface'] });
      continue;
    }
    const held = inst.vips.filter((v) => new RegExp(`\\binet6? ${v.replace(/[.:]/g, (c) => `\\${c}`)}/`, 'i').test(r.stdout));
    const detail =
      held.length === inst.vips.length && held.length > 0
        ? `${inst.name}: ${inst.interface} holds ${held.join(', ')}: keepalived has this node as Master`
        : held.length === 0
          ? `${inst.name}: ${inst.interface} holds none of ${inst.vips.join(', ') || '(no vips configured)'}: keepalived has this node as Backup`
          : `${inst.name}: ${inst.interface} holds only ${held.join(', ')} of ${inst.vips.join(', ')}: the VIPs in ha.instances differ from keepalived's virtual_ipaddress`;
    out.push(held.length > 0 && held.length < inst.vips.length ? { check, status: 'warning', detail, fix: [`compare ha.instances (${inst.name}) with virtual_ipaddress in /etc/keepalived/keepalived.conf`] } : { check, status: 'ok', detail });
  }
  return out;
}

/** What the daemon's watcher says now: split brain and unknown are what an operator must hear. */
export function checkVrrpState(config: Config | null, snapshot: HaSnapshot | null): Finding[] {
  const ha = config?.ha;
  // No daemon (the daemon check says so already), or one with no watcher: nothing to tell.
  if (!ha || ha.source === 'none' || !snapshot) return [];
  const check = 'vrrp-state';
  const states = snapshot.instances.map((i) => `${i.name} ${i.state}${i.reason ? ` (${i.reason})` : ''}`).join(', ');
  if (snapshot.summary === 'master,split-brain')
    return [{ check, status: 'error', detail: `SPLIT BRAIN: this node and its peer both claim Master (${states})`, fix: ['check the link between the balancers (ip link, the switch), and that both send and receive VRRP adverts (tcpdump -ni IFACE vrrp)', 'lbctl shell -c "show vrrp"'] }];
  if (snapshot.summary === 'unknown')
    return [{ check, status: ha.program === 'master-only' ? 'error' : 'warning', detail: `VRRP state unknown: ${states}; services of unknown instances are kept as they are`, fix: [ha.source === 'frr' ? 'systemctl restart frr' : 'systemctl restart keepalived', 'lbctl shell -c "show vrrp"'] }];
  return [{ check, status: 'ok', detail: `this node: ${snapshot.summary} (${states})` }];
}
