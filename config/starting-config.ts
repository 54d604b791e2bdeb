// The configuration `lbctl init` writes: a commented starting point that validates, programs nothing (no
// services), and shows where things go. Pure text; cli/commands/init.ts writes it.

/** config.yaml of a new installation, for the node called `nodeName`. */
export function startingConfiguration(nodeName: string): string {
  return `# lbctl configuration, written by 'lbctl init'. Every key and its default: docs/config.md.
# Check a change with 'lbctl validate'; edit through 'lbctl shell' (configure … commit) or by hand, then
# 'lbctl apply'. Services may also live one file per service in config.d/ (read in name order).

node:
  name: ${nodeName}                # the shell's prompt: ${nodeName}#, ${nodeName}(config)#

# The default VIP: a service that names no vip of its own listens here.
# vip: 203.0.113.10

daemon:
  reconcile_interval_ms: 5000    # full kernel read that heals drift nobody announced
  revisions_kept: 50             # committed revisions kept for 'rollback N'

ha:
  source: none                   # frr or keepalived to follow VRRP (docs/ha.md); none: always program

observability:
  prometheus:
    enabled: true
    bind: 127.0.0.1              # a reverse proxy or a firewall rule in front before binding wider
    port: 9469

# No services yet: nothing is programmed until you add one. For example:
#
# services:
#   - name: web
#     vip: 192.0.2.10
#     ports: [80, 443]
#     backends:
#       - {address: 198.51.100.11, port: 0, weight: 100}
#       - {address: 198.51.100.12, port: 0, weight: 100}
#     health: {type: tcp, interval_ms: 2000, timeout_ms: 1000}
services: []
`;
}
