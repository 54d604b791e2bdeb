// Who is on the other end of an accepted control-socket connection, as the kernel recorded it at connect():
// SO_PEERCRED's struct ucred. The daemon decides permissions and writes audit records from it, so it must come
// from the kernel, never from anything the client says.
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { AF_UNIX, getsockoptBuffer, getsockoptInt, SO_DOMAIN, SO_PEERCRED, SOL_SOCKET } from '../../netlink/libc.js';

export interface PeerCredentials {
  pid: number;
  uid: number;
  gid: number;
}

/** sizeof(struct ucred { pid_t pid; uid_t uid; gid_t gid; }). */
const UCRED_SIZE = 12;

/** 'EBADF (9)': the name makes the message readable, the number keeps it exact. */
function errnoText(errno: number): string {
  const name = Object.entries(constants.errno).find(([, v]) => v === errno)?.[0];
  return name ? `${name} (${errno})` : `errno ${errno}`;
}

/** The file descriptor under a net.Socket (libuv's pipe handle exposes it on Unix); throws when there is none. */
function socketFd(socket: Socket): number {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } | null })._handle;
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new Error(
      `peer credentials: the socket has no file descriptor (${handle ? `fd ${String(fd)}` : 'no handle: closed or not yet connected'})`,
    );
  }
  return fd;
}

/**
 * The peer's pid, uid and gid from SO_PEERCRED on the accepted unix socket. Throws an Error naming the errno
 * when the socket has no fd, is not an AF_UNIX socket, or getsockopt fails.
 */
export function peerCredentials(socket: Socket): PeerCredentials {
  const fd = socketFd(socket);
  // A TCP socket answers SO_PEERCRED too, with pid 0 and uid/gid -1: refuse it instead of returning nonsense.
  const domain = getsockoptInt(fd, SOL_SOCKET, SO_DOMAIN);
  if (domain.value < 0) throw new Error(`peer credentials: getsockopt(fd ${fd}, SO_DOMAIN) failed: ${errnoText(domain.errno)}`);
  if (domain.value !== AF_UNIX) throw new Error(`peer credentials: fd ${fd} is not a unix socket (address family ${domain.value})`);
  const r = getsockoptBuffer(fd, SOL_SOCKET, SO_PEERCRED, UCRED_SIZE);
  if (r.value < 0) throw new Error(`peer credentials: getsockopt(fd ${fd}, SO_PEERCRED) failed: ${errnoText(r.errno)}`);
  if (r.data.length !== UCRED_SIZE) {
    throw new Error(`peer credentials: getsockopt(fd ${fd}, SO_PEERCRED) returned ${r.data.length} bytes, expected ${UCRED_SIZE}`);
  }
  return { pid: r.data.readInt32LE(0), uid: r.data.readUInt32LE(4), gid: r.data.readUInt32LE(8) };
}
