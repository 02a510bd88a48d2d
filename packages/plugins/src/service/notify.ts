/**
 * Telling a service manager the daemon is ready: systemd's `NOTIFY_SOCKET` protocol (a
 * datagram `READY=1` on a unix socket), for `Type=notify` units. Node has no unix datagram
 * sockets, so the message goes through libc.
 */
import { libc } from '@tscni/netlink/libc';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;

function sockaddrUn(path: string): Uint8Array {
  // `@name` is an abstract socket: its address starts with a NUL byte.
  const name = Buffer.from(path.startsWith('@') ? `\0${path.slice(1)}` : path, 'utf8');
  const addr = new Uint8Array(2 + name.length + (path.startsWith('@') ? 0 : 1));
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, 2);
  return addr;
}

/**
 * Sends `state` (e.g. `READY=1`) to `$NOTIFY_SOCKET`; does nothing when it is unset.
 *
 * @example notifyServiceManager('READY=1\nMAINPID=' + process.pid)
 */
export function notifyServiceManager(state: string, socketPath = process.env['NOTIFY_SOCKET']): void {
  if (!socketPath) return;
  const c = libc();
  const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  try {
    c.sendto(fd, Buffer.from(state, 'utf8'), 0, sockaddrUn(socketPath));
  } finally {
    c.close(fd);
  }
}
