// Human-readable names for services, destinations and operations (errors, logs, test messages).
import { AF_INET6, IPPROTO_SCTP, IPPROTO_TCP, IPPROTO_UDP, type IpvsOp, type ServiceKey } from './dataplane.js';

export function protocolName(p: number): string {
  return p === IPPROTO_TCP ? 'tcp' : p === IPPROTO_UDP ? 'udp' : p === IPPROTO_SCTP ? 'sctp' : `proto${p}`;
}

function hostPort(af: number, addr: string, port: number): string {
  return af === AF_INET6 ? `[${addr}]:${port}` : `${addr}:${port}`;
}

export function describeKey(key: ServiceKey): string {
  if ('fwmark' in key) return `fwmark ${key.fwmark}${key.af === AF_INET6 ? ' inet6' : ''}`;
  return `${protocolName(key.protocol)} ${hostPort(key.af, key.addr, key.port)}`;
}

export function describeOp(op: IpvsOp): string {
  switch (op.op) {
    case 'newService':
    case 'setService':
      return `${op.op} ${describeKey(op.service.key)}`;
    case 'delService':
      return `delService ${describeKey(op.key)}`;
    case 'newDest':
    case 'setDest':
    case 'delDest':
      return `${op.op} ${describeKey(op.key)} -> ${hostPort(op.dest.af ?? op.key.af, op.dest.addr, op.dest.port)}`;
  }
}
