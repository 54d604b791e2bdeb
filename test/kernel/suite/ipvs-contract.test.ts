// The dataplane contract suite against the kernel's IPVS (runs as root inside the VM, or on a host with IPVS).
import { execFileSync } from 'node:child_process';
import { openDataplane } from '../../../netlink/open.js';
import { dataplaneContract } from '../../unit/netlink/dataplane-contract.js';

execFileSync('modprobe', ['ip_vs']);
dataplaneContract('kernel (netlink)', () => openDataplane({ kind: 'netlink' }));
